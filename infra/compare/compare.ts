/**
 * `lustre-dr compare`: do the two buckets of the pair (or a prefix of both) hold the same objects right now?
 *
 * Each side is listed with its own client (its own credentials, region and endpoint) by `ListObjectVersions`, both at
 * once, reduced to each key's latest entry and merged by key (merge.ts): memory stays constant, however many keys.
 * A delete marker as the latest entry means the key is absent on that side. Keys whose latest version ids are equal
 * are the same replicated version and cost no read; keys whose ids differ get HEADs on both sides and, while nothing
 * differs yet, their tags (key.ts, readIdentity.ts). The identity is restore's (identity.ts): content, user metadata
 * (FSx's POSIX attributes), content headers, storage class, tags.
 *
 * A key that differs, or exists on one side only, while the newer side's version reports `ReplicationStatus`
 * `PENDING` is in flight, counted apart; `FAILED` (or no status) is a difference. Nothing is ever written to either
 * bucket.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { listObjectVersionsPage } from "../aws/listing";
import { errorText } from "../aws/errors";
import { UsageError } from "../output";
import { forEachBounded } from "../restore/apply";
import type { ExpectedEncryption } from "../restore/encryption";
import { discoverSplitPoints } from "../restore/partitions";
import type { IdentityDifference } from "../restore/identity";
import { compareKeys, isReservedKey, reservedPrefix, VersionEntry } from "../restore/plan";
import type { IdentityReads } from "../restore/readIdentity";
import { SignalFanOut } from "../restore/signals";
import { listVersions } from "../restore/versions";
import { compareKeyAcross } from "./key";
import { KeyRange, latestEntries, mergeByKey, mergeRanges, rangesBetween, readAhead, withinRange } from "./merge";

export interface CompareSide {
    readonly side: "primary" | "dr";
    /** That side's own client: its credentials, region and endpoint. */
    readonly client: S3Client;
    readonly bucket: string;
    readonly region: string;
    /**
     * The account that must own the bucket, sent as S3's `ExpectedBucketOwner` with every request: a bucket of that name
     * in another account (the name taken over after a deletion, a forged name) answers 403 instead of being compared.
     * The CLI sets it from the side's stack outputs. @default no check
     */
    readonly expectedOwner?: string;    /**
     * The encryption this side's versions must have (encryption.ts: the stack's `kmsKeyArn`, or SSE-S3): a version read
     * by HEAD under anything else is a difference (aspect `encryption`). Keys differ between the sides by design, so
     * this, not the other side, is what a version is held to. The CLI sets it from the side's stack outputs.
     * @default not checked
     */
    readonly expectedEncryption?: ExpectedEncryption;
}

/** How a side reports a version's replication status (`PENDING`, `COMPLETED`, `FAILED`, `REPLICA`, or none). */
export type ReplicationStatusReader = (side: CompareSide, key: string, versionId: string) => Promise<string | undefined>;

export interface CompareProgress {
    /** Entries (versions and delete markers) listed on each side so far. */
    readonly listed: { readonly primary: number; readonly dr: number };
    readonly keysCompared: number;
    readonly same: number;
    readonly pending: number;
    readonly differing: number;
}

export interface CompareOptions {
    /** Only keys under this prefix, on both sides. `.lustre-dr/`, at the root or in any directory, is never compared. @default "" (whole bucket) */
    readonly prefix?: string;
    /** Keys whose identity needs reads, compared at once (each costs up to two HEADs and two tag reads). @default 32 */
    readonly concurrency?: number;
    /** Differing keys kept in the result, the first in key order. @default 10 */
    readonly firstDifferences?: number;
    /**
     * Also read the tags of keys whose latest version is the same on both sides (two GetObjectTagging per key: 2
     * million requests at a million keys). Without it such keys compare by the listing alone, and a tag changed in
     * place on one side (which replication normally carries over) goes unseen. @default false
     */
    readonly tags?: boolean;
    /**
     * Also HEAD keys whose latest version is the same on both sides, to hold each side's copy to its expected
     * encryption (two HEADs per key). Without it only keys whose versions differ are checked: a replica of a version
     * re-encrypted on the primary, or one written under a foreign key by a rewritten replication rule, keeps the source's
     * version id and goes unseen. @default false
     */
    readonly encryption?: boolean;
    readonly signal?: AbortSignal;
    /** Called after each listed page and compared key. */
    readonly onProgress?: (progress: CompareProgress) => void;
    /**
     * How a side reports a version's replication status; default: HeadObject's ReplicationStatus. Tests pass the
     * emulator copier's `replicationStatus()` (moto never sets the header).
     */
    readonly replicationStatus?: ReplicationStatusReader;
    /** Entries per list request; smaller pages are for tests. @default 1000 */
    readonly pageSize?: number;
    /**
     * Key ranges listed at once. 1: one listing per side, merged. More: split points are found in the primary's top
     * levels (restore's `discoverSplitPoints`), kept only where the same key exists on the dr side (see merge.ts), and
     * each range is listed on both sides and merged on its own; S3's latency overlaps, the SDK's parsing does not
     * (one thread), see BENCHMARKS.md. @default 1
     */
    readonly listConcurrency?: number;
}

/** A key that is not the same on both sides (and not in flight). */
export type KeyDivergence =
    /** The key exists on one side only (absent or deleted on the other). */
    | {
          readonly key: string;
          readonly kind: "only-primary" | "only-dr";
          /** The version on the side that has the key. */
          readonly versionId: string;
          /** The replication status of the newer side's latest entry, when it reported one (e.g. `FAILED`). */
          readonly replicationStatus?: string;
      }
    /** Both sides have the key, as different objects. In `differences`, `atT` is the primary's value, `now` the dr side's. */
    | {
          readonly key: string;
          readonly kind: "changed";
          readonly primaryVersion: string;
          readonly drVersion: string;
          readonly differences: readonly IdentityDifference[];
          readonly replicationStatus?: string;
      }
    /** A read failed: the key is not shown to be the same, so it counts against the verdict. */
    | { readonly key: string; readonly kind: "unknown"; readonly reason: string };

export interface CompareResult {
    /** `identical`: every key is the same; `in-flight`: only keys still replicating differ (re-run later); `differs`. */
    readonly verdict: "identical" | "in-flight" | "differs";
    readonly prefix: string;
    readonly primary: { readonly bucket: string; readonly region: string };
    readonly dr: { readonly bucket: string; readonly region: string };
    /** Whether tags were read for keys whose latest version is the same on both sides (`--tags`). */
    readonly sameVersionTags: boolean;
    /**
     * The encryption each side's versions were held to (from its stack); absent for a side named by flags, whose
     * encryption was not checked.
     */
    readonly expectedEncryption: { readonly primary?: ExpectedEncryption; readonly dr?: ExpectedEncryption };
    /** Whether keys whose latest version is the same on both sides were HEAD-read for their encryption (`--encryption`). */
    readonly sameVersionEncryption: boolean;
    /** Keys present on at least one side (a key deleted on both is not counted). */
    readonly keysCompared: number;
    readonly same: number;
    /** Keys that differ only because the newer side's version is still replicating. */
    readonly pending: number;
    readonly differing: { readonly onlyPrimary: number; readonly onlyDr: number; readonly changed: number; readonly unknown: number };
    /** The first differing keys in key order, with every difference of each. */
    readonly first: readonly KeyDivergence[];
    /** The first pending keys in key order. */
    readonly pendingKeys: readonly string[];
    /**
     * When the oldest version still replicating was written (ISO 8601); absent when nothing is pending. S3 Replication
     * Time Control replicates 99.99% of objects within 15 minutes: a copy pending for hours is stuck, not slow.
     */
    readonly oldestPendingSince?: string;
    /** Requests made: list pages on both sides, HEADs and GetObjectTagging. */
    readonly requests: { readonly list: number; readonly head: number; readonly tagging: number };
}

/** A side's listing failed: nothing after it was compared. `cause` is the SDK's error. */
export class CompareListingError extends Error {
    constructor(
        readonly side: CompareSide,
        cause: unknown,
    ) {
        super(`listing the ${side.side} bucket s3://${side.bucket} (${side.region}) failed: ${errorText(cause)}`, { cause });
        this.name = "CompareListingError";
    }
}

/** Differing keys in total (in-flight keys are not among them). */
export function differingCount(result: Pick<CompareResult, "differing">): number {
    const { onlyPrimary, onlyDr, changed, unknown } = result.differing;
    return onlyPrimary + onlyDr + changed + unknown;
}

const pendingKeysKept = 10;

/** Key ranges listed at once, at most: each holds a few pages per side. */
export const maxListConcurrency = 64;

/** Validates the options before anything is listed; throws a UsageError naming the option, value and what is valid. */
export function validateCompareOptions(options: CompareOptions): void {
    const problems: string[] = [];
    const prefix = options.prefix ?? "";
    if (isReservedKey(prefix)) {
        problems.push(`prefix is ${JSON.stringify(prefix)}: ${reservedPrefix} (at the root or in any directory) is lustre-dr's own (drill canaries, batch reports) and is never compared; give a prefix of your data`);
    }
    const whole = (name: string, value: number | undefined, min: number, max: number) => {
        if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
            problems.push(`${name} is ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
        }
    };
    whole("concurrency", options.concurrency, 1, 1000);
    whole("firstDifferences", options.firstDifferences, 0, 10_000);
    whole("pageSize", options.pageSize, 1, 1000);
    whole("listConcurrency", options.listConcurrency, 1, maxListConcurrency);
    if (problems.length > 0) {
        throw new UsageError(problems.join("\n"));
    }
}

/**
 * Split points for listing key ranges on both sides: existing keys of the primary's top levels (one per common
 * prefix, as the restore planner finds them), kept only where the dr side has the same key. S3 lists the keys after a
 * `key-marker` whether or not it exists; moto, the emulator the tests use, drops the first entry after a marker that
 * does not exist, so a split only the primary has would lose a dr key there. One `MaxKeys=1` listing per candidate on
 * the dr side keeps both right. Requests are counted in `requests.list`.
 */
async function sharedSplitPoints(
    primary: CompareSide,
    dr: CompareSide,
    prefix: string,
    listConcurrency: number,
    requests: { list: number },
    signal: AbortSignal | undefined,
): Promise<string[]> {
    const stats = { discoveryRequests: 0, probeRequests: 0, listRequests: 0, partitions: 0 };
    let candidates: string[];
    try {
        candidates = await discoverSplitPoints(primary.client, primary.bucket, prefix, 3, listConcurrency * 4, stats, signal);
    } catch (error) {
        if (signal?.aborted) throw error;
        throw new CompareListingError(primary, error);
    } finally {
        requests.list += stats.discoveryRequests;
    }
    const onDr = await Promise.all(
        candidates.map(async (key) => {
            requests.list++;
            try {
                const page = await listObjectVersionsPage(
                    dr.client,
                    { Bucket: dr.bucket, Prefix: key, MaxKeys: 1, ...(dr.expectedOwner !== undefined ? { ExpectedBucketOwner: dr.expectedOwner } : {}) },
                    signal ? { abortSignal: signal } : {},
                );
                return (page.Versions?.[0]?.Key ?? page.DeleteMarkers?.[0]?.Key) === key;
            } catch (error) {
                if (signal?.aborted) throw error;
                throw new CompareListingError(dr, error);
            }
        }),
    );
    return candidates.filter((key, i) => onDr[i] && !isReservedKey(key));
}

/**
 * Compares the primary and dr buckets (or `options.prefix` of both) key by key. Writes nothing. Throws on a listing
 * that fails (either side) or an abort; a key whose reads fail is reported as `unknown`.
 */
export async function compareBuckets(primary: CompareSide, dr: CompareSide, options: CompareOptions = {}): Promise<CompareResult> {
    validateCompareOptions(options);
    if (primary.side !== "primary" || dr.side !== "dr") {
        throw new UsageError(`compareBuckets takes the primary side first and the dr side second, got ${primary.side} and ${dr.side}`);
    }
    // Bucket names are unique within a partition: the same name twice is one bucket compared with itself, which would
    // always read "identical".
    if (primary.bucket === dr.bucket && primary.region === dr.region) {
        throw new UsageError(`the primary and dr sides are the same bucket (${primary.bucket}): name two different buckets`);
    }
    const prefix = options.prefix ?? "";
    const keep = options.firstDifferences ?? 10;
    const pageSize = options.pageSize ?? 1000;
    const counts = { onlyPrimary: 0, onlyDr: 0, changed: 0, unknown: 0 };
    const listed = { primary: 0, dr: 0 };
    const requests = { list: 0 };
    const reads: IdentityReads = { head: 0, tagging: 0 };
    let keysCompared = 0;
    let same = 0;
    let pending = 0;
    let oldestPending: Date | undefined;
    const first: KeyDivergence[] = [];
    const pendingKeys: string[] = [];
    const report = () =>
        options.onProgress?.({ listed: { ...listed }, keysCompared, same, pending, differing: differingCount({ differing: counts }) });
    // Keys finish out of order (some need reads): keep the first ones in key order, whatever the timing. A binary
    // insertion into a list kept sorted: with a million differing keys and failback's 1,000 kept, a sort per key would
    // dominate the run.
    const keepFirst = <T>(list: T[], item: T, keyOf: (item: T) => string, limit: number) => {
        const key = keyOf(item);
        if (list.length >= limit && (limit === 0 || compareKeys(key, keyOf(list[limit - 1]!)) >= 0)) return;
        let low = 0;
        let high = list.length;
        while (low < high) {
            const middle = (low + high) >>> 1;
            if (compareKeys(keyOf(list[middle]!), key) <= 0) low = middle + 1;
            else high = middle;
        }
        list.splice(low, 0, item);
        if (list.length > limit) list.pop();
    };

    async function* sideListing(side: CompareSide, range: KeyRange = {}): AsyncGenerator<VersionEntry> {
        try {
            yield* withinRange(listVersions(side.client, side.bucket, {
                prefix,
                pageSize,
                ...(range.after !== undefined ? { startAfter: range.after } : {}),
                ...(side.expectedOwner !== undefined ? { expectedBucketOwner: side.expectedOwner } : {}),
                ...(options.signal ? { signal: options.signal } : {}),
                onPage: (entries) => {
                    requests.list++;
                    listed[side.side] += entries;
                    report();
                },
            }), range);
        } catch (error) {
            if (options.signal?.aborted) throw error;
            throw new CompareListingError(side, error);
        }
    }
    // Two pages read ahead per side: both sides list at once while the merge waits on either.
    const latest = (side: CompareSide, range?: KeyRange) => readAhead(latestEntries(sideListing(side, range)), pageSize, 2);
    const mergeRange = (range?: KeyRange) => mergeByKey(latest(primary, range), latest(dr, range));
    const listConcurrency = options.listConcurrency ?? 1;
    const ranges = listConcurrency > 1 ? rangesBetween(await sharedSplitPoints(primary, dr, prefix, listConcurrency, requests, options.signal)) : [];
    const keys = ranges.length > 1 ? mergeRanges(ranges, listConcurrency, pageSize, mergeRange) : mergeRange();

    const signals = new SignalFanOut(options.signal);
    try {
        await forEachBounded(keys, options.concurrency ?? 32, (merged) =>
            signals.run(async (signal) => {
                const onPrimary = merged.primary !== undefined && !merged.primary.deleteMarker;
                const onDr = merged.dr !== undefined && !merged.dr.deleteMarker;
                if (!onPrimary && !onDr) {
                    return; // deleted on both sides (or only delete markers): nothing to compare
                }
                keysCompared++;
                const verdict = await compareKeyAcross(primary, dr, merged.key, {
                    listed: { ...(merged.primary ? { primary: merged.primary } : {}), ...(merged.dr ? { dr: merged.dr } : {}) },
                    reads,
                    ...(options.tags ? { tags: true } : {}),
                    ...(options.encryption ? { encryption: true } : {}),
                    ...(signal ? { signal } : {}),
                    ...(options.replicationStatus ? { replicationStatus: options.replicationStatus } : {}),
                });
                if (verdict.kind === "same") {
                    same++;
                } else if (verdict.kind === "pending") {
                    pending++;
                    keepFirst(pendingKeys, verdict.key, (key) => key, pendingKeysKept);
                    if (oldestPending === undefined || verdict.since.getTime() < oldestPending.getTime()) oldestPending = verdict.since;
                } else {
                    const counter = verdict.kind === "only-primary" ? "onlyPrimary" : verdict.kind === "only-dr" ? "onlyDr" : verdict.kind;
                    counts[counter]++;
                    keepFirst(first, verdict, (divergence) => divergence.key, keep);
                }
                report();
            }),
        );
    } finally {
        signals.dispose();
    }
    const differing = differingCount({ differing: counts });
    return {
        verdict: differing > 0 ? "differs" : pending > 0 ? "in-flight" : "identical",
        prefix,
        primary: { bucket: primary.bucket, region: primary.region },
        dr: { bucket: dr.bucket, region: dr.region },
        sameVersionTags: options.tags === true,
        expectedEncryption: {
            ...(primary.expectedEncryption ? { primary: primary.expectedEncryption } : {}),
            ...(dr.expectedEncryption ? { dr: dr.expectedEncryption } : {}),
        },
        sameVersionEncryption: options.encryption === true && (primary.expectedEncryption !== undefined || dr.expectedEncryption !== undefined),
        keysCompared,
        same,
        pending,
        differing: counts,
        first,
        pendingKeys,
        ...(oldestPending !== undefined ? { oldestPendingSince: oldestPending.toISOString() } : {}),
        requests: { list: requests.list, head: reads.head, tagging: reads.tagging },
    };
}
