/**
 * Carries out restore actions against S3. Only two kinds of write, both of which add a version and remove none:
 * a server-side copy of an old version over its key, and a delete marker (DeleteObject without a version id).
 * There is deliberately no code path here that sends DeleteObject with a VersionId.
 */
import {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CopyObjectCommand,
    CreateMultipartUploadCommand,
    DeleteObjectCommand,
    GetObjectTaggingCommand,
    HeadObjectCommand,
    S3Client,
    StorageClass,
    UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { copyEncryption, ExpectedEncryption } from "./encryption";
import type { CopyPlan, DeleteMarkerPlan } from "./plan";

/** CopyObject copies at most 5 GiB; larger objects take a multipart upload of copied parts. */
export const copyObjectLimitBytes = 5 * 1024 ** 3;
const minPartBytes = 5 * 1024 ** 2;
const maxParts = 10_000;

export type RestoreAction = CopyPlan | DeleteMarkerPlan;

export interface ApplyOptions {
    /** Objects larger than this are copied with UploadPartCopy. @default 5 GiB (the CopyObject limit) */
    readonly multipartThresholdBytes?: number;
    /** Part size for multipart copies; raised when needed to stay within 10,000 parts. @default 512 MiB */
    readonly partSizeBytes?: number;
    /** Parts of one object copied at the same time. @default 4 */
    readonly partConcurrency?: number;
    /**
     * The side's own encryption: every copy names it. @default none named: S3 applies the bucket's default encryption
     * (which whoever controls the account can have changed)
     */
    readonly encryption?: ExpectedEncryption;
    readonly signal?: AbortSignal;
}

/**
 * `CopySource` is `bucket/key?versionId=id`, URL-encoded. Each path segment is encoded on its own so `/` stays a
 * separator; spaces, `+`, `%`, `?` and non-ASCII characters in keys are all escaped.
 */
export function copySource(bucket: string, key: string, versionId: string): string {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `${bucket}/${path}?versionId=${encodeURIComponent(versionId)}`;
}

/**
 * The storage class of the version at T, always named: a copy does not inherit its source's class (CopyObject and
 * CreateMultipartUpload write STANDARD unless told), and the class is part of the object's identity (identity.ts).
 * (An archived source, GLACIER or DEEP_ARCHIVE, cannot be copied before it is restored from the archive: that copy
 * fails and is reported.)
 */
export function storageClassOf(plan: CopyPlan): StorageClass {
    return (plan.storageClass || "STANDARD") as StorageClass;
}

/** Applies one action. Resolves with the version id S3 wrote (the copy or the delete marker). */
export async function applyAction(client: S3Client, bucket: string, action: RestoreAction, options: ApplyOptions = {}): Promise<string | undefined> {
    const abortSignal = options.signal;
    if (action.action === "delete-marker") {
        // No VersionId: this adds a delete marker. With a VersionId it would destroy a version.
        const result = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: action.key }), { abortSignal });
        return result.VersionId;
    }
    if (action.size > (options.multipartThresholdBytes ?? copyObjectLimitBytes)) {
        return multipartCopy(client, bucket, action, options);
    }
    const storageClass = storageClassOf(action);
    // Never the source version's encryption: a copy is written under the side's own key (or the bucket default).
    const result = await client.send(
        new CopyObjectCommand({
            Bucket: bucket,
            Key: action.key,
            CopySource: copySource(bucket, action.key, action.versionId),
            MetadataDirective: "COPY",
            TaggingDirective: "COPY",
            StorageClass: storageClass,
            ...copyEncryption(options.encryption),
        }),
        { abortSignal },
    );
    return result.VersionId;
}

/** Part size for an object: the requested size, raised to stay within 10,000 parts, at least 5 MiB. */
export function partSizeFor(objectBytes: number, requestedPartBytes = 512 * 1024 ** 2): number {
    return Math.max(minPartBytes, requestedPartBytes, Math.ceil(objectBytes / maxParts));
}

/**
 * Multipart uploads have no COPY directive: metadata and tags are read from the source version and set on the upload
 * explicitly. Encryption is not: like a CopyObject, the upload is written under the side's own key (or the bucket
 * default), never under the source's key.
 */
async function multipartCopy(client: S3Client, bucket: string, action: CopyPlan, options: ApplyOptions): Promise<string | undefined> {
    const abortSignal = options.signal;
    const source = { Bucket: bucket, Key: action.key, VersionId: action.versionId };
    const head = await client.send(new HeadObjectCommand(source), { abortSignal });
    const tagging = await client.send(new GetObjectTaggingCommand(source), { abortSignal });
    // x-amz-tagging is a query string; percent-encode (not "+") so spaces survive any decoder.
    const tags = (tagging.TagSet ?? []).map((tag) => `${encodeURIComponent(tag.Key ?? "")}=${encodeURIComponent(tag.Value ?? "")}`).join("&");
    const storageClass = storageClassOf(action);
    const upload = await client.send(
        new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: action.key,
            ...(head.ContentType ? { ContentType: head.ContentType } : {}),
            ...(head.ContentEncoding ? { ContentEncoding: head.ContentEncoding } : {}),
            ...(head.ContentDisposition ? { ContentDisposition: head.ContentDisposition } : {}),
            ...(head.ContentLanguage ? { ContentLanguage: head.ContentLanguage } : {}),
            ...(head.CacheControl ? { CacheControl: head.CacheControl } : {}),
            ...(head.Expires ? { Expires: head.Expires } : {}),
            ...(head.Metadata ? { Metadata: head.Metadata } : {}),
            ...(tags ? { Tagging: tags } : {}),
            ...copyEncryption(options.encryption),
            StorageClass: storageClass,
        }),
        { abortSignal },
    );
    const uploadId = upload.UploadId;
    if (!uploadId) {
        throw new Error(`CreateMultipartUpload for ${JSON.stringify(action.key)} returned no UploadId`);
    }
    try {
        const partBytes = partSizeFor(action.size, options.partSizeBytes);
        const ranges: Array<{ partNumber: number; range: string }> = [];
        for (let start = 0, partNumber = 1; start < action.size; start += partBytes, partNumber++) {
            ranges.push({ partNumber, range: `bytes=${start}-${Math.min(start + partBytes, action.size) - 1}` });
        }
        const parts = new Array<{ ETag: string; PartNumber: number }>(ranges.length);
        await forEachBounded(ranges, options.partConcurrency ?? 4, async ({ partNumber, range }) => {
            const part = await client.send(
                new UploadPartCopyCommand({
                    Bucket: bucket,
                    Key: action.key,
                    UploadId: uploadId,
                    PartNumber: partNumber,
                    CopySource: copySource(bucket, action.key, action.versionId),
                    CopySourceRange: range,
                }),
                { abortSignal },
            );
            parts[partNumber - 1] = { ETag: part.CopyPartResult?.ETag ?? "", PartNumber: partNumber };
        });
        const done = await client.send(
            new CompleteMultipartUploadCommand({ Bucket: bucket, Key: action.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
            { abortSignal },
        );
        return done.VersionId;
    } catch (error) {
        // Best effort: an upload left behind costs storage until a lifecycle rule aborts it, but writes no version.
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: action.key, UploadId: uploadId })).catch(() => undefined);
        throw error;
    }
}

/**
 * Runs `work` over `items` with at most `concurrency` in flight, pulling the next item only when a slot is free
 * (so an endless or huge stream never piles up in memory). The first error thrown by `work` or by the source stops
 * pulling; in-flight work is awaited and the error rethrown.
 */
export async function forEachBounded<T>(
    items: AsyncIterable<T> | Iterable<T>,
    concurrency: number,
    work: (item: T) => Promise<void>,
): Promise<void> {
    const iterator =
        Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : toAsync((items as Iterable<T>)[Symbol.iterator]());
    let failure: { error: unknown } | undefined;
    let pulling: Promise<void> = Promise.resolve();
    const next = async (): Promise<IteratorResult<T> | undefined> => {
        // One pull at a time: async generators must not be advanced concurrently.
        const result = pulling.then(() => (failure ? undefined : iterator.next()));
        pulling = result.then(
            () => undefined,
            () => undefined,
        );
        return result;
    };
    const worker = async (): Promise<void> => {
        while (!failure) {
            let result: IteratorResult<T> | undefined;
            try {
                result = await next();
            } catch (error) {
                failure ??= { error };
                return;
            }
            // Another worker may have failed while this one waited for the stream: start nothing new then.
            if (!result || result.done || failure) {
                return;
            }
            try {
                await work(result.value);
            } catch (error) {
                failure ??= { error };
                return;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    if (failure) {
        await iterator.return?.();
        throw failure.error;
    }
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
    return { next: async () => iterator.next() };
}
