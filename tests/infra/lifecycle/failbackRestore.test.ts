import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateJobCommand, CreateJobRequest, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { copySource } from "../../../infra/restore/apply";
import { UsageError } from "../../../infra/output";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { failbackTimes, FailbackOptions, runFailback } from "../../../infra/lifecycle/failback";
import { runFreeze } from "../../../infra/lifecycle/freeze";
import { emulatorPair } from "../../emulator/moto";
import { FakePulumiCommand, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";
import { FakeBatchOperations } from "../../support/fakeBatchOperations";
import { createBucket, emulatorS3, secondBoundary, snapshot, versionIds } from "../../support/versionedBucket";

/**
 * `failback --restore-primary-to`: the primary bucket (moto) returns to T before anything is re-attached, with the
 * primary detached while it is restored; the stacks are the fake Pulumi CLI's, the batch job a mocked S3 Control.
 */
describe("infra/lifecycle/failback --restore-primary-to (moto)", function () {
    this.timeout(60_000);
    const s3control = mockClient(S3ControlClient);
    let project: TempProject;
    let fake: FakePulumiCommand;
    let client: S3Client;
    let bucket: string;
    /** The last good time, and when the dr side was frozen. */
    let t: Date;
    let frozenAt: Date;
    /** fake.changes() as they were when the restore wrote its first object to the primary bucket. */
    let changesAtFirstWrite: string[] | undefined;
    let writes: string[];
    /** Fails the primary's CopyObject of these keys, as a killed or refused write would. */
    let failingKeys: Set<string>;

    const workspace = () => ({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });
    const fsx = (mode: string) => ({ "file-owner": "1000", "file-group": "1000", "file-permissions": mode });

    before(async () => {
        client = emulatorS3((await emulatorPair()).primary.endpoint);
        client.middlewareStack.add(
            (next, context) => async (args) => {
                if (context.commandName === "CopyObjectCommand" || context.commandName === "DeleteObjectCommand") {
                    const key = (args.input as { Key: string }).Key;
                    changesAtFirstWrite ??= fake.changes();
                    writes.push(`${context.commandName} ${key}`);
                    if (failingKeys.has(key)) {
                        throw Object.assign(new Error("We encountered an internal error. Please try again."), { name: "InternalError" });
                    }
                }
                return next(args);
            },
            { step: "initialize", name: "recordRestoreWrites" },
        );
    });
    after(() => s3control.restore());

    beforeEach(async () => {
        s3control.reset();
        s3control.on(CreateJobCommand).resolves({ JobId: "job-7" });
        changesAtFirstWrite = undefined;
        writes = [];
        failingKeys = new Set();
        bucket = await createBucket(client);
        // Good data, T, then what the attacker does to the primary (before the freeze too: replication carried that to
        // the dr side, whose recover --restore-to undid it there).
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/model.bin", Body: "good model", Metadata: fsx("0100644") }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/notes.txt", Body: "notes", Metadata: fsx("0100644") }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/keep.txt", Body: "untouched", Metadata: fsx("0100644") }));
        t = await secondBoundary();
        await secondBoundary();
        project = tempProject();
        fake = new FakePulumiCommand({ primary: { ...twoSites.primary, bucketName: bucket }, dr: twoSites.dr });
        await runDeploy({ primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId }, { output: recordingOutput(), workspace: workspace() });
        await runFreeze({ dr: "dr" }, { output: recordingOutput(), workspace: workspace() });
        frozenAt = new Date();
        await secondBoundary();
        // After the freeze: a content change, a chmod (metadata only), a new key, a delete.
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/model.bin", Body: "encrypted", Metadata: fsx("0100644") }));
        await client.send(
            new CopyObjectCommand({ Bucket: bucket, Key: "data/notes.txt", CopySource: copySource(bucket, "data/notes.txt", (await currentVersion("data/notes.txt"))!), MetadataDirective: "REPLACE", Metadata: fsx("0100777") }),
        );
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/ransom.txt", Body: "pay up" }));
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: "data/keep.txt" }));
        fake.invocations.length = 0;
        writes = [];
        changesAtFirstWrite = undefined;
    });
    afterEach(() => project.remove());

    async function currentVersion(key: string): Promise<string | undefined> {
        const { listVersions } = await import("../../../infra/restore/versions");
        for await (const entry of listVersions(client, bucket, { prefix: key })) {
            if (entry.key === key && entry.isLatest) return entry.versionId;
        }
        return undefined;
    }

    function failback(options: Partial<FailbackOptions> = {}, output = recordingOutput(), restoreBatchThreshold?: number) {
        return runFailback(
            { primary: "primary", dr: "dr", since: frozenAt.toISOString(), restorePrimaryTo: t.toISOString(), ...options },
            {
                output,
                workspace: workspace(),
                pollSeconds: 0,
                ...(restoreBatchThreshold !== undefined ? { restoreBatchThreshold } : {}),
                s3: (role, location) => {
                    expect(role).to.equal("primary");
                    expect(location).to.deep.equal({ region: "us-east-1" });
                    return client;
                },
                s3control: (location) => {
                    s3controlRegions.push(location.region);
                    return new S3ControlClient({ region: location.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
                },
            },
        );
    }
    let s3controlRegions: string[] = [];

    const failure = (promise: Promise<unknown>) =>
        promise.then(
            () => undefined,
            (e: unknown) => e as Error,
        );

    it("detaches the primary, restores it to T (content, chmod, new key, delete), then re-attaches and starts the job", async () => {
        const output = recordingOutput();
        const result = await failback({}, output);

        expect(fake.changes()).to.deep.equal([
            "config set-all --path primary lustre-dr:recovery.detached=true",
            "up primary",
            "config set-all --path dr lustre-dr:recovery.detached=false",
            "config set-all --path primary lustre-dr:recovery.detached=false",
            "up dr",
            "up primary",
            "up dr",
        ]);
        // Nothing was written to the primary bucket before its replication rule was gone.
        expect(changesAtFirstWrite).to.deep.equal(["config set-all --path primary lustre-dr:recovery.detached=true", "up primary"]);
        expect(result.phases.map((phase) => phase.phase)).to.deep.equal(["detach-primary", "restore-primary", "converge", "replicate"]);
        expect(result.restore).to.include({ bucket, to: t.toISOString() });
        expect(result.restore?.applied).to.deep.equal({ copies: 3, deleteMarkers: 1, bytesCopied: "good model".length + "notes".length + "untouched".length });
        const now = await snapshot(client, bucket);
        expect([...now.keys()].sort()).to.deep.equal(["data/keep.txt", "data/model.bin", "data/notes.txt"]);
        expect(now.get("data/model.bin")?.body).to.equal("good model");
        expect(now.get("data/notes.txt")?.metadata["file-permissions"]).to.equal("0100644");
        expect(now.get("data/keep.txt")?.body).to.equal("untouched");
        expect(result.convergence.verdict).to.equal("converged");
        expect(result.jobId).to.equal("job-7");
        expect(output.text).to.match(/^Restored: s3:\/\/restore-test-[^/]+\/ to /m);
        expect(output.text).to.match(/^Phases: detach-primary \d+(\.\d+)? s, restore-primary \d+(\.\d+)? s, converge \d+(\.\d+)? s, replicate \d+(\.\d+)? s\.$/m);
    });

    it("refuses a T after --since, naming both flags, before reading or changing anything", () => {
        const error = (() => {
            try {
                failbackTimes({ since: "2026-11-25T08:00:00Z", restorePrimaryTo: "2026-11-25T08:30:00+00:00" }, new Date("2026-11-26T00:00:00Z"));
            } catch (e) {
                return e as Error;
            }
            return undefined;
        })();
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.match(/^--restore-primary-to is "2026-11-25T08:30:00\+00:00", after --since "2026-11-25T08:00:00Z" \(the freeze\).*at or before 2026-11-25T08:00:00.000Z/);
        expect(failbackTimes({ since: "2026-11-25T08:00:00Z", restorePrimaryTo: "2026-11-25T09:00:00+01:00" }, new Date("2026-11-26T00:00:00Z"))).to.deep.equal({
            since: new Date("2026-11-25T08:00:00Z"),
            restorePrimaryTo: new Date("2026-11-25T08:00:00Z"),
        });
    });

    it("refuses a future T or a T without a zone with exit-2 errors and no invocation of Pulumi", async () => {
        const future = await failure(failback({ restorePrimaryTo: "2999-01-01T00:00:00Z", since: undefined }));
        expect(future).to.be.instanceOf(UsageError);
        expect(future?.message).to.match(/^--restore-primary-to is "2999-01-01T00:00:00Z", which is in the future .*last good time/);
        const zoneless = await failure(failback({ restorePrimaryTo: "2026-01-31T12:00:00" }));
        expect(zoneless?.message).to.match(/^--restore-primary-to is "2026-01-31T12:00:00": the time zone is missing/);
        // Both times in the past, T one second after --since: a T built after the freeze time could be in the future.
        const later = await failure(
            failback({ since: new Date(frozenAt.getTime() - 2000).toISOString(), restorePrimaryTo: new Date(frozenAt.getTime() - 1000).toISOString() }),
        );
        expect(later?.message).to.match(/after --since/);
        expect(fake.invocations).to.deep.equal([]);
        expect(writes).to.deep.equal([]);
    });

    it("refuses a stack not pinned to its peer's account before the primary is detached or restored", async () => {
        delete fake.stacks.get("dr")!.config["lustre-dr:peerAccountId"];
        const error = await failure(failback());
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.contain("stack dr has no lustre-dr:peerAccountId (the primary side's account)");
        expect(fake.changes()).to.deep.equal([]);
        expect(writes).to.deep.equal([]);
    });

    it("refuses a T before the primary bucket's history before any update", async () => {
        const error = await failure(failback({ restorePrimaryTo: "2020-01-01T00:00:00Z" }));
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.match(/--to is 2020-01-01T00:00:00.000Z, before anything S3 recorded in bucket/);
        expect(fake.changes()).to.deep.equal([]);
        expect(writes).to.deep.equal([]);
    });

    it("a run killed during the restore leaves both sides detached; the re-run resumes the restore and finishes", async () => {
        failingKeys = new Set(["data/notes.txt"]);
        const error = await failure(failback());
        expect(error?.message).to.match(/the restore of the primary bucket s3:\/\/\S+ failed for 1 keys, so neither side was re-attached/);
        expect(fake.changes()).to.deep.equal(["config set-all --path primary lustre-dr:recovery.detached=true", "up primary"]);
        expect(s3control.commandCalls(CreateJobCommand)).to.have.length(0);

        failingKeys = new Set();
        fake.invocations.length = 0;
        writes = [];
        const rerun = await failback();
        // The primary's freeze took effect: no second update; the restore writes only the key that failed.
        expect(rerun.phases[0]).to.include({ phase: "detach-primary", skipped: "already frozen" });
        expect(writes).to.deep.equal(["CopyObjectCommand data/notes.txt"]);
        expect(fake.changes()[0]).to.equal("config set-all --path dr lustre-dr:recovery.detached=false");
        expect((await snapshot(client, bucket)).get("data/notes.txt")?.metadata["file-permissions"]).to.equal("0100644");
    });

    it("a re-run after the sides were re-attached does not restore the primary again (it would undo what replication brought)", async () => {
        await failback();
        const before = await versionIds(client, bucket);
        // What replication brings once attached: a write the restore must not undo.
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "data/after-failback.txt", Body: "replicated from dr" }));
        fake.invocations.length = 0;
        writes = [];

        const output = recordingOutput();
        const rerun = await failback({}, output);

        expect(rerun.restore).to.equal(undefined);
        expect(rerun.phases[0]).to.deep.include({ phase: "restore-primary" });
        expect(rerun.phases[0].skipped).to.match(/^the dr side dr is attached \(an earlier failback restored the primary and then re-attached it, or it was never frozen\)/);
        expect(writes).to.deep.equal([]);
        expect((await versionIds(client, bucket)).size).to.equal(before.size + 1);
        expect(fake.changes()).to.deep.equal(["up dr", "up primary"]);
        expect(output.text).to.match(/restore-primary skipped \(the dr side dr is attached/);
    });

    it("restores a large primary as restore --engine auto does: an S3 Batch Operations copy job as the primary's restore role, still detached", async () => {
        // The real program exports the restore role; the fake stacks do not, so it is added to the primary's outputs.
        const roleArn = "arn:aws:iam::111111111111:role/lustre-dr-primary-restore-batch";
        const run = fake.run.bind(fake);
        fake.run = async (args, cwd, env, onOutput) => {
            const result = await run(args, cwd, env, onOutput);
            const primaryStack = fake.stacks.get("primary");
            if (primaryStack) primaryStack.outputs.restoreBatchRoleArn = roleArn;
            return result;
        };
        const batchOps = new FakeBatchOperations(client);
        const changesAtJob: string[][] = [];
        s3control.on(CreateJobCommand).callsFake(async (input: CreateJobRequest) => {
            if (!input.Operation?.S3PutObjectCopy) return { JobId: "job-7" };
            changesAtJob.push(fake.changes());
            return batchOps.createJob(input);
        });
        s3control.on(DescribeJobCommand).callsFake((input: { JobId: string }) => (batchOps.jobs.has(input.JobId) ? batchOps.describe(input.JobId) : { Job: { Status: "Complete" } }));
        s3controlRegions = [];

        const result = await failback({}, recordingOutput(), 1);

        const copyJob = batchOps.created[0];
        expect(copyJob).to.deep.include({ AccountId: "111111111111", RoleArn: roleArn });
        expect(changesAtJob).to.deep.equal([["config set-all --path primary lustre-dr:recovery.detached=true", "up primary"]]);
        expect(s3controlRegions[0]).to.equal("us-east-1");
        expect(result.restore?.engine?.name).to.equal("batch");
        expect(result.restore?.applied).to.include({ copies: 3, deleteMarkers: 1 });
        const now = await snapshot(client, bucket);
        expect([...now.keys()].filter((key) => !key.startsWith(".lustre-dr/")).sort()).to.deep.equal(["data/keep.txt", "data/model.bin", "data/notes.txt"]);
        expect(now.get("data/notes.txt")?.metadata["file-permissions"]).to.equal("0100644");
    });
});
