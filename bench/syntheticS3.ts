/**
 * A generated versioned bucket behind just enough of the S3 REST API for a restore (GetBucketVersioning,
 * ListObjectVersions, CopyObject, DeleteObject, and HeadObject and GetObjectTagging for the identity check), on
 * 127.0.0.1. It exists because moto deep-copies every version
 * of the bucket on every ListObjectVersions page (quadratic time, and gigabytes of memory at 50,000 versions), so
 * moto cannot show how restore scales. Run as its own process (`fork`), so its memory never counts as the
 * restore's. Versions are computed from the key index, not stored; only the restore's own writes are remembered.
 *
 * Bucket model: keys `data/<index>` (or `data/d<dir>/<index>` with `fanout` directories), each with `versions`
 * versions written one second apart before T; every `changeEvery`-th key changed after T (one in five of them
 * deleted, the others overwritten; with `metadataAttack`, overwritten with the same bytes and
 * `x-amz-meta-file-permissions` 0100777, as an exported `chmod 777` is). Every version carries FSx-style metadata and
 * one tag; a copy carries its source's. ListObjectVersions follows S3: `prefix`, `delimiter` (common prefixes count
 * as entries), `key-marker` alone lists the keys after it, with `version-id-marker` it continues inside that key,
 * `encoding-type=url` percent-encodes the names and says so (as S3 does; the generated names need no encoding, but
 * the client's decoding runs as it does against S3). An
 * optional `latencyMs` delays every response (without blocking the server), as S3's request latency would.
 */
import * as http from "http";

interface Entry {
    readonly versionId: string;
    readonly deleteMarker: boolean;
    readonly lastModified: Date;
    readonly eTag: string;
    readonly size: number;
    /** `x-amz-meta-file-permissions`. */
    readonly permissions: string;
}

export interface SyntheticBucketModel {
    readonly keys: number;
    readonly versions: number;
    readonly changeEvery: number;
    /** Seconds since the epoch of the first version. */
    readonly start: number;
    /** Changed keys keep their bytes and change only metadata. @default false */
    readonly metadataAttack?: boolean;
    /** Top-level directories under `data/`; 0 for one flat directory. @default 0 */
    readonly fanout?: number;
    /** Added to every response, as S3's latency. @default 0 */
    readonly latencyMs?: number;
}

/** T for a model: after every original version, before every change. */
export function syntheticT(model: SyntheticBucketModel): Date {
    return new Date((model.start + model.versions + 5) * 1000);
}

const keyNamer = (model: SyntheticBucketModel) => (index: number) =>
    model.fanout
        ? `data/d${String(Math.floor((index * model.fanout) / model.keys)).padStart(4, "0")}/${String(index).padStart(9, "0")}`
        : `data/${String(index).padStart(9, "0")}`;
const indexOf = (key: string) => Number(key.slice(-9));
const compare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function serve(model: SyntheticBucketModel, bucket: string): http.Server {
    const keyName = keyNamer(model);
    /** The first index whose key sorts after `marker` (key names grow with the index). */
    const firstAfter = (marker: string, orEqual = false): number => {
        let low = 0;
        let high = model.keys;
        while (low < high) {
            const middle = (low + high) >> 1;
            const order = compare(keyName(middle), marker);
            if (order > 0 || (orEqual && order === 0)) high = middle;
            else low = middle + 1;
        }
        return low;
    };
    const written = new Map<number, Entry[]>();
    let writes = 0;
    const history = (index: number): Entry[] => {
        const entries: Entry[] = [];
        for (let v = model.versions - 1; v >= 0; v--) {
            entries.push({ versionId: `${index}.${v}`, deleteMarker: false, lastModified: new Date((model.start + v) * 1000), eTag: `"e${index}.${v}"`, size: 100 + v, permissions: "0100644" });
        }
        if (index % model.changeEvery === 0) {
            const at = new Date((model.start + model.versions + 60) * 1000);
            const latest = entries[0];
            entries.unshift(
                index % (model.changeEvery * 5) === 0
                    ? { versionId: `${index}.dm`, deleteMarker: true, lastModified: at, eTag: "", size: 0, permissions: "" }
                    : model.metadataAttack
                      ? { ...latest, versionId: `${index}.x`, lastModified: at, permissions: "0100777" }
                      : { versionId: `${index}.x`, deleteMarker: false, lastModified: at, eTag: `"x${index}"`, size: 7, permissions: "0100644" },
            );
        }
        return [...(written.get(index) ?? []), ...entries];
    };
    const xmlEntry = (key: string, entry: Entry, isLatest: boolean) =>
        entry.deleteMarker
            ? `<DeleteMarker><Key>${key}</Key><VersionId>${entry.versionId}</VersionId><IsLatest>${isLatest}</IsLatest><LastModified>${entry.lastModified.toISOString()}</LastModified></DeleteMarker>`
            : `<Version><Key>${key}</Key><VersionId>${entry.versionId}</VersionId><IsLatest>${isLatest}</IsLatest><LastModified>${entry.lastModified.toISOString()}</LastModified><ETag>${entry.eTag}</ETag><Size>${entry.size}</Size><StorageClass>STANDARD</StorageClass></Version>`;

    function list(query: URLSearchParams): string {
        const name = query.get("encoding-type") === "url" ? (raw: string) => encodeURIComponent(raw).replace(/%2F/g, "/") : (raw: string) => raw;
        const page = (parts: string[], truncated: boolean, next: { key: string; versionId?: string } | undefined, prefixes: string[]) =>
            `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name>` +
            `<IsTruncated>${truncated}</IsTruncated>` +
            (truncated && next ? `<NextKeyMarker>${name(next.key)}</NextKeyMarker>${next.versionId ? `<NextVersionIdMarker>${next.versionId}</NextVersionIdMarker>` : ""}` : "") +
            `${parts.join("")}${prefixes.join("")}${query.get("encoding-type") === "url" ? "<EncodingType>url</EncodingType>" : ""}</ListVersionsResult>`;
        const maxKeys = Math.min(Number(query.get("max-keys") ?? 1000), 1000);
        const prefix = query.get("prefix") ?? "";
        const delimiter = query.get("delimiter") ?? "";
        const keyMarker = query.get("key-marker");
        const versionMarker = query.get("version-id-marker");
        // A prefix may be a whole key (compare asks whether a key exists with Prefix=key, MaxKeys=1): the first key at
        // or after the prefix is the first one in it.
        let index = firstAfter(prefix, true);
        let position = 0;
        if (keyMarker) {
            if (versionMarker && /^\d{9}$/.test(keyMarker.slice(-9)) && keyName(indexOf(keyMarker)) === keyMarker) {
                index = indexOf(keyMarker);
                const entries = history(index);
                position = entries.findIndex((entry) => entry.versionId === versionMarker) + 1;
            } else {
                index = Math.max(index, firstAfter(keyMarker));
            }
        }
        const parts: string[] = [];
        const prefixes: string[] = [];
        let last: { key: string; versionId?: string } | undefined;
        for (; index < model.keys; index++, position = 0) {
            const key = keyName(index);
            if (!key.startsWith(prefix)) {
                if (compare(key, prefix) > 0) break;
                continue;
            }
            const slash = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
            if (slash >= 0) {
                const common = key.slice(0, slash + 1);
                if (parts.length + prefixes.length === maxKeys) return page(parts, true, last, prefixes);
                prefixes.push(`<CommonPrefixes><Prefix>${name(common)}</Prefix></CommonPrefixes>`);
                last = { key: common };
                index = firstAfter(`${common}\uffff`) - 1;
                continue;
            }
            const entries = history(index);
            for (; position < entries.length; position++) {
                if (parts.length + prefixes.length === maxKeys) {
                    return page(parts, true, last, prefixes);
                }
                parts.push(xmlEntry(name(key), entries[position], position === 0));
                last = { key, versionId: entries[position].versionId };
            }
        }
        return page(parts, false, undefined, prefixes);
    }

    function write(index: number, entry: Entry): void {
        written.set(index, [entry, ...(written.get(index) ?? [])]);
    }

    return http.createServer((request, response) => {
        const delay = model.latencyMs ?? 0;
        if (delay > 0) {
            const end = response.end.bind(response);
            response.end = ((...args: Parameters<typeof end>) => {
                setTimeout(() => end(...args), delay);
                return response;
            }) as typeof response.end;
        }
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const [, , ...keyParts] = url.pathname.split("/");
        const key = decodeURIComponent(keyParts.join("/"));
        request.resume();
        request.on("end", () => {
            if (request.method === "GET" && url.searchParams.has("versioning")) {
                response.end(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`);
            } else if (request.method === "GET" && url.searchParams.has("versions")) {
                response.setHeader("content-type", "application/xml");
                response.end(list(url.searchParams));
            } else if ((request.method === "HEAD" || (request.method === "GET" && url.searchParams.has("tagging"))) && url.searchParams.has("versionId")) {
                const index = indexOf(key);
                const entry = history(index).find((candidate) => candidate.versionId === url.searchParams.get("versionId"));
                if (!entry || entry.deleteMarker) {
                    response.statusCode = 404;
                    response.end();
                } else if (request.method === "HEAD") {
                    response.setHeader("content-length", entry.size);
                    response.setHeader("etag", entry.eTag);
                    response.setHeader("last-modified", entry.lastModified.toUTCString());
                    response.setHeader("x-amz-version-id", entry.versionId);
                    response.setHeader("content-type", "application/octet-stream");
                    response.setHeader("x-amz-meta-file-owner", "1000");
                    response.setHeader("x-amz-meta-file-group", "1000");
                    response.setHeader("x-amz-meta-file-permissions", entry.permissions);
                    response.setHeader("x-amz-tagging-count", "1");
                    response.end();
                } else {
                    response.setHeader("content-type", "application/xml");
                    response.end(`<Tagging><TagSet><Tag><Key>project</Key><Value>p${index % 100}</Value></Tag></TagSet></Tagging>`);
                }
            } else if (request.method === "PUT" && request.headers["x-amz-copy-source"]) {
                const source = decodeURIComponent(String(request.headers["x-amz-copy-source"]));
                const sourceVersion = source.slice(source.indexOf("?versionId=") + "?versionId=".length);
                const index = indexOf(key);
                const original = history(index).find((entry) => entry.versionId === sourceVersion);
                const versionId = `${index}.r${++writes}`;
                write(index, { versionId, deleteMarker: false, lastModified: new Date(), eTag: original?.eTag ?? '"?"', size: original?.size ?? 0, permissions: original?.permissions ?? "" });
                response.setHeader("x-amz-version-id", versionId);
                response.end(`<CopyObjectResult><ETag>${original?.eTag}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`);
            } else if (request.method === "DELETE" && !url.searchParams.has("versionId")) {
                const index = indexOf(key);
                const versionId = `${index}.d${++writes}`;
                write(index, { versionId, deleteMarker: true, lastModified: new Date(), eTag: "", size: 0, permissions: "" });
                response.statusCode = 204;
                response.setHeader("x-amz-version-id", versionId);
                response.setHeader("x-amz-delete-marker", "true");
                response.end();
            } else {
                response.statusCode = 501;
                response.end(`<Error><Code>NotImplemented</Code><Message>${request.method} ${url.pathname}${url.search}</Message></Error>`);
            }
        });
    });
}

// Child-process entry: `fork(__filename, [JSON model, bucket])` prints the port on the IPC channel.
if (require.main === module) {
    const [modelJson, bucket] = process.argv.slice(2);
    const server = serve(JSON.parse(modelJson) as SyntheticBucketModel, bucket);
    server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
    });
    process.on("disconnect", () => process.exit(0));
}
