import { expect } from "chai";
import { convergenceVerdict, UpdateFailedError } from "../../../infra/lifecycle/converge";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { UsageError } from "../../../infra/output";
import { FakePulumiCommand, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

const sites = twoSites;

const primaryFqn = "organization/lustre-dr/primary";
const drFqn = "organization/lustre-dr/dr";

describe("infra/lifecycle/deploy", () => {
    let project: TempProject;
    let fake: FakePulumiCommand;
    beforeEach(() => {
        project = tempProject();
        fake = new FakePulumiCommand(sites);
    });
    afterEach(() => project.remove());

    function deploy(options: { primary?: string; dr?: string; primaryProfile?: string; drProfile?: string; primaryAccountId?: string; drAccountId?: string } = {}, output = recordingOutput()) {
        return runDeploy(
            { primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId, ...options, primary: options.primary ?? "primary", dr: options.dr ?? "dr" },
            { output, workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
    }

    it("converges from nothing in four updates, setting peerStack only once the peer stack exists", async () => {
        const output = recordingOutput();
        const result = await deploy({}, output);

        expect(fake.changes()).to.deep.equal([
            "stack init primary",
            "config set primary lustre-dr:peerAccountId=222222222222",
            "up primary",
            "stack init dr",
            "config set dr lustre-dr:peerAccountId=111111111111",
            `config set dr lustre-dr:peerStack=${primaryFqn}`,
            "up dr",
            `config set primary lustre-dr:peerStack=${drFqn}`,
            "up primary",
            "up dr",
        ]);
        expect(result.verdict).to.equal("converged");
        expect(result.updates.map((u) => [u.stack, u.peerStack ?? null, u.replicationStatus])).to.deep.equal([
            ["primary", null, "no-peer"],
            ["dr", primaryFqn, "awaiting-peer-grant"],
            ["primary", drFqn, "active"],
            ["dr", primaryFqn, "active"],
        ]);
        expect(output.progressLines).to.include("[3/4] primary stack primary: 2 updated; replicationStatus active");
        expect(output.texts[0]).to.match(/Converged in 4 updates/);
    });

    it("runs exactly two updates without changes when already converged, with these CLI invocations", async () => {
        await deploy();
        fake.invocations.length = 0;

        const result = await deploy();

        expect(result.verdict).to.equal("converged");
        expect(result.updates.map((u) => u.changes)).to.deep.equal([{ same: 12 }, { same: 12 }]);
        const forStack = (stack: string) => [
            ["stack", "select", "--stack", stack],
            ["config", "--show-secrets", "--json", "--stack", stack],
            ["up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--stack", stack],
            ["stack", "output", "--json", "--stack", stack],
            ["stack", "output", "--json", "--show-secrets", "--stack", stack],
            ["stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", stack],
        ];
        // First each stack's pin is read (nothing to write: both are pinned already), then the loop.
        const pinOf = (stack: string) => [
            ["stack", "select", "--stack", stack],
            ["config", "--show-secrets", "--json", "--stack", stack],
        ];
        expect(fake.invocations).to.deep.equal([["stack", "ls", "--json"], ...pinOf("primary"), ...pinOf("dr"), ...forStack("primary"), ...forStack("dr")]);
    });

    it("stops at a failed third update, naming the stack and step; a re-run continues and converges", async () => {
        fake.failures.push({
            when: (args) => args[0] === "up" && fake.calls("up").length === 3,
            stderr: "error: update failed\n  aws:s3:BucketPolicy data-policy: AccessDenied: not authorized to perform s3:PutBucketPolicy",
        });

        const error = await deploy().then(
            () => undefined,
            (e: unknown) => e,
        );

        expect(error).to.be.instanceOf(UpdateFailedError);
        const message = (error as Error).message;
        expect(message).to.match(/^update 3 of at most 4 \(stack primary\) failed; the updates after it did not run\./);
        expect(message).to.include("AccessDenied: not authorized to perform s3:PutBucketPolicy");
        expect(message).to.match(/run `lustre-dr deploy` again: it continues/);
        expect(fake.updatedStacks()).to.deep.equal(["primary", "dr", "primary"]);

        fake.invocations.length = 0;
        const rerun = await deploy();

        expect(rerun.verdict).to.equal("converged");
        expect(fake.changes()).to.deep.equal(["up primary", "up dr"]);
        expect(rerun.updates.map((u) => u.replicationStatus)).to.deep.equal(["active", "active"]);
    });

    it("runs each stack's CLI invocations with that side's AWS profile", async () => {
        await deploy({ primaryProfile: "account-a", drProfile: "account-b" });

        const stackOf = (args: string[]) => (args.includes("--stack") ? args[args.indexOf("--stack") + 1] : args[0] === "stack" && args[1] === "init" ? args[2] : undefined);
        const pairs = fake.invocations.map((args, i) => [stackOf(args), fake.profiles[i]]).filter(([stack]) => stack !== undefined);
        expect(pairs.length).to.be.greaterThan(20);
        for (const [stack, profile] of pairs) {
            expect(profile, `${stack}`).to.equal(stack === "primary" ? "account-a" : "account-b");
        }
    });

    it("streams the engine output to stderr with --verbose, and only then", async () => {
        const written: string[] = [];
        const original = process.stderr.write;
        process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
        try {
            await runDeploy(
                { primary: "primary", dr: "dr", primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId, verbose: true },
                { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
            );
            const verboseRun = written.splice(0);
            await deploy();
            expect(verboseRun.filter((text) => text.startsWith("Updating ("))).to.deep.equal([
                "Updating (primary)\n~ 2 to update\n",
                "Updating (dr)\n~ 2 to update\n",
                "Updating (primary)\n~ 2 to update\n",
                "Updating (dr)\n~ 2 to update\n",
            ]);
            expect(written).to.deep.equal([]);
        } finally {
            process.stderr.write = original;
        }
    });

    it("removes a peerStack that names a stack which does not exist yet, instead of failing the first update", async () => {
        fake.addStack("primary", { "lustre-dr:peerStack": drFqn });

        await deploy();

        expect(fake.changes().slice(0, 3)).to.deep.equal([
            "config set primary lustre-dr:peerAccountId=222222222222",
            "config rm primary lustre-dr:peerStack",
            "up primary",
        ]);
    });

    it("stops without spending updates when a side is detached, pointing at failback", async () => {
        await deploy();
        fake.stacks.get("dr")!.config["lustre-dr:recovery"] = { detached: true };
        fake.invocations.length = 0;

        const result = await deploy();

        expect(result.verdict).to.equal("detached");
        expect(fake.updatedStacks()).to.deep.equal(["primary", "dr"]);
    });

    it("passes the policy pack to every update once it exists", async () => {
        const withPolicy = tempProject({ "infra/policy/PulumiPolicy.yaml": "runtime: nodejs\n" });
        try {
            await runDeploy(
                { primary: "primary", dr: "dr", primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId },
                { output: recordingOutput(), workspace: { projectDir: withPolicy.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
            );
            const ups = fake.changes().filter((line) => line.startsWith("up"));
            expect(ups).to.have.length(4);
            for (const up of ups) {
                expect(up).to.include(`--policy-pack ${withPolicy.dir}/infra/policy`);
            }
        } finally {
            withPolicy.remove();
        }
    });

    it("uses fully qualified names as given and the project name for <org>/<stack>", async () => {
        fake = new FakePulumiCommand(
            { "prod-east": sites.primary, "prod-west": sites.dr },
            { "prod-east": { "lustre-dr:role": "primary" }, "prod-west": { "lustre-dr:role": "dr" } },
        );
        const result = await deploy({ primary: "prod-east", dr: "organization/prod-west" });
        expect(result.verdict).to.equal("converged");
        expect(fake.changes()).to.include("config set organization/prod-west lustre-dr:peerStack=organization/lustre-dr/prod-east");
        expect(fake.changes()).to.include("config set prod-east lustre-dr:peerStack=organization/lustre-dr/prod-west");
    });

    describe("pins each stack to its peer's account (lustre-dr:peerAccountId)", () => {
        it("refuses to start, changing nothing, while a stack has no pin and none is given", async () => {
            const error = await deploy({ primaryAccountId: undefined, drAccountId: undefined }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).to.be.instanceOf(UsageError);
            expect((error as Error).message)
                .to.contain("stack primary has no lustre-dr:peerAccountId (the dr side's account): pass --dr-account-id")
                .and.contain("stack dr has no lustre-dr:peerAccountId (the primary side's account): pass --primary-account-id");
            expect(fake.changes()).to.deep.equal([]);
        });

        it("uses pins already in the stacks' config without flags", async () => {
            fake.addStack("primary", { "lustre-dr:peerAccountId": sites.dr.accountId });
            fake.addStack("dr", { "lustre-dr:peerAccountId": sites.primary.accountId });
            const result = await deploy({ primaryAccountId: undefined, drAccountId: undefined });
            expect(result.verdict).to.equal("converged");
            expect(fake.changes().filter((line) => line.includes("peerAccountId"))).to.deep.equal([]);
        });

        it("reads the pin of a stack not created yet from its Pulumi.<stack>.yaml", async () => {
            const withFiles = tempProject({ "Pulumi.dr.yaml": `config:\n  lustre-dr:peerAccountId: "${sites.primary.accountId}"\n` });
            try {
                const error = await runDeploy(
                    { primary: "primary", dr: "dr" },
                    { output: recordingOutput(), workspace: { projectDir: withFiles.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
                ).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                // Only the primary stack is missing its pin now.
                expect((error as Error).message).to.contain("stack primary has no lustre-dr:peerAccountId").and.not.contain("stack dr has no");
            } finally {
                withFiles.remove();
            }
        });

        it("refuses a malformed --dr-account-id as a usage error before touching a stack", async () => {
            const error = await deploy({ drAccountId: "22222222222" }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).to.be.instanceOf(UsageError);
            expect((error as Error).message).to.equal('--dr-account-id is "22222222222": expected a 12-digit AWS account id such as 123456789012');
            expect(fake.invocations).to.deep.equal([]);
        });

        it("stops at the first update that reads a peer whose account is not the pinned one", async () => {
            const error = await deploy({ primaryAccountId: "999999999999" }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).to.be.instanceOf(UpdateFailedError);
            expect((error as Error).message).to.contain("update 2 of at most 4 (stack dr)").and.contain("its accountId output is 111111111111, not the pinned 999999999999");
            expect(fake.updatedStacks()).to.deep.equal(["primary", "dr"]);
        });
    });

    it("refuses the same stack for both sides before running anything", async () => {
        const error = await deploy({ primary: "dr", dr: "dr" }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/--primary and --dr are both "dr"/);
        expect(fake.invocations).to.deep.equal([]);
    });

    it("missing passphrase: exit-code-2 error before any CLI invocation", async () => {
        const error = await runDeploy(
            { primary: "primary", dr: "dr" },
            { output: recordingOutput(), workspace: { projectDir: project.dir, env: {}, pulumiCommand: fake.asPulumiCommand() } },
        ).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/PULUMI_CONFIG_PASSPHRASE is not set/);
        expect(fake.invocations).to.deep.equal([]);
    });

    describe("convergence verdict", () => {
        it("continues until both sides report active, at most four updates", () => {
            expect(convergenceVerdict({ primary: "no-peer" }, 1)).to.equal("continue");
            expect(convergenceVerdict({ primary: "active" }, 1)).to.equal("continue");
            expect(convergenceVerdict({ primary: "active", dr: "active" }, 2)).to.equal("converged");
            expect(convergenceVerdict({ primary: "active", dr: "awaiting-peer-grant" }, 4)).to.equal("exhausted");
            expect(convergenceVerdict({ primary: "awaiting-peer-grant", dr: "detached" }, 2)).to.equal("detached");
        });
    });
    it("refuses two primary stack files before touching either stack (exit 2), naming the file", async () => {
        const fs = await import("fs");
        const path = await import("path");
        const example = (stack: string) => fs.readFileSync(path.join(__dirname, "..", "..", "..", `Pulumi.${stack}.yaml`), "utf8");
        const broken = tempProject({ "Pulumi.primary.yaml": example("primary"), "Pulumi.dr.yaml": example("dr").replace("lustre-dr:role: dr", "lustre-dr:role: primary") });
        try {
            let failure: unknown;
            await runDeploy(
                { primary: "primary", dr: "dr" },
                { output: recordingOutput(), workspace: { projectDir: broken.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
            ).catch((error: unknown) => (failure = error));
            expect(failure).to.be.instanceOf(UsageError);
            expect((failure as Error).message).to.contain('Pulumi.dr.yaml: lustre-dr:role is "primary": expected "dr"');
            expect(fake.changes()).to.deep.equal([]);
        } finally {
            broken.remove();
        }
    });
});
