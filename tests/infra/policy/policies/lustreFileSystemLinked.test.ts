import { expect } from "chai";
import { lustreFileSystemLinked } from "../../../../infra/policy/policies/lustreFileSystemLinked";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { broken, check, declare, recordOf } from "../policyHarness";

describe("policy lustre-file-system-linked-to-bucket", () => {
    it("passes the shipped file system and its association", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(lustreFileSystemLinked, primary)).to.deep.equal([]);
        expect(await check(lustreFileSystemLinked, dr), "pilot light: no file system, nothing to check").to.deep.equal([]);
    });

    it("fails a file system without an association, on the file system", async () => {
        const { primary } = await convergedPair();
        const unlinked = broken(primary, (records) => records.splice(records.indexOf(recordOf(records, types.dataRepositoryAssociation)), 1));
        const violations = await check(lustreFileSystemLinked, unlinked);
        expect(violations).to.have.length(1);
        expect(violations[0].message).to.contain("file system lustre-fs has no aws.fsx.DataRepositoryAssociation")
            .and.contain('["NEW", "CHANGED", "DELETED"]');
        expect(violations[0].urn).to.equal(recordOf(unlinked.records, types.lustre).urn);
    });

    it("fails an association that does not export deletes", async () => {
        const { primary } = await convergedPair();
        const noDeletes = broken(primary, (records) =>
            declare(recordOf(records, types.dataRepositoryAssociation), (props) => (props.s3.autoExportPolicy.events = ["NEW", "CHANGED"])),
        );
        const [violation] = await check(lustreFileSystemLinked, noDeletes);
        expect(violation.message).to.equal(
            'lustre-dra (file system lustre-fs): s3.autoExportPolicy.events lacks DELETED; set both event lists to ["NEW", "CHANGED", "DELETED"] ' +
                "so every change reaches the bucket and comes back from it.",
        );
    });

    it("fails an association without auto-import", async () => {
        const { primary } = await convergedPair();
        const noImport = broken(primary, (records) =>
            declare(recordOf(records, types.dataRepositoryAssociation), (props) => delete props.s3.autoImportPolicy),
        );
        const [violation] = await check(lustreFileSystemLinked, noImport);
        expect(violation.message).to.contain("s3.autoImportPolicy.events lacks NEW, CHANGED, DELETED");
    });
});
