import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    GetObjectCommand,
    ListObjectVersionsCommand,
    PutBucketEncryptionCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { CreateJobCommand, CreateJobRequest, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { BatchAccess, BatchSink, resumeBatchRun } from "../../../../infra/restore/batch/engine";
import { jobToken, runIdFor } from "../../../../infra/restore/batch/job";
import { runPrefix } from "../../../../infra/restore/batch/manifest";
import { readRunState, RunState, writeRunState } from "../../../../infra/restore/batch/state";
import { RestoreResult, restoreToPointInTime } from "../../../../infra/restore/restore";
import { startEncodingProxy } from "../../../emulator/encodingProxy";
import { emulatorPair } from "../../../emulator/moto";
import { FakeBatchOperations } from "../../../support/fakeBatchOperations";
import { createBucket, emulatorS3, secondBoundary, snapshot } from "../../../support/versionedBucket";

describe("infra/restore/batch: the batch engine against moto, S3 Control mocked", function () {
    this.timeout(90_000);
    const s3control = mockClient(S3ControlClient);
    // Never reaches AWS: aws-sdk-client-mock intercepts send() before any request is signed or sent.
    const control = new S3ControlClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    let client: S3Client;
    let fake: FakeBatchOperations;
    const progress: string[] = [];
    const manifestFile = path.join(os.tmpdir(), `batch-engine-${process.pid}.csv`);

    before(async () => {
        client = emulatorS3((await emulatorPair()).dr.endpoint);
    });
    beforeEach(() => {
        fake = new FakeBatchOperations(client);
        s3control.reset();
        s3control.on(CreateJobCommand).callsFake((input: CreateJobRequest) => fake.createJob(input));
        s3control.on(DescribeJobCommand).callsFake((input: { JobId: string }) => fake.describe(input.JobId));
        progress.length = 0;
    });
    after(() => {
        // Closes the client's keep-alive sockets: moto waits for open connections when it is stopped.
        client.destroy();
        s3control.restore();
        for (const file of [manifestFile, manifestFile.replace(/\.csv$/, ".STANDARD_IA.csv")]) fs.rmSync(file, { force: true });
    });

    const access = (bucket: string): BatchAccess => ({
        accountId: "123456789012",
        bucketArn: `arn:aws:s3:::${bucket}`,
        roleArn: "arn:aws:iam::123456789012:role/lustre-dr-dr-restore-batch",
        s3control: control,
    });

    /** A bucket with history, T, then an attack: overwrites (two storage classes, odd keys), a big object, new keys. */
    async function attackedBucket(): Promise<{ bucket: string; T: Date; atT: Awaited<ReturnType<typeof snapshot>> }> {
        const bucket = await createBucket(client);
        const put = (Key: string, Body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
            client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
        const keys = ["plain.txt", "dir/a b+c.txt", "données/été 😀.dat", "deny/secret.txt", "q?x=1,y.csv"];
        for (const key of keys) await put(key, `good ${key}`, { Metadata: { "file-owner": "1000" }, Tagging: "team=a%20b" });
        await put("cold/archive.bin", "good cold", { StorageClass: "STANDARD_IA" });
        await put("big.bin", "a big object, larger than the test's copy limit");
        const T = await secondBoundary();
        const atT = await snapshot(client, bucket, { withTags: true });
        for (const key of [...keys, "cold/archive.bin", "big.bin"]) await put(key, "encrypted by attacker");
        for (const key of ["ransom-note.txt", "dir/new file+1.txt"]) await put(key, "pay");
        return { bucket, T, atT };
    }

    const sink = (bucket: string, T: Date, extra: Partial<ConstructorParameters<typeof BatchSink>[0]> = {}) =>
        new BatchSink({
            engine: "batch",
            client,
            bucket,
            runId: runIdFor(bucket, "", T),
            dryRun: false,
            access: access(bucket),
            pollSeconds: 1,
            sleep: async () => undefined,
            progress: (line) => progress.push(line),
            batchCopyLimitBytes: 40,
            ...extra,
        });
    const restore = (bucket: string, T: Date, theSink: BatchSink, dryRun = false): Promise<RestoreResult> =>
        restoreToPointInTime({ bucketName: bucket, region: "us-east-1" }, { to: T, client, sink: theSink, dryRun, listConcurrency: 3 });

    it("restores with one job per storage class, DeleteObjects for new keys, the local copier over the size limit; reports failed keys", async () => {
        const { bucket, T, atT } = await attackedBucket();
        const commands: Array<{ name: string; key?: string }> = [];
        client.middlewareStack.add(
            (next, context) => async (args) => {
                commands.push({ name: context.commandName ?? "", key: (args.input as { Key?: string }).Key });
                return next(args);
            },
            { step: "initialize", name: "recordCommands" },
        );
        let result: RestoreResult;
        try {
            // Same thresholds as in production, scaled down: over 40 bytes is "over 5 GiB" here.
            result = await restore(bucket, T, sink(bucket, T, { manifestFile, apply: { multipartThresholdBytes: 40 } }));
        } finally {
            client.middlewareStack.remove("recordCommands");
        }
        // The object over the limit went to the local multipart copier, and only it.
        expect(commands.filter((c) => c.name === "UploadPartCopyCommand").map((c) => c.key)).to.deep.equal(["big.bin"]);
        // (CopyObject calls here are the fake job's, one per manifest row; none for the big object.)
        expect(commands.filter((c) => c.name === "CopyObjectCommand" && c.key === "big.bin")).to.deep.equal([]);

        // One job per storage class, each copying in place from the manifest it was given.
        expect(fake.created.map((request) => request.Operation?.S3PutObjectCopy?.StorageClass ?? "STANDARD").sort()).to.deep.equal(["STANDARD", "STANDARD_IA"]);
        for (const request of fake.created) {
            expect(request).to.deep.include({ AccountId: "123456789012", RoleArn: "arn:aws:iam::123456789012:role/lustre-dr-dr-restore-batch", ConfirmationRequired: false });
            expect(request.Manifest?.Location?.ObjectArn).to.match(new RegExp(`^arn:aws:s3:::${bucket}/\\.lustre-dr/restore/[^/]+/attempt-1/manifest-`));
        }
        // The local manifest is the uploaded one, byte for byte; the big object is not in it.
        const uploaded = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${runPrefix(runIdFor(bucket, "", T))}attempt-1/manifest-STANDARD.csv` }));
        const local = fs.readFileSync(manifestFile, "utf8");
        expect(await uploaded.Body?.transformToString("utf8")).to.equal(local);
        expect(uploaded.ServerSideEncryption).to.equal("AES256");
        expect(local.split("\n").filter(Boolean).map((line) => line.split(",")[1]).sort()).to.deep.equal(
            ["deny/secret.txt", "dir/a%20b%2Bc.txt", "donn%C3%A9es/%C3%A9t%C3%A9%20%F0%9F%98%80.dat", "plain.txt", "q%3Fx%3D1%2Cy.csv"],
        );

        expect(result.applied).to.deep.equal({ copies: 6, deleteMarkers: 2, bytesCopied: "a big object, larger than the test's copy limit".length });
        expect(result.failures.count).to.equal(1);
        expect(result.failures.first[0]).to.deep.include({ key: "deny/secret.txt", action: "copy" });
        expect(result.failures.first[0].message).to.match(/AccessDenied \(403\): Access Denied/);
        expect(result.engine).to.deep.include({ name: "batch", attempt: 1, largeCopies: 1, deleteObjectsRequests: 1 });

        const now = await snapshot(client, bucket, { withTags: true });
        const expected = new Map(atT);
        expected.set("deny/secret.txt", { ...(now.get("deny/secret.txt") as NonNullable<ReturnType<typeof now.get>>) });
        expect([...now.keys()].filter((key) => !key.startsWith(".lustre-dr/"))).to.deep.equal([...atT.keys()]);
        for (const [key, state] of atT) {
            if (key !== "deny/secret.txt") expect(now.get(key), key).to.deep.equal(state);
        }
        const state = (await readRunState(client, bucket, runIdFor(bucket, "", T))) as RunState;
        expect(state.attempts).to.have.length(1);
        expect(state.attempts[0]).to.deep.include({ status: "done" });
        expect(state.attempts[0].jobs.map((job) => job.jobId).sort()).to.deep.equal(["job-1", "job-2"]);
    });

    it("starts no job while the bucket's default encryption is not the stack's key (the job's copies would take it)", async () => {
        const { bucket, T } = await attackedBucket();
        const ownKey = "arn:aws:kms:us-east-1:123456789012:key/own";
        const attackerKey = "arn:aws:kms:us-east-1:123456789012:key/attacker";
        const defaultKey = (key: string) =>
            client.send(
                new PutBucketEncryptionCommand({
                    Bucket: bucket,
                    ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: key } }] },
                }),
            );
        const encryption = { algorithm: "aws:kms" as const, kmsKeyArn: ownKey };
        const restoreAs = (theSink: BatchSink) =>
            restoreToPointInTime({ bucketName: bucket, region: "us-east-1", encryption }, { to: T, client, sink: theSink, listConcurrency: 3 });
        await defaultKey(attackerKey);
        let refused: Error | undefined;
        try {
            await restoreAs(sink(bucket, T, { encryption }));
        } catch (error) {
            refused = error as Error;
        }
        expect(refused?.message).to.include(`default encryption of s3://${bucket} is SSE-KMS ${attackerKey}, not the stack's SSE-KMS ${ownKey}`);
        expect(refused?.message).to.include("--engine local");
        expect(fake.created).to.have.length(0);

        await defaultKey(ownKey);
        const result = await restoreAs(sink(bucket, T, { encryption }));
        expect(fake.created.length).to.be.greaterThan(0);
        // Only the key the fake job is denied fails (as in the first test): the refusal left no unfinished attempt.
        expect(result.failures.first.map((failure) => failure.key)).to.deep.equal(["deny/secret.txt"]);
    });

    it("writes delete markers with DeleteObjects only, never naming a version", async () => {
        const { bucket, T } = await attackedBucket();
        const deletes: unknown[] = [];
        client.middlewareStack.add(
            (next, context) => async (args) => {
                if (context.commandName === "DeleteObjectsCommand") deletes.push((args.input as { Delete: unknown }).Delete);
                if (context.commandName === "DeleteObjectCommand") throw new Error("DeleteObject must not be used by the batch engine");
                return next(args);
            },
            { step: "initialize", name: "recordDeletes" },
        );
        try {
            await restore(bucket, T, sink(bucket, T));
        } finally {
            client.middlewareStack.remove("recordDeletes");
        }
        expect(deletes).to.have.length(1);
        const objects = (deletes[0] as { Objects: Array<{ Key: string; VersionId?: string }> }).Objects;
        expect(objects.map((object) => object.Key).sort()).to.deep.equal(["dir/new file+1.txt", "ransom-note.txt"]);
        expect(objects.every((object) => object.VersionId === undefined)).to.equal(true);
    });

    it("names a key XML cannot carry in a DeleteObject of its own, so it cannot make S3 refuse the other keys' DeleteObjects", async () => {
        // moto's ListObjectVersions ignores encoding-type=url: list through the proxy that encodes as S3 does.
        const proxy = await startEncodingProxy((await emulatorPair()).dr.endpoint);
        const through = emulatorS3(proxy.endpoint);
        try {
            const bucket = await createBucket(client);
            const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
            await put("a\x0bz", "good");
            await put("plain.txt", "good");
            const T = await secondBoundary();
            const atT = await snapshot(client, bucket);
            await put("a\x0bz", "encrypted by attacker");
            for (const key of ["evil\rkey", "soh\x01new", "ransom-note.txt", "another note.txt"]) await put(key, "pay");

            const sent: Array<{ name: string; keys: string[] }> = [];
            through.middlewareStack.add(
                (next, context) => async (args) => {
                    const input = args.input as { Key?: string; Delete?: { Objects: Array<{ Key: string; VersionId?: string }> } };
                    if (context.commandName === "DeleteObjectsCommand" || context.commandName === "DeleteObjectCommand") {
                        expect(input).to.not.have.property("VersionId");
                        expect((input.Delete?.Objects ?? []).every((o) => o.VersionId === undefined)).to.equal(true);
                        sent.push({ name: context.commandName, keys: input.Delete ? input.Delete.Objects.map((o) => o.Key) : [input.Key ?? ""] });
                    }
                    return next(args);
                },
                { step: "initialize", name: "recordDeletes" },
            );
            fake = new FakeBatchOperations(through);
            const result = await restoreToPointInTime(
                { bucketName: bucket, region: "us-east-1" },
                { to: T, client: through, sink: sink(bucket, T, { client: through }), listConcurrency: 3 },
            );
            expect(result.failures).to.deep.equal({ count: 0, first: [] });
            expect(result.applied).to.deep.include({ copies: 1, deleteMarkers: 4 });
            expect(sent.filter((s) => s.name === "DeleteObjectsCommand").map((s) => s.keys.sort())).to.deep.equal([["another note.txt", "ransom-note.txt"]]);
            expect(sent.filter((s) => s.name === "DeleteObjectCommand").flatMap((s) => s.keys).sort()).to.deep.equal(["evil\rkey", "soh\x01new"]);
            const now = await snapshot(client, bucket);
            expect(new Map([...now].filter(([key]) => !key.startsWith(".lustre-dr/")))).to.deep.equal(atT);
        } finally {
            through.destroy();
            await proxy.stop();
        }
    });

    it("writes nothing to S3 in a dry run, and still writes the local manifest", async () => {
        const { bucket, T } = await attackedBucket();
        const before = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
        const result = await restore(bucket, T, sink(bucket, T, { manifestFile, dryRun: true, access: undefined }), true);
        const after = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
        expect(after.Versions?.length).to.equal(before.Versions?.length);
        expect(after.DeleteMarkers ?? []).to.have.length(0);
        expect(fake.created).to.have.length(0);
        expect(s3control.calls()).to.have.length(0);
        expect(fs.readFileSync(manifestFile, "utf8").split("\n").filter(Boolean)).to.have.length(5);
        expect(result.engine).to.deep.include({ name: "batch", batchCopies: 6 });
    });

    it("auto stays local below the threshold and uses Batch Operations from it", async () => {
        const { bucket, T } = await attackedBucket();
        const local = await restore(bucket, T, sink(bucket, T, { engine: "auto", threshold: 7 }));
        expect(local.engine).to.deep.include({ name: "local" });
        expect(fake.created).to.have.length(0);
        expect(local.failures.count).to.equal(0);
        expect(local.applied.copies).to.equal(7);

        const second = await attackedBucket();
        const batch = await restore(second.bucket, second.T, sink(second.bucket, second.T, { engine: "auto", threshold: 6 }));
        expect(batch.engine).to.deep.include({ name: "batch" });
        expect(fake.created).to.have.length(2);
    });

    it("after a kill between CreateJob and recording the job id, re-sends the same CreateJob and gets the same job", async () => {
        const { bucket, T } = await attackedBucket();
        const runId = runIdFor(bucket, "", T);
        // What a killed run leaves: the manifest uploaded, the attempt recorded as creating, CreateJob sent, no job id.
        const manifestKey = `${runPrefix(runId)}attempt-1/manifest-STANDARD.csv`;
        const history = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "plain.txt" }));
        const atTVersion = history.Versions?.[history.Versions.length - 1]?.VersionId;
        const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: `${bucket},plain.txt,${atTVersion}\n`, ServerSideEncryption: "AES256" }));
        const record = { storageClass: "STANDARD", manifestKey, manifestETag: (put.ETag ?? "").replace(/"/g, ""), copies: 1, token: jobToken(runId, 1, "STANDARD") };
        const state: RunState = { version: 1, runId, bucket, prefix: "", to: T.toISOString(), attempts: [{ attempt: 1, startedAt: new Date().toISOString(), status: "creating", jobs: [record] }] };
        await writeRunState(client, bucket, state);
        s3control.on(CreateJobCommand).callsFake(async (input: CreateJobRequest) => fake.createJob(input));
        // The job S3 had already created when the process died.
        const { restoreJobRequest } = await import("../../../../infra/restore/batch/job");
        await fake.createJob(restoreJobRequest({ ...access(bucket), runId, attempt: 1, storageClass: "STANDARD", manifestArn: `arn:aws:s3:::${bucket}/${manifestKey}`, manifestETag: record.manifestETag, copies: 1 }));
        fake.created.length = 0;

        const resumed = await resumeBatchRun({ engine: "batch", client, bucket, runId, dryRun: false, access: access(bucket), prefix: "", to: T, pollSeconds: 1, sleep: async () => undefined });
        expect(fake.created).to.have.length(1);
        expect(fake.created[0].ClientRequestToken).to.equal(record.token);
        expect(fake.jobs.size).to.equal(1);
        expect(resumed.jobs.map((job) => job.jobId)).to.deep.equal(["job-1"]);
        const after = (await readRunState(client, bucket, runId)) as RunState;
        expect(after.attempts[0]).to.deep.include({ status: "done" });
        expect(after.attempts[0].jobs[0].jobId).to.equal("job-1");

        // The re-plan then finds only what is still different, in attempt 2 (job-1 restored plain.txt).
        const created = fake.created.length;
        const result = await restore(bucket, T, sink(bucket, T));
        expect(result.engine).to.deep.include({ attempt: 2 });
        const later = fake.created.slice(created);
        expect(later.map((request) => request.Description?.replace(/: \d+ copies$/, ""))).to.have.members([
            `lustre-dr restore ${runId} attempt 2 STANDARD`,
            `lustre-dr restore ${runId} attempt 2 STANDARD_IA`,
        ]);
        const manifest = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${runPrefix(runId)}attempt-2/manifest-STANDARD.csv` }));
        expect(await manifest.Body?.transformToString("utf8")).to.not.match(/,plain\.txt,/);
    });

    it("leaves a suspended job's attempt unfinished and says what to do, so no second job starts", async () => {
        const { bucket, T } = await attackedBucket();
        const runId = runIdFor(bucket, "", T);
        const original = fake.createJob.bind(fake);
        fake.createJob = async (input: CreateJobRequest) => {
            const created = await original(input);
            fake.suspended.add(created.JobId);
            return created;
        };
        let error: Error | undefined;
        await restore(bucket, T, sink(bucket, T)).catch((caught: Error) => (error = caught));
        expect(error?.message).to.match(/batch job job-\d is Suspended: resume or cancel it/);
        const state = (await readRunState(client, bucket, runId)) as RunState;
        expect(state.attempts).to.have.length(1);
        expect(state.attempts[0].status).to.equal("running");

        // Resumed by a person: the next run attaches to the same jobs and starts none.
        fake.suspended.clear();
        const created = fake.created.length;
        const resumed = await resumeBatchRun({ engine: "batch", client, bucket, runId, dryRun: false, access: access(bucket), prefix: "", to: T, pollSeconds: 1, sleep: async () => undefined });
        expect(fake.created).to.have.length(created);
        expect(resumed.jobs.map((job) => job.status)).to.deep.equal(["Complete", "Complete"]);
    });

    it("attaches to a running job instead of starting another", async () => {
        const { bucket, T } = await attackedBucket();
        await restore(bucket, T, sink(bucket, T));
        const runId = runIdFor(bucket, "", T);
        const state = (await readRunState(client, bucket, runId)) as RunState;
        // As if the run had been interrupted while waiting: the attempt is still running.
        state.attempts[0].status = "running";
        await writeRunState(client, bucket, state);
        for (const job of fake.jobs.values()) job.polls = 0;
        fake.created.length = 0;

        const resumed = await resumeBatchRun({ engine: "batch", client, bucket, runId, dryRun: false, access: access(bucket), prefix: "", to: T, pollSeconds: 1, sleep: async () => undefined, progress: (line) => progress.push(line) });
        expect(fake.created).to.have.length(0);
        expect(resumed.attempt).to.equal(1);
        expect(resumed.jobs.map((job) => job.status)).to.deep.equal(["Complete", "Complete"]);
        expect(progress.some((line) => /attaching to attempt 1 \(running\)/.test(line))).to.equal(true);
        expect(progress.some((line) => /Active: 0\/\d+ copied/.test(line))).to.equal(true);
        expect(resumed.failures.count).to.equal(1);
    });
});

describe("infra/restore/batch: the 5 GB limit of Batch Operations' Copy", () => {
    it("puts copies up to 5 GiB in the manifest and routes larger ones to the local multipart copier", async () => {
        const file = path.join(os.tmpdir(), `batch-limit-${process.pid}.csv`);
        const sink = new BatchSink({
            engine: "batch",
            // Never called: a dry run writes nothing to S3.
            client: new S3Client({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } }),
            bucket: "acme-dr",
            runId: "r",
            dryRun: true,
            manifestFile: file,
        });
        const copy = (key: string, size: number) => ({ key, action: "copy" as const, versionId: `v-${key}`, size, lastModified: new Date(0) });
        await sink.add(copy("at-limit", 5 * 1024 ** 3));
        await sink.add(copy("over-limit", 5 * 1024 ** 3 + 1));
        await sink.add(copy("small", 10));
        const outcome = await sink.finish();
        expect(fs.readFileSync(file, "utf8")).to.equal("acme-dr,at-limit,v-at-limit\nacme-dr,small,v-small\n");
        expect(outcome.engine).to.deep.include({ name: "batch", batchCopies: 2 });
        fs.rmSync(file, { force: true });
    });
});
