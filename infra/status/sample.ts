/**
 * `status --sample N`: compares N random keys across the two sides, so drift (a key one side lacks, or holds as a
 * different object: content, user metadata such as FSx's POSIX attributes, content headers, storage class, tags) is
 * visible in everyday operation, long before a failback depends on the copies being the same.
 *
 * Keys are chosen by sampleKeys.ts (bounded LIST requests, drawn from both sides); each key is compared with the
 * compare command's `compareKeyAcross` (one HEAD per side, then the tags), the same object identity `compare` uses;
 * unlike `compare` without `--tags`, it reads the tags of a version both sides share. A key that differs only
 * because the newer side's version is still replicating (`PENDING`) is in flight, not drift. Read-only.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { listObjectsV2Page } from "../aws/listing";
import type { Side, SideRole } from "../aws/sides";
import type { CompareResult, CompareSide, KeyDivergence, ReplicationStatusReader } from "../compare/compare";
import { compareKeyAcross } from "../compare/key";
import { forEachBounded } from "../restore/apply";
import { expectedEncryption } from "../restore/encryption";
import { compareKeys } from "../restore/plan";
import type { IdentityReads } from "../restore/readIdentity";
import { statusClientConfig } from "./collect";
import { Lister, SampleRequest, SampledKey, seededRandom, selectSample } from "./sampleKeys";

/** Differing and pending keys kept in the result (in key order). */
export const sampleFirstDifferences = 10;
/** Keys compared at once (each costs two HEADs and two tag reads). */
export const sampleCompareConcurrency = 16;
const progressIntervalMs = 3000;

/**
 * The sample's outcome. The counts, the first differing and pending keys and the request counts have the meaning and
 * shape of `compare`'s result (`same`, `pending`, `differing`, `first` in key order, `pendingKeys`, `requests`: here
 * `list` counts the LIST requests that chose the keys).
 */
export interface SampleResult extends Pick<CompareResult, "same" | "pending" | "differing" | "first" | "pendingKeys" | "requests"> {
    /** `--sample`: how many keys were asked for. */
    readonly requested: number;
    /** `--sample-prefix`; "" for the whole bucket. */
    readonly prefix: string;
    /** Seeds the choice of keys: `--sample-seed` with this value draws the same keys from the same buckets. */
    readonly seed: number;
    /** Distinct keys compared: `requested`, or fewer when the prefix holds fewer keys (see `exhaustive`). */
    readonly keysCompared: number;
    /** Every key under the prefix, on both sides, was compared (they were fewer than requested). */
    readonly exhaustive: boolean;
    /** How many of the compared keys were drawn from each side's listing. */
    readonly drawnFrom: Readonly<Record<SideRole, number>>;
}

export interface SampleOptions {
    /** Seeds the key choice; default: a random seed, reported in the result. */
    readonly seed?: number;
    /** How a side reports a version's replication status; default: HeadObject's. Tests pass the emulator copier's. */
    readonly replicationStatus?: ReplicationStatusReader;
    /** Entries per listing page; smaller pages are for tests. */
    readonly pageSize?: number;
    readonly onProgress?: (message: string) => void;
}

/** ListObjectsV2 on one side. */
export function s3Lister(client: S3Client, bucket: string): Lister {
    return async ({ prefix, delimiter, startAfter, maxKeys }) => {
        const page = await listObjectsV2Page(client, {
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: maxKeys,
            ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
            ...(startAfter !== undefined ? { StartAfter: startAfter } : {}),
        });
        return {
            keys: (page.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [o.Key] : [])),
            prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix !== undefined ? [p.Prefix] : [])),
            truncated: page.IsTruncated === true,
        };
    };
}

/** Chooses the keys and compares each across the sides. Throws when a listing fails (nothing to compare then). */
export async function takeSample(primary: Side, dr: Side, request: SampleRequest, options: SampleOptions = {}): Promise<SampleResult> {
    const seed = options.seed ?? randomBytes(4).readUInt32BE(0);
    const clients = { primary: new S3Client(statusClientConfig(primary)), dr: new S3Client(statusClientConfig(dr)) };
    try {
        const progress = options.onProgress ?? (() => undefined);
        // Long samples report every few seconds, not on every draw.
        let reported = Date.now();
        const every = (report: () => void) => {
            if (Date.now() - reported >= progressIntervalMs) {
                reported = Date.now();
                report();
            }
        };
        progress(`sample: choosing ${request.size} keys${request.prefix ? ` under ${request.prefix}` : ""} from both sides (seed ${seed})`);
        const selection = await selectSample(
            { primary: s3Lister(clients.primary, primary.bucketName), dr: s3Lister(clients.dr, dr.bucketName) },
            request,
            {
                random: seededRandom(seed),
                ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
                onProgress: (selected, draws) => every(() => progress(`sample: ${selected} of ${request.size} keys chosen (${draws} draws)`)),
            },
        );
        progress(`sample: comparing ${selection.keys.length} keys across the sides`);
        const side = (s: Side, role: SideRole): CompareSide => {
            const encryption = expectedEncryption(s.outputs);
            return { side: role, client: clients[role], bucket: s.bucketName, region: s.region, ...(encryption ? { expectedEncryption: encryption } : {}) };
        };
        const sides = { primary: side(primary, "primary"), dr: side(dr, "dr") };
        const reads: IdentityReads = { head: 0, tagging: 0 };
        const verdicts = new Map<string, Awaited<ReturnType<typeof compareKeyAcross>>>();
        await forEachBounded(selection.keys, sampleCompareConcurrency, async ({ key }: SampledKey) => {
            verdicts.set(
                key,
                await compareKeyAcross(sides.primary, sides.dr, key, {
                    tags: true,
                    reads,
                    ...(options.replicationStatus ? { replicationStatus: options.replicationStatus } : {}),
                }),
            );
            every(() => progress(`sample: ${verdicts.size} of ${selection.keys.length} keys compared`));
        });
        return summarise(request, seed, selection.keys, selection.exhaustive, verdicts, {
            list: selection.lists.primary + selection.lists.dr,
            head: reads.head,
            tagging: reads.tagging,
        });
    } finally {
        clients.primary.destroy();
        clients.dr.destroy();
    }
}

function summarise(
    request: SampleRequest,
    seed: number,
    keys: readonly SampledKey[],
    exhaustive: boolean,
    verdicts: ReadonlyMap<string, Awaited<ReturnType<typeof compareKeyAcross>>>,
    requests: SampleResult["requests"],
): SampleResult {
    const differing = { onlyPrimary: 0, onlyDr: 0, changed: 0, unknown: 0 };
    const divergences: KeyDivergence[] = [];
    const pendingKeys: string[] = [];
    let same = 0;
    for (const { key } of [...keys].sort((a, b) => compareKeys(a.key, b.key))) {
        const verdict = verdicts.get(key);
        if (verdict === undefined) continue;
        switch (verdict.kind) {
            case "same":
                same++;
                break;
            case "pending":
                pendingKeys.push(key);
                break;
            default:
                differing[verdict.kind === "only-primary" ? "onlyPrimary" : verdict.kind === "only-dr" ? "onlyDr" : verdict.kind]++;
                divergences.push(verdict);
        }
    }
    return {
        requested: request.size,
        prefix: request.prefix,
        seed,
        keysCompared: keys.length,
        exhaustive,
        drawnFrom: { primary: keys.filter((k) => k.drawnFrom === "primary").length, dr: keys.filter((k) => k.drawnFrom === "dr").length },
        same,
        pending: pendingKeys.length,
        differing,
        first: divergences.slice(0, sampleFirstDifferences),
        pendingKeys: pendingKeys.slice(0, sampleFirstDifferences),
        requests,
    };
}
