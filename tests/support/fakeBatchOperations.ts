import { expect } from "chai";
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, StorageClass } from "@aws-sdk/client-s3";
import type { CreateJobRequest } from "@aws-sdk/client-s3-control";
import { keyFromManifest } from "../../infra/restore/batch/manifest";

/**
 * S3 Batch Operations, played against moto: S3 Control is mocked (moto has no Batch Operations), and the mock does
 * what S3 would with the job it is given: reads the manifest from the bucket (checking the ETag), copies each listed
 * version over its key with the job's options, and writes a failed-tasks completion report where the job asks.
 * Keys containing "deny" fail as S3 would without permission. The same idempotency token returns the same job.
 */
export class FakeBatchOperations {
    readonly created: CreateJobRequest[] = [];
    readonly jobs = new Map<string, { request: CreateJobRequest; succeeded: number; failed: number; polls: number }>();
    /** Jobs DescribeJob reports as Suspended (a person must resume or cancel them). */
    readonly suspended = new Set<string>();
    private readonly byToken = new Map<string, string>();
    constructor(private readonly s3: S3Client) {}

    async createJob(request: CreateJobRequest): Promise<{ JobId: string }> {
        this.created.push(request);
        const existing = this.byToken.get(request.ClientRequestToken ?? "");
        if (existing) return { JobId: existing };
        const jobId = `job-${this.jobs.size + 1}`;
        this.byToken.set(request.ClientRequestToken ?? "", jobId);
        const job = { request, succeeded: 0, failed: 0, polls: 0 };
        this.jobs.set(jobId, job);
        await this.run(jobId, job);
        return { JobId: jobId };
    }

    private async run(jobId: string, job: { request: CreateJobRequest; succeeded: number; failed: number }): Promise<void> {
        const [, bucketAndKey] = (job.request.Manifest?.Location?.ObjectArn ?? "").split(":::");
        const bucket = bucketAndKey.slice(0, bucketAndKey.indexOf("/"));
        const manifest = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: bucketAndKey.slice(bucket.length + 1) }));
        expect((manifest.ETag ?? "").replace(/"/g, "")).to.equal(job.request.Manifest?.Location?.ETag);
        const operation = job.request.Operation?.S3PutObjectCopy ?? {};
        const failedRows: string[] = [];
        for (const line of ((await manifest.Body?.transformToString("utf8")) ?? "").split("\n").filter(Boolean)) {
            const [rowBucket, encodedKey, versionId] = line.split(",");
            const key = keyFromManifest(encodedKey);
            if (key.includes("deny")) {
                job.failed++;
                failedRows.push(`${rowBucket},${encodedKey},${versionId},failed,403,AccessDenied,Access Denied`);
                continue;
            }
            await this.s3.send(
                new CopyObjectCommand({
                    Bucket: rowBucket,
                    Key: key,
                    CopySource: `${rowBucket}/${encodeURIComponent(key)}?versionId=${versionId}`,
                    MetadataDirective: operation.MetadataDirective,
                    ...(operation.StorageClass ? { StorageClass: operation.StorageClass as StorageClass } : {}),
                }),
            );
            job.succeeded++;
        }
        if (failedRows.length) {
            const prefix = `${job.request.Report?.Prefix}/job-${jobId}`;
            await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/results/f1.csv`, Body: `${failedRows.join("\n")}\n` }));
            const reportManifest = { Format: "Report_CSV_20180820", Results: [{ TaskExecutionStatus: "failed", Bucket: bucket, Key: `${prefix}/results/f1.csv` }] };
            await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/manifest.json`, Body: JSON.stringify(reportManifest) }));
        }
    }

    describe(jobId: string) {
        const job = this.jobs.get(jobId);
        if (!job) throw new Error(`no job ${jobId}`);
        job.polls++;
        const done = job.polls > 1;
        return {
            Job: {
                JobId: jobId,
                Status: this.suspended.has(jobId) ? ("Suspended" as const) : done ? ("Complete" as const) : ("Active" as const),
                ProgressSummary: {
                    TotalNumberOfTasks: job.succeeded + job.failed,
                    NumberOfTasksSucceeded: done ? job.succeeded : 0,
                    NumberOfTasksFailed: done ? job.failed : 0,
                },
            },
        };
    }
}

