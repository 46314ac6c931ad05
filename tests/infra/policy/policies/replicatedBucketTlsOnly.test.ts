import { expect } from "chai";
import { isTlsOnlyStatement, replicatedBucketTlsOnly } from "../../../../infra/policy/policies/replicatedBucketTlsOnly";
import { types } from "../../../../infra/policy/stackModel";
import { bucketNames, convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

const tlsOnly = {
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
};

describe("policy replicated-bucket-tls-only", () => {
    it("passes the shipped bucket policies (which also grant the peer)", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicatedBucketTlsOnly, primary)).to.deep.equal([]);
        expect(await check(replicatedBucketTlsOnly, dr)).to.deep.equal([]);
    });

    it("fails a bucket policy without the deny and says which statement to add", async () => {
        const { primary } = await convergedPair();
        const plain = broken(primary, (records) =>
            declare(recordOf(records, types.bucketPolicy), (props) => {
                const document = JSON.parse(props.policy) as { Statement: { Sid: string }[] };
                document.Statement = document.Statement.filter((statement) => statement.Sid !== "DenyInsecureTransport");
                props.policy = JSON.stringify(document);
            }),
        );
        const violations = await check(replicatedBucketTlsOnly, plain);
        expect(violations).to.have.length(1);
        expect(violations[0].message)
            .to.contain(`bucket data-bucket (${bucketNames.primary}) replicates without a TLS-only bucket policy`)
            .and.contain(`"arn:aws:s3:::${bucketNames.primary}/*"`)
            .and.contain(`{Bool: {"aws:SecureTransport": "false"}}`);
    });

    it("recognises the deny only when it covers the bucket and all its objects, for everyone, every action", () => {
        expect(isTlsOnlyStatement(tlsOnly, "b")).to.equal(true);
        expect(isTlsOnlyStatement({ ...tlsOnly, Principal: { AWS: "*" }, Condition: { Bool: { "aws:SecureTransport": false } } }, "b")).to.equal(true);
        expect(isTlsOnlyStatement({ ...tlsOnly, Resource: ["arn:aws:s3:::b/*"] }, "b"), "bucket itself uncovered").to.equal(false);
        expect(isTlsOnlyStatement({ ...tlsOnly, Action: "s3:GetObject" }, "b"), "one action").to.equal(false);
        expect(isTlsOnlyStatement({ ...tlsOnly, Principal: { AWS: "arn:aws:iam::1:root" } }, "b"), "one principal").to.equal(false);
        expect(isTlsOnlyStatement({ ...tlsOnly, Effect: "Allow" }, "b")).to.equal(false);
        expect(isTlsOnlyStatement(tlsOnly, "other"), "another bucket").to.equal(false);
        expect(isTlsOnlyStatement({ ...tlsOnly, Resource: ["arn:aws:s3:::bx", "arn:aws:s3:::bx/*"] }, "b"), "a prefix of the name").to.equal(false);
    });
});
