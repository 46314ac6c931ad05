import { expect } from "chai";
import { replicatedBucketPublicAccess } from "../../../../infra/policy/policies/replicatedBucketPublicAccess";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

describe("policy replicated-bucket-public-access-blocked", () => {
    it("passes the shipped buckets", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicatedBucketPublicAccess, primary)).to.deep.equal([]);
        expect(await check(replicatedBucketPublicAccess, dr)).to.deep.equal([]);
    });

    it("fails a block with one switch off and names that switch", async () => {
        const { primary } = await convergedPair();
        const leaky = broken(primary, (records) =>
            declare(recordOf(records, types.publicAccessBlock), (props) => (props.blockPublicPolicy = false)),
        );
        const violations = await check(replicatedBucketPublicAccess, leaky);
        expect(violations).to.have.length(1);
        expect(violations[0].message).to.contain("not fully blocked; set blockPublicPolicy to true.");
    });

    it("fails a replicated bucket without any public access block", async () => {
        const { primary } = await convergedPair();
        const open = broken(primary, (records) => records.splice(records.indexOf(recordOf(records, types.publicAccessBlock)), 1));
        const [violation] = await check(replicatedBucketPublicAccess, open);
        expect(violation.message).to.contain("has no aws.s3.BucketPublicAccessBlock").and.contain("restrictPublicBuckets all true");
    });
});
