/**
 * Every S3 listing lustre-dr sends (`ListObjectVersions`, `ListObjectsV2`) goes through here, asks S3 for
 * `encoding-type=url` and is decoded here, so no caller ever sees an encoded name or a name the XML mangled.
 *
 * Why: an S3 key may hold any Unicode character, but a listing is XML. XML 1.0 cannot carry most control characters
 * (U+0001-U+001F other than tab, LF and CR), and an XML parser turns CR and CRLF in text into LF, so without encoding
 * the SDK hands back "k\nx" for the key "k\rx": compare would name a key that does not exist, restore would copy onto
 * a key nobody wrote and leave the attacker's "k\rx" current, and two such keys can arrive out of S3's order. With
 * `encoding-type=url` S3 percent-encodes the names in the response (UTF-8 bytes), and XML carries only ASCII.
 *
 * What S3 encodes (S3 API reference, response elements; the same set botocore decodes):
 * - ListObjectVersions: `Key` (of every Version and DeleteMarker), `CommonPrefixes/Prefix`, `NextKeyMarker`, and the
 *   echoes `Prefix`, `Delimiter`, `KeyMarker`.
 * - ListObjectsV2: `Contents/Key`, `CommonPrefixes/Prefix`, and the echoes `Prefix`, `Delimiter`, `StartAfter`.
 *   `NextContinuationToken` is opaque and never encoded.
 * S3 has been observed to write a space as `+` (form encoding) and a literal `+` as `%2B`, while other
 * implementations write `%20`: `+` is decoded as a space, which is right under both, since a literal `+` is always
 * `%2B`. The echoes are replaced by what was sent (they are the request's own values, and moto echoes some of them
 * unencoded while encoding the keys). Markers sent back (`KeyMarker` from `NextKeyMarker`) are decoded names: S3
 * expects the raw key there, and the SDK percent-encodes query parameters itself.
 *
 * A server that ignores the parameter answers without `EncodingType` (moto's ListObjectVersions does), and its names
 * are taken as they are: decoding them would turn a key's literal `%41` into `A`.
 */
import {
    CommonPrefix,
    ListObjectsV2Command,
    ListObjectsV2CommandInput,
    ListObjectsV2CommandOutput,
    ListObjectVersionsCommand,
    ListObjectVersionsCommandInput,
    ListObjectVersionsCommandOutput,
    S3Client,
} from "@aws-sdk/client-s3";

/**
 * Characters S3's XML cannot carry as they are: XML 1.0 forbids the C0 controls other than tab, LF and CR (the SDK
 * writes them raw, and S3 refuses the whole request body), plus U+FFFE and U+FFFF; CR survives a request (the SDK
 * writes `&#x0D;`) but comes back in a response as LF. A request body naming such a key (DeleteObjects) must name it
 * in a request of its own instead, where the key travels in the URL.
 */
const outsideXml = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\r\ufffe\uffff]/;

/** True when `key` cannot travel intact in S3's XML (see {@link outsideXml}). */
export function xmlCannotCarry(key: string): boolean {
    return outsideXml.test(key);
}

/** A listing request as callers write it: the encoding is this module's business. */
export type VersionsListingInput = Omit<ListObjectVersionsCommandInput, "EncodingType">;
export type ObjectsListingInput = Omit<ListObjectsV2CommandInput, "EncodingType">;

/** What `client.send` takes besides the command. */
export interface ListingSendOptions {
    readonly abortSignal?: AbortSignal;
}

/** One name from a url-encoded listing, decoded. `field` names the element for the error a malformed value raises. */
export function decodeListedName(value: string, field: string): string {
    try {
        return decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
        throw new Error(`S3 listing returned ${field} ${JSON.stringify(value)} as url-encoded, but it is not valid percent-encoded UTF-8`);
    }
}

function decodePrefixes(prefixes: CommonPrefix[] | undefined): CommonPrefix[] | undefined {
    return prefixes?.map((entry) => (entry.Prefix !== undefined ? { ...entry, Prefix: decodeListedName(entry.Prefix, "CommonPrefixes/Prefix") } : entry));
}

function decodeKeyed<T extends { Key?: string }>(entries: T[] | undefined, field: string): T[] | undefined {
    return entries?.map((entry) => (entry.Key !== undefined ? { ...entry, Key: decodeListedName(entry.Key, field) } : entry));
}

/** Echoes of the request, as sent (absent when not sent). */
function echoes<K extends string>(input: Partial<Record<K, string>>, fields: readonly K[]): Partial<Record<K, string>> {
    const result: Partial<Record<K, string>> = {};
    for (const field of fields) {
        result[field] = input[field];
    }
    return result;
}

/** A ListObjectVersions page with every name decoded (unchanged when the server did not encode). */
export function decodeVersionsPage(page: ListObjectVersionsCommandOutput, input: VersionsListingInput): ListObjectVersionsCommandOutput {
    if (page.EncodingType !== "url") {
        return page;
    }
    return {
        ...page,
        ...echoes(input, ["Prefix", "Delimiter", "KeyMarker"] as const),
        Versions: decodeKeyed(page.Versions, "Version/Key"),
        DeleteMarkers: decodeKeyed(page.DeleteMarkers, "DeleteMarker/Key"),
        CommonPrefixes: decodePrefixes(page.CommonPrefixes),
        NextKeyMarker: page.NextKeyMarker !== undefined ? decodeListedName(page.NextKeyMarker, "NextKeyMarker") : undefined,
    };
}

/** A ListObjectsV2 page with every name decoded (unchanged when the server did not encode). */
export function decodeObjectsV2Page(page: ListObjectsV2CommandOutput, input: ObjectsListingInput): ListObjectsV2CommandOutput {
    if (page.EncodingType !== "url") {
        return page;
    }
    return {
        ...page,
        ...echoes(input, ["Prefix", "Delimiter", "StartAfter"] as const),
        Contents: decodeKeyed(page.Contents, "Contents/Key"),
        CommonPrefixes: decodePrefixes(page.CommonPrefixes),
    };
}

/**
 * One ListObjectVersions page, url-encoded on the wire and decoded here. `configure` sees the command before it is
 * sent (to add per-call middleware).
 */
export async function listObjectVersionsPage(
    client: S3Client,
    input: VersionsListingInput,
    options: ListingSendOptions = {},
    configure?: (command: ListObjectVersionsCommand) => void,
): Promise<ListObjectVersionsCommandOutput> {
    const command = new ListObjectVersionsCommand({ ...input, EncodingType: "url" });
    configure?.(command);
    return decodeVersionsPage(await client.send(command, options), input);
}

/** One ListObjectsV2 page, url-encoded on the wire and decoded here. */
export async function listObjectsV2Page(client: S3Client, input: ObjectsListingInput, options: ListingSendOptions = {}): Promise<ListObjectsV2CommandOutput> {
    return decodeObjectsV2Page(await client.send(new ListObjectsV2Command({ ...input, EncodingType: "url" }), options), input);
}
