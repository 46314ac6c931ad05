import { expect } from "chai";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { runFreeze } from "../../../infra/lifecycle/freeze";
import { UsageError } from "../../../infra/output";
import { FakePulumiCommand, twoSites as sites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

describe("infra/lifecycle/freeze", () => {
    let project: TempProject;
    let fake: FakePulumiCommand;
    beforeEach(async () => {
        project = tempProject();
        fake = new FakePulumiCommand(sites);
        await runDeploy(
            { primary: "primary", dr: "dr", primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId },
            { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
        fake.invocations.length = 0;
    });
    afterEach(() => project.remove());

    const freeze = (output = recordingOutput(), dr = "dr") =>
        runFreeze({ dr, drProfile: "account-b" }, { output, workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } });

    it("detaches the dr side in one update that sets recovery.detached only and creates no file system", async () => {
        fake.profiles.length = 0;
        const output = recordingOutput();
        const result = await freeze(output);

        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
        expect([...fake.touchedStacks()]).to.deep.equal(["dr"]);
        expect(new Set(fake.profiles)).to.deep.equal(new Set(["account-b"]));
        expect(fake.stacks.get("dr")!.config["lustre-dr:lustre"]).to.equal(undefined);
        expect(result.outputs).to.include({ replicationStatus: "detached" });
        expect(result.outputs.replicationGrantedTo).to.deep.equal([]);
        expect(result.outputs.fileSystemId).to.equal(undefined);
        expect(result.phase.phase).to.equal("freeze");
        expect(result.phase.seconds).to.be.a("number");
        expect(output.texts[0]).to.match(/^Froze dr in \d+(\.\d+)? s \(.*\): it neither accepts replicas from nor replicates to the primary\.\nNext: /);
    });

    it("is a no-op the second time: no update once the side is frozen", async () => {
        await freeze();
        fake.invocations.length = 0;
        const output = recordingOutput();
        const again = await freeze(output);

        expect(fake.changes()).to.deep.equal([]);
        expect(again.phase.skipped).to.equal("already frozen");
        expect(output.texts[0]).to.match(/^dr was already frozen/);
    });

    it("runs the update again when the config says detached but the last update did not take effect", async () => {
        fake.failures.push({ when: (args) => args[0] === "up", stderr: "error: interrupted" });
        const failed = await freeze().then(
            () => undefined,
            (e: unknown) => e,
        );
        expect((failed as Error).message).to.match(/^the freeze update of stack dr failed; recovery.detached=true is saved in its config, so run the same command again/);

        fake.invocations.length = 0;
        const result = await freeze();
        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
        expect(result.phase.skipped).to.equal(undefined);
    });

    it("refuses a bad stack name before touching anything", async () => {
        const error = await freeze(recordingOutput(), "not a stack!").then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect(fake.invocations).to.deep.equal([]);
    });
});
