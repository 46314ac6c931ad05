import { expect } from "chai";
import { dataResourcesProtected } from "../../../../infra/policy/policies/dataResourcesProtected";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { broken, check, recordOf } from "../policyHarness";

describe("policy data-resources-protected", () => {
    it("passes the shipped bucket and file system, protected by default", async () => {
        const { primary, dr } = await convergedPair();
        expect(recordOf(primary.records, types.lustre).protect).to.equal(true);
        expect(await check(dataResourcesProtected, primary)).to.deep.equal([]);
        expect(await check(dataResourcesProtected, dr)).to.deep.equal([]);
    });

    it("flags an unprotected bucket and an unprotected file system, each on itself", async () => {
        const { primary } = await convergedPair();
        const unprotected = broken(primary, (records) => {
            recordOf(records, types.bucket).protect = false;
            recordOf(records, types.lustre).protect = false;
        });
        const violations = await check(dataResourcesProtected, unprotected);
        expect(violations.map((v) => v.urn)).to.have.members([recordOf(unprotected.records, types.bucket).urn, recordOf(unprotected.records, types.lustre).urn]);
        expect(violations[0].message).to.contain("is not protected; declare it with { protect: true }");
    });
});
