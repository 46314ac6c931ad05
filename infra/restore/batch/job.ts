/**
 * The S3 Batch Operations job of a batch restore: `S3PutObjectCopy` of the listed versions over their own keys
 * (same bucket), with a completion report of failed tasks under the run's reserved prefix.
 *
 * The job copies what the local engine copies and as it does (infra/restore/apply.ts): metadata and content headers
 * (`MetadataDirective: COPY`), tags (no `NewObjectTagging`: S3 then copies the source's), the version's storage class
 * (one class per job, so one job per class), and the bucket's default encryption (no SSE fields; the engine starts a
 * job only when that default is the stack's key, engine.ts `checkDefaultEncryption`). Objects over
 * 5 GB never get here: the Copy operation copies objects "up to 5 GB in size" (S3 user guide, Batch Operations, "Copy
 * objects", restrictions), so they go to the local multipart copier.
 */
import { createHash } from "crypto";
import { CreateJobRequest, S3StorageClass } from "@aws-sdk/client-s3-control";
import { runPrefix } from "./manifest";

/** The largest object Batch Operations' Copy takes: the CopyObject limit, 5 GiB. */
export { copyObjectLimitBytes as batchCopyLimitBytes } from "../apply";

/**
 * A run is named by what it restores: the same bucket, prefix and T give the same run id, so re-running the same
 * command finds the run's state and its jobs instead of starting new ones.
 * @example "20261125T080000Z-3f9c1a7b2e"
 */
export function runIdFor(bucket: string, prefix: string, to: Date): string {
    const digest = createHash("sha256").update(`${bucket}\u0000${prefix}\u0000${to.toISOString()}`).digest("hex").slice(0, 10);
    return `${to.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "")}-${digest}`;
}

/**
 * CreateJob's idempotency token (1 to 64 characters): derived from the run, the attempt and the storage class, so a
 * CreateJob re-sent after a crash (kill -9 between CreateJob and recording its id) returns the job it already
 * created instead of a second one.
 */
export function jobToken(runId: string, attempt: number, storageClass: string): string {
    return createHash("sha256").update(`lustre-dr restore\u0000${runId}\u0000${attempt}\u0000${storageClass}`).digest("hex").slice(0, 64);
}

/** Where S3 writes the completion report: `<run prefix>reports` (S3 appends `/job-<id>/...`). */
export function reportPrefix(runId: string): string {
    return `${runPrefix(runId)}reports`;
}

export interface RestoreJobArgs {
    /** Account that owns the bucket; the job runs there, in the bucket's region. */
    readonly accountId: string;
    readonly bucketArn: string;
    /** The stack's `restoreBatchRoleArn`: trusts batchoperations.s3.amazonaws.com, may copy in place in this bucket. */
    readonly roleArn: string;
    readonly runId: string;
    readonly attempt: number;
    readonly storageClass: string;
    readonly manifestArn: string;
    readonly manifestETag: string;
    readonly copies: number;
}

const storageClasses = new Set<string>(Object.values(S3StorageClass));

export function restoreJobRequest(args: RestoreJobArgs): CreateJobRequest {
    const storageClass = args.storageClass !== "STANDARD" && storageClasses.has(args.storageClass) ? (args.storageClass as S3StorageClass) : undefined;
    return {
        AccountId: args.accountId,
        // As sync-existing: the operator started the restore on purpose; a console confirmation would leave it waiting unseen.
        ConfirmationRequired: false,
        Operation: {
            S3PutObjectCopy: {
                TargetResource: args.bucketArn,
                MetadataDirective: "COPY",
                ...(storageClass ? { StorageClass: storageClass } : {}),
            },
        },
        Manifest: {
            Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key", "VersionId"] },
            Location: { ObjectArn: args.manifestArn, ETag: args.manifestETag },
        },
        Report: {
            Enabled: true,
            Bucket: args.bucketArn,
            Prefix: reportPrefix(args.runId),
            Format: "Report_CSV_20180820",
            // Failed tasks only: a report of 100 million successes would cost more to write and read than it tells.
            ReportScope: "FailedTasksOnly",
            ExpectedBucketOwner: args.accountId,
        },
        Priority: 10,
        RoleArn: args.roleArn,
        ClientRequestToken: jobToken(args.runId, args.attempt, args.storageClass),
        Description: `lustre-dr restore ${args.runId} attempt ${args.attempt} ${args.storageClass}: ${args.copies} copies`.slice(0, 256),
    };
}
