/**
 * S3 Batch Replication of existing objects (docs/sync-existing.md): live replication only carries writes made after the
 * replication configuration exists, so objects written before it (first sync) or while a side was detached
 * (failback) are copied by an S3 Batch Operations job that replicates every object the bucket's own replication
 * configuration considers eligible. There is no Pulumi resource for a job: it is a one-off operation, started here
 * through S3 Control in the account that owns the source bucket.
 */
import { randomUUID } from "crypto";
import {
    CreateJobCommand,
    CreateJobRequest,
    DescribeJobCommand,
    JobStatus,
    ReplicationStatus,
    S3ControlClient,
} from "@aws-sdk/client-s3-control";
import { batchReportPrefix } from "../../components/policyDocuments";
import { bucketNameFromArn } from "../../stacks/bucketName";
import { UsageError } from "../output";

/** What to replicate, and as whom. All ARNs and the account come from the source side's stack outputs. */
export interface BatchReplicationRequest {
    /** Account that owns the source bucket; S3 Control jobs run in that account. @example "222222222222" */
    readonly accountId: string;
    /** Source bucket ARN: its replication configuration decides the destination. @example "arn:aws:s3:::acme-dr-data" */
    readonly sourceBucketArn: string;
    /** The source stack's `batchReplicationRoleArn` output (trusts batchoperations.s3.amazonaws.com). */
    readonly roleArn: string;
    /** Only objects created after this time, e.g. when the side was detached. @default every eligible object */
    readonly createdAfter?: Date;
    /**
     * Only objects whose replication status is one of these, e.g. `["NONE", "FAILED"]` to skip replicas received
     * from the peer and objects already replicated. @default every eligible object, whatever its status
     */
    readonly replicationStatuses?: readonly ReplicationStatus[];
    /** Shown in the S3 console's Batch Operations list. @default "lustre-dr batch replication of <bucket>" */
    readonly description?: string;
    /** Job priority among the account's jobs; higher runs first. @default 10 */
    readonly priority?: number;
    /** Idempotency token: re-sending the same token returns the same job instead of starting a second one. @default a random UUID */
    readonly clientRequestToken?: string;
}

/** A job as DescribeJob reports it, reduced to what an operator acts on. */
export interface BatchJobProgress {
    readonly jobId: string;
    readonly status: JobStatus | "Unknown";
    readonly totalTasks: number;
    readonly succeededTasks: number;
    readonly failedTasks: number;
    /** Why the job failed or was suspended, from `FailureReasons` and `StatusUpdateReason`. */
    readonly failureReasons: string[];
    /** Where S3 writes the completion report, as an s3:// URL. */
    readonly reportLocation?: string;
}

/** Statuses after which a job does not change any more. */
export const terminalJobStatuses: readonly JobStatus[] = ["Complete", "Failed", "Cancelled"];

const accountIdPattern = /^\d{12}$/;
const bucketArnPattern = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Every problem with a request, each naming the field, the value and what is valid; empty when the request is usable. */
export function batchReplicationRequestProblems(request: BatchReplicationRequest, now: Date = new Date()): string[] {
    const problems: string[] = [];
    if (!accountIdPattern.test(request.accountId)) {
        problems.push(`accountId is ${JSON.stringify(request.accountId)}: expected a 12-digit AWS account id`);
    }
    if (!bucketArnPattern.test(request.sourceBucketArn)) {
        problems.push(`sourceBucketArn is ${JSON.stringify(request.sourceBucketArn)}: expected a bucket ARN such as arn:aws:s3:::my-bucket`);
    }
    if (!roleArnPattern.test(request.roleArn)) {
        problems.push(`roleArn is ${JSON.stringify(request.roleArn)}: expected an IAM role ARN such as arn:aws:iam::123456789012:role/name`);
    }
    if (request.createdAfter !== undefined) {
        if (Number.isNaN(request.createdAfter.getTime())) {
            problems.push("createdAfter is not a valid time: expected an ISO 8601 time such as 2026-01-31T12:00:00Z");
        } else if (request.createdAfter.getTime() > now.getTime()) {
            problems.push(`createdAfter is ${request.createdAfter.toISOString()}: expected a time in the past (no object was created after it yet)`);
        }
    }
    if (request.priority !== undefined && (!Number.isInteger(request.priority) || request.priority < 0 || request.priority > 2147483647)) {
        problems.push(`priority is ${request.priority}: expected an integer from 0 to 2147483647`);
    }
    if (request.clientRequestToken !== undefined && !/^.{1,64}$/.test(request.clientRequestToken)) {
        problems.push(`clientRequestToken is ${JSON.stringify(request.clientRequestToken)}: expected 1 to 64 characters`);
    }
    return problems;
}

/**
 * The CreateJob request: a manifest generated from the source bucket (no manifest file to write and keep),
 * filtered to objects eligible under the bucket's replication configuration, and a completion report under the
 * prefix the batch role may write (components/policyDocuments.ts `batchReplicationRolePolicy`).
 */
export function createJobRequest(request: BatchReplicationRequest): CreateJobRequest {
    return {
        AccountId: request.accountId,
        // Operators started the job on purpose; a console confirmation step would leave it waiting unseen.
        ConfirmationRequired: false,
        Operation: { S3ReplicateObject: {} },
        ManifestGenerator: {
            S3JobManifestGenerator: {
                ExpectedBucketOwner: request.accountId,
                SourceBucket: request.sourceBucketArn,
                EnableManifestOutput: false,
                Filter: {
                    EligibleForReplication: true,
                    ...(request.createdAfter ? { CreatedAfter: request.createdAfter } : {}),
                    ...(request.replicationStatuses ? { ObjectReplicationStatuses: [...request.replicationStatuses] } : {}),
                },
            },
        },
        Report: {
            Enabled: true,
            Bucket: request.sourceBucketArn,
            // S3 appends `/job-<id>/...`; without the trailing slash the keys stay under the allowed prefix.
            Prefix: batchReportPrefix.replace(/\/$/, ""),
            Format: "Report_CSV_20180820",
            ReportScope: "AllTasks",
            ExpectedBucketOwner: request.accountId,
        },
        Priority: request.priority ?? 10,
        RoleArn: request.roleArn,
        ClientRequestToken: request.clientRequestToken ?? randomUUID(),
        Description: request.description ?? `lustre-dr batch replication of ${bucketNameFromArn(request.sourceBucketArn)}`,
    };
}

/** Starts the job and returns its id. Validates the request before calling AWS. */
export async function startBatchReplication(client: S3ControlClient, request: BatchReplicationRequest): Promise<string> {
    const problems = batchReplicationRequestProblems(request);
    if (problems.length > 0) {
        throw new UsageError(`cannot start batch replication: ${problems.join("; ")}`);
    }
    const response = await client.send(new CreateJobCommand(createJobRequest(request)));
    if (!response.JobId) {
        throw new Error(`S3 Control CreateJob for ${request.sourceBucketArn} returned no job id`);
    }
    return response.JobId;
}

export async function describeBatchJob(client: S3ControlClient, accountId: string, jobId: string): Promise<BatchJobProgress> {
    const response = await client.send(new DescribeJobCommand({ AccountId: accountId, JobId: jobId }));
    const job = response.Job;
    const summary = job?.ProgressSummary;
    const failureReasons = (job?.FailureReasons ?? []).map((failure) =>
        [failure.FailureCode, failure.FailureReason].filter((part) => part !== undefined && part !== "").join(": "),
    );
    if (job?.StatusUpdateReason && job.Status !== "Complete") {
        failureReasons.push(job.StatusUpdateReason);
    }
    const report = job?.Report;
    return {
        jobId,
        status: job?.Status ?? "Unknown",
        totalTasks: summary?.TotalNumberOfTasks ?? 0,
        succeededTasks: summary?.NumberOfTasksSucceeded ?? 0,
        failedTasks: summary?.NumberOfTasksFailed ?? 0,
        failureReasons,
        ...(report?.Enabled && report.Bucket
            ? { reportLocation: `s3://${bucketNameFromArn(report.Bucket)}/${report.Prefix ? `${report.Prefix}/` : ""}job-${jobId}/` }
            : {}),
    };
}

export interface WaitOptions {
    /** Seconds between DescribeJob calls. @default 30 */
    readonly pollSeconds?: number;
    /** Give up (the job keeps running) after this many seconds. @default no limit */
    readonly timeoutSeconds?: number;
    /** Called after every DescribeJob, e.g. to print progress. */
    readonly onProgress?: (progress: BatchJobProgress) => void;
    /** Injected by tests. @default setTimeout */
    readonly sleep?: (milliseconds: number) => Promise<void>;
}

const defaultSleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * Polls until the job reaches a terminal status (or is suspended, which needs a person) and returns its last
 * progress. A job that ends Complete may still have failed tasks: callers decide from `failedTasks`.
 */
export async function waitForBatchJob(
    client: S3ControlClient,
    accountId: string,
    jobId: string,
    options: WaitOptions = {},
): Promise<BatchJobProgress> {
    const pollMilliseconds = (options.pollSeconds ?? 30) * 1000;
    const sleep = options.sleep ?? defaultSleep;
    let waitedMilliseconds = 0;
    for (;;) {
        const progress = await describeBatchJob(client, accountId, jobId);
        options.onProgress?.(progress);
        if (progress.status === "Suspended" || (terminalJobStatuses as readonly string[]).includes(progress.status)) {
            return progress;
        }
        if (options.timeoutSeconds !== undefined && waitedMilliseconds >= options.timeoutSeconds * 1000) {
            throw new Error(
                `batch replication job ${jobId} is still ${progress.status} after ${options.timeoutSeconds}s ` +
                    `(${progress.succeededTasks}/${progress.totalTasks} objects replicated); it keeps running: check it in the S3 console under Batch Operations`,
            );
        }
        await sleep(pollMilliseconds);
        waitedMilliseconds += pollMilliseconds;
    }
}

/** One line for people: `Active: 120/400 replicated, 2 failed`. */
export function describeProgress(progress: BatchJobProgress): string {
    const counts = `${progress.succeededTasks}/${progress.totalTasks} replicated, ${progress.failedTasks} failed`;
    const reasons = progress.failureReasons.length > 0 ? ` (${progress.failureReasons.join("; ")})` : "";
    return `job ${progress.jobId} ${progress.status}: ${counts}${reasons}`;
}
