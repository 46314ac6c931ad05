/**
 * Streams a bucket's versions and delete markers with paginated `ListObjectVersions`, in the order S3 returns them.
 *
 * S3 interleaves `<Version>` and `<DeleteMarker>` elements in one ordered list, but the SDK parses them into two
 * arrays. Timestamps cannot always rebuild the order (a version and a delete marker of one key can share a
 * LastModified), so a middleware records the element order from the raw XML of each page and the page is
 * re-interleaved from it. Without a usable record (a mocked client, an emulator that groups the elements) the two
 * arrays are merged by key and time.
 */
import { DeleteMarkerEntry, ObjectVersion, S3Client } from "@aws-sdk/client-s3";
import { listObjectVersionsPage } from "../aws/listing";
import { compareKeys, VersionEntry } from "./plan";

/** Where the element order of a page is kept between the raw-response middleware and the caller. */
const elementOrderKey = "lustreDrVersionElementOrder";

type ElementKind = "Version" | "DeleteMarker";

/** The SDK's per-call context, seen only for the field this module adds to it. */
interface OrderedContext {
    commandName?: string;
    [elementOrderKey]?: ElementKind[];
}

interface RawHttpResponse {
    statusCode?: number;
    body?: unknown;
}

async function readBody(body: unknown): Promise<Uint8Array | undefined> {
    if (body instanceof Uint8Array) {
        return body;
    }
    if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
        const chunks: Uint8Array[] = [];
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
            chunks.push(chunk);
        }
        return Buffer.concat(chunks);
    }
    return undefined;
}

/**
 * Adds the element-order middleware to a client, once. It sits between the SDK's deserializer and the HTTP
 * handler, buffers the page body (one page, at most 1,000 entries), notes the order of `<Version>` and
 * `<DeleteMarker>` and hands the same bytes on to the deserializer.
 */
export function recordVersionElementOrder(client: S3Client): void {
    const name = "lustreDrVersionElementOrder";
    if (client.middlewareStack.identify().some((entry) => entry.startsWith(name))) {
        return;
    }
    client.middlewareStack.add(
        (next, callContext) =>
            async (args) => {
                const result = await next(args);
                const context = callContext as OrderedContext;
                if (context.commandName !== "ListObjectVersionsCommand") {
                    return result;
                }
                const response = result.response as RawHttpResponse;
                if (response.statusCode !== 200) {
                    return result;
                }
                const bytes = await readBody(response.body);
                if (bytes === undefined) {
                    return result;
                }
                response.body = bytes;
                // Element text is XML-escaped, so "<Version>" can only be a tag; "<VersionId>" does not match.
                const order: ElementKind[] = [];
                for (const match of Buffer.from(bytes).toString("utf8").matchAll(/<(Version|DeleteMarker)>/g)) {
                    order.push(match[1] as ElementKind);
                }
                context[elementOrderKey] = order;
                return result;
            },
        { step: "deserialize", priority: "low", name },
    );
}

function fromVersion(version: ObjectVersion): VersionEntry {
    return {
        key: version.Key ?? "",
        versionId: version.VersionId ?? "null",
        isLatest: version.IsLatest === true,
        lastModified: version.LastModified ?? new Date(0),
        deleteMarker: false,
        size: version.Size ?? 0,
        ...(version.ETag !== undefined ? { eTag: version.ETag } : {}),
        ...(version.StorageClass !== undefined ? { storageClass: version.StorageClass } : {}),
    };
}

function fromDeleteMarker(marker: DeleteMarkerEntry): VersionEntry {
    return {
        key: marker.Key ?? "",
        versionId: marker.VersionId ?? "null",
        isLatest: marker.IsLatest === true,
        lastModified: marker.LastModified ?? new Date(0),
        deleteMarker: true,
        size: 0,
    };
}

/** Newest first within a key; the latest entry first among equal times (the only tie the response itself breaks). */
function listedBefore(a: VersionEntry, b: VersionEntry): boolean {
    const byKey = compareKeys(a.key, b.key);
    if (byKey !== 0) {
        return byKey < 0;
    }
    const byTime = b.lastModified.getTime() - a.lastModified.getTime();
    if (byTime !== 0) {
        return byTime < 0;
    }
    return a.isLatest && !b.isLatest;
}

/**
 * True when `entries` could be a page of S3's listing: keys ascending, each new key starting with its latest
 * entry, each key's entries newest first.
 */
export function inListingOrder(entries: readonly VersionEntry[]): boolean {
    for (let i = 1; i < entries.length; i++) {
        const previous = entries[i - 1];
        const entry = entries[i];
        if (entry.key === previous.key) {
            if (entry.isLatest || entry.lastModified.getTime() > previous.lastModified.getTime()) {
                return false;
            }
        } else if (compareKeys(previous.key, entry.key) > 0 || !entry.isLatest) {
            return false;
        }
    }
    return true;
}

/**
 * One page's entries in S3's order: from the recorded element order when it is a valid listing order (S3
 * interleaves; moto, the emulator, writes all versions before all delete markers), else by merging the two arrays
 * by key and time. The merge cannot order a version and a delete marker of one key with the same LastModified
 * unless one of them is the latest; see docs/restore.md (limits).
 */
export function interleavePage(
    versions: readonly ObjectVersion[],
    deleteMarkers: readonly DeleteMarkerEntry[],
    elementOrder?: readonly ElementKind[],
): VersionEntry[] {
    if (elementOrder && elementOrder.length === versions.length + deleteMarkers.length) {
        let v = 0;
        let d = 0;
        const recorded = elementOrder.map((kind) =>
            kind === "Version" ? fromVersion(versions[v++]) : fromDeleteMarker(deleteMarkers[d++]),
        );
        if (inListingOrder(recorded)) {
            return recorded;
        }
    }
    const entries: VersionEntry[] = [];
    let v = 0;
    let d = 0;
    while (v < versions.length || d < deleteMarkers.length) {
        if (d >= deleteMarkers.length) {
            entries.push(fromVersion(versions[v++]));
        } else if (v >= versions.length) {
            entries.push(fromDeleteMarker(deleteMarkers[d++]));
        } else {
            const version = fromVersion(versions[v]);
            const marker = fromDeleteMarker(deleteMarkers[d]);
            if (listedBefore(marker, version)) {
                entries.push(marker);
                d++;
            } else {
                entries.push(version);
                v++;
            }
        }
    }
    return entries;
}

export interface ListVersionsOptions {
    /** Only keys starting with this. @default "" (the whole bucket) */
    readonly prefix?: string;
    /** Entries per request; S3 returns at most 1,000. @default 1000 */
    readonly pageSize?: number;
    /** List only keys after this one (S3's `key-marker`: every version of this key itself is skipped). */
    readonly startAfter?: string;
    /** The account that must own the bucket (S3's `ExpectedBucketOwner`): another owner's bucket answers 403. */
    readonly expectedBucketOwner?: string;
    readonly signal?: AbortSignal;
    /** Called after each page with the number of entries it held. */
    readonly onPage?: (entries: number) => void;
}

/** Streams every version and delete marker of `bucket` (under `prefix`), one page in memory at a time. */
export async function* listVersions(client: S3Client, bucket: string, options: ListVersionsOptions = {}): AsyncGenerator<VersionEntry> {
    recordVersionElementOrder(client);
    let keyMarker: string | undefined = options.startAfter;
    let versionIdMarker: string | undefined;
    for (;;) {
        options.signal?.throwIfAborted();
        let elementOrder: ElementKind[] | undefined;
        const page = await listObjectVersionsPage(
            client,
            {
                Bucket: bucket,
                MaxKeys: options.pageSize ?? 1000,
                ...(options.prefix ? { Prefix: options.prefix } : {}),
                ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
                ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
                ...(options.expectedBucketOwner !== undefined ? { ExpectedBucketOwner: options.expectedBucketOwner } : {}),
            },
            options.signal ? { abortSignal: options.signal } : {},
            // The context object is per call; a second, outermost middleware reads what the inner one recorded.
            (command) =>
                command.middlewareStack.add(
                    (next, context) => async (args) => {
                        const result = await next(args);
                        elementOrder = (context as OrderedContext)[elementOrderKey];
                        return result;
                    },
                    { step: "initialize", priority: "high", name: "lustreDrReadVersionElementOrder" },
                ),
        );
        const entries = interleavePage(page.Versions ?? [], page.DeleteMarkers ?? [], elementOrder);
        options.onPage?.(entries.length);
        yield* entries;
        if (!page.IsTruncated) {
            return;
        }
        keyMarker = page.NextKeyMarker;
        versionIdMarker = page.NextVersionIdMarker;
        if (keyMarker === undefined) {
            throw new Error(`ListObjectVersions on ${bucket} was truncated without a NextKeyMarker`);
        }
    }
}
