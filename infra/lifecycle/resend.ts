/**
 * The last step of `failback --wait` when the pair still differs after the batch replication job: the dr side sends
 * again, with a fresh timestamp, the keys it changed during the outage.
 *
 * Why this is needed: S3 replication gives a replica its source's LastModified, and AWS does not document which
 * version becomes current when a replica arrives older than the destination's current version (docs/runbook.md,
 * section 6). After `--restore-primary-to`, the primary's restored keys carry the time of the restore, newer than any
 * outage write on the dr side, and an attacker may have written to the primary after the freeze too. Wherever the
 * replayed outage write did not become current on the primary, the dr side copies its current version onto itself
 * (restore's writer: content, metadata, content headers, storage class and tags kept) or puts a new delete marker over
 * a key it deleted, and live replication, attached again, carries that newest version to the primary, where it is
 * current whichever rule S3 follows. It adds versions on the dr side and deletes none.
 *
 * Only keys whose latest entry on the dr side is after `--since` (the freeze) and was written on the dr side are sent
 * again: those are the outage's writes, for which the dr side is the side of record. A latest version there with
 * `ReplicationStatus: REPLICA` came from the primary (replicated after the sides were re-attached, or one in flight at
 * the freeze): sending it again would hand the primary's own write, perhaps the attacker's, the dr side's authority, so
 * it is left and reported as suspect. Any other difference (a key written on the primary before T that
 * never replicated, a key the two restores returned to different times) is left as it is and reported: which side is
 * right there is the operator's call.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { CompareSide, KeyDivergence, ReplicationStatusReader } from "../compare/compare";
import { versionReplicationStatus } from "../compare/key";
import { applyAction, forEachBounded } from "../restore/apply";
import { compareKeys, VersionEntry } from "../restore/plan";
import { listVersions } from "../restore/versions";

export interface ResendResult {
    /** Keys copied onto themselves on the dr side (a new, current version of the same object). */
    readonly copies: number;
    /** Keys that got a new delete marker on the dr side (deleted there during the outage). */
    readonly deleteMarkers: number;
    /** The first keys sent again, in key order. */
    readonly firstKeys: string[];
    /** Differing keys not sent again, and why. */
    readonly left: { readonly count: number; readonly first: Array<{ readonly key: string; readonly reason: string }> };
    readonly failures: { readonly count: number; readonly first: Array<{ readonly key: string; readonly message: string }> };
}

export interface ResendOptions {
    /** When the dr side was frozen: only keys it changed after this are sent again. */
    readonly since: Date;
    /** Keys handled at once. @default 16 */
    readonly concurrency?: number;
    /** Keys kept in each list of the result. @default 10 */
    readonly firstKeys?: number;
    readonly signal?: AbortSignal;
    /** How the dr side reports a version's replication status. @default the version's HeadObject `ReplicationStatus` */
    readonly replicationStatus?: ReplicationStatusReader;
}

/** The latest entry (version or delete marker) of exactly `key`, or undefined when the bucket never had it. */
export async function latestEntry(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<VersionEntry | undefined> {
    // The key sorts first among the keys it prefixes, and its latest entry first among its versions.
    for await (const entry of listVersions(client, bucket, { prefix: key, pageSize: 10, ...(signal ? { signal } : {}) })) {
        return entry.key === key ? entry : undefined;
    }
    return undefined;
}

/** Sends again from the dr side the outage's writes among `divergences` (compare's differing keys). */
export async function resendOutageWrites(
    dr: CompareSide,
    divergences: readonly KeyDivergence[],
    options: ResendOptions,
): Promise<{ readonly result: ResendResult; readonly sentKeys: readonly string[] }> {
    const keep = options.firstKeys ?? 10;
    const sent: string[] = [];
    const left: Array<{ key: string; reason: string }> = [];
    const failed: Array<{ key: string; message: string }> = [];
    let copies = 0;
    let deleteMarkers = 0;
    await forEachBounded(divergences, options.concurrency ?? 16, async (divergence) => {
        const { key } = divergence;
        if (divergence.kind === "unknown") {
            left.push({ key, reason: `could not be compared: ${divergence.reason}` });
            return;
        }
        try {
            const latest = await latestEntry(dr.client, dr.bucket, key, options.signal);
            if (latest === undefined) {
                left.push({ key, reason: "never written on the dr side: not an outage write (a primary write that never replicated?)" });
                return;
            }
            if (latest.lastModified.getTime() <= options.since.getTime()) {
                left.push({ key, reason: `last changed on the dr side at ${latest.lastModified.toISOString()}, before --since: not an outage write` });
                return;
            }
            // A delete marker has no replication status to read (HEAD answers 405); one replicated from the primary
            // only carries the primary's delete, which the primary already holds.
            const status = latest.deleteMarker ? undefined : await versionReplicationStatus(dr, key, latest.versionId, options);
            if (status === "REPLICA") {
                left.push({
                    key,
                    reason: `its latest version on the dr side (${latest.lastModified.toISOString()}) is a replica from the primary, not an outage write: suspect, check which side is right`,
                });
                return;
            }
            if (latest.deleteMarker) {
                // No version id: a new delete marker over the one there; nothing is deleted.
                await applyAction(dr.client, dr.bucket, { key, action: "delete-marker", currentVersionId: latest.versionId, size: 0 }, { ...(options.signal ? { signal: options.signal } : {}) });
                deleteMarkers++;
            } else {
                await applyAction(
                    dr.client,
                    dr.bucket,
                    {
                        key,
                        action: "copy",
                        versionId: latest.versionId,
                        size: latest.size,
                        lastModified: latest.lastModified,
                        ...(latest.eTag !== undefined ? { eTag: latest.eTag } : {}),
                        ...(latest.storageClass !== undefined ? { storageClass: latest.storageClass } : {}),
                    },
                    { ...(options.signal ? { signal: options.signal } : {}) },
                );
                copies++;
            }
            sent.push(key);
        } catch (error) {
            if (options.signal?.aborted) throw error;
            failed.push({ key, message: (error as Error).message });
        }
    });
    const byKey = <T extends { key: string }>(items: T[]) => items.sort((a, b) => compareKeys(a.key, b.key)).slice(0, keep);
    sent.sort(compareKeys);
    return {
        result: {
            copies,
            deleteMarkers,
            firstKeys: sent.slice(0, keep),
            left: { count: left.length, first: byKey(left) },
            failures: { count: failed.length, first: byKey(failed) },
        },
        sentKeys: sent,
    };
}
