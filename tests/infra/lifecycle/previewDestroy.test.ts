import { expect } from "chai";
import { UsageError } from "../../../infra/output";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { confirms, DestroyCommandOptions, runDestroy } from "../../../infra/lifecycle/destroy";
import { runPreview } from "../../../infra/lifecycle/preview";
import { FakePulumiCommand, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

describe("infra/pulumi preview and destroy", () => {
    let project: TempProject;
    let fake: FakePulumiCommand;
    const workspace = () => ({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

    beforeEach(() => {
        project = tempProject();
        fake = new FakePulumiCommand(twoSites);
    });
    afterEach(() => project.remove());

    describe("preview", () => {
        it("previews both stacks without changing anything, reading the engine's change summary", async () => {
            await runDeploy({ primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId }, { output: recordingOutput(), workspace: workspace() });
            fake.stacks.get("dr")!.config["lustre-dr:recovery"] = { detached: true };
            fake.invocations.length = 0;
            const output = recordingOutput();

            const previews = await runPreview({ primary: "primary", dr: "dr" }, { output, workspace: workspace() });

            expect(previews).to.deep.equal([
                { role: "primary", stack: "primary", exists: true, changes: { same: 12 } },
                { role: "dr", stack: "dr", exists: true, changes: { update: 2, same: 10 } },
            ]);
            expect(fake.changes()).to.deep.equal([]);
            expect(fake.calls("preview").map((args) => args[args.indexOf("--stack") + 1])).to.deep.equal(["primary", "dr"]);
            expect(output.texts[0]).to.equal("primary (primary): no changes\ndr (dr): 2 updated");
        });

        it("does not create stacks that do not exist yet", async () => {
            const previews = await runPreview({ primary: "primary", dr: "dr" }, { output: recordingOutput(), workspace: workspace() });

            expect(previews.map((p) => p.exists)).to.deep.equal([false, false]);
            expect(fake.invocations).to.deep.equal([["stack", "ls", "--json"]]);
        });
    });

    describe("destroy", () => {
        beforeEach(async () => {
            await runDeploy({ primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId }, { output: recordingOutput(), workspace: workspace() });
            fake.invocations.length = 0;
        });

        function destroy(options: Partial<DestroyCommandOptions> = {}, answer?: string, output = recordingOutput()) {
            const asked: string[] = [];
            const run = runDestroy(
                { primary: "primary", dr: "dr", ...options },
                {
                    output,
                    workspace: workspace(),
                    prompt: async (question) => {
                        asked.push(question);
                        return answer ?? "";
                    },
                },
            );
            return { run, asked, output };
        }

        it("by default destroys all but the protected bucket and key, dr first, and says what it kept", async () => {
            const { run, asked, output } = destroy();
            const results = await run;

            expect(fake.changes()).to.deep.equal(["destroy --exclude-protected dr", "destroy --exclude-protected primary"]);
            expect(asked).to.deep.equal([]);
            expect(results.map((r) => r.kept)).to.deep.equal([
                ["aws:s3/bucket:Bucket data-bucket", "aws:kms/key:Key data-key"],
                ["aws:s3/bucket:Bucket data-bucket", "aws:kms/key:Key data-key"],
            ]);
            expect(output.progressLines[0]).to.match(/Buckets and their KMS keys are protected and are kept/);
            expect(output.texts[0]).to.match(/dr: destroyed, kept 2 protected:\n {2}aws:s3\/bucket:Bucket data-bucket/);
        });

        it("with --include-data asks for the stack names, then forces bucket deletion, unprotects and destroys", async () => {
            const { run, asked } = destroy({ includeData: true, only: "dr" }, "dr");
            const results = await run;

            expect(asked[0]).to.match(/deletes the buckets of dr with every object version.*Type "dr" to confirm/);
            expect(fake.changes()).to.deep.equal([
                "config set-all --path dr lustre-dr:bucket.forceDestroy=true",
                "up dr",
                "stack import dr",
                "destroy dr",
            ]);
            expect(results).to.deep.equal([{ stack: "dr", existed: true, includedData: true, kept: [], retained: [] }]);
            expect(fake.stacks.get("dr")!.resources).to.deep.equal([]);
            expect(fake.stacks.get("primary")!.resources).to.have.length(4);
        });

        it("with a wrong confirmation destroys nothing", async () => {
            const { run } = destroy({ includeData: true }, "primary");
            const error = await run.then(
                () => undefined,
                (e: unknown) => e,
            );

            expect(error).to.be.instanceOf(UsageError);
            expect((error as Error).message).to.match(/confirmation was "primary", expected the stack names "dr primary" \(in any order\): nothing was destroyed/);
            expect(fake.invocations).to.deep.equal([]);
        });

        it("takes the confirmation from --confirm for non-interactive runs", async () => {
            const { run, asked } = destroy({ includeData: true, confirm: "dr primary" });
            await run;
            expect(asked).to.deep.equal([]);
            expect(fake.changes().filter((line) => line.startsWith("destroy"))).to.deep.equal(["destroy dr", "destroy primary"]);
        });

        it("accepts --confirm with the stack names in any order", async () => {
            const { run } = destroy({ includeData: true, confirm: "primary dr" });
            await run;
            expect(fake.changes().filter((line) => line.startsWith("destroy"))).to.deep.equal(["destroy dr", "destroy primary"]);
        });

        it("a confirmation names exactly the stacks, each once, in any order, separated by spaces or commas", () => {
            const targets = ["dr", "primary"];
            for (const answer of ["dr primary", "primary dr", " primary,dr ", "dr, primary", "primary\tdr"]) {
                expect(confirms(answer, targets), answer).to.equal(true);
            }
            for (const answer of ["", "dr", "primary", "dr dr", "dr primary primary", "dr primary x", "DR PRIMARY", "drprimary"]) {
                expect(confirms(answer, targets), answer).to.equal(false);
            }
        });
    });
});
