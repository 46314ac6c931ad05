import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { UsageError } from "../../../infra/output";
import { findPulumiCommand, LustreDrWorkspace, resolveBackend, validateStackName } from "../../../infra/pulumi/workspace";
import { FakePulumiCommand } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";

async function rejection(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
        () => {
            throw new Error("expected a rejection");
        },
        (error: Error) => error,
    );
}

describe("infra/pulumi/workspace", () => {
    let project: TempProject;
    beforeEach(() => {
        project = tempProject();
    });
    afterEach(() => project.remove());

    describe("backend", () => {
        it("defaults to a file backend under .lustre-dr/state in the project, created once the CLI is found", async () => {
            const backend = resolveBackend(project.dir, testEnv());
            const stateDir = path.join(project.dir, ".lustre-dr", "state");
            expect(backend).to.deep.equal({ url: `file://${stateDir}`, embedded: true, diy: true });
            expect(fs.existsSync(stateDir)).to.equal(false);
            await LustreDrWorkspace.open({ projectDir: project.dir, env: testEnv(), pulumiCommand: new FakePulumiCommand({}).asPulumiCommand() });
            expect(fs.statSync(stateDir).isDirectory()).to.equal(true);
        });

        it("uses PULUMI_BACKEND_URL when set, and tells Pulumi Cloud from DIY backends", () => {
            expect(resolveBackend(project.dir, testEnv({ PULUMI_BACKEND_URL: "s3://acme-state" }))).to.deep.equal({
                url: "s3://acme-state",
                embedded: false,
                diy: true,
            });
            expect(resolveBackend(project.dir, { PULUMI_BACKEND_URL: "https://api.pulumi.com" })).to.include({ diy: false });
            expect(fs.existsSync(path.join(project.dir, ".lustre-dr"))).to.equal(false);
        });

        it("refuses the local backend without a passphrase, saying which variables to set", () => {
            expect(() => resolveBackend(project.dir, { PATH: "/usr/bin" }))
                .to.throw(UsageError)
                .with.property("message")
                .that.matches(/PULUMI_CONFIG_PASSPHRASE is not set.*PULUMI_CONFIG_PASSPHRASE_FILE.*PULUMI_BACKEND_URL/);
        });

        it("accepts a passphrase file that exists and names one that does not", () => {
            const file = path.join(project.dir, "passphrase");
            fs.writeFileSync(file, "secret\n");
            expect(resolveBackend(project.dir, { PULUMI_CONFIG_PASSPHRASE_FILE: file }).embedded).to.equal(true);
            expect(() => resolveBackend(project.dir, { PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/pass" })).to.throw(
                UsageError,
                /PULUMI_CONFIG_PASSPHRASE_FILE is "\/nonexistent\/pass": expected a readable file/,
            );
        });
    });

    describe("the Pulumi CLI", () => {
        it("says how to install Pulumi when no CLI is found", async () => {
            const emptyRoot = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
            try {
                // The SDK's own lookup, pointed at a directory without a pulumi binary.
                const error = await rejection(findPulumiCommand(() => PulumiCommand.get({ root: emptyRoot })));
                expect(error).to.be.instanceOf(UsageError);
                expect(error.message).to.match(/Pulumi CLI \(`pulumi`\) is not on PATH: install it .*get\.pulumi\.com/);
            } finally {
                fs.rmSync(emptyRoot, { recursive: true, force: true });
            }
        });

        it("does not look for the CLI when the passphrase is missing, and stops before any stack is touched", async () => {
            const fake = new FakePulumiCommand({});
            const error = await rejection(LustreDrWorkspace.open({ projectDir: project.dir, env: {}, pulumiCommand: fake.asPulumiCommand() }));
            expect(error).to.be.instanceOf(UsageError);
            expect(fake.invocations).to.deep.equal([]);
        });
    });

    describe("workspace", () => {
        it("runs the CLI in the project directory against the resolved backend", async () => {
            const fake = new FakePulumiCommand({});
            fake.addStack("dr");
            const workspace = await LustreDrWorkspace.open({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

            expect(workspace.projectName).to.equal("lustre-dr");
            expect(await workspace.stackExists("dr")).to.equal(true);
            expect(await workspace.stackExists("primary")).to.equal(false);
            expect(await workspace.fullyQualifiedName("dr")).to.equal("organization/lustre-dr/dr");
            expect(await workspace.fullyQualifiedName("acme/dr")).to.equal("acme/lustre-dr/dr");
            expect(fake.lastEnv.PULUMI_BACKEND_URL).to.equal(`file://${path.join(project.dir, ".lustre-dr", "state")}`);
        });

        it("enforces the project's policy pack once infra/policy/PulumiPolicy.yaml exists", async () => {
            const plain = await LustreDrWorkspace.open({ projectDir: project.dir, env: testEnv(), pulumiCommand: new FakePulumiCommand({}).asPulumiCommand() });
            expect(plain.policyPacks).to.deep.equal([]);
            const withPolicy = tempProject({ "infra/policy/PulumiPolicy.yaml": "runtime: nodejs\n" });
            try {
                const workspace = await LustreDrWorkspace.open({
                    projectDir: withPolicy.dir,
                    env: testEnv(),
                    pulumiCommand: new FakePulumiCommand({}).asPulumiCommand(),
                });
                expect(workspace.policyPacks).to.deep.equal([path.join(withPolicy.dir, "infra", "policy")]);
            } finally {
                withPolicy.remove();
            }
        });

        it("without a project directory, serves the nearest Pulumi.yaml from the working directory upwards", async () => {
            const nested = path.join(project.dir, "deep", "er");
            fs.mkdirSync(nested, { recursive: true });
            const fake = new FakePulumiCommand({});
            const before = process.cwd();
            process.chdir(nested);
            try {
                const workspace = await LustreDrWorkspace.open({ env: testEnv(), pulumiCommand: fake.asPulumiCommand() });
                expect(workspace.workspace.workDir).to.equal(fs.realpathSync(project.dir));
                expect(workspace.backend.url).to.equal(`file://${path.join(fs.realpathSync(project.dir), ".lustre-dr", "state")}`);
            } finally {
                process.chdir(before);
            }
        });

        it("names a missing stack and the backend instead of the CLI's raw error", async () => {
            const fake = new FakePulumiCommand({});
            const workspace = await LustreDrWorkspace.open({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });
            const error = await rejection(workspace.selectStack("dr"));
            expect(error).to.be.instanceOf(UsageError);
            expect(error.message).to.match(/^stack dr does not exist in the backend file:\/\/.*: deploy it first/);
        });

        it("refuses stack names Pulumi would reject, naming the flag", () => {
            expect(validateStackName("--dr", "acme/lustre-dr/dr")).to.equal("acme/lustre-dr/dr");
            expect(() => validateStackName("--dr", "my stack")).to.throw(UsageError, /--dr is "my stack": expected a stack name/);
            expect(() => validateStackName("--primary", "a/b/c/d")).to.throw(UsageError, /--primary is "a\/b\/c\/d"/);
        });
    });
});
