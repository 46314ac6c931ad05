/**
 * Keys XML cannot carry (CR, vertical tab), and keys url encoding could confuse (space, `+`, `%`, unicode beyond the
 * BMP), through every listing of the product: infra/aws/listing.ts itself, restore's listVersions and partitioned
 * planner, compare, `status --sample` and restore. moto ignores `encoding-type=url` for ListObjectVersions, so the
 * sides are reached through tests/emulator/encodingProxy.ts, which rewrites moto's answer as S3 writes it.
 */
import * as fs from "fs";
import * as path from "path";
import { ListObjectsV2CommandOutput, ListObjectVersionsCommand, ListObjectVersionsCommandOutput, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { decodeListedName, decodeObjectsV2Page, decodeVersionsPage, listObjectsV2Page } from "../../../infra/aws/listing";
import type { Side } from "../../../infra/aws/sides";
import { compareBuckets, CompareSide } from "../../../infra/compare/compare";
import { planPartitioned } from "../../../infra/restore/partitions";
import { compareKeys } from "../../../infra/restore/plan";
import { restoreToPointInTime } from "../../../infra/restore/restore";
import { listVersions } from "../../../infra/restore/versions";
import { takeSample } from "../../../infra/status/sample";
import { seededRandom, selectSample } from "../../../infra/status/sampleKeys";
import { EncodingProxy, encodeVersionsListing, startEncodingProxy } from "../../emulator/encodingProxy";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { emulatedBucketPair, EmulatedBucketPair } from "../../emulator/replicationCopier";
import { keySpaceOf, memoryLister } from "../status/memoryLister";
import { emulatorS3, secondBoundary, snapshot } from "../../support/versionedBucket";

/** Every kind of name the encoding must carry and the decoding must give back exactly (moto refuses a key holding LF). */
const awkwardKeys = [
    "k\rx",
    "a\x0bz",
    "a\rb",
    "soh\x01key",
    "sp ace",
    "plus+sign",
    "plus sign",
    "pct%41",
    "100%",
    "lit%2Bplus",
    "amp&<lt>\"q'",
    "dir one/é ü.txt",
    "dir one/tab\there",
    "dir+two/😀.bin",
    "astral/𝄞 music/x",
    "plain/file.txt",
];

describe("infra/aws/listing: names as S3 url-encodes them", () => {
    it("decodes S3's encoding: `+` and %20 are spaces, %2B a plus, control characters, %25, astral characters", () => {
        expect(decodeListedName("a+b%20c%2Bd", "Key")).to.equal("a b c+d");
        expect(decodeListedName("k%0Dx%0B%0A", "Key")).to.equal("k\rx\x0b\n");
        expect(decodeListedName("100%25%2541", "Key")).to.equal("100%%41");
        expect(decodeListedName("%F0%9F%98%80/%F0%9D%84%9E", "Key")).to.equal("😀/𝄞");
        expect(decodeListedName("dir/", "Prefix")).to.equal("dir/");
    });

    it("refuses a value that claims the encoding but is not valid percent-encoded UTF-8, naming the field", () => {
        expect(() => decodeListedName("bad%zz", "NextKeyMarker")).to.throw(/NextKeyMarker "bad%zz" as url-encoded/);
        expect(() => decodeListedName("%C3", "Contents/Key")).to.throw(/Contents\/Key/);
    });

    it("decodes every name of a ListObjectVersions page and restores the request's echoes", () => {
        const page = {
            $metadata: {},
            EncodingType: "url",
            Prefix: "d+x%2F",
            KeyMarker: "raw%zz",
            Versions: [{ Key: "d+x/k%0Dx", VersionId: "1" }],
            DeleteMarkers: [{ Key: "d+x/%F0%9F%98%80", VersionId: "2" }],
            CommonPrefixes: [{ Prefix: "d+x/sub%2Bdir/" }],
            NextKeyMarker: "d+x/%0B",
            NextVersionIdMarker: "v%2B",
        } as ListObjectVersionsCommandOutput;
        const decoded = decodeVersionsPage(page, { Bucket: "b", Prefix: "d x/", KeyMarker: "d x/a%zz" });
        expect(decoded.Versions?.map((v) => v.Key)).to.deep.equal(["d x/k\rx"]);
        expect(decoded.DeleteMarkers?.map((v) => v.Key)).to.deep.equal(["d x/😀"]);
        expect(decoded.CommonPrefixes).to.deep.equal([{ Prefix: "d x/sub+dir/" }]);
        expect(decoded).to.include({ NextKeyMarker: "d x/\x0b", Prefix: "d x/", KeyMarker: "d x/a%zz", NextVersionIdMarker: "v%2B" });
        expect(decoded.Delimiter).to.equal(undefined);
    });

    it("leaves a page alone when the server did not encode (no EncodingType in the answer): a literal %41 stays", () => {
        const page = { $metadata: {}, Versions: [{ Key: "pct%41+x" }], NextKeyMarker: "pct%41+x" } as ListObjectVersionsCommandOutput;
        expect(decodeVersionsPage(page, { Bucket: "b" })).to.equal(page);
        const v2 = { $metadata: {}, Contents: [{ Key: "pct%41+x" }] } as ListObjectsV2CommandOutput;
        expect(decodeObjectsV2Page(v2, { Bucket: "b" })).to.equal(v2);
    });

    it("no listing in infra/ bypasses infra/aws/listing.ts", () => {
        const root = path.resolve(__dirname, "..", "..", "..", "infra");
        const offenders: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const file = path.join(dir, entry.name);
                if (entry.isDirectory()) {
                    walk(file);
                } else if (file.endsWith(".ts") && !file.endsWith(path.join("aws", "listing.ts"))) {
                    const text = fs.readFileSync(file, "utf8");
                    if (/\bnew\s+List(ObjectVersions|ObjectsV2|Objects|MultipartUploads|Parts)Command\b|\bpaginateList/.test(text)) {
                        offenders.push(path.relative(root, file));
                    }
                }
            }
        };
        walk(root);
        expect(offenders, "listings must go through infra/aws/listing.ts so they are url-encoded and decoded").to.deep.equal([]);
    });

    it("the test proxy encodes moto's ListObjectVersions answer as S3 does", () => {
        const xml = "<ListVersionsResult><Prefix>a b/</Prefix><Version><Key>a b/k\rx+&amp;&lt;</Key></Version><CommonPrefixes><Prefix>a b/😀/</Prefix></CommonPrefixes></ListVersionsResult>";
        expect(encodeVersionsListing(xml)).to.equal(
            "<ListVersionsResult><Prefix>a+b/</Prefix><Version><Key>a+b/k%0Dx%2B%26%3C</Key></Version><CommonPrefixes><Prefix>a+b/%F0%9F%98%80/</Prefix></CommonPrefixes>" +
                "<EncodingType>url</EncodingType></ListVersionsResult>",
        );
    });
});

describe("awkward keys through every listing (moto behind an S3-encoding proxy)", function () {
    this.timeout(120_000);
    let buckets: EmulatedBucketPair;
    const proxies: Partial<Record<"primary" | "dr", EncodingProxy>> = {};
    /** Clients that reach each side through its proxy, as the product reaches S3. */
    let through: Record<"primary" | "dr", S3Client>;

    before(async () => {
        const servers = await emulatorPair();
        proxies.primary = await startEncodingProxy(servers.primary.endpoint);
        proxies.dr = await startEncodingProxy(servers.dr.endpoint);
        through = {
            primary: new S3Client({ endpoint: proxies.primary.endpoint, region: "us-east-1", forcePathStyle: true, credentials: emulatorCredentials }),
            dr: new S3Client({ endpoint: proxies.dr.endpoint, region: "us-west-2", forcePathStyle: true, credentials: emulatorCredentials }),
        };
    });

    after(async () => {
        through?.primary.destroy();
        through?.dr.destroy();
        await proxies.primary?.stop();
        await proxies.dr?.stop();
    });

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "listing", { replication: false });
    });

    const put = (role: "primary" | "dr", key: string, body: string) =>
        buckets[role].client.send(new PutObjectCommand({ Bucket: buckets[role].bucket, Key: key, Body: body }));
    const sorted = (keys: readonly string[]) => [...keys].sort(compareKeys);
    const listingsSince = (role: "primary" | "dr", from: number) => proxies[role]!.listings.slice(from);

    it("without the encoding the SDK mangles such keys (what the product must never do)", async () => {
        await put("primary", "k\rx", "x");
        const page = await through.primary.send(new ListObjectVersionsCommand({ Bucket: buckets.primary.bucket }));
        expect(page.Versions?.map((v) => v.Key)).to.deep.equal(["k\nx"]);
    });

    it("listVersions gives every key back exactly, in S3's order, across pages whose markers are such keys", async () => {
        for (const key of awkwardKeys) {
            await put("primary", key, `body of ${key}`);
            await put("primary", key, `second body of ${key}`);
        }
        const from = proxies.primary!.listings.length;
        const listed: string[] = [];
        let pages = 0;
        // Three entries a page: markers land inside a key's versions and between keys, on awkward names.
        for await (const entry of listVersions(through.primary, buckets.primary.bucket, { pageSize: 3, onPage: () => pages++ })) {
            listed.push(entry.key);
        }
        expect(pages).to.be.greaterThan(10);
        expect(listed).to.deep.equal(sorted(awkwardKeys).flatMap((key) => [key, key]));
        const queries = listingsSince("primary", from);
        expect(queries).to.have.length(pages);
        expect(queries.every((q) => new URLSearchParams(q).get("encoding-type") === "url")).to.equal(true);

        // Under a prefix with a space and a plus in it: the prefix is sent raw and matched by S3, not re-encoded.
        const under: string[] = [];
        for await (const entry of listVersions(through.primary, buckets.primary.bucket, { prefix: "dir+two/", pageSize: 1 })) {
            under.push(entry.key);
        }
        expect(under).to.deep.equal(["dir+two/😀.bin", "dir+two/😀.bin"]);
    });

    it("ListObjectsV2 (status --sample's listing) decodes keys and common prefixes", async () => {
        for (const key of awkwardKeys) {
            await put("primary", key, "x");
        }
        const page = await listObjectsV2Page(through.primary, { Bucket: buckets.primary.bucket, Delimiter: "/", StartAfter: "a\x0bz" });
        expect(page.Contents?.map((o) => o.Key)).to.deep.equal(sorted(awkwardKeys.filter((k) => !k.includes("/") && compareKeys(k, "a\x0bz") > 0)));
        expect(page.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal(sorted(["dir one/", "dir+two/", "astral/", "plain/"]));
        expect(page.StartAfter).to.equal("a\x0bz");
    });

    it("the partitioned planner splits at decoded common prefixes and plans every key once under its real name", async () => {
        for (const key of awkwardKeys) {
            await put("dr", key, "x");
        }
        const from = proxies.dr!.listings.length;
        const stats = { discoveryRequests: 0, probeRequests: 0, listRequests: 0, partitions: 0 };
        const planned: string[] = [];
        for await (const plan of planPartitioned(through.dr, buckets.dr.bucket, { to: new Date(Date.now() + 60_000), concurrency: 4, pageSize: 2 }, stats)) {
            planned.push(plan.key);
        }
        expect(sorted(planned)).to.deep.equal(sorted(awkwardKeys));
        expect(stats.discoveryRequests).to.be.greaterThan(1);
        expect(stats.partitions).to.be.greaterThan(1);
        const queries = listingsSince("dr", from);
        expect(queries.length).to.be.greaterThan(stats.discoveryRequests);
        expect(queries.every((q) => new URLSearchParams(q).get("encoding-type") === "url")).to.equal(true);
    });

    it("compare reports a differing CR key under its real name, and keys XML would reorder do not stop it", async () => {
        for (const key of awkwardKeys) {
            await Promise.all([put("primary", key, `body of ${key}`), put("dr", key, `body of ${key}`)]);
        }
        await Promise.all([put("primary", "k\rx", "evil!"), put("dr", "k\rx", "good!")]);
        const side = (role: "primary" | "dr"): CompareSide => ({ side: role, client: through[role], bucket: buckets[role].bucket, region: buckets[role].region });
        const result = await compareBuckets(side("primary"), side("dr"), { pageSize: 4 });
        expect(result).to.include({ verdict: "differs", keysCompared: awkwardKeys.length, same: awkwardKeys.length - 1 });
        expect(result.differing).to.deep.equal({ onlyPrimary: 0, onlyDr: 0, changed: 1, unknown: 0 });
        expect(result.first).to.have.length(1);
        expect(result.first[0]).to.include({ key: "k\rx", kind: "changed" });
    });

    it("status --sample compares the CR key itself and finds it differs", async () => {
        for (const key of awkwardKeys) {
            await Promise.all([put("primary", key, `body of ${key}`), put("dr", key, `body of ${key}`)]);
        }
        await Promise.all([put("primary", "k\rx", "evil!"), put("dr", "k\rx", "good!")]);
        const sideOf = (role: "primary" | "dr"): Side => ({ role, bucketName: buckets[role].bucket, region: buckets[role].region, endpoint: proxies[role]!.endpoint });
        const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
        process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
        try {
            // Both sides fit in one page: every key is compared.
            const all = await takeSample(sideOf("primary"), sideOf("dr"), { size: 50, prefix: "" }, { seed: 3 });
            expect(all).to.include({ exhaustive: true, keysCompared: awkwardKeys.length, same: awkwardKeys.length - 1 });
            expect(all.differing).to.deep.equal({ onlyPrimary: 0, onlyDr: 0, changed: 1, unknown: 0 });
            expect(all.first).to.have.length(1);
            expect(all.first[0]).to.include({ key: "k\rx", kind: "changed" });
            // Pages of 3: random descents through common prefixes and StartAfter seeks on awkward names. Every key
            // drawn is a real key on both sides (a mangled name would be missing from both, or unknown).
            const drawn = await takeSample(sideOf("primary"), sideOf("dr"), { size: 10, prefix: "" }, { seed: 5, pageSize: 3 });
            // The same draws over an in-memory model of S3's listing of these very keys choose the same keys.
            const space = keySpaceOf(awkwardKeys);
            const model = await selectSample({ primary: memoryLister(space).list, dr: memoryLister(space).list }, { size: 10, prefix: "" }, { random: seededRandom(5), pageSize: 3 });
            expect(model.keys.length).to.be.greaterThan(3);
            expect(drawn).to.include({ exhaustive: false, keysCompared: model.keys.length });
            expect(drawn.differing.onlyPrimary + drawn.differing.onlyDr + drawn.differing.unknown).to.equal(0);
            const modelKeys = model.keys.map((k) => k.key);
            expect(drawn.first.map((d) => d.key)).to.deep.equal(modelKeys.includes("k\rx") ? ["k\rx"] : []);
        } finally {
            for (const [name, value] of [["AWS_ACCESS_KEY_ID", saved.id], ["AWS_SECRET_ACCESS_KEY", saved.secret]] as const) {
                if (value === undefined) delete process.env[name];
                else process.env[name] = value;
            }
        }
    });

    it("restore returns awkward keys to T: the attacker's CR key is hidden, an overwritten one copied back, no failures", async () => {
        const bucket = buckets.primary.bucket;
        for (const key of awkwardKeys) {
            await put("primary", key, `body of ${key}`);
        }
        const T = await secondBoundary();
        const atT = await snapshot(emulatorS3(buckets.primary.endpoint), bucket);
        expect(sorted([...atT.keys()])).to.deep.equal(sorted(awkwardKeys));
        await put("primary", "evil\rkey", "ransom");
        await put("primary", "a\x0bz", "encrypted");
        await put("primary", "dir+two/😀.bin", "encrypted");

        const result = await restoreToPointInTime({ bucketName: bucket, region: "us-east-1" }, { to: T, client: through.primary, pageSize: 3, listConcurrency: 3 });
        expect(result.failures.count).to.equal(0);
        expect(result.plan.deleteMarker.firstKeys).to.deep.equal(["evil\rkey"]);
        expect(sorted(result.plan.copy.firstKeys)).to.deep.equal(sorted(["a\x0bz", "dir+two/😀.bin"]));
        expect(result.plan.unchanged).to.equal(awkwardKeys.length - 2);
        const after = await snapshot(emulatorS3(buckets.primary.endpoint), bucket);
        expect(after).to.deep.equal(atT);
    });
});
