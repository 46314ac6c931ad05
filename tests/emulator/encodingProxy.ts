/**
 * A pass-through proxy on 127.0.0.1 in front of a moto server that makes moto's ListObjectVersions honour
 * `encoding-type=url` as S3 does. moto ignores the parameter there: it writes a key's CR or vertical tab raw into the
 * XML, and the SDK's parser turns CR into LF (and the other characters XML 1.0 cannot carry are lost too), which is
 * exactly the defect lustre-dr's listings avoid by asking S3 to encode. Here the response is rewritten the way S3
 * writes it: `Key`, `Prefix` (top level and in `CommonPrefixes`), `Delimiter`, `KeyMarker` and `NextKeyMarker`
 * percent-encoded (UTF-8), a space as `+` and a literal `+` as `%2B` (as S3 has been observed to answer), `/` left
 * as it is, and `<EncodingType>url</EncodingType>` added. moto's ListObjectsV2 already encodes (with `%20` for a
 * space), so it passes through, as does every other request.
 *
 * `listings` records every ListObjectVersions and ListObjectsV2 request's query, so a test can prove that each asked
 * for the encoding.
 */
import * as http from "http";

export interface EncodingProxy {
    readonly endpoint: string;
    /** The query string of every listing request seen (ListObjectVersions and ListObjectsV2). */
    readonly listings: readonly string[];
    stop(): Promise<void>;
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
    return text.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g, (_, hex: string | undefined, decimal: string | undefined, name: string | undefined) =>
        hex !== undefined ? String.fromCodePoint(parseInt(hex, 16)) : decimal !== undefined ? String.fromCodePoint(Number(decimal)) : entities[name ?? "amp"],
    );
}

/** S3's url encoding of a name, as observed: form encoding (space as `+`), `/` kept. */
export function s3UrlEncode(name: string): string {
    return encodeURIComponent(name).replace(/%20/g, "+").replace(/%2F/g, "/");
}

/** A ListObjectVersions body with every name S3 would encode encoded, and the EncodingType element S3 adds. */
export function encodeVersionsListing(xml: string): string {
    return xml
        .replace(/<(Key|Prefix|Delimiter|KeyMarker|NextKeyMarker)>([^<]*)<\/\1>/g, (_, element: string, text: string) => `<${element}>${s3UrlEncode(unescapeXml(text))}</${element}>`)
        .replace("</ListVersionsResult>", "<EncodingType>url</EncodingType></ListVersionsResult>");
}

export async function startEncodingProxy(target: string): Promise<EncodingProxy> {
    const upstream = new URL(target);
    const listings: string[] = [];
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", target);
        const isVersions = request.method === "GET" && url.searchParams.has("versions");
        if (isVersions || (request.method === "GET" && url.searchParams.get("list-type") === "2")) {
            listings.push(url.search);
        }
        const rewrite = isVersions && url.searchParams.get("encoding-type") === "url";
        const forwarded = http.request(
            { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
            (answer) => {
                if (!rewrite || answer.statusCode !== 200) {
                    response.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(response);
                    return;
                }
                const chunks: Buffer[] = [];
                answer.on("data", (chunk: Buffer) => chunks.push(chunk));
                answer.on("end", () => {
                    const body = Buffer.from(encodeVersionsListing(Buffer.concat(chunks).toString("utf8")), "utf8");
                    const headers = { ...answer.headers, "content-length": String(body.length) };
                    delete headers["transfer-encoding"];
                    response.writeHead(200, headers);
                    response.end(body);
                });
            },
        );
        forwarded.on("error", (error) => {
            response.writeHead(502, { "content-type": "text/plain" });
            response.end(String(error));
        });
        request.pipe(forwarded);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        listings,
        stop: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
