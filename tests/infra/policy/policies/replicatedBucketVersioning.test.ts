import { expect } from "chai";
import { replicatedBucketVersioning } from "../../../../infra/policy/policies/replicatedBucketVersioning";
import { types } from "../../../../infra/policy/stackModel";
import { bucketNames, convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

describe("policy replicated-bucket-versioning-enabled", () => {
    it("passes the shipped buckets", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicatedBucketVersioning, primary)).to.deep.equal([]);
        expect(await check(replicatedBucketVersioning, dr)).to.deep.equal([]);
    });

    it("fails a replicated bucket whose versioning is Suspended, on the versioning resource", async () => {
        const { primary } = await convergedPair();
        const suspended = broken(primary, (records) =>
            declare(recordOf(records, types.versioning), (props) => (props.versioningConfiguration.status = "Suspended")),
        );
        const violations = await check(replicatedBucketVersioning, suspended);
        expect(violations).to.have.length(1);
        expect(violations[0].message).to.contain(bucketNames.primary).and.contain('"Suspended"').and.contain('status to "Enabled"');
        expect(violations[0].urn).to.equal(recordOf(suspended.records, types.versioning).urn);
    });

    it("fails a replicated bucket without a BucketVersioning, on the bucket", async () => {
        const { dr } = await convergedPair();
        const unversioned = broken(dr, (records) => records.splice(records.indexOf(recordOf(records, types.versioning)), 1));
        const violations = await check(replicatedBucketVersioning, unversioned);
        expect(violations.map((v) => v.message)).to.deep.equal([
            `bucket data-bucket (${bucketNames.dr}) replicates but has no aws.s3.BucketVersioning: declare one with ` +
                `versioningConfiguration.status "Enabled" (S3 rejects replication without it).`,
        ]);
        expect(violations[0].urn).to.equal(recordOf(unversioned.records, types.bucket).urn);
    });
});
