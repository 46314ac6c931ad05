import { expect } from "chai";
import { EventEmitter } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { buildProgram } from "../../../infra/cli";
import { canaryKey } from "../../../infra/drill/canaries";
import { chooseClientInstances } from "../../../infra/drill/fsLegs";
import { preflightDrill } from "../../../infra/drill/preflight";
import { drillRepositories, DrillCommandOptions, interruptOnSigint, parseDrillArguments, runCleanUpCommand, runDrillCommand } from "../../../infra/drill/command";
import { readLastDrill } from "../../../infra/drill/history";
import type { DrillResult } from "../../../infra/drill/result";
import { UsageError } from "../../../infra/output";
import type { SiteOutputs } from "../../../stacks/outputs";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { RecordingOutput, recordingOutput } from "../../support/recordingOutput";
import { emulatedBucketPair, ReplicationCopier } from "../../emulator/replicationCopier";

function capture(json = false): RecordingOutput<DrillResult> {
    return recordingOutput<DrillResult>(json);
}

describe("infra/drill/command", () => {
    describe("arguments", () => {
        it("defaults to 5 canaries and a 900 s objective", () => {
            expect(parseDrillArguments({})).to.deep.equal({ canaries: 5, objectiveSeconds: 900 });
            expect(parseDrillArguments({ canaries: "100", objective: "1.5" })).to.deep.equal({ canaries: 100, objectiveSeconds: 1.5 });
        });

        it("names every bad flag, its value and what is valid", () => {
            const problem = () => parseDrillArguments({ canaries: "0", objective: "soon", fs: true, primaryInstance: "web-1", mountPoint: "/fsx;rm" });
            expect(problem).to.throw(UsageError);
            try {
                problem();
            } catch (error) {
                const message = (error as Error).message;
                expect(message).to.include('--canaries is "0": expected a whole number from 1 to 1000');
                expect(message).to.include('--objective is "soon"');
                expect(message).to.include('--primary-instance is "web-1": expected an instance id');
                expect(message).to.include('"/fsx;rm/s3"');
            }
        });

        it("takes the mount point and any number of association paths with --fs", () => {
            const instances = { primaryInstance: "i-0123456789abcdef0", drInstance: "i-0fedcba9876543210" };
            expect(parseDrillArguments({ fs: true, ...instances }).fileSystem).to.deep.equal({ mountPoint: "/fsx", paths: [] });
            expect(parseDrillArguments({ fs: true, ...instances, mountPoint: "/mnt/lustre", fsPath: ["/projects", "/home"] }).fileSystem).to.deep.equal({
                mountPoint: "/mnt/lustre",
                paths: ["/projects", "/home"],
            });
            expect(() => parseDrillArguments({ fs: true, ...instances, fsPath: ["/ok", "/a b"] })).to.throw(/"\/fsx\/a b"/);
            expect(() => parseDrillArguments({ primaryInstance: "i-0123456789abcdef0" })).to.throw(/only used with --fs/);
            expect(() => parseDrillArguments({ fsPath: ["/s3"] })).to.throw(/only used with --fs/);
        });

        describe("which client instance runs each side's file-system legs", () => {
            const none = { primary: undefined, dr: undefined };

            it("takes --<role>-instance, else the stack's first client by name", () => {
                const chosen = chooseClientInstances(
                    { primary: "i-0123456789abcdef0", dr: undefined },
                    { primary: { analysis: "i-0aaaaaaaaaaaaaaaa" }, dr: { worker: "i-0cccccccccccccccc", analysis: "i-0bbbbbbbbbbbbbbbb" } },
                );
                expect(chosen).to.deep.equal({
                    instances: { primary: { instanceId: "i-0123456789abcdef0" }, dr: { instanceId: "i-0bbbbbbbbbbbbbbbb", client: "analysis" } },
                });
            });

            it("names each side that has neither, and an exported id that is not an instance id", () => {
                const chosen = chooseClientInstances(none, { primary: {}, dr: { web: "web-1" } });
                expect(chosen).to.have.property("problems").that.deep.equals([
                    "--fs needs --primary-instance: the primary stack exports no clientInstanceIds (no instance client, or the bucket was named by flags); give the id of an SSM-managed instance that mounts the primary file system",
                    '--dr-instance is "web-1": expected an instance id such as i-0123456789abcdef0 (the stack\'s clientInstanceIds.web)',
                ]);
            });

            it("drill --fs without instance flags uses the stacks' clients, and refuses before any request when a side has none", async () => {
                const outputs = (role: "primary" | "dr", clientInstanceIds?: Record<string, string>): SiteOutputs => ({
                    accountId: role === "primary" ? "111111111111" : "222222222222",
                    region: role === "primary" ? "us-east-1" : "us-west-2",
                    role,
                    bucketName: `acme-${role}`,
                    bucketArn: `arn:aws:s3:::acme-${role}`,
                    replicationRoleArn: `arn:aws:iam::111111111111:role/lustre-dr-${role}-replication`,
                    batchReplicationRoleArn: `arn:aws:iam::111111111111:role/lustre-dr-${role}-batch-replication`,
                    replicationGrantedTo: [],
                    replicationStatus: "active",
                    ...(clientInstanceIds ? { clientInstanceIds } : {}),
                });
                const checked: unknown[] = [];
                const preflight: typeof preflightDrill = async (_sides, instances) => {
                    checked.push(instances);
                    return [{ role: "primary", bucket: "acme-primary", region: "us-east-1", message: "stopped by the test before any write" }];
                };
                const run = (dr: SiteOutputs, output = capture()) =>
                    runDrillCommand({ fs: true, primaryStack: "primary", drStack: "dr", history: path.join(os.tmpdir(), "unused.jsonl") }, output, {
                        readOutputs: async (stack) => (stack === "primary" ? outputs("primary", { analysis: "i-0aaaaaaaaaaaaaaaa" }) : dr),
                        preflight,
                    });

                const output = capture();
                await run(outputs("dr", { worker: "i-0bbbbbbbbbbbbbbbb" }), output).catch(() => undefined);
                expect(checked).to.have.length(1);
                expect(checked[0]).to.nested.include({ "primary.instanceId": "i-0aaaaaaaaaaaaaaaa", "dr.instanceId": "i-0bbbbbbbbbbbbbbbb" });
                expect(output.progressLines.join("\n")).to.include("dr: file-system legs on client worker (i-0bbbbbbbbbbbbbbbb), from the stack's clientInstanceIds");

                let failure: unknown;
                await run(outputs("dr")).catch((error) => (failure = error));
                expect(failure).to.be.instanceOf(UsageError);
                expect((failure as Error).message).to.include("--fs needs --dr-instance: the dr stack exports no clientInstanceIds");
                expect(checked, "nothing is read when a side has no instance").to.have.length(1);
            });
        });

        describe("which repositories the file-system legs go through", () => {
            const projects = { fileSystemPath: "/projects", repositoryPrefix: "projects/" };
            const home = { fileSystemPath: "/home", repositoryPrefix: "home/" };

            it("takes every repository the stacks export, or the ones asked for", () => {
                expect(drillRepositories([], { primary: [projects, home], dr: [projects, home] })).to.deep.equal([projects, home]);
                expect(drillRepositories(["/home"], { primary: [projects, home], dr: [home, projects] })).to.deep.equal([home]);
                expect(drillRepositories([], { primary: [projects], dr: undefined })).to.deep.equal([projects]);
            });

            it("without exported repositories, takes one path as linking the whole bucket", () => {
                expect(drillRepositories([], { primary: undefined, dr: undefined })).to.deep.equal([{ fileSystemPath: "/s3", repositoryPrefix: "" }]);
                expect(drillRepositories(["/data"], { primary: undefined, dr: undefined })).to.deep.equal([{ fileSystemPath: "/data", repositoryPrefix: "" }]);
                expect(() => drillRepositories(["/a", "/b"], { primary: undefined, dr: undefined })).to.throw(UsageError, /need the stacks' outputs/);
            });

            it("refuses a repository the sides link differently, or one side lacks, naming both", () => {
                expect(() => drillRepositories([], { primary: [projects, home], dr: [projects] })).to.throw(UsageError, /repository \/home: primary links "home\/", dr has no such repository/);
                expect(() => drillRepositories([], { primary: [projects], dr: [{ ...projects, repositoryPrefix: "proj/" }] })).to.throw(
                    UsageError,
                    /repository \/projects: primary links "projects\/", dr links "proj\/"/,
                );
                expect(() => drillRepositories(["/scratch"], { primary: [projects], dr: [projects] })).to.throw(UsageError, /\/scratch: primary has no such repository/);
            });
        });

        it("refuses to run when both sides are one bucket, before any call", async () => {
            const sameSide = { primaryBucket: "b", primaryRegion: "us-east-1", drBucket: "b", drRegion: "us-east-1" };
            let failure: unknown;
            await runDrillCommand(sameSide, capture()).catch((error) => (failure = error));
            expect(failure).to.be.instanceOf(UsageError);
            expect((failure as Error).message).to.match(/same bucket \(b\)/);
        });
    });

    describe("Ctrl-C", () => {
        it("aborts on the first SIGINT, exits 130 on the second, and removes its handler", () => {
            const signals = new EventEmitter();
            const controller = new AbortController();
            const exits: number[] = [];
            const lines: string[] = [];
            const remove = interruptOnSigint(controller, { progress: (m) => lines.push(m) }, signals as unknown as NodeJS.Process, (code) => exits.push(code));
            signals.emit("SIGINT");
            expect(controller.signal.aborted).to.equal(true);
            expect(lines[0]).to.match(/removing this run's canaries/);
            expect(exits).to.deep.equal([]);
            signals.emit("SIGINT");
            expect(exits).to.deep.equal([130]);
            remove();
            expect(signals.listenerCount("SIGINT")).to.equal(0);
        });
    });

    describe("end to end against the emulator", function () {
        this.timeout(60_000);
        const saved: Record<string, string | undefined> = {};
        let dir: string;

        before(() => {
            for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"]) {
                saved[name] = process.env[name];
                delete process.env[name];
            }
            process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
            process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
        });
        after(() => {
            for (const [name, value] of Object.entries(saved)) {
                if (value === undefined) {
                    delete process.env[name];
                } else {
                    process.env[name] = value;
                }
            }
        });
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-command-"));
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("drills the named buckets through their endpoints, prints the table, appends the history, exits 0", async () => {
            const buckets = await emulatedBucketPair(await emulatorPair(), "drillcli");
            const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 300 });
            await copier.start();
            try {
                const output = capture();
                const { exitCode, result } = await runDrillCommand(
                    {
                        primaryBucket: buckets.primary.bucket,
                        primaryRegion: buckets.primary.region,
                        primaryEndpoint: buckets.primary.endpoint,
                        drBucket: buckets.dr.bucket,
                        drRegion: buckets.dr.region,
                        drEndpoint: buckets.dr.endpoint,
                        canaries: "2",
                        objective: "30", // far above the copier's 300 ms, so a loaded machine still passes
                    },
                    output,
                    { cwd: dir, drill: { loopSettleMs: 400, cleanupSettleMs: 400, poll: { initialMs: 100, factor: 2, maxMs: 400 } } },
                );
                expect(exitCode).to.equal(0);
                expect(result.passed).to.equal(true);
                expect(output.text).to.match(/^drill \S+: PASSED \(objective 30 s\)/);
                expect(output.text).to.match(/s3-object primary->dr\s+2\/2\s+\d+\.\d{3} s\s+\d+\.\d{3} s\s+\d+\.\d{3} s\s+\d+\.\d{3} s\s+±\d+\.\d{3} s\s+pass/);
                // moto does not report ReplicationStatus; the CLI says so instead of passing it
                expect(output.text).to.match(/skipped replication-status primary->dr: the endpoint reports no ReplicationStatus/);
                expect(output.progressLines.some((line) => /writing 2 canaries/.test(line))).to.equal(true);
                const history = path.join(dir, ".lustre-dr", "drill-history.jsonl");
                expect((await readLastDrill(history))?.runId).to.equal(result.runId);
            } finally {
                await copier.stop();
            }
        });

        it("--clean-up puts delete markers on an earlier run's current canaries only", async () => {
            const buckets = await emulatedBucketPair(await emulatorPair(), "drillclean");
            const runId = "20261125t080000z-0a0b0c";
            const keys: Array<[S3Client, string, string]> = [
                [buckets.primary.client, buckets.primary.bucket, `.lustre-dr/drill/${runId}/primary-to-dr/canary-0000`],
                [buckets.dr.client, buckets.dr.bucket, `.lustre-dr/drill/${runId}/primary-to-dr/canary-0000`],
                [buckets.dr.client, buckets.dr.bucket, `.lustre-dr/drill/${runId}-other/primary-to-dr/canary-0000`],
                [buckets.dr.client, buckets.dr.bucket, "data/keep.txt"],
            ];
            for (const [client, bucket, key] of keys) {
                await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
            }
            const side = {
                primaryBucket: buckets.primary.bucket,
                primaryRegion: buckets.primary.region,
                primaryEndpoint: buckets.primary.endpoint,
                drBucket: buckets.dr.bucket,
                drRegion: buckets.dr.region,
                drEndpoint: buckets.dr.endpoint,
            };
            const output = capture();
            const { exitCode, deleteMarkersWritten } = await runCleanUpCommand({ ...side, cleanUp: runId }, output, { settleMs: 50 });
            expect(exitCode).to.equal(0);
            expect(deleteMarkersWritten).to.equal(2);
            expect(output.text).to.equal(`drill ${runId}: 2 delete markers written; no canary left current`);
            const current = async (client: S3Client, bucket: string) =>
                ((await client.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions ?? []).filter((v) => v.IsLatest).map((v) => v.Key);
            expect(await current(buckets.primary.client, buckets.primary.bucket)).to.deep.equal([]);
            expect(await current(buckets.dr.client, buckets.dr.bucket)).to.have.members([`.lustre-dr/drill/${runId}-other/primary-to-dr/canary-0000`, "data/keep.txt"]);

            let failure: unknown;
            await runCleanUpCommand({ ...side, cleanUp: "../data" }, capture()).catch((error) => (failure = error));
            expect((failure as Error).message).to.equal('--clean-up is "../data": expected a drill run id such as 20261125t092400z-3f9a1c');
        });

        it("--clean-up also reaches the file-system canaries under the prefixes of the repositories the stacks export", async () => {
            const buckets = await emulatedBucketPair(await emulatorPair(), "drillcleanfs");
            const runId = "20261125t080000z-0d0e0f";
            const fsCanary = `projects/.lustre-dr/drill/${runId}/fs-primary-to-dr`;
            for (const key of [fsCanary, "projects/data.txt", `projects/.lustre-dr/drill/${runId}/notes.txt`, `projects/.lustre-dr/drill/${runId}/fs-notes`]) {
                await buckets.primary.client.send(new PutObjectCommand({ Bucket: buckets.primary.bucket, Key: key, Body: "x" }));
            }
            const outputsOf = (role: "primary" | "dr"): SiteOutputs => ({
                accountId: role === "primary" ? "111111111111" : "222222222222",
                region: buckets[role].region,
                role,
                bucketName: buckets[role].bucket,
                bucketArn: `arn:aws:s3:::${buckets[role].bucket}`,
                replicationRoleArn: `arn:aws:iam::111111111111:role/lustre-dr-${role}-replication`,
                batchReplicationRoleArn: `arn:aws:iam::111111111111:role/lustre-dr-${role}-batch-replication`,
                replicationGrantedTo: [],
                replicationStatus: "active",
                dataRepositories: [{ fileSystemPath: "/projects", repositoryPrefix: "projects/" }],
            });
            const { exitCode, deleteMarkersWritten } = await runCleanUpCommand(
                { primaryStack: "primary", drStack: "dr", primaryEndpoint: buckets.primary.endpoint, drEndpoint: buckets.dr.endpoint, cleanUp: runId },
                capture(),
                { settleMs: 50, readOutputs: async (stack) => outputsOf(stack === "primary" ? "primary" : "dr") },
            );
            expect(exitCode).to.equal(0);
            expect(deleteMarkersWritten).to.equal(1);
            const listed = await buckets.primary.client.send(new ListObjectVersionsCommand({ Bucket: buckets.primary.bucket }));
            expect((listed.Versions ?? []).filter((v) => v.IsLatest).map((v) => v.Key)).to.have.members([
                "projects/data.txt",
                `projects/.lustre-dr/drill/${runId}/notes.txt`,
                `projects/.lustre-dr/drill/${runId}/fs-notes`,
            ]);
        });

        it("when canaries had not arrived before cleanup, says late replicas leave keys current and prints a clean-up command that works", async () => {
            const buckets = await emulatedBucketPair(await emulatorPair(), "drilllate");
            const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 300, toDr: { stopped: true } });
            await copier.start();
            const sides = {
                primaryBucket: buckets.primary.bucket,
                primaryRegion: buckets.primary.region,
                primaryEndpoint: buckets.primary.endpoint,
                drBucket: buckets.dr.bucket,
                drRegion: buckets.dr.region,
                drEndpoint: buckets.dr.endpoint,
            };
            let result: DrillResult;
            const output = capture();
            try {
                ({ result } = await runDrillCommand({ ...sides, canaries: "1", objective: "1" }, output, {
                    cwd: dir,
                    drill: { loopSettleMs: 300, cleanupSettleMs: 300, poll: { initialMs: 100, factor: 2, maxMs: 400 } },
                }));
            } finally {
                await copier.stop();
            }
            const stranded = canaryKey(result.runId, "primary", "dr", 0);
            // the dr->primary canary arrived; only the primary->dr one is still on its way
            expect(result.cleanup.inFlight).to.deep.equal([`dr:${stranded}`]);
            const command =
                `lustre-dr drill --clean-up ${result.runId} --primary-bucket ${buckets.primary.bucket} --primary-region us-east-1 ` +
                `--primary-endpoint ${buckets.primary.endpoint} --dr-bucket ${buckets.dr.bucket} --dr-region us-west-2 --dr-endpoint ${buckets.dr.endpoint}`;
            expect(result.cleanup.command).to.equal(command);
            expect(output.text).to.include("WARNING, 1 canary replicas had not arrived when cleanup ran");
            expect(output.text).to.include("a replica that lands later leaves its key current on that side");
            expect(output.text).to.include(`    ${command}`);
            expect(output.progressLines.some((line) => /1 canary replicas had not arrived/.test(line))).to.equal(true);

            // the late replica lands: the key is current on dr again
            await buckets.dr.client.send(new PutObjectCommand({ Bucket: buckets.dr.bucket, Key: stranded, Body: "late replica" }));
            const current = async () =>
                ((await buckets.dr.client.send(new ListObjectVersionsCommand({ Bucket: buckets.dr.bucket }))).Versions ?? [])
                    .filter((v) => v.IsLatest)
                    .map((v) => v.Key);
            expect(await current()).to.deep.equal([stranded]);

            // the printed command, parsed by the CLI itself, finishes the job
            const program = await buildProgram();
            let parsed: (DrillCommandOptions & { cleanUp: string }) | undefined;
            program.commands.find((c) => c.name() === "drill")!.action((options: DrillCommandOptions & { cleanUp: string }) => {
                parsed = options;
            });
            await program.parseAsync(command.split(" ").slice(1), { from: "user" });
            const cleanup = await runCleanUpCommand(parsed!, capture(), { settleMs: 50 });
            expect(cleanup.exitCode).to.equal(0);
            expect(cleanup.deleteMarkersWritten).to.equal(1);
            expect(await current()).to.deep.equal([]);
        });

        it("exits 1 when replication is stopped, with --json and --history", async () => {
            const buckets = await emulatedBucketPair(await emulatorPair(), "drillcli");
            const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 300, toPrimary: { stopped: true } });
            await copier.start();
            try {
                const output = capture(true);
                const history = path.join(dir, "h.jsonl");
                const { exitCode } = await runDrillCommand(
                    {
                        primaryBucket: buckets.primary.bucket,
                        primaryRegion: buckets.primary.region,
                        primaryEndpoint: buckets.primary.endpoint,
                        drBucket: buckets.dr.bucket,
                        drRegion: buckets.dr.region,
                        drEndpoint: buckets.dr.endpoint,
                        canaries: "1",
                        objective: "1",
                        history,
                        json: true,
                    },
                    output,
                    { cwd: dir, drill: { loopSettleMs: 300, cleanupSettleMs: 300, poll: { initialMs: 100, factor: 2, maxMs: 400 } } },
                );
                expect(exitCode).to.equal(1);
                // the stopped direction fails; on a loaded machine the healthy one may also miss the 1 s objective
                const failures: string[] = JSON.parse(output.text!).failures;
                expect(failures.filter((f) => f.includes("dr->primary"))[0]).to.match(
                    /^s3-object dr->primary: 1 of 1 canaries did not arrive within the 1 s objective/,
                );
                expect((await readLastDrill(history))?.passed).to.equal(false);
            } finally {
                await copier.stop();
            }
        });
    });
});
