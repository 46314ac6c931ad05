import { expect } from "chai";
import { actionCovers, missingActions, summarisePolicy } from "../../../infra/status/policyCheck";
import { deployedPolicy, outputs } from "./fixtures";

const bucketArn = outputs.dr.bucketArn;
const peerRole = outputs.primary.replicationRoleArn;

describe("infra/status/policyCheck", () => {
    it("matches IAM action wildcards case-insensitively, and only as wildcards", () => {
        expect(actionCovers("s3:*", "s3:ReplicateObject")).to.equal(true);
        expect(actionCovers("s3:Replicate*", "s3:replicateobject")).to.equal(true);
        expect(actionCovers("s3:List*", "s3:List*")).to.equal(true);
        expect(actionCovers("s3:Get*", "s3:PutObject")).to.equal(false);
        expect(actionCovers("s3:GetObject.", "s3:GetObjectX")).to.equal(false);
    });

    it("reads the policy lustre-dr writes as: TLS required, the peer granted what replication needs", async () => {
        const summary = summarisePolicy(await deployedPolicy("dr"), bucketArn);
        expect(summary.requiresTls).to.equal(true);
        expect([...summary.grants.keys()]).to.deep.equal([peerRole]);
        const grant = summary.grants.get(peerRole)!;
        expect(missingActions(grant.objects, ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"])).to.deep.equal([]);
        expect(missingActions(grant.bucket, ["s3:GetBucketVersioning", "s3:PutBucketVersioning"])).to.deep.equal(["s3:PutBucketVersioning"]);
    });

    it("accepts a single statement object, and does not count conditional grants as access", () => {
        const policy = JSON.stringify({
            Statement: { Effect: "Allow", Principal: { AWS: [peerRole] }, Action: "s3:ReplicateObject", Resource: `${bucketArn}/*`, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
        });
        const summary = summarisePolicy(policy, bucketArn);
        expect(summary.requiresTls).to.equal(false);
        expect(summary.grants.size).to.equal(0);
        expect(summarisePolicy(undefined, bucketArn)).to.deep.equal({ requiresTls: false, grants: new Map() });
    });
});
