/**
 * Point-in-time restore planning: a pure function over the version stream `ListObjectVersions` returns.
 *
 * For every key it compares the version that was current at T with the one that is current now and decides one
 * action. It holds one key's versions at a time (S3 lists all versions of a key contiguously, newest first, also
 * across page boundaries), so memory does not grow with the number of keys.
 */

/** The prefix the drill reserves for its canaries and batch reports: restore never touches it. */
export const reservedPrefix = ".lustre-dr/";

/**
 * Keys lustre-dr writes for itself, never user data, the one definition restore, compare and `status --sample` share:
 * everything under `.lustre-dr/`, and under a `.lustre-dr/` directory at any depth, because the drill's file-system
 * canaries are written at the root of a data repository and a repository linked at a prefix exports them as
 * `<prefix>.lustre-dr/drill/...` (with the directory objects).
 */
export function isReservedKey(key: string): boolean {
    return key.startsWith(reservedPrefix) || key.includes(`/${reservedPrefix}`);
}

/** One entry of `ListObjectVersions`, a version or a delete marker, in the order S3 returns them. */
export interface VersionEntry {
    readonly key: string;
    /** `"null"` for objects written while versioning was not enabled (never enabled, or suspended). */
    readonly versionId: string;
    readonly isLatest: boolean;
    readonly lastModified: Date;
    readonly deleteMarker: boolean;
    /** Bytes; 0 for delete markers. */
    readonly size: number;
    /** Absent for delete markers. */
    readonly eTag?: string;
    /** Absent for delete markers; S3 reports `STANDARD` for the default class. */
    readonly storageClass?: string;
}

/** The version to bring back over a key that changed (or was deleted) after T. */
export interface CopyPlan {
    readonly key: string;
    readonly action: "copy";
    readonly versionId: string;
    readonly size: number;
    readonly eTag?: string;
    readonly storageClass?: string;
    /** When the version to bring back was written. */
    readonly lastModified: Date;
    /** What is current now: a version id, or `undefined` when the key is currently deleted. */
    readonly currentVersionId?: string;
    /**
     * Size, ETag and storage class of the current version, when there is one. It is another version than the one at
     * T, so it may still be the same object (a copy made by an earlier restore): the writer compares the two with
     * identity.ts, reading HEAD and tags only when the listing cannot tell, and writes only when they differ.
     */
    readonly currentSize?: number;
    readonly currentETag?: string;
    readonly currentStorageClass?: string;
}

/** A key that did not exist at T and exists now: it gets a delete marker (its versions stay). */
export interface DeleteMarkerPlan {
    readonly key: string;
    readonly action: "delete-marker";
    /** The version the delete marker hides. */
    readonly currentVersionId: string;
    readonly size: number;
}

export interface NoActionPlan {
    readonly key: string;
    readonly action: "none";
    /**
     * `unchanged`: the current version is the version from T (another version, even with the same bytes, is a copy
     * plan the writer checks: metadata, headers, storage class and tags may differ). `absent`: the key did not exist
     * at T and does not exist now. `reserved`: lustre-dr's own ({@link isReservedKey}).
     */
    readonly reason: "unchanged" | "absent" | "reserved";
}

/**
 * A key whose state at T S3 did not record: it was written without versioning (version id `null`) after T, so
 * whatever it held at T was overwritten in place. Restore leaves it alone and reports it.
 */
export interface UnknownPlan {
    readonly key: string;
    readonly action: "unknown";
    readonly reason: string;
}

export type KeyPlan = CopyPlan | DeleteMarkerPlan | NoActionPlan | UnknownPlan;

export interface PlanOptions {
    /** The point in time to return to. */
    readonly to: Date;
}

/** Thrown when the stream breaks the order S3 guarantees; planning on such input would be wrong, not just slow. */
export class VersionStreamOrderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VersionStreamOrderError";
    }
}

/**
 * What planning needs to remember of one key: the newest entry, the newest entry at or before T, and whether a
 * version without versioning was written after T. Folding entries into it keeps memory constant even for a key
 * with millions of versions.
 */
interface KeyHistory {
    readonly key: string;
    current: VersionEntry;
    last: VersionEntry;
    atT?: VersionEntry;
    overwrittenWithoutVersioning?: VersionEntry;
}

function startHistory(entry: VersionEntry, to: Date): KeyHistory {
    const history: KeyHistory = { key: entry.key, current: entry, last: entry };
    record(history, entry, to);
    return history;
}

function record(history: KeyHistory, entry: VersionEntry, to: Date): void {
    history.last = entry;
    const atOrBeforeT = entry.lastModified.getTime() <= to.getTime();
    if (atOrBeforeT && history.atT === undefined) {
        history.atT = entry;
    }
    if (!atOrBeforeT && entry.versionId === "null" && history.overwrittenWithoutVersioning === undefined) {
        history.overwrittenWithoutVersioning = entry;
    }
}

function decide(history: KeyHistory): KeyPlan {
    const { key, current, atT, overwrittenWithoutVersioning } = history;
    if (isReservedKey(key)) {
        return { key, action: "none", reason: "reserved" };
    }
    if (overwrittenWithoutVersioning) {
        return {
            key,
            action: "unknown",
            reason:
                `written without versioning at ${overwrittenWithoutVersioning.lastModified.toISOString()}, after T: ` +
                `S3 kept no record of what it held at T`,
        };
    }
    const existsNow = !current.deleteMarker;
    if (atT === undefined || atT.deleteMarker) {
        return existsNow
            ? { key, action: "delete-marker", currentVersionId: current.versionId, size: current.size }
            : { key, action: "none", reason: "absent" };
    }
    if (existsNow && current.versionId === atT.versionId) {
        return { key, action: "none", reason: "unchanged" };
    }
    return {
        key,
        action: "copy",
        versionId: atT.versionId,
        size: atT.size,
        lastModified: atT.lastModified,
        ...(atT.eTag !== undefined ? { eTag: atT.eTag } : {}),
        ...(atT.storageClass !== undefined ? { storageClass: atT.storageClass } : {}),
        ...(existsNow ? { currentVersionId: current.versionId, currentSize: current.size } : {}),
        ...(existsNow && current.eTag !== undefined ? { currentETag: current.eTag } : {}),
        ...(existsNow && current.storageClass !== undefined ? { currentStorageClass: current.storageClass } : {}),
    };
}

/** Decides the action for one key from all its versions, newest first (convenience over {@link planRestore}). */
export function planKey(versionsNewestFirst: readonly VersionEntry[], to: Date): KeyPlan {
    const [first, ...rest] = versionsNewestFirst;
    if (first === undefined) {
        throw new RangeError("planKey needs at least one version");
    }
    const history = startHistory(first, to);
    for (const entry of rest) {
        record(history, entry, to);
    }
    return decide(history);
}

/** S3 lists keys in UTF-8 binary order, which is not JavaScript's UTF-16 string order. */
export function compareKeys(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Streams one {@link KeyPlan} per key. Consumes `versions` exactly once, in order, remembering three entries of
 * the current key at most.
 */
export async function* planRestore(versions: AsyncIterable<VersionEntry>, options: PlanOptions): AsyncGenerator<KeyPlan> {
    let history: KeyHistory | undefined;
    for await (const entry of versions) {
        if (history === undefined) {
            history = startHistory(entry, options.to);
        } else if (entry.key !== history.key) {
            if (compareKeys(entry.key, history.key) < 0) {
                throw new VersionStreamOrderError(
                    `version stream out of order: ${JSON.stringify(entry.key)} after ${JSON.stringify(history.key)}`,
                );
            }
            yield decide(history);
            history = startHistory(entry, options.to);
        } else {
            if (entry.lastModified.getTime() > history.last.lastModified.getTime()) {
                throw new VersionStreamOrderError(`versions of ${JSON.stringify(entry.key)} are not listed newest first`);
            }
            record(history, entry, options.to);
        }
    }
    if (history !== undefined) {
        yield decide(history);
    }
}
