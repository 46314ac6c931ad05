import { expect } from "chai";
import { copyEncryption, describeEncryption, expectedEncryption, isExpected } from "../../../infra/restore/encryption";
import { UsageError } from "../../../infra/output";

describe("infra/restore/encryption", () => {
    const outputs = { accountId: "111111111111", region: "us-east-1", bucketName: "data-primary" };
    const key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    it("takes the expected encryption from stack outputs: the KMS key for SSE_KMS, SSE-S3 without one, nothing without a stack", () => {
        expect(expectedEncryption({ ...outputs, kmsKeyArn: key })).to.deep.equal({ algorithm: "aws:kms", kmsKeyArn: key });
        expect(expectedEncryption(outputs)).to.deep.equal({ algorithm: "AES256" });
        expect(expectedEncryption(undefined)).to.equal(undefined);
    });

    it("refuses a kmsKeyArn output outside the stack's own account or region, or not a key ARN (a forged output)", () => {
        for (const forged of [
            "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111111111111:alias/mine",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ]) {
            expect(() => expectedEncryption({ ...outputs, kmsKeyArn: forged }), forged)
                .to.throw(UsageError)
                .with.property("message")
                .that.includes(forged)
                .and.includes("111111111111");
        }
    });

    it("names the side's key on every copy, never the source's; nothing without a stack (bucket default)", () => {
        expect(copyEncryption({ algorithm: "aws:kms", kmsKeyArn: key })).to.deep.equal({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: key, BucketKeyEnabled: true });
        expect(copyEncryption({ algorithm: "AES256" })).to.deep.equal({ ServerSideEncryption: "AES256" });
        expect(copyEncryption(undefined)).to.deep.equal({});
    });

    it("compares algorithm and key, and describes both for an operator", () => {
        expect(isExpected({ algorithm: "aws:kms", kmsKeyId: key }, { algorithm: "aws:kms", kmsKeyArn: key })).to.equal(true);
        expect(isExpected({ algorithm: "aws:kms", kmsKeyId: key.replace("111111111111", "999999999999") }, { algorithm: "aws:kms", kmsKeyArn: key })).to.equal(false);
        expect(isExpected({ algorithm: "aws:kms:dsse", kmsKeyId: key }, { algorithm: "aws:kms", kmsKeyArn: key })).to.equal(false);
        expect(isExpected({ algorithm: "AES256" }, { algorithm: "AES256" })).to.equal(true);
        // Unencrypted (before S3 encrypted everything, January 2023): no key anyone could disable, like SSE-S3.
        expect(isExpected({}, { algorithm: "AES256" })).to.equal(true);
        expect(isExpected({}, { algorithm: "aws:kms", kmsKeyArn: key })).to.equal(false);
        expect(isExpected({ algorithm: "aws:kms", kmsKeyId: key }, { algorithm: "AES256" })).to.equal(false);
        expect(describeEncryption({ algorithm: "aws:kms:dsse", kmsKeyId: key })).to.equal(`DSSE-KMS ${key}`);
        expect(describeEncryption({ algorithm: "aws:kms" })).to.equal("SSE-KMS (no key reported)");
        expect(describeEncryption({})).to.equal("none");
    });
});
