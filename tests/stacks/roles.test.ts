import { expect } from "chai";
import { ConfigError } from "../../components/problems";
import { lustreDrProgram } from "../../stacks/program";
import { maxRoleNameLength, roleNameProblems, roleNames } from "../../stacks/roles";
import { runWithMocks } from "../support/pulumiMocks";

describe("deterministic role names", () => {
    it("fit IAM's 64 characters for ordinary names", () => {
        expect(roleNameProblems({ project: "lustre-dr", stack: "primary" })).to.deep.equal([]);
        const longest = roleNames({ project: "lustre-dr", stack: "production-eu-west-1-dr" }).batchReplication;
        expect(longest.length).to.be.at.most(maxRoleNameLength);
    });

    it("refuses a project and stack whose role name IAM would refuse, naming both and by how much", () => {
        const problems = roleNameProblems({ project: "acme-filesystem-disaster-recovery", stack: "production-us-east-1-primary" });
        // one problem per role whose name is too long, the replication role's first
        expect(problems.length).to.equal(Object.values(roleNames({ project: "acme-filesystem-disaster-recovery", stack: "production-us-east-1-primary" })).length);
        const [problem] = problems;
        expect(problem.value).to.equal("acme-filesystem-disaster-recovery/production-us-east-1-primary");
        expect(problem.expected).to.match(/acme-filesystem-disaster-recovery-production-us-east-1-primary-replication \(74 characters\) fits IAM's 64: shorten .* by 10 characters/);
    });

    it("stops the program before anything is declared", async () => {
        let refused: unknown;
        await runWithMocks(() => lustreDrProgram({ awsRegion: "us-east-1", role: "primary", lustre: { enabled: false } }), {
            stack: "production-us-east-1-primary",
            project: "acme-filesystem-disaster-recovery",
        }).catch((error) => (refused = error));
        expect(refused).to.be.instanceOf(ConfigError);
        expect((refused as Error).message).to.contain("74 characters");
    });
});
