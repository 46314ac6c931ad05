/**
 * The few S3 calls the drill makes, each on its own canary keys only: write a canary, list a prefix's versions,
 * read a replica's body, put a delete marker. No call here deletes a version.
 */
import { createHash } from "crypto";
import {
    DeleteObjectCommand,
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectVersionsCommandOutput,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { classifyAwsError, AwsProblem } from "../aws/errors";
import { listObjectVersionsPage } from "../aws/listing";
import type { SideRole } from "../aws/sides";
import { assertOwnCanaryKey } from "./canaries";

/** One side's bucket, with a client holding that side's credentials, region and endpoint. */
export interface DrillBucket {
    readonly role: SideRole;
    readonly client: S3Client;
    readonly bucket: string;
    readonly region: string;
    /**
     * The stack the side was read from, when it was (the clean-up command then names the stack, whose outputs also
     * carry the repository prefixes of file-system canaries).
     */
    readonly stack?: string;
    /** The endpoint override and profile the client uses, when given: named in messages and in the clean-up command. */
    readonly endpoint?: string;
    readonly profile?: string;
}

/** `dr bucket acme-data-usw2 (us-west-2)`: how every drill message names a side. */
export function sideLabel(side: Pick<DrillBucket, "role" | "bucket" | "region">): string {
    return `${side.role} bucket ${side.bucket} (${side.region})`;
}

/**
 * An AWS call on one side failed. The message names the side and what was called there (its bucket and region, or
 * its instance), the call and what the error means, so a failure read in a report or a CI log says where to look.
 */
export class DrillSideError extends Error {
    readonly problem: AwsProblem;
    constructor(
        readonly role: SideRole,
        /** e.g. `dr bucket acme-data-usw2 (us-west-2)` */
        where: string,
        action: string,
        cause: unknown,
        context: { readonly endpoint?: string; readonly region?: string } = {},
    ) {
        const problem = classifyAwsError(cause, { action, ...context });
        super(`${where}: ${action}: ${problem.text}`, { cause });
        this.name = "DrillSideError";
        this.problem = problem;
    }
}

/** Runs one call on `side`, turning its failure into a DrillSideError; an abort passes through untouched. */
export async function onSide<T>(side: DrillBucket, action: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
        return await call();
    } catch (error) {
        if (signal?.aborted || error instanceof DrillSideError) {
            throw error;
        }
        throw new DrillSideError(side.role, sideLabel(side), action, error, { endpoint: side.endpoint, region: side.region });
    }
}

/** What a listing says about one key: its versions and delete markers, and which one is current. */
export interface KeyVersions {
    readonly versions: string[];
    readonly deleteMarkers: string[];
    /** Version id of the current version or delete marker. */
    latest?: { readonly versionId: string; readonly deleteMarker: boolean };
}

export interface Listing {
    readonly keys: Map<string, KeyVersions>;
    /** Requests the listing took (one per page). */
    readonly requests: number;
}

/** Metadata every canary carries, so anyone finding one in the bucket knows what wrote it. */
export const canaryMetadataKey = "lustre-dr-drill";

export function sha256(body: Uint8Array): string {
    return createHash("sha256").update(body).digest("hex");
}

export async function writeCanary(
    side: DrillBucket,
    runId: string,
    key: string,
    body: Uint8Array,
    signal?: AbortSignal,
): Promise<{ versionId: string }> {
    assertOwnCanaryKey(runId, key);
    const written = await onSide(
        side,
        "s3:PutObject",
        () =>
            side.client.send(
                new PutObjectCommand({
                    Bucket: side.bucket,
                    Key: key,
                    Body: body,
                    ContentType: "application/octet-stream",
                    Metadata: { [canaryMetadataKey]: runId },
                }),
                { abortSignal: signal },
            ),
        signal,
    );
    if (!written.VersionId) {
        throw new Error(`${sideLabel(side)} returned no version id for ${key}: versioning is not enabled`);
    }
    return { versionId: written.VersionId };
}

export async function listVersions(side: DrillBucket, prefix: string, signal?: AbortSignal): Promise<Listing> {
    const keys = new Map<string, KeyVersions>();
    const entry = (key: string) => {
        let found = keys.get(key);
        if (!found) {
            found = { versions: [], deleteMarkers: [] };
            keys.set(key, found);
        }
        return found;
    };
    let requests = 0;
    let page: ListObjectVersionsCommandOutput | undefined;
    do {
        const previous = page;
        page = await onSide(
            side,
            "s3:ListBucketVersions",
            () =>
                listObjectVersionsPage(
                    side.client,
                    { Bucket: side.bucket, Prefix: prefix, KeyMarker: previous?.NextKeyMarker, VersionIdMarker: previous?.NextVersionIdMarker },
                    { abortSignal: signal },
                ),
            signal,
        );
        requests += 1;
        for (const version of page.Versions ?? []) {
            if (version.Key && version.VersionId) {
                const found = entry(version.Key);
                found.versions.push(version.VersionId);
                if (version.IsLatest) {
                    found.latest = { versionId: version.VersionId, deleteMarker: false };
                }
            }
        }
        for (const marker of page.DeleteMarkers ?? []) {
            if (marker.Key && marker.VersionId) {
                const found = entry(marker.Key);
                found.deleteMarkers.push(marker.VersionId);
                if (marker.IsLatest) {
                    found.latest = { versionId: marker.VersionId, deleteMarker: true };
                }
            }
        }
    } while (page.IsTruncated);
    return { keys, requests };
}

export async function readReplica(
    side: DrillBucket,
    key: string,
    versionId: string,
    signal?: AbortSignal,
): Promise<{ sha256: string; metadata: Record<string, string> }> {
    const { object, body } = await onSide(
        side,
        "s3:GetObjectVersion",
        async () => {
            const object = await side.client.send(new GetObjectCommand({ Bucket: side.bucket, Key: key, VersionId: versionId }), {
                abortSignal: signal,
            });
            return { object, body: (await object.Body?.transformToByteArray()) ?? new Uint8Array() };
        },
        signal,
    );
    return { sha256: sha256(body), metadata: object.Metadata ?? {} };
}

/** Puts a delete marker on a canary key (DeleteObject without a version id): what a user's delete does. */
export async function deleteCanary(side: DrillBucket, runId: string, key: string, signal?: AbortSignal): Promise<void> {
    assertOwnCanaryKey(runId, key);
    await onSide(side, "s3:DeleteObject", () => side.client.send(new DeleteObjectCommand({ Bucket: side.bucket, Key: key }), { abortSignal: signal }), signal);
}

/**
 * Reads a version's replication status as S3 reports it (`x-amz-replication-status`): `COMPLETED`, `PENDING` or
 * `FAILED` on a source version, `REPLICA` on a replica, undefined when the endpoint says nothing.
 */
export type ReplicationStatusReader = (side: DrillBucket, key: string, versionId: string, signal?: AbortSignal) => Promise<string | undefined>;

export const headObjectReplicationStatus: ReplicationStatusReader = async (side, key, versionId, signal) => {
    const head = await onSide(
        side,
        "s3:GetObjectVersion (HeadObject)",
        () => side.client.send(new HeadObjectCommand({ Bucket: side.bucket, Key: key, VersionId: versionId }), { abortSignal: signal }),
        signal,
    );
    return head.ReplicationStatus;
};

/** Runs `work` over `items` with at most `limit` in flight, keeping results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next;
            next += 1;
            results[index] = await work(items[index], index);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}
