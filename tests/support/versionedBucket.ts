/**
 * Helpers for tests and benchmarks that need a versioned bucket on the moto emulator: create, fill, snapshot the
 * current state byte by byte, and wait for a clean second boundary (moto reports LastModified in whole seconds).
 */
import {
    CreateBucketCommand,
    GetObjectCommand,
    GetObjectTaggingCommand,
    HeadObjectCommand,
    PutBucketVersioningCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { listObjectsV2Page } from "../../infra/aws/listing";
import { forEachBounded } from "../../infra/restore/apply";
import { listVersions } from "../../infra/restore/versions";
import { emulatorCredentials } from "../emulator/moto";

export function emulatorS3(endpoint: string): S3Client {
    return new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: emulatorCredentials, maxAttempts: 3 });
}

let buckets = 0;
/** A fresh bucket per test, so tests never see each other's versions. */
export async function createBucket(client: S3Client, versioning: "Enabled" | "none" = "Enabled"): Promise<string> {
    const bucket = `restore-test-${process.pid}-${++buckets}-${Date.now() % 100_000}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    if (versioning === "Enabled") {
        await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    }
    return bucket;
}

/** What a reader sees for one key: bytes, content type, user metadata and tags. */
export interface ObjectState {
    readonly body: string;
    readonly contentType?: string;
    readonly metadata: Record<string, string>;
    readonly tags: Record<string, string>;
}

/** The current state of every key under `prefix`, read back in full (with `withTags`, also each key's tags). */
export async function snapshot(client: S3Client, bucket: string, options: { prefix?: string; withTags?: boolean } = {}): Promise<Map<string, ObjectState>> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        // Through the product's listing, so keys XML cannot carry (a CR) are read back as they are.
        const page = await listObjectsV2Page(client, { Bucket: bucket, ...(options.prefix ? { Prefix: options.prefix } : {}), ...(token ? { ContinuationToken: token } : {}) });
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ""));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const state = new Map<string, ObjectState>();
    await forEachBounded(keys, 16, async (key) => {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const tags = options.withTags ? (await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? [] : [];
        state.set(key, {
            body: (await object.Body?.transformToString("utf8")) ?? "",
            ...(object.ContentType ? { contentType: object.ContentType } : {}),
            metadata: object.Metadata ?? {},
            tags: Object.fromEntries(tags.map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        });
    });
    return new Map([...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Every version id and delete-marker id in the bucket. */
export async function versionIds(client: S3Client, bucket: string): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const entry of listVersions(client, bucket)) {
        ids.add(`${entry.key}\u0000${entry.versionId}`);
    }
    return ids;
}

/**
 * Waits until the next whole second and returns a T just before it: everything written before the call shows
 * LastModified <= T (moto truncates to the second), everything written after the call shows a later second.
 */
export async function secondBoundary(): Promise<Date> {
    const next = Math.floor(Date.now() / 1000) * 1000 + 1000;
    await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 5));
    return new Date(next - 1);
}

/** Everything identity.ts compares, as a reader of the current version sees it: bytes, headers, class, tags. */
export interface FullObjectState extends ObjectState {
    readonly contentEncoding?: string;
    readonly contentDisposition?: string;
    readonly contentLanguage?: string;
    readonly cacheControl?: string;
    readonly expires?: string;
    readonly storageClass: string;
}

/**
 * The full current state of each of `keys` (absent keys are left out). An archived object (GLACIER, DEEP_ARCHIVE)
 * cannot be read, so its body shows as `<archived>`; moto also refuses its tags, so they show as empty.
 */
export async function fullSnapshot(client: S3Client, bucket: string, keys: readonly string[]): Promise<Map<string, FullObjectState>> {
    const state = new Map<string, FullObjectState>();
    for (const key of keys) {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((error: Error) => {
            if (error.name === "NotFound" || error.name === "NoSuchKey") return undefined;
            throw error;
        });
        if (!head) continue;
        const storageClass = head.StorageClass ?? "STANDARD";
        const archived = storageClass === "GLACIER" || storageClass === "DEEP_ARCHIVE";
        const body = archived ? "<archived>" : ((await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString("utf8")) ?? "");
        const tags = archived ? [] : ((await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? []);
        state.set(key, {
            body,
            ...(head.ContentType ? { contentType: head.ContentType } : {}),
            ...(head.ContentEncoding ? { contentEncoding: head.ContentEncoding } : {}),
            ...(head.ContentDisposition ? { contentDisposition: head.ContentDisposition } : {}),
            ...(head.ContentLanguage ? { contentLanguage: head.ContentLanguage } : {}),
            ...(head.CacheControl ? { cacheControl: head.CacheControl } : {}),
            ...(head.ExpiresString ? { expires: head.ExpiresString } : {}),
            storageClass,
            metadata: head.Metadata ?? {},
            tags: Object.fromEntries(tags.map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        });
    }
    return state;
}
