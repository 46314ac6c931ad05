import { expect } from "chai";
import { runDeploy } from "../../../infra/pulumi/deploy";
import { runRecover } from "../../../infra/pulumi/recover";
import { UsageError } from "../../../infra/output";
import { FakePulumiCommand, twoSites as sites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

describe("infra/pulumi/recover", () => {
    let project: TempProject;
    let fake: FakePulumiCommand;
    beforeEach(async () => {
        project = tempProject();
        fake = new FakePulumiCommand(sites, {
            dr: { "lustre-dr:clients": [{ name: "render-1", kind: "instance", mountPoint: "/mnt/lustre" }, { name: "render-2", kind: "instance" }] },
        });
        await runDeploy(
            { primary: "primary", dr: "dr" },
            { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
        fake.invocations.length = 0;
    });
    afterEach(() => project.remove());

    function recover(options: { detach?: boolean; restoreTo?: string; drProfile?: string } = {}, output = recordingOutput()) {
        return runRecover(
            { dr: "dr", detach: options.detach ?? true, restoreTo: options.restoreTo, drProfile: options.drProfile },
            { output, workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
    }

    it("detaches the dr side and enables Lustre in one update, never invoking the CLI on the primary stack", async () => {
        const output = recordingOutput();
        fake.profiles.length = 0;
        const result = await recover({ drProfile: "account-b" }, output);

        expect(new Set(fake.profiles)).to.deep.equal(new Set(["account-b"]));
        expect(fake.changes()).to.deep.equal([
            "config set-all --path dr lustre-dr:lustre.enabled=true lustre-dr:recovery.detached=true",
            "up dr",
        ]);
        expect([...fake.touchedStacks()]).to.deep.equal(["dr"]);
        expect(fake.invocations.some((args) => args.some((arg) => arg.includes("primary")))).to.equal(false);
        expect(fake.stacks.get("dr")!.config["lustre-dr:recovery"]).to.deep.equal({ detached: true });
        expect(fake.stacks.get("dr")!.config["lustre-dr:lustre"]).to.deep.equal({ enabled: true });
        expect(result.outputs.replicationStatus).to.equal("detached");
        expect(result.outputs.replicationGrantedTo).to.deep.equal([]);
    });

    it("prints the mount command for each configured client", async () => {
        const output = recordingOutput();
        const result = await recover({}, output);

        const source = "fs-02222.fsx.us-west-2.amazonaws.com@tcp:/abcdefgh";
        expect(result.mounts.map((m) => m.client)).to.deep.equal(["render-1", "render-2"]);
        expect(result.mounts[0].command).to.include(source).and.include("/mnt/lustre");
        expect(result.mounts[1].command).to.match(/ \/fsx$/);
        expect(output.texts[0]).to.match(/File system fs-02222\. Mount it on each client:\n {2}render-1: sudo mkdir -p \/mnt\/lustre/);
    });

    it("with --no-detach enables Lustre but keeps replicating with the primary", async () => {
        const result = await recover({ detach: false });

        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:lustre.enabled=true", "up dr"]);
        expect(result.outputs.replicationStatus).to.equal("active");
    });

    it("refuses --restore-to while point-in-time restore is not available, before touching any stack", async () => {
        const error = await recover({ restoreTo: "2026-01-31T12:00:00Z" }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/--restore-to is "2026-01-31T12:00:00Z", but point-in-time restore is not available/);
        expect(fake.invocations).to.deep.equal([]);
    });

    it("names the dr stack when its update fails, and keeps the config so a re-run continues", async () => {
        fake.failures.push({ when: (args) => args[0] === "up", stderr: "error: creating FSx file system: ServiceQuotaExceeded" });

        const error = await recover().then(
            () => undefined,
            (e: unknown) => e,
        );

        expect((error as Error).message).to.match(/the update of stack dr failed; the config change is saved/);
        expect((error as Error).message).to.include("ServiceQuotaExceeded");
        const rerun = await recover();
        expect(rerun.outputs.fileSystemId).to.equal("fs-02222");
    });
});
