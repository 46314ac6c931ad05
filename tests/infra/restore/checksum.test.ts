import { expect } from "chai";
import {
    CopyObjectCommand,
    GetBucketVersioningCommand,
    GetObjectTaggingCommand,
    HeadObjectCommand,
    HeadObjectCommandOutput,
    ListObjectVersionsCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { restoreToPointInTime } from "../../../infra/restore/restore";

/**
 * On S3, a copy of an SSE-KMS or multipart object gets a new ETag, so only a stored checksum can show that a key
 * already holds the bytes from T. moto gives every object an MD5 ETag, so this path is tested with a mocked client.
 */
describe("infra/restore: content verified by checksum when ETags cannot tell", () => {
    const T = new Date("2026-11-20T12:00:00Z");
    // Mocked only while this suite runs: mocha loads every file before running any, and the other suites talk to moto.
    let s3: AwsClientStub<S3Client>;
    const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });

    function bucketWith(currentETag: string, currentSize: number, checksums: Record<string, Omit<HeadObjectCommandOutput, "$metadata">>): void {
        s3.reset();
        s3.on(GetBucketVersioningCommand).resolves({ Status: "Enabled" });
        s3.on(ListObjectVersionsCommand).resolves({
            IsTruncated: false,
            Versions: [
                { Key: "k", VersionId: "restored", IsLatest: true, LastModified: new Date("2026-11-21T00:00:00Z"), ETag: currentETag, Size: currentSize },
                { Key: "k", VersionId: "attack", IsLatest: false, LastModified: new Date("2026-11-20T13:00:00Z"), ETag: '"bad"', Size: 5 },
                { Key: "k", VersionId: "at-t", IsLatest: false, LastModified: new Date("2026-11-20T11:00:00Z"), ETag: '"kms-etag-1"', Size: 10 },
            ],
        });
        for (const [versionId, output] of Object.entries(checksums)) {
            s3.on(HeadObjectCommand, { VersionId: versionId }).resolves(output);
        }
        s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
        s3.on(CopyObjectCommand).resolves({ VersionId: "copy" });
    }
    const run = () => restoreToPointInTime({ bucketName: "b", region: "us-east-1" }, { to: T, client, now: () => new Date("2026-11-22T00:00:00Z") });

    before(() => {
        s3 = mockClient(S3Client);
    });
    after(() => s3.restore());

    it("plans nothing for a key whose current version has T's checksum under another ETag", async () => {
        const same = { ChecksumCRC64NVME: "AAAAAAAAAAE=", ChecksumType: "FULL_OBJECT" } as const;
        bucketWith('"kms-etag-2"', 10, { restored: same, "at-t": same });
        const result = await run();
        expect(result.plan).to.deep.include({ unchanged: 1, verifiedByReads: 1, verifiedByChecksum: 1 });
        expect(result.plan.copy.count).to.equal(0);
        // Nothing differed after the HEADs, so the tags were read too (both empty here).
        expect(result.identityReads).to.deep.equal({ head: 2, tagging: 2 });
        expect(s3.commandCalls(CopyObjectCommand)).to.have.length(0);
        expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).to.deep.include({
            Bucket: "b",
            Key: "k",
            VersionId: "at-t",
            ChecksumMode: "ENABLED",
        });
    });

    it("copies when the checksums differ, or when a version has none", async () => {
        for (const current of [{ ChecksumCRC64NVME: "AAAAAAAAAAI=", ChecksumType: "FULL_OBJECT" as const }, {}]) {
            bucketWith('"kms-etag-2"', 10, { restored: current, "at-t": { ChecksumCRC64NVME: "AAAAAAAAAAE=", ChecksumType: "FULL_OBJECT" } });
            const result = await run();
            expect(result.applied.copies).to.equal(1);
            expect(s3.commandCalls(CopyObjectCommand)[0].args[0].input).to.include({ CopySource: "b/k?versionId=at-t" });
        }
    });

    it("copies when the bytes are provably the same but the metadata is not (a chmod exported after T)", async () => {
        const checksum = { ChecksumCRC64NVME: "AAAAAAAAAAE=", ChecksumType: "FULL_OBJECT" } as const;
        bucketWith('"kms-etag-2"', 10, {
            restored: { ...checksum, Metadata: { "file-permissions": "0100777" } },
            "at-t": { ...checksum, Metadata: { "file-permissions": "0100644" } },
        });
        const result = await run();
        expect(result.applied.copies).to.equal(1);
        expect(result.plan.copy.why).to.include({ metadata: 1, content: 0 });
        // The HEADs showed a difference: no tag reads.
        expect(result.identityReads).to.deep.equal({ head: 2, tagging: 0 });
    });

    it("does not ask when the sizes differ: the content differs for sure", async () => {
        bucketWith('"kms-etag-2"', 11, {});
        const result = await run();
        expect(result.applied.copies).to.equal(1);
        expect(s3.commandCalls(HeadObjectCommand)).to.have.length(0);
    });
});
