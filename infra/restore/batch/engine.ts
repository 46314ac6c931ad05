/**
 * The batch engine of `lustre-dr restore`: the same plan as the local engine, carried out by S3 Batch Operations.
 *
 * Planning streams every action into a spool file on local disk (constant memory). After planning:
 * - copies up to 5 GB become one CSV manifest per storage class, uploaded under `.lustre-dr/restore/<run-id>/`,
 *   and one `S3PutObjectCopy` job each (infra/restore/batch/job.ts);
 * - copies over 5 GB (Batch Operations' Copy limit) go to the local multipart copier (infra/restore/apply.ts);
 * - delete markers are written with `DeleteObjects`, up to 1,000 keys per request, never with a version id (a key
 *   XML cannot carry, such as one holding a control character, gets a `DeleteObject` of its own: in a
 *   `DeleteObjects` body it would make S3 refuse the whole request, so one attacker's key would block 999 others);
 * - then it waits for the jobs with progress and reads their completion reports: every failed key, with S3's reason.
 * With `auto`, the spool is applied by the local writers instead when fewer than `threshold` copies were planned.
 *
 * Resumable: the run id is derived from bucket, prefix and T (job.ts), its state is recorded in the bucket
 * (state.ts) and CreateJob is idempotent per run, attempt and storage class. {@link resumeBatchRun}, called before
 * planning, finishes the run's last attempt (re-sending CreateJob if the process died before recording the job id,
 * or waiting for the running jobs); planning then finds only what is still different.
 */
import { once } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { DeleteObjectCommand, DeleteObjectsCommand, GetBucketEncryptionCommand, GetBucketEncryptionCommandOutput, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { xmlCannotCarry } from "../../aws/listing";
import { BatchJobProgress, waitForBatchJob } from "../../replication/batchReplication";
import { applyAction, ApplyOptions, copyObjectLimitBytes, forEachBounded, RestoreAction } from "../apply";
import { describeEncryption, ExpectedEncryption, isExpected } from "../encryption";
import type { CopyPlan } from "../plan";
import type { ActionSink, RestoreFailure, SinkOutcome } from "../restore";
import { jobToken, reportPrefix, restoreJobRequest } from "./job";
import { manifestFileFor, manifestLine, runPrefix } from "./manifest";
import { describeFailure, parseReportCsv, parseReportManifest } from "./report";
import { AttemptRecord, JobRecord, readRunState, RunState, stateKey, unfinishedAttempt, writeRunState } from "./state";

export type RestoreEngine = "local" | "batch" | "auto";
export const restoreEngines: readonly RestoreEngine[] = ["local", "batch", "auto"];

/**
 * Planned copies from which `auto` uses Batch Operations. Below it the local writers finish in minutes (about 600
 * copies/s measured at concurrency 32, see BENCHMARKS.md; 100,000 copies is 3 to 10 minutes against S3) and cost
 * only the requests, while a job adds its fixed cost ($0.25 per job plus $1.00 per million objects) and minutes of
 * preparation before the first copy. Above it the job's parallelism, inside S3, wins: the copies no longer depend
 * on the operator's machine or network staying up for hours.
 */
export const defaultBatchThreshold = 100_000;

/** DeleteObjects takes at most 1,000 keys per request. */
export const deleteObjectsBatch = 1000;

/** What the job needs from the stack: where it runs and as whom. */
export interface BatchAccess {
    readonly accountId: string;
    readonly bucketArn: string;
    /** `restoreBatchRoleArn` of the stack (components/replicatedBucket.ts). */
    readonly roleArn: string;
    readonly s3control: S3ControlClient;
}

export interface BatchEngineOptions {
    readonly engine: "batch" | "auto";
    /** `auto` uses Batch Operations from this many planned copies. @default 100,000 */
    readonly threshold?: number;
    readonly client: S3Client;
    readonly bucket: string;
    readonly runId: string;
    /** What the run restores, recorded in its state for people reading it. */
    readonly prefix?: string;
    readonly to?: Date;
    /** Write nothing to S3; still write the local manifest when `manifestFile` is set. */
    readonly dryRun: boolean;
    /** Also write the manifest here (per storage class, see manifestFileFor). */
    readonly manifestFile?: string;
    /** Needed unless dry run. */
    readonly access?: BatchAccess;
    /** Local writes in flight: large copies, DeleteObjects requests, and all writes when `auto` stays local. @default 32 */
    readonly concurrency?: number;
    readonly apply?: Pick<ApplyOptions, "multipartThresholdBytes" | "partSizeBytes">;
    /**
     * The side's own encryption (its stack's). The local writes name it on every copy; the job's copies take the
     * bucket's default encryption, so a job starts only when that default is this encryption (an attacker holding the
     * account can point the default at their own key). @default unknown: the bucket default, unchecked
     */
    readonly encryption?: ExpectedEncryption;
    /** Larger copies go to the local multipart copier; smaller ones to the job. Lower only in tests. @default 5 GiB */
    readonly batchCopyLimitBytes?: number;
    /** Seconds between DescribeJob calls. @default 30 */
    readonly pollSeconds?: number;
    readonly sleep?: (milliseconds: number) => Promise<void>;
    readonly signal?: AbortSignal;
    /** A line of progress for people (stderr). */
    readonly progress?: (line: string) => void;
}

/** One job of a batch restore as the result reports it. */
export interface BatchJobSummary {
    readonly jobId?: string;
    readonly storageClass: string;
    readonly copies: number;
    readonly manifest: string;
    readonly status?: string;
    readonly succeeded?: number;
    readonly failed?: number;
}

type SpoolEntry =
    | { readonly kind: "copy" | "large"; readonly storageClass: string; readonly size: number; readonly versionId: string; readonly key: string }
    | { readonly kind: "delete-marker"; readonly key: string };

function spoolLine(action: RestoreAction, batchCopyLimit: number): string {
    const key = encodeURIComponent(action.key);
    if (action.action === "delete-marker") {
        return `d\t${key}\n`;
    }
    return `${action.size > batchCopyLimit ? "L" : "c"}\t${action.storageClass ?? "STANDARD"}\t${action.size}\t${action.versionId}\t${key}\n`;
}

async function* readSpool(file: string): AsyncGenerator<SpoolEntry> {
    const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of lines) {
        const cells = line.split("\t");
        if (cells[0] === "d") {
            yield { kind: "delete-marker", key: decodeURIComponent(cells[1]) };
        } else if (cells[0] === "c" || cells[0] === "L") {
            yield { kind: cells[0] === "c" ? "copy" : "large", storageClass: cells[1], size: Number(cells[2]), versionId: cells[3], key: decodeURIComponent(cells[4]) };
        }
    }
}

function copyPlanOf(entry: Extract<SpoolEntry, { kind: "copy" | "large" }>): CopyPlan {
    return { key: entry.key, action: "copy", versionId: entry.versionId, size: entry.size, storageClass: entry.storageClass, lastModified: new Date(0) };
}

async function writeLine(stream: fs.WriteStream, line: string): Promise<void> {
    if (!stream.write(line)) {
        await once(stream, "drain");
    }
}

async function closeStream(stream: fs.WriteStream): Promise<void> {
    stream.end();
    await once(stream, "finish");
}

const partitionOf = (arn: string) => arn.split(":")[1] ?? "aws";

/** Failures with their reasons, keeping the first `keep` and counting all. */
class FailureList {
    count = 0;
    readonly first: RestoreFailure[] = [];
    constructor(private readonly keep = 100) {}
    add(failure: RestoreFailure, count = 1): void {
        this.count += count;
        if (this.first.length < this.keep) this.first.push(failure);
    }
}

/** Waits for the jobs of an attempt, then reads their reports into `failures`. Updates the records' statuses. */
async function waitAndReadReports(
    options: BatchEngineOptions,
    access: BatchAccess,
    jobs: JobRecord[],
    failures: FailureList,
): Promise<{ succeeded: number; summaries: BatchJobSummary[] }> {
    let succeeded = 0;
    const summaries: BatchJobSummary[] = [];
    for (const job of jobs) {
        if (!job.jobId) continue;
        let last: BatchJobProgress;
        try {
            last = await waitForBatchJob(access.s3control, access.accountId, job.jobId, {
                pollSeconds: options.pollSeconds ?? 30,
                ...(options.sleep ? { sleep: options.sleep } : {}),
                onProgress: (progress) =>
                    options.progress?.(
                        `batch job ${progress.jobId} (${job.storageClass}) ${progress.status}: ${progress.succeededTasks.toLocaleString("en-US")}/` +
                            `${(progress.totalTasks || job.copies).toLocaleString("en-US")} copied, ${progress.failedTasks.toLocaleString("en-US")} failed`,
                    ),
            });
        } catch (error) {
            throw new Error(
                `${(error as Error).message}. The job keeps running in S3: run the same command again to wait for it ` +
                    `(the run's state is s3://${options.bucket}/${stateKey(options.runId)})`,
            );
        }
        job.status = last.status;
        if (last.status === "Suspended") {
            // Someone must resume or cancel it; the attempt stays unfinished, so no second job starts meanwhile.
            throw new Error(
                `batch job ${job.jobId} is Suspended${last.failureReasons.length ? ` (${last.failureReasons.join("; ")})` : ""}: ` +
                    `resume or cancel it (S3 console, Batch Operations, or aws s3control update-job-status), then run the same command again`,
            );
        }
        succeeded += last.succeededTasks;
        const rows = await readFailedTasks(options.client, options.bucket, options.runId, job.jobId);
        for (const row of rows) {
            failures.add({ key: row.key, action: "copy", message: `batch job ${job.jobId}: ${describeFailure(row)}` });
        }
        // Tasks the report does not name (a job that failed before running them, or a report S3 could not write).
        const unreported = Math.max(0, job.copies - last.succeededTasks - rows.length);
        if (last.status !== "Complete" || unreported > 0) {
            const why = last.failureReasons.length ? last.failureReasons.join("; ") : `${unreported} copies not confirmed by the job`;
            if (unreported > 0) {
                failures.add({ key: `(batch job ${job.jobId})`, action: "copy", message: `${last.status}: ${why}` }, unreported);
            } else if (last.status !== "Complete") {
                failures.add({ key: `(batch job ${job.jobId})`, action: "copy", message: `${last.status}: ${why}` }, 0);
            }
        }
        summaries.push({ jobId: job.jobId, storageClass: job.storageClass, copies: job.copies, manifest: `s3://${options.bucket}/${job.manifestKey}`, status: last.status, succeeded: last.succeededTasks, failed: last.failedTasks });
    }
    return { succeeded, summaries };
}

/** The failed tasks of a job's completion report; none when S3 wrote no report (no task ran, or none failed). */
export async function readFailedTasks(client: S3Client, bucket: string, runId: string, jobId: string) {
    const manifestKey = `${reportPrefix(runId)}/job-${jobId}/manifest.json`;
    let manifestJson: string;
    try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }));
        manifestJson = (await object.Body?.transformToString("utf8")) ?? "{}";
    } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") {
            return [];
        }
        throw error;
    }
    const rows = [];
    for (const file of parseReportManifest(manifestJson, true)) {
        // The report manifest names the bucket by name; it is always this bucket (the job's Report.Bucket).
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: file.key }));
        rows.push(...parseReportCsv((await object.Body?.transformToString("utf8")) ?? "").filter((row) => row.status !== "succeeded"));
    }
    return rows;
}

/** Creates the jobs of an attempt that have no id yet (idempotent per token), recording each id as it comes. */
async function createJobs(options: BatchEngineOptions, access: BatchAccess, state: RunState, attempt: AttemptRecord): Promise<void> {
    for (const job of attempt.jobs) {
        if (job.jobId) continue;
        const request = restoreJobRequest({
            accountId: access.accountId,
            bucketArn: access.bucketArn,
            roleArn: access.roleArn,
            runId: state.runId,
            attempt: attempt.attempt,
            storageClass: job.storageClass,
            manifestArn: `arn:${partitionOf(access.bucketArn)}:s3:::${options.bucket}/${job.manifestKey}`,
            manifestETag: job.manifestETag,
            copies: job.copies,
        });
        const response = await access.s3control.send(new CreateJobCommand(request));
        if (!response.JobId) {
            throw new Error(`S3 Control CreateJob for ${job.manifestKey} returned no job id`);
        }
        job.jobId = response.JobId;
        await writeRunState(options.client, options.bucket, state);
        options.progress?.(`batch job ${job.jobId} created: ${job.copies.toLocaleString("en-US")} copies (${job.storageClass})`);
    }
    attempt.status = "running";
    await writeRunState(options.client, options.bucket, state);
}

export interface ResumeOutcome {
    readonly runId: string;
    /** The attempt finished now, if the last one was unfinished. */
    readonly attempt?: number;
    readonly jobs: BatchJobSummary[];
    readonly copies: number;
    readonly failures: { readonly count: number; readonly first: RestoreFailure[] };
}

/**
 * Before planning: finish the run's last attempt if it is unfinished (create the jobs a killed process did not get
 * to record, wait for running ones, read their reports). Never starts a job for a new attempt.
 */
export async function resumeBatchRun(options: BatchEngineOptions & { readonly access: BatchAccess }): Promise<ResumeOutcome> {
    const state = await readRunState(options.client, options.bucket, options.runId, options.signal);
    const attempt = unfinishedAttempt(state);
    if (!state || !attempt) {
        return { runId: options.runId, jobs: [], copies: 0, failures: { count: 0, first: [] } };
    }
    options.progress?.(`run ${options.runId}: attaching to attempt ${attempt.attempt} (${attempt.status}), recorded in s3://${options.bucket}/${stateKey(options.runId)}`);
    await createJobs(options, options.access, state, attempt);
    const failures = new FailureList();
    const { succeeded, summaries } = await waitAndReadReports(options, options.access, attempt.jobs, failures);
    attempt.status = "done";
    await writeRunState(options.client, options.bucket, state);
    return { runId: options.runId, attempt: attempt.attempt, jobs: summaries, copies: succeeded, failures: { count: failures.count, first: failures.first } };
}

/** The batch engine as the restore's sink: collects the plan, then writes it (see the module comment). */
/**
 * Refuses to start a job whose copies would take a default encryption other than the side's own: Batch Operations'
 * Copy is given no encryption (S3PutObjectCopy's `NewObjectMetadata` would replace the copied metadata), so its copies
 * get the bucket's default, which whoever holds the account can have pointed at a key they own.
 */
export async function checkDefaultEncryption(client: S3Client, bucket: string, expected: ExpectedEncryption, signal?: AbortSignal): Promise<void> {
    // No configuration at all: S3's base level for every bucket, SSE-S3 (moto answers so for a bucket never configured).
    const answer: GetBucketEncryptionCommandOutput | undefined = await client
        .send(new GetBucketEncryptionCommand({ Bucket: bucket }), { abortSignal: signal })
        .catch((error: Error) => {
            if (error.name === "ServerSideEncryptionConfigurationNotFoundError") return undefined;
            throw error;
        });
    const rule = answer ? answer.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault : { SSEAlgorithm: "AES256" as const, KMSMasterKeyID: undefined };
    const algorithm = rule?.SSEAlgorithm;
    const kmsKeyId = rule?.KMSMasterKeyID;
    const actual = { ...(algorithm !== undefined ? { algorithm } : {}), ...(kmsKeyId !== undefined ? { kmsKeyId } : {}) };
    if (!isExpected(actual, expected)) {
        throw new Error(
            `the default encryption of s3://${bucket} is ${describeEncryption(actual)}, not the stack's ${describeEncryption(expected)}: ` +
                "a batch job's copies would be written under it, so no job was started. Restore the bucket's encryption " +
                "(`lustre-dr deploy`, which sets it from the stack), or run with --engine local, which names the stack's key on every copy",
        );
    }
}

export class BatchSink implements ActionSink {
    private readonly directory: string;
    private readonly spoolPath: string;
    private readonly spool: fs.WriteStream;
    private batchCopies = 0;

    constructor(private readonly options: BatchEngineOptions) {
        if (!options.dryRun && !options.access) {
            throw new Error("the batch engine needs the account, bucket ARN and batch role unless it is a dry run");
        }
        this.directory = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-restore-"));
        this.spoolPath = path.join(this.directory, "plan.tsv");
        this.spool = fs.createWriteStream(this.spoolPath, { encoding: "utf8" });
    }

    async add(action: RestoreAction): Promise<void> {
        const limit = this.options.batchCopyLimitBytes ?? copyObjectLimitBytes;
        if (action.action === "copy" && action.size <= limit) {
            this.batchCopies++;
        }
        await writeLine(this.spool, spoolLine(action, limit));
    }

    discard(): void {
        this.spool.destroy();
        fs.rmSync(this.directory, { recursive: true, force: true });
    }

    /** The engine `auto` picks for this plan. */
    chosenEngine(): "local" | "batch" {
        return this.options.engine === "batch" || this.batchCopies >= (this.options.threshold ?? defaultBatchThreshold) ? "batch" : "local";
    }

    async finish(): Promise<SinkOutcome> {
        await closeStream(this.spool);
        try {
            const engine = this.chosenEngine();
            // A dry run without --manifest-file only reports the decision: no manifest to write anywhere.
            const manifests = this.options.dryRun && !this.options.manifestFile ? [] : await this.writeManifests();
            if (this.options.dryRun) {
                return this.outcome(engine, { copies: 0, bytesCopied: 0, deleteMarkers: 0, failures: new FailureList() }, {
                    localManifests: manifests.map((manifest) => manifest.local).filter((file) => !file.startsWith(this.directory)),
                    batchCopies: this.batchCopies,
                });
            }
            if (engine === "local") {
                return this.outcome("local", await this.applyLocally(() => true), { batchCopies: this.batchCopies });
            }
            return await this.runBatch(manifests);
        } finally {
            fs.rmSync(this.directory, { recursive: true, force: true });
        }
    }

    private outcome(
        name: "local" | "batch",
        written: { copies: number; bytesCopied: number; deleteMarkers: number; failures: FailureList },
        details: Record<string, unknown>,
    ): SinkOutcome {
        return {
            copies: written.copies,
            bytesCopied: written.bytesCopied,
            deleteMarkers: written.deleteMarkers,
            failureCount: written.failures.count,
            failures: written.failures.first,
            engine: { name, runId: this.options.runId, threshold: this.options.threshold ?? defaultBatchThreshold, ...details },
        };
    }

    /** One manifest file per storage class, in the spool's order; the local copy when asked, else in the temp dir. */
    private async writeManifests(): Promise<Array<{ storageClass: string; local: string; rows: number }>> {
        const files = new Map<string, { stream: fs.WriteStream; local: string; rows: number }>();
        for await (const entry of readSpool(this.spoolPath)) {
            if (entry.kind !== "copy") continue;
            let file = files.get(entry.storageClass);
            if (!file) {
                const local = this.options.manifestFile
                    ? manifestFileFor(this.options.manifestFile, entry.storageClass)
                    : path.join(this.directory, `manifest-${entry.storageClass}.csv`);
                file = { stream: fs.createWriteStream(local, { encoding: "utf8" }), local, rows: 0 };
                files.set(entry.storageClass, file);
            }
            file.rows++;
            await writeLine(file.stream, manifestLine(this.options.bucket, entry.key, entry.versionId));
        }
        await Promise.all([...files.values()].map((file) => closeStream(file.stream)));
        return [...files.entries()].map(([storageClass, file]) => ({ storageClass, local: file.local, rows: file.rows }));
    }

    /** Applies the spooled actions chosen by `which` with the local writers. */
    private async applyLocally(which: (entry: SpoolEntry) => boolean) {
        const written = { copies: 0, bytesCopied: 0, deleteMarkers: 0, failures: new FailureList() };
        const applyOptions: ApplyOptions = {
            ...this.options.apply,
            ...(this.options.encryption ? { encryption: this.options.encryption } : {}),
            ...(this.options.signal ? { signal: this.options.signal } : {}),
        };
        async function* chosen(spool: string) {
            for await (const entry of readSpool(spool)) if (which(entry)) yield entry;
        }
        await forEachBounded(chosen(this.spoolPath), this.options.concurrency ?? 32, async (entry) => {
            const action: RestoreAction =
                entry.kind === "delete-marker" ? { key: entry.key, action: "delete-marker", currentVersionId: "", size: 0 } : copyPlanOf(entry);
            try {
                await applyAction(this.options.client, this.options.bucket, action, applyOptions);
                if (action.action === "copy") {
                    written.copies++;
                    written.bytesCopied += action.size;
                } else {
                    written.deleteMarkers++;
                }
            } catch (error) {
                if (this.options.signal?.aborted) throw error;
                written.failures.add({ key: action.key, action: action.action, message: (error as Error).message });
            }
        });
        return written;
    }

    /** Delete markers in DeleteObjects requests of up to 1,000 keys, without version ids; per-key errors reported. */
    private async writeDeleteMarkers(failures: FailureList): Promise<{ deleteMarkers: number; requests: number }> {
        let deleteMarkers = 0;
        let requests = 0;
        async function* batches(spool: string): AsyncGenerator<string[]> {
            let batch: string[] = [];
            for await (const entry of readSpool(spool)) {
                if (entry.kind !== "delete-marker") continue;
                if (xmlCannotCarry(entry.key)) {
                    yield [entry.key];
                    continue;
                }
                batch.push(entry.key);
                if (batch.length === deleteObjectsBatch) {
                    yield batch;
                    batch = [];
                }
            }
            if (batch.length) yield batch;
        }
        await forEachBounded(batches(this.spoolPath), Math.min(this.options.concurrency ?? 32, 8), async (keys) => {
            requests++;
            try {
                // No VersionId, here or on any entry below: each adds a delete marker. With one it would destroy a version.
                if (keys.length === 1 && xmlCannotCarry(keys[0])) {
                    await this.options.client.send(
                        new DeleteObjectCommand({ Bucket: this.options.bucket, Key: keys[0] }),
                        this.options.signal ? { abortSignal: this.options.signal } : {},
                    );
                    deleteMarkers++;
                    return;
                }
                const response = await this.options.client.send(
                    new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
                    this.options.signal ? { abortSignal: this.options.signal } : {},
                );
                const errors = response.Errors ?? [];
                for (const error of errors) {
                    failures.add({ key: error.Key ?? "", action: "delete-marker", message: `${error.Code ?? "Error"}: ${error.Message ?? ""}` });
                }
                deleteMarkers += keys.length - errors.length;
            } catch (error) {
                if (this.options.signal?.aborted) throw error;
                for (const key of keys) failures.add({ key, action: "delete-marker", message: (error as Error).message });
            }
        });
        return { deleteMarkers, requests };
    }

    private async runBatch(manifests: Array<{ storageClass: string; local: string; rows: number }>): Promise<SinkOutcome> {
        const options = this.options;
        const access = options.access as BatchAccess;
        const failures = new FailureList();
        const state: RunState = (await readRunState(options.client, options.bucket, options.runId, options.signal)) ?? {
            version: 1,
            runId: options.runId,
            bucket: options.bucket,
            prefix: options.prefix ?? "",
            to: options.to?.toISOString() ?? "",
            attempts: [],
        };
        if (unfinishedAttempt(state)) {
            throw new Error(`run ${options.runId} has an unfinished attempt: finish it first (resumeBatchRun) so that no second job starts`);
        }
        if (manifests.length > 0 && options.encryption) {
            await checkDefaultEncryption(options.client, options.bucket, options.encryption, options.signal);
        }
        let jobs: BatchJobSummary[] = [];
        let succeeded = 0;
        const attemptNumber = state.attempts.length + 1;
        if (manifests.length > 0) {
            const records: JobRecord[] = [];
            for (const manifest of manifests) {
                const key = `${runPrefix(options.runId)}attempt-${attemptNumber}/manifest-${manifest.storageClass}.csv`;
                const response = await options.client.send(
                    new PutObjectCommand({
                        Bucket: options.bucket,
                        Key: key,
                        Body: fs.createReadStream(manifest.local),
                        ContentLength: fs.statSync(manifest.local).size,
                        ContentType: "text/csv",
                        // Batch Operations cannot read an SSE-KMS manifest (S3 user guide, "Specifying a manifest").
                        ServerSideEncryption: "AES256",
                    }),
                );
                const eTag = (response.ETag ?? "").replace(/"/g, "");
                records.push({ storageClass: manifest.storageClass, manifestKey: key, manifestETag: eTag, copies: manifest.rows, token: jobToken(options.runId, attemptNumber, manifest.storageClass) });
                options.progress?.(`manifest s3://${options.bucket}/${key}: ${manifest.rows.toLocaleString("en-US")} copies`);
            }
            const attempt: AttemptRecord = { attempt: attemptNumber, startedAt: new Date().toISOString(), status: "creating", jobs: records };
            state.attempts.push(attempt);
            // Recorded before CreateJob: a process killed now leaves a `creating` attempt the next run completes.
            await writeRunState(options.client, options.bucket, state);
            await createJobs(options, access, state, attempt);
        }
        // While the jobs run: delete markers and the copies too large for Batch Operations.
        const markers = await this.writeDeleteMarkers(failures);
        const large = await this.applyLocally((entry) => entry.kind === "large");
        for (const failure of large.failures.first) failures.add(failure);
        failures.count += large.failures.count - large.failures.first.length;
        const current = state.attempts[state.attempts.length - 1];
        if (manifests.length > 0 && current) {
            const waited = await waitAndReadReports(options, access, current.jobs, failures);
            succeeded = waited.succeeded;
            jobs = waited.summaries;
            current.status = "done";
            await writeRunState(options.client, options.bucket, state);
        }
        return this.outcome(
            "batch",
            { copies: succeeded + large.copies, bytesCopied: large.bytesCopied, deleteMarkers: markers.deleteMarkers, failures },
            {
                attempt: manifests.length > 0 ? attemptNumber : undefined,
                state: `s3://${options.bucket}/${stateKey(options.runId)}`,
                jobs,
                largeCopies: large.copies,
                deleteObjectsRequests: markers.requests,
                ...(options.manifestFile ? { localManifests: manifests.map((manifest) => manifest.local) } : {}),
            },
        );
    }
}
