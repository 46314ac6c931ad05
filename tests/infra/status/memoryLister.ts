/**
 * ListObjectsV2 over a sorted key space held in memory or computed from an index (so a model of 10^8 keys costs no
 * memory): `prefix`, `delimiter` (a common prefix counts as one entry toward `maxKeys`), `startAfter`, `maxKeys`,
 * `truncated`, in S3's UTF-8 byte order. It counts the requests it answers.
 */
import { compareKeys } from "../../../infra/restore/plan";
import type { ListPage, ListRequest, Lister } from "../../../infra/status/sampleKeys";

/** Keys in S3 order, by index. */
export interface KeySpace {
    readonly count: number;
    keyAt(index: number): string;
}

export function keySpaceOf(keys: readonly string[]): KeySpace {
    const sorted = [...new Set(keys)].sort(compareKeys);
    return { count: sorted.length, keyAt: (i) => sorted[i] };
}

/** The first index whose key satisfies a predicate that is false, then true, along the key order. */
function firstIndex(space: KeySpace, from: number, predicate: (key: string) => boolean): number {
    let low = from;
    let high = space.count;
    while (low < high) {
        const middle = (low + high) >>> 1;
        if (predicate(space.keyAt(middle))) high = middle;
        else low = middle + 1;
    }
    return low;
}

export interface MemoryLister {
    readonly list: Lister;
    readonly requests: ListRequest[];
}

export function memoryLister(space: KeySpace, options: { record?: boolean } = {}): MemoryLister {
    const requests: ListRequest[] = [];
    const list = async (request: ListRequest): Promise<ListPage> => {
        if (options.record !== false) requests.push(request);
        const { prefix, delimiter, startAfter, maxKeys } = request;
        const floor = startAfter !== undefined && compareKeys(startAfter, prefix) > 0 ? startAfter : undefined;
        let i = firstIndex(space, 0, (k) => (floor !== undefined ? compareKeys(k, floor) > 0 : compareKeys(k, prefix) >= 0));
        const keys: string[] = [];
        const prefixes: string[] = [];
        while (i < space.count) {
            const key = space.keyAt(i);
            if (!key.startsWith(prefix)) break;
            if (keys.length + prefixes.length === maxKeys) return { keys, prefixes, truncated: true };
            const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
            if (at < 0) {
                keys.push(key);
                i++;
                continue;
            }
            const common = key.slice(0, at + delimiter!.length);
            prefixes.push(common);
            i = firstIndex(space, i, (k) => compareKeys(k, common) > 0 && !k.startsWith(common));
        }
        return { keys, prefixes, truncated: false };
    };
    return { list, requests };
}
