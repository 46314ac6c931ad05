import { expect } from "chai";
import {
    CompleteMultipartUploadCommand,
    CopyObjectCommand,
    CreateMultipartUploadCommand,
    GetBucketVersioningCommand,
    GetObjectTaggingCommand,
    HeadObjectCommand,
    ListObjectVersionsCommand,
    S3Client,
    UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { restoreToPointInTime } from "../../../infra/restore/restore";

/**
 * What moto cannot play: an object copied onto itself with a customer-provided key (SSE-C), which S3 refuses to
 * HEAD without that key (400), and the encryption restore's copies carry on S3's own API (moto ignores SSE-C and,
 * on a copy without headers, does not apply the bucket's default). Mocked client only.
 */
describe("infra/restore: encryption of what it cannot read and of what it writes (mocked S3)", () => {
    const T = new Date("2026-11-20T12:00:00Z");
    const ownKey = "arn:aws:kms:us-east-1:111111111111:key/own";
    const sourceKey = "arn:aws:kms:us-east-1:999999999999:key/attacker";
    let s3: AwsClientStub<S3Client>;
    const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    const badRequest = Object.assign(new Error("Bad Request"), { name: "BadRequest", $metadata: { httpStatusCode: 400 } });
    const forbidden = Object.assign(new Error("Forbidden"), { name: "Forbidden", $metadata: { httpStatusCode: 403 } });

    function bucket(size = 10): void {
        s3.reset();
        s3.on(GetBucketVersioningCommand).resolves({ Status: "Enabled" });
        s3.on(ListObjectVersionsCommand).resolves({
            IsTruncated: false,
            Versions: [
                { Key: "k", VersionId: "attack", IsLatest: true, LastModified: new Date("2026-11-20T13:00:00Z"), ETag: '"e2"', Size: size },
                { Key: "k", VersionId: "at-t", IsLatest: false, LastModified: new Date("2026-11-20T11:00:00Z"), ETag: '"e1"', Size: size },
            ],
        });
        s3.on(HeadObjectCommand, { VersionId: "at-t" }).resolves({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: ownKey, Metadata: {} });
        s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
        s3.on(CopyObjectCommand).resolves({ VersionId: "copy" });
    }
    const run = (options: { encryption?: boolean; multipartThresholdBytes?: number } = {}) =>
        restoreToPointInTime(
            { bucketName: "b", region: "us-east-1", ...(options.encryption === false ? {} : { encryption: { algorithm: "aws:kms" as const, kmsKeyArn: ownKey } }) },
            {
                to: T,
                client,
                now: () => new Date("2026-11-22T00:00:00Z"),
                ...(options.multipartThresholdBytes !== undefined ? { apply: { multipartThresholdBytes: options.multipartThresholdBytes, partSizeBytes: 5 * 1024 ** 2 } } : {}),
            },
        );

    before(() => {
        s3 = mockClient(S3Client);
    });
    after(() => s3.restore());

    it("copies T's version back over a current version S3 will not HEAD without a customer key (SSE-C), under the side's own key", async () => {
        bucket();
        s3.on(HeadObjectCommand, { VersionId: "attack" }).rejects(badRequest);
        const result = await run();
        expect(result.failures.count).to.equal(0);
        expect(result.plan.copy.why).to.include({ encryption: 1 });
        expect(result.plan.copy.firstDifferences[0].differences[0]).to.match(/^encryption: "SSE-KMS .*key\/own" at T, "unreadable without a customer-provided key \(SSE-C\?\): HEAD answered 400" now$/);
        expect(s3.commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.include({
            CopySource: "b/k?versionId=at-t",
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: ownKey,
            BucketKeyEnabled: true,
        });
    });

    it("still reports any other refused read as a failure, copying nothing", async () => {
        bucket();
        s3.on(HeadObjectCommand, { VersionId: "attack" }).rejects(forbidden);
        const result = await run();
        expect(result.failures.count).to.equal(1);
        expect(s3.commandCalls(CopyObjectCommand)).to.have.length(0);
    });

    it("names no encryption without the stack's key (S3 then applies the bucket default), and never the source's", async () => {
        bucket();
        s3.on(HeadObjectCommand, { VersionId: "attack" }).resolves({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: sourceKey, Metadata: {} });
        await run({ encryption: false });
        const input = s3.commandCalls(CopyObjectCommand)[0].args[0].input;
        expect(input).to.not.have.any.keys("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled");
    });

    it("writes a multipart copy under the side's own key, not the source version's", async () => {
        const size = 6 * 1024 ** 2;
        bucket(size);
        // The version at T itself under a key that is not the side's (written before a key change).
        s3.on(HeadObjectCommand, { VersionId: "at-t" }).resolves({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: sourceKey, BucketKeyEnabled: false, Metadata: {} });
        s3.on(HeadObjectCommand, { VersionId: "attack" }).resolves({ ServerSideEncryption: "AES256", Metadata: {} });
        s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u" });
        s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"p"' } });
        s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: "copy" });
        const result = await run({ multipartThresholdBytes: 1024 });
        expect(result.failures.count).to.equal(0);
        expect(s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).to.deep.include({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: ownKey, BucketKeyEnabled: true });
    });
});
