import { expect } from "chai";
import {
    DeleteObjectCommand,
    GetObjectCommand,
    ListObjectVersionsCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { emulatorPair } from "./moto";
import { EmulatedBucketPair, emulatedBucketPair, ReplicationCopier, ReplicationCopierOptions } from "./replicationCopier";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function versionsOf(client: S3Client, bucket: string, key: string) {
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return {
        versions: (listed.Versions ?? []).filter((v) => v.Key === key),
        markers: (listed.DeleteMarkers ?? []).filter((m) => m.Key === key),
    };
}

/** Polls until `probe` finds something; the bound only turns a hang into a failure, so it is generous for loaded machines. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const found = await probe();
        if (found !== undefined) {
            return found;
        }
        await sleep(25);
    }
    throw new Error(`timed out waiting for ${what}`);
}

describe("emulator replication copier", function () {
    this.timeout(60_000);
    let buckets: EmulatedBucketPair;
    let copier: ReplicationCopier | undefined;

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "copier");
    });
    afterEach(async () => {
        await copier?.stop();
        copier = undefined;
    });

    const startCopier = async (options: Partial<ReplicationCopierOptions> = {}) => {
        copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 300, ...options });
        await copier.start();
        return copier;
    };

    it("copies a new version with its content and metadata after the delay, and marks the replica", async () => {
        const c = await startCopier();
        const sentAt = Date.now();
        const put = await buckets.primary.client.send(
            new PutObjectCommand({
                Bucket: buckets.primary.bucket,
                Key: "data/a.txt",
                Body: "hello",
                ContentType: "text/plain",
                Metadata: { owner: "team-a" },
            }),
        );
        expect(c.replicationStatus("primary", "data/a.txt", put.VersionId!)).to.be.oneOf([undefined, "PENDING"]);
        const replica = await waitFor("the replica", async () => {
            const { versions } = await versionsOf(buckets.dr.client, buckets.dr.bucket, "data/a.txt");
            return versions[0];
        });
        // The copier cannot have seen the object before it was sent, so the replica shows 300 ms after that at the earliest.
        expect(Date.now() - sentAt).to.be.at.least(300);
        const object = await buckets.dr.client.send(new GetObjectCommand({ Bucket: buckets.dr.bucket, Key: "data/a.txt" }));
        expect(await object.Body?.transformToString()).to.equal("hello");
        expect(object.ContentType).to.equal("text/plain");
        expect(object.Metadata).to.deep.equal({ owner: "team-a" });

        const [record] = c.replications();
        expect(record).to.include({ from: "primary", to: "dr", key: "data/a.txt", sourceVersionId: put.VersionId, deleteMarker: false });
        expect(record.replicaVersionId).to.equal(replica.VersionId);
        expect(record.replicatedAt - record.seenAt).to.be.at.least(300);
        expect(c.replicationStatus("primary", "data/a.txt", put.VersionId!)).to.equal("COMPLETED");
        expect(c.replicationStatus("dr", "data/a.txt", replica.VersionId!)).to.equal("REPLICA");
        expect(c.errors()).to.deep.equal([]);
    });

    it("never re-replicates a replica, and replicates delete markers both ways", async () => {
        const c = await startCopier();
        await buckets.dr.client.send(new PutObjectCommand({ Bucket: buckets.dr.bucket, Key: "b", Body: "from dr" }));
        await waitFor("the replica on primary", async () => (await versionsOf(buckets.primary.client, buckets.primary.bucket, "b")).versions[0]);
        await buckets.primary.client.send(new DeleteObjectCommand({ Bucket: buckets.primary.bucket, Key: "b" }));
        await waitFor("the delete marker on dr", async () => (await versionsOf(buckets.dr.client, buckets.dr.bucket, "b")).markers[0]);
        await sleep(900); // three delays: time enough for a loop to show
        const primary = await versionsOf(buckets.primary.client, buckets.primary.bucket, "b");
        const dr = await versionsOf(buckets.dr.client, buckets.dr.bucket, "b");
        expect([primary.versions.length, primary.markers.length, dr.versions.length, dr.markers.length]).to.deep.equal([1, 1, 1, 1]);
        expect(c.replications().map((r) => `${r.from}->${r.to}${r.deleteMarker ? " marker" : ""}`)).to.deep.equal([
            "dr->primary",
            "primary->dr marker",
        ]);
    });

    it("leaves existing objects and version deletes alone, as S3 does", async () => {
        const existing = await buckets.primary.client.send(new PutObjectCommand({ Bucket: buckets.primary.bucket, Key: "old", Body: "x" }));
        await startCopier({ delayMs: 50 });
        await buckets.primary.client.send(
            new DeleteObjectCommand({ Bucket: buckets.primary.bucket, Key: "old", VersionId: existing.VersionId }),
        );
        await sleep(400);
        const dr = await versionsOf(buckets.dr.client, buckets.dr.bucket, "old");
        expect(dr.versions.length + dr.markers.length).to.equal(0);
    });

    it("can stop a direction and drop delete markers", async () => {
        await startCopier({ delayMs: 50, toPrimary: { stopped: true }, toDr: { replicateDeleteMarkers: false } });
        await buckets.dr.client.send(new PutObjectCommand({ Bucket: buckets.dr.bucket, Key: "c", Body: "1" }));
        await buckets.primary.client.send(new PutObjectCommand({ Bucket: buckets.primary.bucket, Key: "d", Body: "2" }));
        await waitFor("d on dr", async () => (await versionsOf(buckets.dr.client, buckets.dr.bucket, "d")).versions[0]);
        await buckets.primary.client.send(new DeleteObjectCommand({ Bucket: buckets.primary.bucket, Key: "d" }));
        await sleep(400);
        expect((await versionsOf(buckets.primary.client, buckets.primary.bucket, "c")).versions).to.have.length(0);
        expect((await versionsOf(buckets.dr.client, buckets.dr.bucket, "d")).markers).to.have.length(0);
    });

    it("in ping-pong mode re-replicates replicas, so versions keep growing until stopped", async () => {
        const c = await startCopier({ delayMs: 50, pingPong: true });
        await buckets.primary.client.send(new PutObjectCommand({ Bucket: buckets.primary.bucket, Key: "loop", Body: "x" }));
        // waits for what it asserts instead of sleeping a fixed time, which a loaded machine may not fit a round trip in
        const versionsAbove = (floor: number) => async () => {
            const count = (await versionsOf(buckets.primary.client, buckets.primary.bucket, "loop")).versions.length;
            return count > floor ? count : undefined;
        };
        const early = await waitFor("the replica replicated back to primary", versionsAbove(1));
        const later = await waitFor("the versions to keep growing", versionsAbove(early));
        expect(later).to.be.greaterThan(early);
        await c.stop();
        const stopped = (await versionsOf(buckets.primary.client, buckets.primary.bucket, "loop")).versions.length;
        await sleep(300);
        expect((await versionsOf(buckets.primary.client, buckets.primary.bucket, "loop")).versions.length).to.equal(stopped);
    });
});
