/**
 * What moto cannot show: S3 replication gives a replica its source's version id, so keys with the same latest version
 * id on both sides compare without a read. Also the HEAD's own ReplicationStatus header (moto never sets it) and a
 * read that fails. Each side is its own mocked client, as each side has its own credentials.
 */
import {
    GetObjectTaggingCommand,
    HeadObjectCommand,
    ListObjectVersionsCommand,
    ObjectVersion,
    S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { CompareListingError, CompareSide, compareBuckets, KeyDivergence } from "../../../infra/compare/compare";

const at = new Date("2026-11-25T08:00:00Z");
const later = new Date("2026-11-25T09:00:00Z");

// The SDK types ListObjectVersions' StorageClass as STANDARD only; S3 lists every class there.
function version(key: string, versionId: string, extra: Partial<ObjectVersion> = {}): ObjectVersion {
    return { Key: key, VersionId: versionId, IsLatest: true, LastModified: at, ETag: `"${versionId}"`, Size: 10, StorageClass: "STANDARD", ...extra };
}

function side(role: "primary" | "dr") {
    const client = new S3Client({ region: role === "primary" ? "us-east-1" : "us-west-2", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const mock = mockClient(client);
    const compareSide: CompareSide = { side: role, client, bucket: `bucket-${role}`, region: role === "primary" ? "us-east-1" : "us-west-2" };
    return { mock, compareSide };
}

describe("infra/compare with S3's version ids (mocked clients)", () => {
    it("compares keys whose latest version id is the same on both sides without a HEAD, and sees a storage class change in the listing", async () => {
        const primary = side("primary");
        const dr = side("dr");
        const keys = Array.from({ length: 5 }, (_, i) => `k${i}`);
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: keys.map((k) => version(k, `v-${k}`)) });
        dr.mock.on(ListObjectVersionsCommand).resolves({
            IsTruncated: false,
            Versions: keys.map((k) => version(k, `v-${k}`, k === "k3" ? { StorageClass: "GLACIER_IR" as unknown as ObjectVersion["StorageClass"] } : {})),
        });
        const result = await compareBuckets(primary.compareSide, dr.compareSide);
        expect(primary.mock.commandCalls(HeadObjectCommand)).to.have.length(0);
        expect(dr.mock.commandCalls(HeadObjectCommand)).to.have.length(0);
        expect(result.requests).to.deep.equal({ list: 2, head: 0, tagging: 0 });
        expect(result).to.include({ same: 4, keysCompared: 5, sameVersionTags: false });
        expect(result.first).to.deep.equal([
            {
                key: "k3",
                kind: "changed",
                primaryVersion: "v-k3",
                drVersion: "v-k3",
                differences: [{ aspect: "storage-class", name: "storage class", atT: "STANDARD", now: "GLACIER_IR" }],
            },
        ]);
    });

    it("with tags, reads the tags of shared versions and finds one changed in place", async () => {
        const primary = side("primary");
        const dr = side("dr");
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("a", "va"), version("b", "vb")] });
        dr.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("a", "va"), version("b", "vb")] });
        primary.mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "class", Value: "secret" }] });
        dr.mock.on(GetObjectTaggingCommand, { Key: "a" }).resolves({ TagSet: [{ Key: "class", Value: "secret" }] });
        dr.mock.on(GetObjectTaggingCommand, { Key: "b" }).resolves({ TagSet: [{ Key: "class", Value: "public" }] });
        const result = await compareBuckets(primary.compareSide, dr.compareSide, { tags: true });
        expect(result.requests).to.deep.equal({ list: 2, head: 0, tagging: 4 });
        expect(result.sameVersionTags).to.equal(true);
        expect(result.first).to.deep.equal([
            { key: "b", kind: "changed", primaryVersion: "vb", drVersion: "vb", differences: [{ aspect: "tags", name: "tag class", atT: "secret", now: "public" }] },
        ]);
        // each side's tags were read from its own bucket, of the shared version
        expect(dr.mock.commandCalls(GetObjectTaggingCommand).map((call) => call.args[0].input)).to.deep.include({ Bucket: "bucket-dr", Key: "b", VersionId: "vb" });
    });

    it("reads a version's replication status from HeadObject's header by default", async () => {
        const primary = side("primary");
        const dr = side("dr");
        primary.mock.on(ListObjectVersionsCommand).resolves({
            IsTruncated: false,
            Versions: [version("moving", "v2", { LastModified: later, Size: 11 }), version("new", "vn", { LastModified: later }), version("stuck", "vs", { LastModified: later })],
        });
        dr.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("moving", "v1")] });
        primary.mock.on(HeadObjectCommand, { Key: "moving" }).resolves({ ReplicationStatus: "PENDING", ContentLength: 11, ETag: '"v2"' });
        primary.mock.on(HeadObjectCommand, { Key: "new" }).resolves({ ReplicationStatus: "PENDING" });
        primary.mock.on(HeadObjectCommand, { Key: "stuck" }).resolves({ ReplicationStatus: "FAILED" });
        dr.mock.on(HeadObjectCommand).resolves({ ReplicationStatus: "REPLICA", ContentLength: 10, ETag: '"v1"' });
        primary.mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
        dr.mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
        const result = await compareBuckets(primary.compareSide, dr.compareSide);
        expect(result.pending).to.equal(2);
        expect(result.pendingKeys).to.deep.equal(["moving", "new"]);
        // both pending versions were written at `later`, as the primary's listing says
        expect(result.oldestPendingSince).to.equal(later.toISOString());
        expect(result.first).to.deep.equal([{ key: "stuck", kind: "only-primary", versionId: "vs", replicationStatus: "FAILED" }]);
        expect(result.verdict).to.equal("differs");
    });

    it("reports a key whose HEAD fails as unknown, never as the same", async () => {
        const primary = side("primary");
        const dr = side("dr");
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("k", "v1")] });
        dr.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("k", "v2")] });
        primary.mock.on(HeadObjectCommand).resolves({ ContentLength: 10 });
        dr.mock.on(HeadObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
        const result = await compareBuckets(primary.compareSide, dr.compareSide);
        expect(result.verdict).to.equal("differs");
        expect(result.differing.unknown).to.equal(1);
        const unknown = result.first[0] as Extract<KeyDivergence, { kind: "unknown" }>;
        expect(unknown.reason).to.match(/could not be read: AccessDenied: Access Denied/);
    });

    it("holds each side to its expected owner account on every request it sends", async () => {
        const primary = side("primary");
        const dr = side("dr");
        const sides = { primary: { ...primary.compareSide, expectedOwner: "111111111111" }, dr: { ...dr.compareSide, expectedOwner: "222222222222" } };
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("changed", "p1"), version("only-primary", "o1"), version("shared", "s1")] });
        dr.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("changed", "d1"), version("shared", "s1")] });
        for (const { mock } of [primary, dr]) {
            mock.on(HeadObjectCommand).resolves({ ContentLength: 10, ETag: '"x"' });
            mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
        }
        await compareBuckets(sides.primary, sides.dr, { tags: true });
        for (const [role, { mock }] of [["primary", primary], ["dr", dr]] as const) {
            const calls = mock.calls();
            // list, the changed key's HEAD and tags, the shared version's tags; the primary also HEADs its one-sided key
            expect(calls.length, role).to.equal(role === "primary" ? 5 : 4);
            for (const call of calls) {
                expect((call.args[0].input as { ExpectedBucketOwner?: string }).ExpectedBucketOwner, `${role} ${call.args[0].constructor.name}`).to.equal(sides[role].expectedOwner);
            }
        }
    });

    it("refuses to compare a bucket with itself before listing it", async () => {
        const primary = side("primary");
        const dr = side("dr");
        let error: unknown;
        try {
            await compareBuckets(primary.compareSide, { ...dr.compareSide, bucket: "bucket-primary", region: "us-east-1" });
        } catch (caught) {
            error = caught;
        }
        expect((error as Error).message).to.equal("the primary and dr sides are the same bucket (bucket-primary): name two different buckets");
        expect(primary.mock.calls()).to.have.length(0);
    });

    it("fails, never answers, when a side's listing fails after its first page", async () => {
        const primary = side("primary");
        const dr = side("dr");
        const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: keys.map((k) => version(k, `v-${k}`)) });
        dr.mock
            .on(ListObjectVersionsCommand)
            .resolvesOnce({ IsTruncated: true, NextKeyMarker: "k2", NextVersionIdMarker: "v-k2", Versions: keys.slice(0, 3).map((k) => version(k, `v-${k}`)) })
            .rejects(Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $metadata: { httpStatusCode: 503 } }));
        let error: unknown;
        try {
            await compareBuckets(primary.compareSide, dr.compareSide, { pageSize: 3 });
        } catch (caught) {
            error = caught;
        }
        expect(error).to.be.instanceOf(CompareListingError);
        expect((error as Error).message).to.match(/^listing the dr bucket s3:\/\/bucket-dr \(us-west-2\) failed: SlowDown/);
        expect(dr.mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input.KeyMarker)).to.deep.equal([undefined, "k2"]);
    });

    it("fails when either side's listing fails, naming nothing as compared", async () => {
        const primary = side("primary");
        const dr = side("dr");
        primary.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [version("k", "v1")] });
        dr.mock.on(ListObjectVersionsCommand).rejects(Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" }));
        let error: unknown;
        try {
            await compareBuckets(primary.compareSide, dr.compareSide);
        } catch (caught) {
            error = caught;
        }
        expect(error).to.be.instanceOf(CompareListingError);
        expect((error as CompareListingError).side.side).to.equal("dr");
        expect(((error as Error).cause as Error).name).to.equal("NoSuchBucket");
        expect((error as Error).message).to.equal("listing the dr bucket s3://bucket-dr (us-west-2) failed: NoSuchBucket: The specified bucket does not exist");
    });
});
