import { expect } from "chai";
import {
    CopyObjectCommand,
    CopyObjectCommandInput,
    PutObjectCommand,
    PutObjectCommandInput,
    PutObjectTaggingCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { copySource } from "../../../infra/restore/apply";
import { RestoreResult, restoreToPointInTime } from "../../../infra/restore/restore";
import { differingCount, verifyRestore } from "../../../infra/restore/verify";
import { emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, fullSnapshot, secondBoundary, versionIds } from "../../support/versionedBucket";

/**
 * Attacks that leave the bytes alone, against moto: restore must bring back every attribute identity.ts compares
 * (user metadata, content headers, storage class, tags), and verify must see each of them.
 */
describe("infra/restore against attacks that keep the bytes (moto)", function () {
    this.timeout(60_000);
    let client: S3Client;

    before(async () => {
        client = emulatorS3((await emulatorPair()).dr.endpoint);
    });

    const target = (bucket: string) => ({ bucketName: bucket, region: "us-east-1" });
    /** How FSx for Lustre exports a file: POSIX attributes as user metadata. */
    const fsxFile = (bucket: string, key: string, extra: Partial<PutObjectCommandInput> = {}): PutObjectCommandInput => ({
        Bucket: bucket,
        Key: key,
        Body: `contents of ${key}`,
        ContentType: "application/octet-stream",
        Metadata: { "file-owner": "1000", "file-group": "1000", "file-permissions": "0100644", "file-mtime": "1764000000000000000ns" },
        Tagging: "project=alpha&retain=yes",
        StorageClass: "STANDARD_IA",
        ...extra,
    });
    /** The attacker's tool: copy the current version onto itself with new attributes, same bytes. */
    const recopy = (bucket: string, key: string, extra: Partial<CopyObjectCommandInput>) =>
        client.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`, ...extra }));

    it("brings back metadata (chmod 777, chown), content headers, storage class and tags, then plans nothing and verifies", async () => {
        const bucket = await createBucket(client);
        const keys = {
            chmod: "home/alice/notes.txt",
            tagsOnNewVersion: "home/alice/tagged.bin",
            contentType: "web/index.html",
            headers: "web/app.js",
            storageClass: "archive/2025.tar",
            untouched: "home/bob/untouched.txt",
        };
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.chmod)));
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.tagsOnNewVersion)));
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.contentType, { ContentType: "text/html" })));
        await client.send(
            new PutObjectCommand(
                fsxFile(bucket, keys.headers, {
                    ContentType: "text/javascript",
                    ContentEncoding: "identity",
                    ContentDisposition: "inline",
                    ContentLanguage: "en",
                    CacheControl: "max-age=60",
                    Expires: new Date("2030-01-01T00:00:00Z"),
                }),
            ),
        );
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.storageClass)));
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.untouched)));
        const allKeys = Object.values(keys);
        const T = await secondBoundary();
        const atT = await fullSnapshot(client, bucket, allKeys);
        expect(atT.get(keys.storageClass)?.storageClass).to.equal("STANDARD_IA");

        // The attack: not one byte changes.
        const metadata = { ...atT.get(keys.chmod)?.metadata, "file-permissions": "0100777", "file-owner": "0" };
        await recopy(bucket, keys.chmod, { MetadataDirective: "REPLACE", Metadata: metadata, ContentType: "application/octet-stream", StorageClass: "STANDARD_IA" });
        await client.send(new PutObjectCommand(fsxFile(bucket, keys.tagsOnNewVersion, { Tagging: "project=alpha&retain=no" })));
        await recopy(bucket, keys.contentType, { MetadataDirective: "REPLACE", Metadata: atT.get(keys.contentType)?.metadata, ContentType: "application/x-msdownload", StorageClass: "STANDARD_IA" });
        await recopy(bucket, keys.headers, { MetadataDirective: "REPLACE", Metadata: atT.get(keys.headers)?.metadata, ContentType: "text/javascript", StorageClass: "STANDARD_IA" });
        // ONEZONE_IA, not GLACIER, here: moto refuses GetObjectTagging on an archived object, which verify reads.
        await recopy(bucket, keys.storageClass, { StorageClass: "ONEZONE_IA" });
        const attacked = await fullSnapshot(client, bucket, allKeys);
        for (const key of allKeys) {
            expect(attacked.get(key)?.body, key).to.equal(atT.get(key)?.body);
        }
        expect(attacked.get(keys.storageClass)?.storageClass).to.equal("ONEZONE_IA");

        const before = await verifyRestore(target(bucket), { to: T, client });
        expect(before.verdict).to.equal("differs");
        expect(before.differing).to.deep.equal({ missing: 0, extra: 0, changed: 5, unknown: 0 });
        const changed = new Map(before.first.map((difference) => [difference.key, difference.kind === "changed" ? difference.differences : []]));
        expect(changed.get(keys.chmod)).to.deep.equal([
            { aspect: "metadata", name: "x-amz-meta-file-owner", atT: "1000", now: "0" },
            { aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100644", now: "0100777" },
        ]);
        expect(changed.get(keys.tagsOnNewVersion)).to.deep.equal([{ aspect: "tags", name: "tag retain", atT: "yes", now: "no" }]);
        expect(changed.get(keys.contentType)).to.deep.equal([{ aspect: "content-headers", name: "Content-Type", atT: "text/html", now: "application/x-msdownload" }]);
        expect(changed.get(keys.headers)?.map((difference) => difference.name)).to.have.members([
            "Cache-Control",
            "Content-Disposition",
            "Content-Encoding",
            "Content-Language",
            "Expires",
        ]);
        expect(changed.get(keys.storageClass)).to.deep.equal([{ aspect: "storage-class", name: "storage class", atT: "STANDARD_IA", now: "ONEZONE_IA" }]);

        const dryRun = await restoreToPointInTime(target(bucket), { to: T, client, dryRun: true });
        expect(dryRun.plan.copy.count).to.equal(5);
        expect(dryRun.plan.copy.why).to.deep.equal({ deleted: 0, content: 0, "storage-class": 1, metadata: 1, "content-headers": 2, encryption: 0, tags: 1 });
        expect(dryRun.plan.copy.firstDifferences).to.deep.include({
            key: keys.chmod,
            differences: ['x-amz-meta-file-owner: "1000" at T, "0" now', 'x-amz-meta-file-permissions: "0100644" at T, "0100777" now'],
        });
        expect(dryRun.plan.unchanged).to.equal(1);

        const restored = await restoreToPointInTime(target(bucket), { to: T, client });
        expect(restored.failures.count).to.equal(0);
        expect(restored.applied.copies).to.equal(5);
        expect(await fullSnapshot(client, bucket, allKeys)).to.deep.equal(atT);

        // A re-run writes nothing. Each restored key's current version is a copy, not T's version, so it is read:
        // two HEADs, and (both versions carry two tags) two tag reads. The untouched key costs nothing.
        const versions = await versionIds(client, bucket);
        const again: RestoreResult = await restoreToPointInTime(target(bucket), { to: T, client });
        expect(again.plan.copy.count + again.plan.deleteMarker.count).to.equal(0);
        expect(again.plan).to.deep.include({ unchanged: 6, verifiedByReads: 5, verifiedByChecksum: 0 });
        expect(again.identityReads).to.deep.equal({ head: 10, tagging: 10 });
        expect(await versionIds(client, bucket)).to.deep.equal(versions);

        const after = await verifyRestore(target(bucket), { to: T, client });
        expect(after).to.deep.include({ verdict: "same", keysChecked: 6, same: 6, first: [] });
    });

    it("leaves tags changed in place on the version from T alone (nothing in S3's history records them), as documented", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand(fsxFile(bucket, "in-place")));
        const T = await secondBoundary();
        await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "in-place", Tagging: { TagSet: [{ Key: "project", Value: "pwned" }] } }));
        const result = await restoreToPointInTime(target(bucket), { to: T, client });
        expect(result.plan).to.deep.include({ unchanged: 1, verifiedByReads: 0 });
        expect(result.identityReads).to.deep.equal({ head: 0, tagging: 0 });
        expect((await verifyRestore(target(bucket), { to: T, client })).verdict).to.equal("same");
    });

    it("copies the storage class of the version from T, STANDARD included, also out of GLACIER", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "ia", Body: "x", StorageClass: "STANDARD_IA" }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "std", Body: "y" }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "frozen", Body: "z" }));
        const T = await secondBoundary();
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "ia", Body: "attacked", StorageClass: "STANDARD" }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "std", Body: "attacked", StorageClass: "ONEZONE_IA" }));
        // Same bytes, moved to an archive class where nothing can read them without a restore from the archive.
        await recopy(bucket, "frozen", { StorageClass: "GLACIER" });
        const result = await restoreToPointInTime(target(bucket), { to: T, client });
        expect(result.plan.copy.why).to.include({ content: 2, "storage-class": 3 });
        // The GLACIER version's class shows in the listing: no read of it is needed to decide.
        expect(result.identityReads).to.deep.equal({ head: 0, tagging: 0 });
        const now = await fullSnapshot(client, bucket, ["ia", "std", "frozen"]);
        expect(now.get("ia")).to.deep.include({ body: "x", storageClass: "STANDARD_IA" });
        expect(now.get("std")).to.deep.include({ body: "y", storageClass: "STANDARD" });
        expect(now.get("frozen")).to.deep.include({ body: "z", storageClass: "STANDARD" });
    });

    it("undoes a prefix the attacker created after T: the bucket's history decides, not the prefix's", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/kept", Body: "good" }));
        const T = await secondBoundary();
        for (const key of ["evil/a", "evil/b"]) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "ransom" }));

        const verifyBefore = await verifyRestore(target(bucket), { to: T, client, prefix: "evil/" });
        expect(verifyBefore.differing).to.include({ extra: 2 });
        const result = await restoreToPointInTime(target(bucket), { to: T, client, prefix: "evil/" });
        expect(result.applied).to.deep.include({ copies: 0, deleteMarkers: 2 });
        expect([...(await fullSnapshot(client, bucket, ["data/kept", "evil/a", "evil/b"])).keys()]).to.deep.equal(["data/kept"]);
        expect((await verifyRestore(target(bucket), { to: T, client, prefix: "evil/" })).verdict).to.equal("same");
    });

    it("verify reports keys deleted and created since T, in key order, and counts beyond the first", async () => {
        const bucket = await createBucket(client);
        for (const key of ["a", "b", "c"]) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
        const T = await secondBoundary();
        await client.send(new CopyObjectCommand({ Bucket: bucket, Key: "z", CopySource: copySource(bucket, "a", "null").replace("?versionId=null", "") }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "b", Body: "changed" }));
        const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c" }));
        const result = await verifyRestore(target(bucket), { to: T, client, firstDifferences: 2, concurrency: 1 });
        expect(result.differing).to.deep.equal({ missing: 1, extra: 1, changed: 1, unknown: 0 });
        expect(differingCount(result)).to.equal(3);
        expect(result.first.map((difference) => `${difference.key}:${difference.kind}`)).to.deep.equal(["b:changed", "c:missing"]);
    });
});
