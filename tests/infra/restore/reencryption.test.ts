import { expect } from "chai";
import { CopyObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ExpectedEncryption } from "../../../infra/restore/encryption";
import { restoreToPointInTime } from "../../../infra/restore/restore";
import { verifyRestore } from "../../../infra/restore/verify";
import { emulatorPair } from "../../emulator/moto";
import { createKmsKey } from "../../support/kms";
import { createBucket, emulatorS3, fullSnapshot, secondBoundary, versionIds } from "../../support/versionedBucket";

/**
 * The ransomware that changes no byte: whoever holds the account copies each object onto itself under a KMS key they
 * own (same body, checksum and metadata, a new version), then disables the key. moto stores and reports
 * ServerSideEncryption and SSEKMSKeyId on HEAD for SSE-KMS objects, and its KMS makes the keys.
 */
describe("infra/restore against a copy in place under the attacker's KMS key (moto)", function () {
    this.timeout(60_000);
    let client: S3Client;
    let endpoint: string;
    let ownKey: string;
    let attackerKey: string;

    before(async () => {
        endpoint = (await emulatorPair()).dr.endpoint;
        client = emulatorS3(endpoint);
        ownKey = await createKmsKey(endpoint, "us-east-1", "the side's own key");
        attackerKey = await createKmsKey(endpoint, "us-east-1", "the attacker's key");
    });

    const kmsBucket = async () => {
        const bucket = await createBucket(client);
        await client.send(
            new PutBucketEncryptionCommand({
                Bucket: bucket,
                ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: ownKey }, BucketKeyEnabled: true }] },
            }),
        );
        return bucket;
    };
    const fsxFile = (bucket: string, key: string) =>
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: `contents of ${key}`, Metadata: { "file-owner": "1000", "file-permissions": "0100644" } });
    const reencrypt = (bucket: string, key: string) =>
        client.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${key}`, MetadataDirective: "COPY", ServerSideEncryption: "aws:kms", SSEKMSKeyId: attackerKey }));
    const keyOf = async (bucket: string, key: string) => (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).SSEKMSKeyId;

    it("verify names the foreign key, restore copies the version from T back under the side's own key, and a re-run writes nothing", async () => {
        const bucket = await kmsBucket();
        const keys = ["home/alice/thesis.tex", "home/bob/data.bin"];
        for (const key of keys) await client.send(fsxFile(bucket, key));
        expect(await keyOf(bucket, keys[0])).to.equal(ownKey);
        const T = await secondBoundary();
        const atT = await fullSnapshot(client, bucket, keys);

        await reencrypt(bucket, keys[0]);
        // Same bytes, metadata and checksum: only the key changed.
        expect(await fullSnapshot(client, bucket, keys)).to.deep.equal(atT);
        expect(await keyOf(bucket, keys[0])).to.equal(attackerKey);

        const expected: ExpectedEncryption = { algorithm: "aws:kms", kmsKeyArn: ownKey };
        const target = { bucketName: bucket, region: "us-east-1", encryption: expected };
        const before = await verifyRestore(target, { to: T, client });
        expect(before.verdict).to.equal("differs");
        expect(before.first).to.deep.equal([
            {
                key: keys[0],
                kind: "changed",
                versionAtT: (before.first[0] as { versionAtT: string }).versionAtT,
                currentVersion: (before.first[0] as { currentVersion: string }).currentVersion,
                differences: [{ aspect: "encryption", name: "encryption", atT: `SSE-KMS ${ownKey}`, now: `SSE-KMS ${attackerKey}` }],
            },
        ]);
        // Without the stack's key (a bucket named by flags) the change from T's key is still seen.
        expect((await verifyRestore({ bucketName: bucket, region: "us-east-1" }, { to: T, client })).differing.changed).to.equal(1);

        const restored = await restoreToPointInTime(target, { to: T, client });
        expect(restored.failures.count).to.equal(0);
        expect(restored.applied.copies).to.equal(1);
        expect(restored.plan.copy.why).to.include({ encryption: 1, content: 0, metadata: 0 });
        expect(restored.plan.copy.firstDifferences).to.deep.equal([{ key: keys[0], differences: [`encryption: "SSE-KMS ${ownKey}" at T, "SSE-KMS ${attackerKey}" now`] }]);
        // The copy names the side's key: never the attacker's, whatever the source version or the bucket default says.
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keys[0] }));
        expect(head).to.include({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: ownKey });
        expect(await fullSnapshot(client, bucket, keys)).to.deep.equal(atT);

        const versions = await versionIds(client, bucket);
        const again = await restoreToPointInTime(target, { to: T, client });
        expect(again.plan.copy.count + again.plan.deleteMarker.count).to.equal(0);
        expect(again.plan).to.deep.include({ unchanged: 2, verifiedByReads: 1 });
        expect(await versionIds(client, bucket)).to.deep.equal(versions);
        expect(await verifyRestore(target, { to: T, client })).to.deep.include({ verdict: "same", same: 2 });
    });

    it("accepts the side's own key where T's version had another encryption (written before adoption), so re-runs stay write-free", async () => {
        const bucket = await createBucket(client);
        // Written under SSE-S3, before the bucket was adopted with this stack's key.
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "old.txt", Body: "old", ServerSideEncryption: "AES256" }));
        const T = await secondBoundary();
        await reencrypt(bucket, "old.txt");
        const target = { bucketName: bucket, region: "us-east-1", encryption: { algorithm: "aws:kms", kmsKeyArn: ownKey } as const };
        const restored = await restoreToPointInTime(target, { to: T, client });
        expect(restored.applied.copies).to.equal(1);
        expect(await keyOf(bucket, "old.txt")).to.equal(ownKey);
        const again = await restoreToPointInTime(target, { to: T, client });
        expect(again.plan.copy.count).to.equal(0);
        expect(again.plan.unchanged).to.equal(1);
    });
});
