import { expect } from "chai";
import { replicationRoleScope, wideResources } from "../../../../infra/policy/policies/replicationRoleScope";
import { types } from "../../../../infra/policy/stackModel";
import { bucketNames, convergedPair } from "../pair";
import { broken, check, declare, recordOf, StackRecord } from "../policyHarness";

function replicationPolicy(records: StackRecord[]): StackRecord {
    return recordOf(records, types.rolePolicy, "data-replication-policy");
}

describe("policy replication-role-scoped-to-buckets", () => {
    it("passes the shipped replication roles", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicationRoleScope, primary)).to.deep.equal([]);
        expect(await check(replicationRoleScope, dr)).to.deep.equal([]);
    });

    it("fails a statement on every resource, naming the statement and what to scope it to", async () => {
        const { primary } = await convergedPair();
        const wide = broken(primary, (records) =>
            declare(replicationPolicy(records), (props) => {
                const document = JSON.parse(props.policy) as { Statement: object[] };
                document.Statement.push({ Sid: "Everything", Effect: "Allow", Action: "s3:GetObject", Resource: "*" });
                props.policy = JSON.stringify(document);
            }),
        );
        const violations = await check(replicationRoleScope, wide);
        expect(violations).to.have.length(1);
        expect(violations[0].message)
            .to.contain("data-replication-policy of replication role data-replication-role: statement Everything allows *")
            .and.contain(`arn:aws:s3:::${bucketNames.primary}/*`)
            .and.contain(`arn:aws:s3:::${bucketNames.dr}/*`);
        expect(violations[0].urn).to.equal(replicationPolicy(wide.records).urn);
    });

    it("fails a managed policy the stack does not declare", async () => {
        const { primary } = await convergedPair();
        const managed = broken(primary, (records) =>
            declare(recordOf(records, types.role, "data-replication-role"), (props) => (props.managedPolicyArns = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"])),
        );
        const [violation] = await check(replicationRoleScope, managed);
        expect(violation.message).to.contain("has managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess attached");
    });

    it("allows only the object ARNs of the two buckets as wildcards", () => {
        const allowed = ["src", "dst"];
        const allow = (Resource: string | string[]) => wideResources({ Effect: "Allow", Action: "s3:*", Resource }, allowed);
        expect(allow(["arn:aws:s3:::src/*", "arn:aws:s3:::dst/*", "arn:aws:s3:::src"])).to.deep.equal([]);
        expect(allow("arn:aws:s3:::other/*")).to.deep.equal(["arn:aws:s3:::other/*"]);
        expect(allow("arn:aws:s3:::src*")).to.deep.equal(["arn:aws:s3:::src*"]);
        expect(allow("arn:aws:s3:::src/logs/*"), "a prefix is not the bucket's objects").to.deep.equal(["arn:aws:s3:::src/logs/*"]);
        expect(wideResources({ Effect: "Deny", Action: "s3:*", Resource: "*" }, allowed), "denies are not grants").to.deep.equal([]);
        expect(wideResources({ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::src" }, allowed)).to.have.length(1);
    });
});
