import { expect } from "chai";
import { replicatedBucketEncryption } from "../../../../infra/policy/policies/replicatedBucketEncryption";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

describe("policy replicated-bucket-default-encryption", () => {
    it("passes the shipped buckets (SSE-KMS with the bucket's key)", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicatedBucketEncryption, primary)).to.deep.equal([]);
        expect(await check(replicatedBucketEncryption, dr)).to.deep.equal([]);
    });

    it("fails a replicated bucket whose encryption configuration is gone", async () => {
        const { primary } = await convergedPair();
        const unencrypted = broken(primary, (records) => records.splice(records.indexOf(recordOf(records, types.encryption)), 1));
        const violations = await check(replicatedBucketEncryption, unencrypted);
        expect(violations).to.have.length(1);
        expect(violations[0].message).to.contain("replicates without declared default encryption").and.contain('"aws:kms"');
    });

    it("fails a configuration whose rule sets no default algorithm", async () => {
        const { dr } = await convergedPair();
        const bucketKeyOnly = broken(dr, (records) =>
            declare(recordOf(records, types.encryption), (props) => (props.rules = [{ bucketKeyEnabled: true }])),
        );
        const violations = await check(replicatedBucketEncryption, bucketKeyOnly);
        expect(violations).to.have.length(1);
        expect(violations[0].urn).to.equal(recordOf(bucketKeyOnly.records, types.encryption).urn);
    });
});
