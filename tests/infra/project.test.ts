import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { invokedCommand } from "../../infra/cli";
import { appendDrillHistory, resolveDrillHistoryFile } from "../../infra/drill/history";
import { UsageError } from "../../infra/output";
import type { StackPlan } from "../../infra/plan/model";
import { findProject, packageDir, requireProject, resolveInProject, stackFile } from "../../infra/project";
import { emulatorCredentials, emulatorPair } from "../emulator/moto";
import { runCli } from "../support/cliRun";
import { sampleDrillResult } from "../support/drillResult";

/** A Pulumi project of the operator's own, outside this package: its own name, stack names and regions. */
function operatorProject(): { dir: string; sub: string; remove(): void } {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "operator-project-")));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: acme-storage\nruntime: nodejs\nmain: index.ts\n");
    fs.copyFileSync(path.join(packageDir, "Pulumi.primary.yaml"), path.join(dir, "Pulumi.east.yaml"));
    // the dr side of this project is in eu-west-1, so a plan shows whose file it read
    const dr = fs.readFileSync(path.join(packageDir, "Pulumi.dr.yaml"), "utf8").replace("aws:region: us-west-2", "aws:region: eu-west-1");
    fs.writeFileSync(path.join(dir, "Pulumi.west.yaml"), dr);
    const sub = path.join(dir, "ops", "runbooks");
    fs.mkdirSync(sub, { recursive: true });
    return { dir, sub, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `body` with the process in `dir`, as an operator standing there. */
async function inDirectory<T>(dir: string, body: () => Promise<T>): Promise<T> {
    const before = process.cwd();
    process.chdir(dir);
    try {
        return await body();
    } finally {
        process.chdir(before);
    }
}

describe("infra/project: the project is where the operator stands", () => {
    let project: ReturnType<typeof operatorProject>;
    let empty: string;
    beforeEach(() => {
        project = operatorProject();
        empty = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "no-project-")));
    });
    afterEach(() => {
        project.remove();
        fs.rmSync(empty, { recursive: true, force: true });
    });

    describe("finding it", () => {
        it("is the nearest Pulumi.yaml from the directory upwards, with its name, main and stack files", () => {
            const found = findProject(project.sub)!;
            expect(found).to.deep.equal({
                dir: project.dir,
                file: path.join(project.dir, "Pulumi.yaml"),
                name: "acme-storage",
                main: "index.ts",
                stackConfigDir: project.dir,
            });
            expect(stackFile(found, "west")).to.equal(path.join(project.dir, "Pulumi.west.yaml"));
            expect(stackFile(found, "acme/acme-storage/west")).to.equal(path.join(project.dir, "Pulumi.west.yaml"));
        });

        it("honours Pulumi.yml and the project's stackConfigDir", () => {
            fs.writeFileSync(path.join(empty, "Pulumi.yml"), "name: other\nruntime: nodejs\nstackConfigDir: config\n");
            const found = findProject(empty)!;
            expect(found.name).to.equal("other");
            expect(stackFile(found, "dr")).to.equal(path.join(empty, "config", "Pulumi.dr.yml"));
        });

        it("names every directory it searched when there is none", () => {
            const inner = path.join(empty, "a", "b");
            fs.mkdirSync(inner, { recursive: true });
            expect(findProject(inner)).to.equal(undefined);
            expect(() => requireProject(inner))
                .to.throw(UsageError)
                .with.property("message")
                .that.equals(
                    `no Pulumi project found: no Pulumi.yaml in ${inner} or any directory above it ` +
                        `(searched ${[inner, path.join(empty, "a"), empty, ...ancestors(empty)].join(", ")}); ` +
                        "run lustre-dr inside the project directory, or give --cwd <project directory>",
                );
        });

        it("refuses a project file without a name, naming the file", () => {
            fs.writeFileSync(path.join(empty, "Pulumi.yaml"), "runtime: nodejs\n");
            expect(() => findProject(empty)).to.throw(UsageError, `${path.join(empty, "Pulumi.yaml")} has no project name`);
        });
    });

    describe("relative paths resolve against the project", () => {
        it("the drill history and any path given, from a subdirectory; outside a project, against where the operator stands", () => {
            expect(resolveDrillHistoryFile(undefined, project.sub)).to.equal(path.join(project.dir, ".lustre-dr", "drill-history.jsonl"));
            expect(resolveDrillHistoryFile("h.jsonl", project.sub)).to.equal(path.join(project.dir, "h.jsonl"));
            expect(resolveInProject("/abs/plan.json", project.sub)).to.equal("/abs/plan.json");
            expect(resolveDrillHistoryFile(undefined, empty)).to.equal(path.join(empty, ".lustre-dr", "drill-history.jsonl"));
        });
    });

    describe("the CLI in a project elsewhere", function () {
        this.timeout(60_000);

        it("plan, run from a subdirectory, reads that project's stack files under any stack names", async () => {
            const run = await inDirectory(project.sub, () => runCli(["plan", "--primary", "east", "--dr", "west", "--json"]));
            expect(run.exitCode, run.stderr).to.equal(0);
            const plans = JSON.parse(run.stdout) as StackPlan[];
            expect(plans.map((p) => `${p.stack} ${p.role} ${p.region}`)).to.deep.equal(["east primary us-east-1", "west dr eu-west-1"]);
            // the program runs under the project's name: its role names say so
            expect(JSON.stringify(plans[0].outputs.replicationGrantedTo)).to.include("role/acme-storage-west-replication");
            expect(process.cwd()).to.not.equal(project.sub);
        });

        it("--cwd points plan and cost at the project from anywhere; --stack picks one side by stack name", async () => {
            const plan = await runCli(["--cwd", project.sub, "plan", "--primary", "east", "--dr", "west", "--stack", "west", "--json"]);
            expect(plan.exitCode, plan.stderr).to.equal(0);
            expect((JSON.parse(plan.stdout) as StackPlan[]).map((p) => `${p.stack} ${p.region}`)).to.deep.equal(["west eu-west-1"]);

            const cost = await runCli(["cost", "--cwd", project.dir, "--primary", "east", "--dr", "west", "--stack", "both"]);
            expect(cost.exitCode, cost.stderr).to.equal(0);
            expect(cost.stdout).to.include("pilot light: primary (us-east-1)");
            expect(cost.stdout).to.include("pilot light: dr (eu-west-1)");
            const dr = await runCli(["cost", "--cwd", project.dir, "--primary", "east", "--dr", "west", "--stack", "west"]);
            expect(dr.stdout).to.include("pilot light: dr (eu-west-1)");
            expect(dr.stdout).to.not.include("pilot light: primary (us-east-1)");
        });

        it("a --cwd directory named like a command is not taken for the command", () => {
            expect(invokedCommand(["--cwd", "deploy", "plan", "--json"])).to.equal("plan");
            expect(invokedCommand(["plan", "--cwd", "drill"])).to.equal("plan");
        });

        it("a stack without its file is exit 2 naming the file and the project", async () => {
            const run = await runCli(["--cwd", project.dir, "plan", "--primary", "east", "--dr", "staging"]);
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.include(
                `no stack file for the dr stack staging: ${path.join(project.dir, "Pulumi.staging.yaml")} does not exist (project acme-storage in ${project.dir}`,
            );
        });

        it("no project found is exit 2 naming where it looked, for every command that needs one", async () => {
            for (const args of [["plan"], ["cost"], ["deploy"], ["status"]]) {
                const run = await runCli(["--cwd", empty, ...args], { env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "x" } });
                expect(run.exitCode, args[0]).to.equal(2);
                expect(run.stderr, args[0]).to.include(`no Pulumi project found: no Pulumi.yaml in ${empty} or any directory above it`);
            }
            const missing = await runCli(["--cwd", path.join(empty, "nope"), "plan"]);
            expect(missing.exitCode).to.equal(2);
            expect(missing.stderr).to.include(`--cwd is "${path.join(empty, "nope")}": ${path.join(empty, "nope")} is not a directory`);
        });

        it("status reads the drill history of the project given with --cwd, not of the directory it was typed in", async () => {
            const { dr } = await emulatorPair();
            const finishedAt = new Date().toISOString();
            await appendDrillHistory(path.join(project.dir, ".lustre-dr", "drill-history.jsonl"), sampleDrillResult({ runId: "20261125t090000z-0a0b0c", finishedAt }));
            const env = { ...process.env, AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" };
            const run = await runCli(["status", "--cwd", project.sub, "--only", "dr", "--dr-bucket", "d", "--dr-region", "us-west-2", "--dr-endpoint", dr.endpoint, "--json"], { env });
            const report = JSON.parse(run.stdout) as { findings: Array<{ area: string; message: string }> };
            expect(report.findings.find((f) => f.area === "drill")?.message).to.match(new RegExp(`^last drill ${finishedAt} \\(0 h ago\\): passed`));
        });

        it("restore's plan file lands in the project, not in the subdirectory the operator typed it in", async () => {
            const { primary } = await emulatorPair();
            const s3 = new S3Client({ endpoint: primary.endpoint, region: "us-east-1", forcePathStyle: true, credentials: emulatorCredentials });
            const bucket = `project-restore-${process.pid}`;
            await s3.send(new CreateBucketCommand({ Bucket: bucket }));
            await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a.txt", Body: "a" }));
            const env = { ...process.env, AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey };
            const run = await inDirectory(project.sub, () =>
                runCli(
                    ["restore", "--bucket", bucket, "--region", "us-east-1", "--endpoint", primary.endpoint, "--to", new Date().toISOString(), "--dry-run", "--plan-file", "restore.json"],
                    { env },
                ),
            );
            expect(run.exitCode, run.stderr).to.equal(0);
            expect(fs.existsSync(path.join(project.dir, "restore.json"))).to.equal(true);
            expect(fs.existsSync(path.join(project.sub, "restore.json"))).to.equal(false);
        });
    });
});

/** The directories above `dir`, nearest first, up to the root. */
function ancestors(dir: string): string[] {
    const found: string[] = [];
    for (let current = path.dirname(dir); ; current = path.dirname(current)) {
        found.push(current);
        if (path.dirname(current) === current) {
            return found;
        }
    }
}
