/**
 * File-system legs: SSM with aws-sdk-client-mock (one mocked client per side), playing two client instances whose
 * file systems export to and import from the emulated buckets; S3 and replication are the emulator and the copier.
 * The shell scripts themselves run for real in sh (dash here, stricter than bash) against a temporary directory.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand, SendCommandCommandInput, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import type { SideRole } from "../../../infra/aws/sides";
import { fsCanaryKey } from "../../../infra/drill/canaries";
import { runDrill } from "../../../infra/drill/drill";
import { defaultRepository, FileSystemRepository, filePath, repositoryDirectory as directoryOf, ssmFileSystemDrill, watcherScript, writerScript } from "../../../infra/drill/fsLegs";
import { emulatorPair } from "../../emulator/moto";
import { CopierSide, EmulatedBucketPair, emulatedBucketPair, ReplicationCopier } from "../../emulator/replicationCopier";

const mountPoint = "/fsx";
const repositoryDirectory = "/fsx/s3";

/** The repositories a run goes through, as directories on the fake clients and prefixes in the buckets. */
let linked: readonly FileSystemRepository[] = [defaultRepository];

interface FakeInstanceOptions {
    /** File closed -> object in the local bucket. */
    readonly exportDelayMs: number;
    /** Object in the local bucket -> file readable. */
    readonly importDelayMs: number;
    readonly failWrites?: boolean;
    /** SendCommand is refused, as for credentials without ssm:SendCommand. */
    readonly denySendCommand?: boolean;
}

/** What really happened to one canary file, by the fakes' own clocks (ms since epoch). */
interface FileTimeline {
    /** The writer's "written" stamp. */
    writtenAt?: number;
    /** The export's PutObject was sent; the object became visible after this... */
    exportSentAt?: number;
    /** ...and before this. */
    exportReturnedAt?: number;
    /** The watcher's "seen" stamp: the file became readable. */
    readableAt?: number;
}

/**
 * One client instance behind a mocked SSM client: a writer command "writes" the file and exports it to the side's
 * bucket after a delay; a watcher command watches the bucket and reports the file readable after an import delay.
 */
function fakeInstance(ssm: SSMClient, instanceId: string, bucket: CopierSide, options: FakeInstanceOptions, timelines: Map<string, FileTimeline>) {
    const mock = mockClient(ssm);
    const invocations = new Map<string, { status: string; stdout: string; stderr: string }>();
    const timers: NodeJS.Timeout[] = [];
    const sent: SendCommandCommandInput[] = [];
    const scripts = new Map<string, string>();
    let serial = 0;
    // the file system exports a file under its repository's directory to the key under the repository's prefix
    const keyOf = (file: string) => {
        const repository = linked.find((r) => file.startsWith(`${mountPoint}${r.fileSystemPath}/`))!;
        return `${repository.repositoryPrefix}${file.slice(`${mountPoint}${repository.fileSystemPath}/`.length)}`;
    };
    const timeline = (file: string) => timelines.get(keyOf(file)) ?? timelines.set(keyOf(file), {}).get(keyOf(file))!;
    mock.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
        if (options.denySendCommand) {
            throw Object.assign(new Error("User: arn:aws:sts::222222222222:assumed-role/ops/me is not authorized to perform: ssm:SendCommand"), {
                name: "AccessDeniedException",
                $metadata: { httpStatusCode: 400 },
            });
        }
        sent.push(input);
        serial += 1;
        const commandId = `${instanceId}-command-${serial}`;
        const script = input.Parameters?.commands?.[0] ?? "";
        scripts.set(commandId, script);
        const file = /^f='([^']+)'$/m.exec(script)?.[1] ?? "";
        if (script.includes("printf")) {
            const content = /printf '%s' '([0-9a-f]+)'/.exec(script)?.[1] ?? "";
            if (options.failWrites) {
                invocations.set(commandId, { status: "Failed", stdout: "", stderr: "mkdir: cannot create directory: Read-only file system" });
            } else {
                const writtenAt = Date.now();
                timeline(file).writtenAt = writtenAt;
                invocations.set(commandId, { status: "Success", stdout: `written ${writtenAt}\n`, stderr: "" });
                timers.push(
                    setTimeout(async () => {
                        timeline(file).exportSentAt = Date.now();
                        await bucket.client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: keyOf(file), Body: content }));
                        timeline(file).exportReturnedAt = Date.now();
                    }, options.exportDelayMs),
                );
            }
        } else {
            const wanted = /= '([0-9a-f]{64})' \]/.exec(script)?.[1];
            invocations.set(commandId, { status: "InProgress", stdout: "", stderr: "" });
            // On a loaded machine a listing can outlast the interval, so several ticks may see the file: the first wins.
            let seen = false;
            const watch = setInterval(async () => {
                if (seen) {
                    return;
                }
                const listed = await bucket.client.send(new ListObjectVersionsCommand({ Bucket: bucket.bucket, Prefix: keyOf(file) }));
                if (!seen && (listed.Versions ?? []).some((v) => v.Key === keyOf(file))) {
                    seen = true;
                    clearInterval(watch);
                    const object = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: keyOf(file) }));
                    const body = (await object.Body?.transformToString()) ?? "";
                    const sha = (await import("crypto")).createHash("sha256").update(body).digest("hex");
                    const readableAt = Date.now() + options.importDelayMs;
                    timeline(file).readableAt = readableAt;
                    timers.push(
                        setTimeout(() => {
                            invocations.set(
                                commandId,
                                sha === wanted
                                    ? { status: "Success", stdout: `seen ${readableAt}\n`, stderr: "" }
                                    : { status: "Failed", stdout: "", stderr: "not readable with the expected content" },
                            );
                        }, options.importDelayMs),
                    );
                }
            }, 50);
            timers.push(watch);
        }
        return { Command: { CommandId: commandId } };
    });
    mock.on(GetCommandInvocationCommand).callsFake(async (input: { CommandId?: string; InstanceId?: string }) => {
        const invocation = invocations.get(input.CommandId ?? "");
        if (!invocation || input.InstanceId !== instanceId) {
            const error = new Error("invocation does not exist");
            error.name = "InvocationDoesNotExist";
            throw error;
        }
        return { Status: invocation.status, StandardOutputContent: invocation.stdout, StandardErrorContent: invocation.stderr };
    });
    const cancelled: string[] = [];
    mock.on(CancelCommandCommand).callsFake(async (input: { CommandId?: string }) => {
        cancelled.push(input.CommandId ?? "");
        invocations.set(input.CommandId ?? "", { status: "Cancelled", stdout: "", stderr: "" });
        return {};
    });
    return {
        sent,
        cancelled,
        scripts,
        stop() {
            timers.forEach((t) => clearTimeout(t));
            mock.restore();
        },
    };
}

describe("infra/drill file-system legs (SSM mocked, S3 emulated)", function () {
    this.timeout(60_000);
    let buckets: EmulatedBucketPair;
    let copier: ReplicationCopier;
    let instances: Array<ReturnType<typeof fakeInstance>> = [];
    let timelines: Map<string, FileTimeline>;

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "drillfs");
        timelines = new Map();
        copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 300 });
        await copier.start();
    });
    afterEach(async () => {
        instances.forEach((i) => i.stop());
        instances = [];
        linked = [defaultRepository];
        await copier.stop();
    });

    const run = async (options: Partial<Record<SideRole, Partial<FakeInstanceOptions>>> = {}) => {
        const ssm = { primary: new SSMClient({ region: "us-east-1" }), dr: new SSMClient({ region: "us-west-2" }) };
        const ids = { primary: "i-0123456789abcdef0", dr: "i-0fedcba9876543210" };
        for (const role of ["primary", "dr"] as const) {
            instances.push(fakeInstance(ssm[role], ids[role], buckets[role], { exportDelayMs: 200, importDelayMs: 150, ...options[role] }, timelines));
        }
        const sides = {
            primary: { role: "primary", client: buckets.primary.client, bucket: buckets.primary.bucket, region: buckets.primary.region },
            dr: { role: "dr", client: buckets.dr.client, bucket: buckets.dr.bucket, region: buckets.dr.region },
        } as const;
        return runDrill({
            ...sides,
            canaries: 1,
            objectiveSeconds: 30, // far above the fakes' delays: no leg waits it out, and a loaded machine still passes
            loopSettleMs: 400,
            cleanupSettleMs: 400,
            poll: { initialMs: 100, factor: 2, maxMs: 400 },
            replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.role, key, versionId),
            fileSystems: ssmFileSystemDrill(
                {
                    primary: { ssm: ssm.primary, instanceId: ids.primary, mountPoint },
                    dr: { ssm: ssm.dr, instanceId: ids.dr, mountPoint },
                },
                linked,
            ),
        });
    };

    it("times export, replication, import and end to end in both directions", async () => {
        const { result } = await run();
        expect(result.failures).to.deep.equal([]);
        const fsLegs = result.legs.filter((l) => l.kind.startsWith("fs-"));
        expect(fsLegs.map((l) => l.name)).to.have.members(
            ["fs-export", "fs-replication", "fs-import", "fs-end-to-end"].flatMap((k) => [`${k} primary->dr`, `${k} dr->primary`]),
        );
        // Each hop's estimate is checked against what the fakes and the copier recorded, within the uncertainty the
        // drill reports for it, so the check holds however late a loaded machine runs the polls.
        const stats = (name: string) => fsLegs.find((l) => l.name === name)!.stats!;
        const rounding = 0.0015; // three figures rounded to the millisecond
        for (const [from, to] of [["primary", "dr"], ["dr", "primary"]] as const) {
            const direction = `${from}->${to}`;
            const truth = timelines.get(fsCanaryKey(result.runId, from, to))!;
            const replica = copier.replications().find((r) => r.key === fsCanaryKey(result.runId, from, to) && r.from === from)!;
            expect(truth.readableAt, direction).to.be.a("number");
            const [exported, replicated, imported, endToEnd] = ["fs-export", "fs-replication", "fs-import", "fs-end-to-end"].map((k) => stats(`${k} ${direction}`));
            const seconds = (ms: number) => (ms - truth.writtenAt!) / 1000;
            // the export's estimate brackets the moment its PutObject made the object visible
            expect(exported.maxSeconds, `fs-export ${direction}`).to.be.within(
                seconds(truth.exportSentAt!) - exported.uncertaintySeconds! - rounding,
                seconds(truth.exportReturnedAt!) + exported.uncertaintySeconds! + rounding,
            );
            // export + replication estimates when the replica appeared, within the hops' summed uncertainty
            const replicatedAt = exported.maxSeconds + replicated.maxSeconds;
            expect(replicatedAt, `fs-replication ${direction}`).to.be.within(
                seconds(replica.writeStartedAt) - replicated.uncertaintySeconds! - rounding,
                seconds(replica.replicatedAt) + replicated.uncertaintySeconds! + rounding,
            );
            // the file was readable when the watcher said, so end to end is exact, and the hops add up to it
            expect(endToEnd.maxSeconds, `fs-end-to-end ${direction}`).to.be.closeTo(seconds(truth.readableAt!), 0.0005);
            if (imported.maxSeconds > 0) {
                expect(replicatedAt + imported.maxSeconds, `fs-import ${direction}`).to.be.closeTo(endToEnd.maxSeconds, rounding);
            } else {
                // the replica estimate fell after the file was readable: only possible within its uncertainty
                expect(replicatedAt - endToEnd.maxSeconds, `fs-import ${direction}`).to.be.at.most(replicated.uncertaintySeconds! + rounding);
            }
        }
        expect(result.checks.filter((c) => c.name.startsWith("fs-content")).map((c) => c.status)).to.deep.equal(["passed", "passed"]);
        // one SendCommand per script, to the right instance, as AWS-RunShellScript with a timeout
        const [primarySent, drSent] = instances.map((i) => i.sent);
        expect(primarySent).to.have.length(2);
        expect(drSent).to.have.length(2);
        expect(primarySent[0]).to.include({ DocumentName: "AWS-RunShellScript" });
        expect(primarySent[0].InstanceIds).to.deep.equal(["i-0123456789abcdef0"]);
        expect(primarySent.map((s) => s.Parameters?.commands?.[0])).to.satisfy((scripts: string[]) =>
            scripts.every((s) => s.includes(`'${repositoryDirectory}/.lustre-dr/drill/${result.runId}/fs-`)),
        );
    });

    it("goes through every repository, each canary under its repository's prefix, and cleans all of them up", async () => {
        linked = [
            { fileSystemPath: "/projects", repositoryPrefix: "projects/" },
            { fileSystemPath: "/home/users", repositoryPrefix: "home/users/" },
        ];
        const { result } = await run();
        expect(result.failures).to.deep.equal([]);
        const names = result.legs.filter((l) => l.kind === "fs-end-to-end").map((l) => l.name);
        expect(names).to.have.members(["/projects", "/home/users"].flatMap((p) => [`fs-end-to-end primary->dr ${p}`, `fs-end-to-end dr->primary ${p}`]));
        expect(result.checks.filter((c) => c.name.startsWith("fs-content")).map((c) => `${c.name} ${c.status}`)).to.have.members(
            ["/projects", "/home/users"].flatMap((p) => [`fs-content primary->dr ${p} passed`, `fs-content dr->primary ${p} passed`]),
        );
        // the files were written in each repository's directory, and exported to its prefix
        const scripts = instances.flatMap((i) => [...i.scripts.values()]);
        expect(scripts.some((s) => s.includes(`'/fsx/home/users/.lustre-dr/drill/${result.runId}/fs-primary-to-dr'`))).to.equal(true);
        for (const [prefix, from, to] of [["projects/", "primary", "dr"], ["home/users/", "dr", "primary"]] as const) {
            const key = fsCanaryKey(result.runId, from, to, prefix);
            expect(timelines.get(key)?.readableAt, key).to.be.a("number");
            // cleanup left a delete marker on the canary on both sides, and nothing else under the prefix
            for (const role of ["primary", "dr"] as const) {
                const listed = await buckets[role].client.send(new ListObjectVersionsCommand({ Bucket: buckets[role].bucket, Prefix: prefix }));
                expect((listed.DeleteMarkers ?? []).filter((m) => m.IsLatest).map((m) => m.Key), `${role} ${prefix}`).to.include(key);
                expect((listed.Versions ?? []).every((v) => v.Key?.startsWith(`${prefix}.lustre-dr/drill/${result.runId}/`))).to.equal(true);
            }
        }
        expect(result.cleanup.leftover).to.deep.equal([]);
        expect(directoryOf("/fsx/", "/")).to.equal("/fsx");
    });

    it("fails the file-system checks naming the instance when the write fails", async () => {
        const { result } = await run({ primary: { failWrites: true } });
        expect(result.passed).to.equal(false);
        const write = result.checks.find((c) => c.name === "fs-write primary");
        expect(write?.status).to.equal("failed");
        expect(write?.detail).to.match(/i-0123456789abcdef0 ended Failed: mkdir: cannot create directory/);
        expect(result.legs.find((l) => l.name === "fs-end-to-end primary->dr")?.missed).to.equal(1);
        expect(result.legs.find((l) => l.name === "fs-end-to-end dr->primary")?.passed).to.equal(true);
        // the dr client's watcher for the file that was never written is cancelled, not left running
        expect(instances[1].cancelled).to.have.length(1);
        expect(instances[1].scripts.get(instances[1].cancelled[0])).to.include("sha256sum");
    });
});

describe("infra/drill file-system legs when SSM refuses", function () {
    this.timeout(60_000);

    it("stops the drill naming the side, its instance and region, and the call", async () => {
        const buckets = await emulatedBucketPair(await emulatorPair(), "drillfsdeny");
        const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 100 });
        await copier.start();
        const ssm = { primary: new SSMClient({ region: "us-east-1" }), dr: new SSMClient({ region: "us-west-2" }) };
        const fakes = [
            fakeInstance(ssm.primary, "i-0123456789abcdef0", buckets.primary, { exportDelayMs: 100, importDelayMs: 100 }, new Map()),
            fakeInstance(ssm.dr, "i-0fedcba9876543210", buckets.dr, { exportDelayMs: 100, importDelayMs: 100, denySendCommand: true }, new Map()),
        ];
        try {
            const { result } = await runDrill({
                primary: { role: "primary", client: buckets.primary.client, bucket: buckets.primary.bucket, region: buckets.primary.region },
                dr: { role: "dr", client: buckets.dr.client, bucket: buckets.dr.bucket, region: buckets.dr.region },
                canaries: 1,
                objectiveSeconds: 30,
                loopSettleMs: 200,
                cleanupSettleMs: 200,
                poll: { initialMs: 100, factor: 2, maxMs: 400 },
                replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.role, key, versionId),
                fileSystems: ssmFileSystemDrill({
                    primary: { ssm: ssm.primary, instanceId: "i-0123456789abcdef0", mountPoint },
                    dr: { ssm: ssm.dr, instanceId: "i-0fedcba9876543210", mountPoint },
                }),
            });
            expect(result.passed).to.equal(false);
            expect(result.checks.find((c) => c.name === "run")?.detail).to.equal(
                "stopped by an error: dr instance i-0fedcba9876543210 (us-west-2): ssm:SendCommand: AccessDeniedException: " +
                    "User: arn:aws:sts::222222222222:assumed-role/ops/me is not authorized to perform: ssm:SendCommand (the credentials lack ssm:SendCommand)",
            );
        } finally {
            fakes.forEach((fake) => fake.stop());
            await copier.stop();
        }
    });
});

describe("infra/drill file-system scripts (run in sh, as AWS-RunShellScript does)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-fs-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the writer creates the directories and the file, and prints the close time in epoch ms", () => {
        const file = filePath(
            { ssm: new SSMClient({ region: "us-east-1" }), instanceId: "i-0123456789abcdef0", mountPoint: dir },
            { fileSystemPath: "/s3", repositoryPrefix: "" },
            ".lustre-dr/drill/r/fs-primary-to-dr",
        );
        const before = Date.now();
        const out = execFileSync("sh", ["-c", writerScript(file, "abc123")], { encoding: "utf8" });
        expect(fs.readFileSync(file, "utf8")).to.equal("abc123");
        const stamp = Number(/^written (\d+)$/m.exec(out)?.[1]);
        expect(stamp).to.be.within(before - 1000, Date.now() + 1000);
    });

    it("the watcher waits for the file with the right content, and gives up after its timeout", () => {
        const file = path.join(dir, "f");
        fs.writeFileSync(file, "wrong");
        const sha = "6ca13d52ca70c883e0f0bb101e425a89e8624de51db2d2392593af6a84118090"; // sha256("abc123")
        expect(() => execFileSync("sh", ["-c", watcherScript(file, sha, 1)], { encoding: "utf8", stdio: "pipe" })).to.throw(/not readable/);
        fs.writeFileSync(file, "abc123");
        expect(execFileSync("sh", ["-c", watcherScript(file, sha, 5)], { encoding: "utf8" })).to.match(/^seen \d{13}$/m);
    });
});
