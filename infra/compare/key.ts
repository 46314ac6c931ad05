/**
 * One key across the two sides of the pair: the same object (identity.ts), a copy still in flight, or how it
 * differs. `compareBuckets` calls it for every key of the merged listings (with each side's latest listing entry);
 * `status --sample` calls it for single keys without listing (each side's current version is then read by HEAD).
 *
 * Why equal version ids need no read: S3 replication gives a replica its source's version id (and LastModified and
 * metadata), and a version's bytes and metadata never change. So the same version id with the same size and ETag on
 * both sides is the same version, and only what can change in place is left: the storage class (a lifecycle
 * transition; the listing shows it) and the tags (PutObjectTagging; read only when asked, `tags`, because it costs two
 * GetObjectTagging per key). Keys whose latest version ids differ get the staged reads of readIdentity.ts, exhaustive
 * so that every difference is reported.
 *
 * Encryption is not compared between the sides (replicas are re-encrypted under the destination's key by design):
 * each side's version is held to that side's expected encryption (`CompareSide.expectedEncryption`) whenever its
 * HEAD is read. A version under any other key is a difference even while a copy is replicating: an attacker's
 * re-encrypting copy is a new version id, so it always reaches the HEAD path; a replica of it keeps that id, and is
 * checked when `encryption` asks for HEADs of shared versions (or when the key was read by HEAD, `status --sample`).
 */
import { GetObjectTaggingCommand, HeadObjectCommand, HeadObjectCommandOutput, S3ServiceException } from "@aws-sdk/client-s3";
import { errorText } from "../aws/errors";
import { encryptionOf } from "../restore/encryption";
import { compareIdentity, encryptionAgainstExpected, IdentityDifference, ObjectIdentity, tagMap } from "../restore/identity";
import type { VersionEntry } from "../restore/plan";
import { compareVersionsAcross, IdentityReads, ListedVersion, owner, VersionAt } from "../restore/readIdentity";
import type { CompareSide, KeyDivergence, ReplicationStatusReader } from "./compare";

/** What one key is across the sides. */
export type KeyVerdict =
    /** The same object on both sides, or absent (deleted) on both. */
    | { readonly key: string; readonly kind: "same" }
    /** Differs, or exists on one side only, but the newer side's version is still replicating (`PENDING`). */
    | {
          readonly key: string;
          readonly kind: "pending";
          readonly side: CompareSide["side"];
          readonly versionId: string;
          /** When the replicating version was written: a copy pending for long is a stuck replication, not a slow one. */
          readonly since: Date;
      }
    | KeyDivergence;

export interface KeyAcrossOptions {
    /**
     * Each side's latest listing entry for the key (a version or a delete marker); `undefined` for a side where the key
     * is not listed. Absent: each side's current version is read with a HEAD.
     */
    readonly listed?: { readonly primary?: VersionEntry; readonly dr?: VersionEntry };
    /** Also read the tags of a version both sides share (PutObjectTagging changes tags in place). @default false */
    readonly tags?: boolean;
    readonly signal?: AbortSignal;
    /** How a side reports a version's replication status. @default the version's HeadObject `ReplicationStatus` */
    readonly replicationStatus?: ReplicationStatusReader;
    /** Counts the HEAD and tag reads made. */
    readonly reads?: IdentityReads;
    /**
     * Also HEAD a version both sides share (same version id) to check each side's encryption against its expected one
     * (two HEADs per key). Without it such a version is checked only when its HEAD was read anyway. @default false
     */
    readonly encryption?: boolean;
}

type Head = Omit<HeadObjectCommandOutput, "$metadata">;

/** Each side's version held to that side's expected encryption, for the sides that have one. */
function encryptionDifferences(primary: CompareSide, dr: CompareSide, heads: { readonly primary: Head; readonly dr: Head }): IdentityDifference[] {
    const encryptions = { primary: encryptionOf(heads.primary), dr: encryptionOf(heads.dr) };
    return [primary, dr].flatMap((side) => {
        const difference = side.expectedEncryption ? encryptionAgainstExpected(side.side, side.expectedEncryption, encryptions) : undefined;
        return difference ? [difference] : [];
    });
}

/** A side's latest state of the key: a version (with its HEAD when one was made), a delete marker, or nothing. */
interface SideState {
    readonly entry?: VersionEntry;
    readonly head?: Omit<HeadObjectCommandOutput, "$metadata">;
}

const present = (state: SideState): state is { entry: VersionEntry } => state.entry !== undefined && !state.entry.deleteMarker;

function listedVersion(entry: VersionEntry): ListedVersion {
    return {
        versionId: entry.versionId,
        size: entry.size,
        ...(entry.eTag !== undefined ? { eTag: entry.eTag } : {}),
        ...(entry.storageClass !== undefined ? { storageClass: entry.storageClass } : {}),
    };
}

function listedIdentity(entry: VersionEntry): ObjectIdentity {
    return listedVersion(entry);
}

function notFound(error: unknown): boolean {
    const status = (error as S3ServiceException).$metadata?.httpStatusCode;
    return status === 404;
}

/** The current version of `key` on a side, by HEAD; a 404 (no such key, or a delete marker on top) is absent. */
async function headCurrent(side: CompareSide, key: string, options: KeyAcrossOptions): Promise<SideState> {
    if (options.reads) options.reads.head++;
    try {
        const head = await side.client.send(new HeadObjectCommand({ Bucket: side.bucket, Key: key, ChecksumMode: "ENABLED", ...owner(side.expectedOwner) }), { abortSignal: options.signal });
        const entry: VersionEntry = {
            key,
            versionId: head.VersionId ?? "null",
            isLatest: true,
            lastModified: head.LastModified ?? new Date(0),
            deleteMarker: false,
            size: head.ContentLength ?? 0,
            ...(head.ETag !== undefined ? { eTag: head.ETag } : {}),
            ...(head.StorageClass !== undefined ? { storageClass: head.StorageClass } : {}),
        };
        return { entry, head };
    } catch (error) {
        if (notFound(error)) return {};
        throw error;
    }
}

/**
 * The replication status of the newest of the sides' latest entries (both when they were written at the same
 * time): `PENDING` on a newer side means the other side has not received it yet.
 */
async function newerSideStatus(
    primary: CompareSide,
    dr: CompareSide,
    key: string,
    states: { readonly primary: SideState; readonly dr: SideState },
    options: KeyAcrossOptions,
): Promise<{ side: CompareSide; versionId: string; since: Date; status: string | undefined } | undefined> {
    const time = (state: SideState) => state.entry?.lastModified.getTime() ?? Number.NEGATIVE_INFINITY;
    const candidates = [
        { side: primary, state: states.primary },
        { side: dr, state: states.dr },
    ].filter(({ state }) => state.entry !== undefined);
    const newest = Math.max(...candidates.map(({ state }) => time(state)));
    const newer = candidates.filter(({ state }) => time(state) === newest);
    const statuses = await Promise.all(
        newer.map(async ({ side, state }) => {
            const entry = state.entry as VersionEntry;
            return { side, versionId: entry.versionId, since: entry.lastModified, status: await replicationStatusOf(side, key, entry, state.head, options) };
        }),
    );
    return statuses.find(({ status }) => status === "PENDING") ?? statuses[0];
}

async function replicationStatusOf(
    side: CompareSide,
    key: string,
    entry: VersionEntry,
    head: Omit<HeadObjectCommandOutput, "$metadata"> | undefined,
    options: KeyAcrossOptions,
): Promise<string | undefined> {
    if (!options.replicationStatus && head) {
        return head.ReplicationStatus;
    }
    // A delete marker has no HEAD (S3 answers 405): S3 reports no replication status for it, so a delete that has not
    // reached the other side yet cannot be told from one that never will; it counts as a difference.
    if (!options.replicationStatus && entry.deleteMarker) {
        return undefined;
    }
    return versionReplicationStatus(side, key, entry.versionId, options);
}

/** A version's replication status (`PENDING`, `COMPLETED`, `FAILED`, `REPLICA` or none): one HEAD, unless a reader is given. */
export async function versionReplicationStatus(
    side: CompareSide,
    key: string,
    versionId: string,
    options: Pick<KeyAcrossOptions, "replicationStatus" | "reads" | "signal">,
): Promise<string | undefined> {
    if (options.replicationStatus) {
        return options.replicationStatus(side, key, versionId);
    }
    if (options.reads) options.reads.head++;
    const read = await side.client.send(new HeadObjectCommand({ Bucket: side.bucket, Key: key, VersionId: versionId, ...owner(side.expectedOwner) }), { abortSignal: options.signal });
    return read.ReplicationStatus;
}

/** Compares one key across the sides. A read that fails makes the key `unknown` (never `same`); an abort throws. */
export async function compareKeyAcross(primary: CompareSide, dr: CompareSide, key: string, options: KeyAcrossOptions = {}): Promise<KeyVerdict> {
    try {
        return await compareKey(primary, dr, key, options);
    } catch (error) {
        if (options.signal?.aborted) throw error;
        return { key, kind: "unknown", reason: `could not be read: ${errorText(error)}` };
    }
}

async function compareKey(primary: CompareSide, dr: CompareSide, key: string, options: KeyAcrossOptions): Promise<KeyVerdict> {
    const states = options.listed
        ? { primary: { ...(options.listed.primary ? { entry: options.listed.primary } : {}) }, dr: { ...(options.listed.dr ? { entry: options.listed.dr } : {}) } }
        : await Promise.all([headCurrent(primary, key, options), headCurrent(dr, key, options)]).then(([p, d]) => ({ primary: p, dr: d }));
    const onPrimary = present(states.primary);
    const onDr = present(states.dr);
    if (!onPrimary && !onDr) {
        return { key, kind: "same" };
    }
    if (!onPrimary || !onDr) {
        const only = onPrimary ? "primary" : "dr";
        const version = (onPrimary ? states.primary.entry : states.dr.entry) as VersionEntry;
        const newer = await newerSideStatus(primary, dr, key, states, options);
        if (newer?.status === "PENDING") {
            return { key, kind: "pending", side: newer.side.side, versionId: newer.versionId, since: newer.since };
        }
        return {
            key,
            kind: only === "primary" ? "only-primary" : "only-dr",
            versionId: version.versionId,
            ...(newer?.status !== undefined ? { replicationStatus: newer.status } : {}),
        };
    }
    const a = states.primary.entry as VersionEntry;
    const b = states.dr.entry as VersionEntry;
    let differences: readonly IdentityDifference[];
    if (a.versionId === b.versionId && a.versionId !== "null") {
        // A replica's version id is its source's: the same immutable version, unless its listed facts say otherwise.
        // Tags and the storage class can change in place; the listing shows the class, tags need a read.
        let identityA = listedIdentity(a);
        let identityB = listedIdentity(b);
        if (options.tags) {
            const tags = async (side: CompareSide) => {
                if (options.reads) options.reads.tagging++;
                const read = await side.client.send(new GetObjectTaggingCommand({ Bucket: side.bucket, Key: key, VersionId: a.versionId, ...owner(side.expectedOwner) }), { abortSignal: options.signal });
                return tagMap(read.TagSet);
            };
            const [tagsA, tagsB] = await Promise.all([tags(primary), tags(dr)]);
            identityA = { ...identityA, tags: tagsA };
            identityB = { ...identityB, tags: tagsB };
        }
        // Metadata and content headers are immutable per version: what is unread of them stays unread on purpose.
        differences = compareIdentity(identityA, identityB, { encryption: "across" }).differences;
        // The encryption is not: a replica is re-encrypted under its side's key, the primary's rule names that key.
        let heads = states.primary.head && states.dr.head ? { primary: states.primary.head, dr: states.dr.head } : undefined;
        if (!heads && options.encryption && (primary.expectedEncryption || dr.expectedEncryption)) {
            const head = async (side: CompareSide) => {
                if (options.reads) options.reads.head++;
                return side.client.send(new HeadObjectCommand({ Bucket: side.bucket, Key: key, VersionId: a.versionId, ...owner(side.expectedOwner) }), { abortSignal: options.signal });
            };
            const [headA, headB] = await Promise.all([head(primary), head(dr)]);
            heads = { primary: headA, dr: headB };
        }
        if (heads) {
            differences = [...differences, ...encryptionDifferences(primary, dr, heads)];
        }
    } else {
        const at = (side: CompareSide, state: SideState, entry: VersionEntry): VersionAt => ({
            client: side.client,
            bucket: side.bucket,
            ...(side.expectedOwner !== undefined ? { expectedOwner: side.expectedOwner } : {}),
            version: listedVersion(entry),
            ...(state.head ? { head: state.head } : {}),
        });
        const comparison = await compareVersionsAcross(key, at(primary, states.primary, a), at(dr, states.dr, b), {
            exhaustive: true,
            identity: { encryption: "across" },
            ...(options.reads ? { reads: options.reads } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
        });
        const heads = comparison.heads;
        const foreign = heads ? encryptionDifferences(primary, dr, { primary: heads[0], dr: heads[1] }) : [];
        differences = [...comparison.differences, ...foreign];
        if (foreign.length > 0) {
            // Not in flight: the version under a foreign key is there now, whatever replication does next.
            return { key, kind: "changed", primaryVersion: a.versionId, drVersion: b.versionId, differences };
        }
        if (differences.length > 0) {
            const withHeads = heads
                ? { primary: { entry: a, head: heads[0] }, dr: { entry: b, head: heads[1] } }
                : { primary: states.primary, dr: states.dr };
            const newer = await newerSideStatus(primary, dr, key, withHeads, options);
            if (newer?.status === "PENDING") {
                return { key, kind: "pending", side: newer.side.side, versionId: newer.versionId, since: newer.since };
            }
            return {
                key,
                kind: "changed",
                primaryVersion: a.versionId,
                drVersion: b.versionId,
                differences,
                ...(newer?.status !== undefined ? { replicationStatus: newer.status } : {}),
            };
        }
    }
    if (differences.length === 0) {
        return { key, kind: "same" };
    }
    return { key, kind: "changed", primaryVersion: a.versionId, drVersion: b.versionId, differences };
}
