/**
 * The partitioned planner: lists a bucket's versions as several key ranges at once and plans each range on its own.
 *
 * A key range is `(after, upTo]` within the prefix: listing starts with S3's `key-marker = after` (keys strictly
 * after it) and stops at the first key beyond `upTo`. Every key falls in exactly one range whatever the split
 * points are, so correctness never depends on where the splits land; only balance does. And since all versions of
 * a key sit in the one range that holds the key, each range is a complete, ordered version stream for its keys:
 * {@link planRestore} runs on it unchanged, holding one key's history per range.
 *
 * Split points come from two places:
 * - one `ListObjectVersions` with delimiter `/` per top level (descending while a level has a single common
 *   prefix, as `data/` in `data/<dir>/<file>`), whose common prefixes become the first ranges;
 * - work stealing: when a lister is idle and nothing is queued, it bisects the unlisted rest of the busiest range
 *   (a midpoint between that range's cursor and its end, in code-point order, the order S3 lists in) and takes the
 *   upper half. One `MaxKeys=1` probe tells whether the upper half holds any key. This also splits flat namespaces
 *   (millions of keys in one "directory") and skewed trees, which a delimiter alone cannot.
 *
 * Split points are always keys that exist (the first key of a common prefix, the key a probe found), and each
 * range drops entries at or before its `after` key. S3 answers a bare `key-marker` with the keys after it; moto,
 * the emulator the tests use, also returns the marker key's older versions and drops the first entry at or after
 * the marker. With an existing key as marker both answers, filtered, are the same: the keys after it.
 *
 * Memory is bounded by the number of ranges listed at once: one page and one key history each, plus a queue of
 * planned keys of at most `concurrency` batches.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { listObjectVersionsPage } from "../aws/listing";
import { compareKeys, KeyPlan, planRestore, VersionEntry } from "./plan";
import { listVersions } from "./versions";

/** One key range of the listing and how far it got; what `onPartition` receives. */
export interface PartitionProgress {
    readonly id: number;
    /** Listing starts after this key (`key-marker`); absent: at the start of the prefix. */
    readonly after?: string;
    /** Last key of the range; absent: to the end of the prefix. Lowered when another lister takes the upper half. */
    readonly upTo?: string;
    readonly state: "queued" | "listing" | "done";
    readonly versions: number;
    readonly pages: number;
    /** Last key listed so far. */
    readonly cursor?: string;
}

export interface PartitionedPlanOptions {
    /** The point in time to return to. */
    readonly to: Date;
    /** Only keys under this prefix. @default "" */
    readonly prefix?: string;
    /** Ranges listed at once. @default 16 */
    readonly concurrency?: number;
    /** Entries per list request (S3's maximum is 1,000). @default 1000 */
    readonly pageSize?: number;
    /** Levels of `/` to look into for split points before listing. @default 3 */
    readonly discoveryDepth?: number;
    readonly signal?: AbortSignal;
    /** Called after each page with the number of entries it held. */
    readonly onPage?: (entries: number) => void;
    /** Called when a range is queued, after each of its pages, and when it is done. */
    readonly onPartition?: (partition: PartitionProgress) => void;
}

/** What each S3 request of the planner was for, for benchmarks and progress. */
export interface PartitionedPlanStats {
    discoveryRequests: number;
    probeRequests: number;
    listRequests: number;
    partitions: number;
}

/** Above every code point a key can hold: the open end of a range, for bisection only (never sent to S3). */
const topCodePoint = 0x10ffff;
const digitsCompared = 4;

function codePoints(value: string): number[] {
    return Array.from(value, (char) => char.codePointAt(0) ?? 0);
}

/**
 * A string strictly between `low` and `high` in S3's order (UTF-8 bytes, which is code-point order), roughly in
 * the middle, or `undefined` when none is found. `high` undefined means "after every key starting with `prefix`".
 * The result is valid UTF-8 without NUL or surrogates, so it can be sent as a `key-marker`.
 */
export function midpointKey(low: string, high: string | undefined, prefix = ""): string | undefined {
    const lo = codePoints(low);
    let hi = high === undefined ? [...codePoints(prefix), topCodePoint] : codePoints(high);
    let common = 0;
    while (common < lo.length && common < hi.length && lo[common] === hi[common]) {
        common++;
    }
    // Most keys are ASCII: where the low key is ASCII and the high end is not, bisect below DEL. Only a guess for
    // balance, so that probes do not walk down a million code points: whatever key a probe finds is a valid split.
    if ((lo[common] ?? 0) < 0x7f && hi[common] > 0x7f) {
        hi = [...hi.slice(0, common), 0x7f];
    }
    const window = (points: number[]) => Array.from({ length: digitsCompared }, (_, i) => points[common + i] ?? 0);
    const [loDigits, hiDigits] = [window(lo), window(hi)];
    const base = BigInt([...loDigits, ...hiDigits].every((point) => point < 0x80) ? 0x80 : topCodePoint + 1);
    const value = (digits: number[]) => digits.reduce((sum, digit) => sum * base + BigInt(digit), 0n);
    let middle = (value(loDigits) + value(hiDigits)) / 2n;
    const tail: number[] = [];
    for (let i = 0; i < digitsCompared; i++) {
        tail.unshift(Number(middle % base));
        middle /= base;
    }
    while (tail.length > 0 && tail[tail.length - 1] === 0) {
        tail.pop();
    }
    const cleaned = tail.map((point) => (point === 0 ? 1 : point >= 0xd800 && point <= 0xdfff ? 0xe000 : point));
    const candidate = String.fromCodePoint(...hi.slice(0, common), ...cleaned);
    if (compareKeys(candidate, low) <= 0 || (high !== undefined && compareKeys(candidate, high) >= 0) || !candidate.startsWith(prefix)) {
        return undefined;
    }
    return candidate;
}

/**
 * A key as far beyond `cursor` as `cursor` is beyond `first` (in the same code-point arithmetic as
 * {@link midpointKey}), or `undefined` when that leaves the digits compared. For a range whose end is unknown, this
 * guesses where its keys end from how they have run so far: keys of one directory are usually spread evenly, so
 * one probe there tells whether the range's upper half holds keys.
 */
export function extrapolateKey(first: string, cursor: string): string | undefined {
    const lo = codePoints(first);
    const hi = codePoints(cursor);
    let common = 0;
    while (common < lo.length && common < hi.length && lo[common] === hi[common]) {
        common++;
    }
    const window = (points: number[]) => Array.from({ length: digitsCompared }, (_, i) => points[common + i] ?? 0);
    const [loDigits, hiDigits] = [window(lo), window(hi)];
    const base = BigInt([...loDigits, ...hiDigits].every((point) => point < 0x7f) ? 0x80 : topCodePoint + 1);
    const value = (digits: number[]) => digits.reduce((sum, digit) => sum * base + BigInt(digit), 0n);
    let beyond = 2n * value(hiDigits) - value(loDigits);
    if (beyond >= base ** BigInt(digitsCompared)) {
        return undefined;
    }
    const tail: number[] = [];
    for (let i = 0; i < digitsCompared; i++) {
        tail.unshift(Number(beyond % base));
        beyond /= base;
    }
    while (tail.length > 0 && tail[tail.length - 1] === 0) {
        tail.pop();
    }
    const cleaned = tail.map((point) => (point === 0 ? 1 : point >= 0xd800 && point <= 0xdfff ? 0xe000 : point));
    const candidate = String.fromCodePoint(...hi.slice(0, common), ...cleaned);
    return compareKeys(candidate, cursor) > 0 ? candidate : undefined;
}

interface Range {
    readonly id: number;
    after?: string;
    upTo?: string;
    cursor?: string;
    /** First key the range listed. */
    firstKey?: string;
    state: PartitionProgress["state"];
    versions: number;
    pages: number;
    /** An upper bound found by probes: nothing was listed beyond it. Guides bisection, never bounds the listing. */
    emptyAbove?: string;
    /** A lister is probing this range's upper half; others look elsewhere. */
    probing?: boolean;
}

/**
 * Batches handed from producers (listers) to one consumer; a full queue makes producers wait, so memory is bounded
 * by `capacity` batches however far the producers could run ahead. Used by the partitioned planner and by
 * `compare`'s read-ahead of each side's listing (infra/compare/merge.ts).
 */
export class BatchQueue<T> {
    private readonly batches: T[][] = [];
    private waitingConsumer?: () => void;
    private readonly waitingProducers: Array<() => void> = [];
    private closed = false;
    private failure?: { error: unknown };

    constructor(private readonly capacity: number) {}

    async push(batch: T[]): Promise<void> {
        while (this.batches.length >= this.capacity && !this.closed) {
            await new Promise<void>((resolve) => this.waitingProducers.push(resolve));
        }
        this.batches.push(batch);
        this.wakeConsumer();
    }

    /** Ends the queue: the consumer drains what is queued, then gets `failure`'s error (if any) or the end. */
    close(failure?: { error: unknown }): void {
        this.closed = true;
        this.failure ??= failure;
        this.wakeConsumer();
        this.waitingProducers.splice(0).forEach((resolve) => resolve());
    }

    /** True once closed: producers stop producing. */
    get isClosed(): boolean {
        return this.closed;
    }

    private wakeConsumer(): void {
        const wake = this.waitingConsumer;
        this.waitingConsumer = undefined;
        wake?.();
    }

    async *drain(): AsyncGenerator<T> {
        for (;;) {
            const batch = this.batches.shift();
            if (batch !== undefined) {
                this.waitingProducers.shift()?.();
                yield* batch;
                continue;
            }
            if (this.failure) {
                throw this.failure.error;
            }
            if (this.closed) {
                return;
            }
            await new Promise<void>((resolve) => (this.waitingConsumer = resolve));
        }
    }
}

/**
 * Split points from the top levels of the tree: the common prefixes of `prefix` under delimiter `/`, descending
 * while a level has exactly one (one request per level; a truncated level contributes its first 1,000). Each common
 * prefix is then turned into an existing key, its first one, with a `MaxKeys=1` listing of that prefix (at most
 * `limit` of them, evenly spread): see {@link planPartitioned} for why split points must be existing keys. `compare`
 * uses them too (infra/compare/merge.ts), keeping those that exist on both sides.
 */
export async function discoverSplitPoints(
    client: S3Client,
    bucket: string,
    prefix: string,
    depth: number,
    limit: number,
    stats: PartitionedPlanStats,
    signal?: AbortSignal,
): Promise<string[]> {
    const options = signal ? { abortSignal: signal } : {};
    let level = prefix;
    let prefixes: string[] = [];
    for (let i = 0; i < depth; i++) {
        stats.discoveryRequests++;
        const page = await listObjectVersionsPage(client, { Bucket: bucket, Prefix: level || undefined, Delimiter: "/", MaxKeys: 1000 }, options);
        prefixes = (page.CommonPrefixes ?? []).map((entry) => entry.Prefix ?? "").filter((value) => value !== "");
        const directKeys = (page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0);
        if (prefixes.length === 1 && directKeys === 0 && !page.IsTruncated) {
            level = prefixes[0];
            prefixes = [];
            continue;
        }
        break;
    }
    prefixes.sort(compareKeys);
    const chosen = prefixes.length <= limit ? prefixes : Array.from({ length: limit }, (_, i) => prefixes[Math.floor((i * prefixes.length) / limit)]);
    const firstKeys = await Promise.all(
        chosen.map(async (commonPrefix) => {
            stats.discoveryRequests++;
            const page = await listObjectVersionsPage(client, { Bucket: bucket, Prefix: commonPrefix, MaxKeys: 1 }, options);
            return page.Versions?.[0]?.Key ?? page.DeleteMarkers?.[0]?.Key;
        }),
    );
    // The first range starts at the beginning, so a split at the very first key would only add an empty range.
    return [...new Set(firstKeys.filter((key): key is string => key !== undefined))].sort(compareKeys);
}

/**
 * Plans `bucket` (under `prefix`) by listing key ranges concurrently. Yields every key's plan exactly once; keys of
 * one range come in S3's order, ranges interleave. `stats` is filled in as the run goes.
 */
export async function* planPartitioned(
    client: S3Client,
    bucket: string,
    options: PartitionedPlanOptions,
    stats: PartitionedPlanStats = { discoveryRequests: 0, probeRequests: 0, listRequests: 0, partitions: 0 },
): AsyncGenerator<KeyPlan> {
    const prefix = options.prefix ?? "";
    const concurrency = Math.max(1, options.concurrency ?? 16);
    const pageSize = options.pageSize ?? 1000;
    const signal = options.signal;
    const ranges: Range[] = [];
    const queued: Range[] = [];
    const report = (range: Range) =>
        options.onPartition?.({
            id: range.id,
            state: range.state,
            versions: range.versions,
            pages: range.pages,
            ...(range.after !== undefined ? { after: range.after } : {}),
            ...(range.upTo !== undefined ? { upTo: range.upTo } : {}),
            ...(range.cursor !== undefined ? { cursor: range.cursor } : {}),
        });
    const addRange = (after: string | undefined, upTo: string | undefined): Range => {
        const range: Range = { id: ranges.length, state: "queued", versions: 0, pages: 0, ...(after !== undefined ? { after } : {}), ...(upTo !== undefined ? { upTo } : {}) };
        ranges.push(range);
        queued.push(range);
        stats.partitions = ranges.length;
        report(range);
        return range;
    };

    const splits = concurrency > 1 ? await discoverSplitPoints(client, bucket, prefix, options.discoveryDepth ?? 3, concurrency * 4, stats, signal) : [];
    // (start, s1], (s1, s2], ..., (sn, end): the first key of each common prefix closes the range before it.
    let previous: string | undefined;
    for (const split of splits) {
        addRange(previous, split);
        previous = split;
    }
    addRange(previous, undefined);

    /** Takes the upper half of a range being listed, trying the ranges that listed most first. */
    async function steal(): Promise<Range | undefined> {
        // Victims that listed something (a cursor to bisect from) and that no other lister is probing right now.
        const victims = ranges.filter((range) => range.state === "listing" && range.cursor !== undefined && !range.probing);
        for (const victim of victims.sort((a, b) => b.versions - a.versions)) {
            victim.probing = true;
            try {
                const stolen = await probeUpperHalf(victim);
                if (stolen) {
                    return stolen;
                }
            } finally {
                victim.probing = false;
            }
        }
        return undefined;
    }

    /**
     * Probes whether keys lie in the unlisted upper half of `victim`, and if so splits it there and returns the upper
     * half. Gives up after a few probes (the victim may be nearly done) or when the probe budget is spent.
     */
    async function probeUpperHalf(victim: Range): Promise<Range | undefined> {
        for (let attempt = 0; attempt < 24 && stats.probeRequests < probeBudget(); attempt++) {
            const low = victim.cursor ?? victim.after ?? prefix;
            // The lower of the range's end and the probed-empty bound; never above `upTo`, or ranges would overlap.
            const high =
                victim.upTo === undefined || (victim.emptyAbove !== undefined && compareKeys(victim.emptyAbove, victim.upTo) < 0)
                    ? victim.emptyAbove ?? victim.upTo
                    : victim.upTo;
            // A range without an end first probes as far beyond its cursor as it has come (keys of a directory are
            // usually spread evenly), then bisects below what probes found empty.
            const guess = victim.upTo === undefined && victim.firstKey !== undefined ? extrapolateKey(victim.firstKey, low) : undefined;
            const middle = guess !== undefined && (high === undefined || compareKeys(guess, high) < 0) ? guess : midpointKey(low, high, prefix);
            if (middle === undefined || victim.state !== "listing") {
                break;
            }
            stats.probeRequests++;
            const probe = await listObjectVersionsPage(
                client,
                { Bucket: bucket, Prefix: prefix || undefined, KeyMarker: middle, MaxKeys: 1 },
                signal ? { abortSignal: signal } : {},
            );
            const first = probe.Versions?.[0]?.Key ?? probe.DeleteMarkers?.[0]?.Key ?? probe.NextKeyMarker;
            if (victim.state !== "listing") {
                continue;
            }
            // Nothing above the midpoint but the range's own last key: the upper half is empty.
            if (first === undefined || (victim.upTo !== undefined && compareKeys(first, victim.upTo) >= 0)) {
                victim.emptyAbove = middle;
                continue;
            }
            // Split at the key the probe found (split points must be existing keys), unless the victim listed past
            // it while the probe was out: then try again from its cursor. At the key itself is fine: the victim
            // keeps every version of it, and the new range starts after it.
            if (compareKeys(victim.cursor ?? victim.after ?? prefix, first) > 0) {
                continue;
            }
            const upper = victim.upTo;
            victim.upTo = first;
            report(victim);
            const stolen = addRange(first, upper);
            // What the probes learnt about the end of the key space holds for the upper half too.
            if (victim.emptyAbove !== undefined && compareKeys(victim.emptyAbove, first) > 0) {
                stolen.emptyAbove = victim.emptyAbove;
            }
            queued.splice(queued.indexOf(stolen), 1);
            return stolen;
        }
        return undefined;
    }

    const queue = new BatchQueue<KeyPlan>(concurrency);
    const pageWaiters: Array<() => void> = [];
    // Probes stay a small share of the listing: a few per lister, plus one per four pages listed so far.
    const probeBudget = (): number => 8 * concurrency + stats.listRequests / 4;

    async function listRange(range: Range): Promise<void> {
        range.state = "listing";
        report(range);
        // `onPage` counts the entries the range kept, not those S3 sent: a range's last page runs past its end.
        let kept = 0;
        const flush = () => {
            if (kept > 0) options.onPage?.(kept);
            kept = 0;
        };
        async function* entries(): AsyncGenerator<VersionEntry> {
            const listing = listVersions(client, bucket, {
                prefix,
                pageSize,
                ...(range.after !== undefined ? { startAfter: range.after } : {}),
                ...(signal ? { signal } : {}),
                onPage: () => {
                    flush();
                    stats.listRequests++;
                    range.pages++;
                    report(range);
                    pageWaiters.splice(0).forEach((resolve) => resolve());
                },
            });
            try {
                for await (const entry of listing) {
                    if (range.after !== undefined && compareKeys(entry.key, range.after) <= 0) {
                        continue;
                    }
                    // Read the bound per entry: another lister may have lowered it since the page arrived.
                    if (range.upTo !== undefined && compareKeys(entry.key, range.upTo) > 0) {
                        return;
                    }
                    range.firstKey ??= entry.key;
                    range.cursor = entry.key;
                    range.versions++;
                    kept++;
                    yield entry;
                }
            } finally {
                flush();
            }
        }
        let batch: KeyPlan[] = [];
        for await (const plan of planRestore(entries(), { to: options.to })) {
            batch.push(plan);
            if (batch.length >= pageSize) {
                await queue.push(batch);
                batch = [];
            }
        }
        if (batch.length > 0) {
            await queue.push(batch);
        }
        range.state = "done";
        report(range);
        pageWaiters.splice(0).forEach((resolve) => resolve());
    }

    let failed = false;
    async function worker(): Promise<void> {
        while (!failed) {
            const range = queued.shift() ?? (await steal());
            if (range !== undefined) {
                await listRange(range);
                continue;
            }
            // Nothing to split right now (ranges too narrow, or probes found nothing): retry after the next page,
            // when cursors have moved, within a budget of probes so a bucket of few keys costs few requests.
            if (!ranges.some((r) => r.state === "listing") || stats.probeRequests >= probeBudget()) {
                return;
            }
            await new Promise<void>((resolve) => pageWaiters.push(resolve));
        }
    }
    const workers = Promise.all(Array.from({ length: concurrency }, () =>
        worker().catch((error: unknown) => {
            failed = true;
            queue.close({ error });
        }),
    )).then(() => queue.close());
    try {
        yield* queue.drain();
    } finally {
        // The consumer stopped early (an error downstream): let listers finish their current push and stop.
        failed = true;
        queue.close();
        await workers;
    }
}
