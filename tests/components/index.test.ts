import { expect } from "chai";
import * as components from "../../components";

describe("components/index", () => {
    it("exports the components and the pure builders other programs reuse", () => {
        expect(components.ReplicatedBucket).to.be.a("function");
        expect(components.replicationRule).to.be.a("function");
        expect(components.policies.bucketPolicy).to.be.a("function");
        expect(components.replicationRuleId).to.equal("lustre-dr-to-peer");
        expect(components.LustreWithRepository).to.be.a("function");
        expect(components.checkLustreSettings).to.be.a("function");
        expect(components.LustreNetwork).to.be.a("function");
    });
});
