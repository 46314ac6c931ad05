import { expect } from "chai";
import { lustreFileSystemSettings, lustreSettingsProblems } from "../../../../infra/policy/policies/lustreFileSystemSettings";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

describe("policy lustre-file-system-settings", () => {
    it("passes the shipped file system", async () => {
        const { primary } = await convergedPair();
        expect(await check(lustreFileSystemSettings, primary)).to.deep.equal([]);
    });

    it("fails Lustre 2.12, on the file system", async () => {
        const { primary } = await convergedPair();
        const old = broken(primary, (records) => declare(recordOf(records, types.lustre), (props) => (props.fileSystemTypeVersion = "2.12")));
        const violations = await check(lustreFileSystemSettings, old);
        expect(violations.map((v) => v.message)).to.deep.equal([
            'lustre-fs: fileSystemTypeVersion is "2.12"; set "2.15" (data repository associations need Lustre 2.12 or 2.15, and 2.15 is the supported line).',
        ]);
        expect(violations[0].urn).to.equal(recordOf(old.records, types.lustre).urn);
    });

    it("fails automatic backups", async () => {
        const { primary } = await convergedPair();
        const backedUp = broken(primary, (records) => declare(recordOf(records, types.lustre), (props) => (props.automaticBackupRetentionDays = 7)));
        const [violation] = await check(lustreFileSystemSettings, backedUp);
        expect(violation.message).to.contain("automaticBackupRetentionDays is 7; set 0");
    });

    it("treats a missing deploymentType as the provider's SCRATCH_1 default", () => {
        const settings = { fileSystemTypeVersion: "2.15", automaticBackupRetentionDays: 0 };
        expect(lustreSettingsProblems(settings)).to.deep.equal([
            "deploymentType is SCRATCH_1 (the provider's default), which cannot have a data repository association; use PERSISTENT_2, PERSISTENT_1 or SCRATCH_2.",
        ]);
        expect(lustreSettingsProblems({ ...settings, deploymentType: "SCRATCH_2" })).to.deep.equal([]);
        expect(lustreSettingsProblems({ ...settings, deploymentType: "PERSISTENT_2", copyTagsToBackups: true })).to.have.length(1);
    });
});
