import { expect } from "chai";
import { Readable } from "stream";
import { S3Client } from "@aws-sdk/client-s3";
import { interleavePage, listVersions } from "../../../infra/restore/versions";
import { VersionEntry } from "../../../infra/restore/plan";

const t0 = new Date("2026-11-20T12:00:00.000Z");
const t1 = new Date("2026-11-20T12:00:01.000Z");
const t2 = new Date("2026-11-20T12:00:02.000Z");

/**
 * Two pages as S3 writes them: versions and delete markers interleaved; key "a" straddles the page boundary and
 * its delete marker d1 shares a LastModified with the older version v1 on the same page.
 */
const pages: Record<string, string> = {
    first: `<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>
  <NextKeyMarker>a</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>
  <Version><Key>a</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest><LastModified>${t2.toISOString()}</LastModified><ETag>"e3"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Version>
  <DeleteMarker><Key>a</Key><VersionId>d1</VersionId><IsLatest>false</IsLatest><LastModified>${t1.toISOString()}</LastModified></DeleteMarker>
  <Version><Key>a</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><LastModified>${t1.toISOString()}</LastModified><ETag>"e1"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Version>
</ListVersionsResult>`,
    second: `<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix></Prefix><KeyMarker>a</KeyMarker><VersionIdMarker>v1</VersionIdMarker><MaxKeys>3</MaxKeys><IsTruncated>false</IsTruncated>
  <Version><Key>a</Key><VersionId>v0</VersionId><IsLatest>false</IsLatest><LastModified>${t0.toISOString()}</LastModified><ETag>"e0"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Version>
  <DeleteMarker><Key>b &amp; &lt;Version&gt;</Key><VersionId>d2</VersionId><IsLatest>true</IsLatest><LastModified>${t2.toISOString()}</LastModified></DeleteMarker>
  <Version><Key>b &amp; &lt;Version&gt;</Key><VersionId>v9</VersionId><IsLatest>false</IsLatest><LastModified>${t1.toISOString()}</LastModified><ETag>"e9"</ETag><Size>9</Size><StorageClass>STANDARD</StorageClass></Version>
</ListVersionsResult>`,
};

/** An S3 client whose HTTP layer serves the pages above (no network at all) and records the query strings. */
function clientServingPages(queries: Array<Record<string, string | string[] | null>>): S3Client {
    return new S3Client({
        region: "us-east-1",
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
        requestHandler: {
            async handle(request: { query?: Record<string, string | string[] | null> }) {
                const query = request.query ?? {};
                queries.push(query);
                const body = query["key-marker"] ? pages.second : pages.first;
                return { response: { statusCode: 200, headers: { "content-type": "application/xml" }, body: Readable.from([Buffer.from(body)]) } };
            },
        },
    });
}

const ids = (entries: readonly VersionEntry[]) => entries.map((entry) => `${entry.key}:${entry.versionId}`);

describe("infra/restore/versions", () => {
    it("keeps S3's order from the raw response, where times alone cannot tell a version from a delete marker", async () => {
        const queries: Array<Record<string, string | string[] | null>> = [];
        const entries: VersionEntry[] = [];
        for await (const entry of listVersions(clientServingPages(queries), "bucket", { pageSize: 3 })) {
            entries.push(entry);
        }
        // d1 and v1 share a LastModified; only the order S3 wrote them in says d1 is newer.
        expect(ids(entries)).to.deep.equal(["a:v3", "a:d1", "a:v1", "a:v0", "b & <Version>:d2", "b & <Version>:v9"]);
        expect(entries[1]).to.include({ deleteMarker: true, size: 0 });
        expect(queries.map((query) => [query["key-marker"] ?? null, query["version-id-marker"] ?? null, query["max-keys"]])).to.deep.equal([
            [null, null, "3"],
            ["a", "v1", "3"],
        ]);
    });

    it("merges by key and time when the recorded element order is not a listing order (the emulator groups elements)", () => {
        const version = (key: string, id: string, at: Date, isLatest: boolean) => ({ Key: key, VersionId: id, LastModified: at, IsLatest: isLatest, ETag: `"${id}"`, Size: 1 });
        const versions = [version("a", "v2", t2, true), version("b", "v5", t1, false)];
        const markers = [{ Key: "a", VersionId: "d1", LastModified: t1, IsLatest: false }, { Key: "b", VersionId: "d6", LastModified: t2, IsLatest: true }];
        const grouped = interleavePage(versions, markers, ["Version", "Version", "DeleteMarker", "DeleteMarker"]);
        expect(ids(grouped)).to.deep.equal(["a:v2", "a:d1", "b:d6", "b:v5"]);
        expect(ids(interleavePage(versions, markers))).to.deep.equal(ids(grouped));
    });

    it("puts the latest entry first among equal times when merging", () => {
        const entries = interleavePage(
            [{ Key: "a", VersionId: "v1", LastModified: t1, IsLatest: false, Size: 1 }],
            [{ Key: "a", VersionId: "d1", LastModified: t1, IsLatest: true }],
        );
        expect(ids(entries)).to.deep.equal(["a:d1", "a:v1"]);
    });
});
