import { expect } from "chai";
import { lustreDrPolicies } from "../../../../infra/policy/policies";
import { types } from "../../../../infra/policy/stackModel";
import { converge, convergedPair, recoveredDr } from "../pair";
import { checkAll } from "../policyHarness";

describe("the lustre-dr policy pack", () => {
    it("names every policy once", () => {
        const names = lustreDrPolicies.map((policy) => policy.name);
        expect(new Set(names).size).to.equal(names.length);
    });

    it("makes every policy mandatory except the role scope and protection advisories", () => {
        const advisory = lustreDrPolicies.filter((policy) => policy.enforcementLevel === "advisory").map((policy) => policy.name);
        expect(advisory).to.have.members(["replication-role-scoped-to-buckets", "data-resources-protected"]);
        const others = lustreDrPolicies.filter((policy) => !advisory.includes(policy.name));
        expect(others.every((policy) => policy.enforcementLevel === "mandatory")).to.equal(true);
    });

    it("passes the program as shipped, on both sides of a converged pair", async () => {
        const { primary, dr } = await convergedPair();
        // The run must contain what the policies are about, or passing them means nothing.
        for (const side of [primary, dr]) {
            expect(side.records.map((r) => r.type)).to.include.members([types.replication, types.stackReference, types.bucketPolicy]);
        }
        expect(primary.records.map((r) => r.type)).to.include.members([types.lustre, types.dataRepositoryAssociation]);
        expect(await checkAll(lustreDrPolicies, primary)).to.deep.equal([]);
        expect(await checkAll(lustreDrPolicies, dr)).to.deep.equal([]);
    });

    it("passes a side that has no peer yet (no replication configuration, nothing to relate)", async () => {
        const { lonePrimary } = await convergedPair();
        expect(lonePrimary.records.map((r) => r.type)).to.not.include(types.replication);
        expect(await checkAll(lustreDrPolicies, lonePrimary)).to.deep.equal([]);
    });

    it("passes a pair on SSE-S3, where only the peer's stack outputs reveal the destination's region", async () => {
        const { primary, dr } = await converge((raw) => ({ ...raw, bucket: { ...(raw.bucket as object), encryption: "SSE_S3" } }));
        const rule = primary.records.find((r) => r.type === types.replication)?.outputs.rules[0];
        expect(rule.destination).to.not.have.property("encryptionConfiguration");
        expect(await checkAll(lustreDrPolicies, primary)).to.deep.equal([]);
        expect(await checkAll(lustreDrPolicies, dr)).to.deep.equal([]);
    });

    it("passes the dr side recovered by lustre-dr recover: detached, with its own file system", async () => {
        const recovered = await recoveredDr();
        const typesDeclared = recovered.records.map((r) => r.type);
        expect(typesDeclared).to.include.members([types.lustre, types.dataRepositoryAssociation]);
        expect(typesDeclared).to.not.include(types.replication);
        expect(typesDeclared, "a detached side does not read the peer").to.not.include(types.stackReference);
        expect(await checkAll(lustreDrPolicies, recovered)).to.deep.equal([]);
    });
});
