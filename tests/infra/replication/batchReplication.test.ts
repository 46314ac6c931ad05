import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import {
    BatchJobProgress,
    BatchReplicationRequest,
    describeBatchJob,
    describeProgress,
    startBatchReplication,
    waitForBatchJob,
} from "../../../infra/replication/batchReplication";
import { UsageError } from "../../../infra/output";

const request: BatchReplicationRequest = {
    accountId: "222222222222",
    sourceBucketArn: "arn:aws:s3:::acme-dr-data",
    roleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
    clientRequestToken: "failback-1",
};

describe("infra/replication/batchReplication", () => {
    const s3control = mockClient(S3ControlClient);
    // Never reaches AWS: aws-sdk-client-mock intercepts send() before any request is signed or sent.
    const client = new S3ControlClient({ region: "us-west-2", credentials: { accessKeyId: "test", secretAccessKey: "test" } });

    beforeEach(() => s3control.reset());

    it("creates a job that replicates every eligible object, reporting under the prefix the batch role may write", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-1" });

        const jobId = await startBatchReplication(client, {
            ...request,
            createdAfter: new Date("2026-01-31T12:00:00Z"),
            replicationStatuses: ["NONE", "FAILED"],
        });

        expect(jobId).to.equal("job-1");
        const calls = s3control.commandCalls(CreateJobCommand);
        expect(calls).to.have.length(1);
        expect(calls[0].args[0].input).to.deep.equal({
            AccountId: "222222222222",
            ConfirmationRequired: false,
            Operation: { S3ReplicateObject: {} },
            ManifestGenerator: {
                S3JobManifestGenerator: {
                    ExpectedBucketOwner: "222222222222",
                    SourceBucket: "arn:aws:s3:::acme-dr-data",
                    EnableManifestOutput: false,
                    Filter: {
                        EligibleForReplication: true,
                        CreatedAfter: new Date("2026-01-31T12:00:00Z"),
                        ObjectReplicationStatuses: ["NONE", "FAILED"],
                    },
                },
            },
            Report: {
                Enabled: true,
                Bucket: "arn:aws:s3:::acme-dr-data",
                Prefix: ".lustre-dr/batch-reports",
                Format: "Report_CSV_20180820",
                ReportScope: "AllTasks",
                ExpectedBucketOwner: "222222222222",
            },
            Priority: 10,
            RoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
            ClientRequestToken: "failback-1",
            Description: "lustre-dr batch replication of acme-dr-data",
        });
    });

    it("leaves CreatedAfter out when no time is given and generates a fresh idempotency token per job", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-2" });
        const withoutToken = { ...request, clientRequestToken: undefined };

        await startBatchReplication(client, withoutToken);
        await startBatchReplication(client, withoutToken);

        const inputs = s3control.commandCalls(CreateJobCommand).map((call) => call.args[0].input);
        expect(inputs[0].ManifestGenerator?.S3JobManifestGenerator?.Filter).to.deep.equal({ EligibleForReplication: true });
        expect(inputs[0].ClientRequestToken).to.match(/^[0-9a-f-]{36}$/);
        expect(inputs[0].ClientRequestToken).not.to.equal(inputs[1].ClientRequestToken);
    });

    it("refuses a bad request before calling AWS, naming every bad field", async () => {
        const error = await startBatchReplication(client, {
            accountId: "2222",
            sourceBucketArn: "acme-dr-data",
            roleArn: "arn:aws:iam::222222222222:user/alice",
            createdAfter: new Date(Date.now() + 3_600_000),
        }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        const message = (error as Error).message;
        expect(message).to.match(/accountId is "2222": expected a 12-digit/);
        expect(message).to.match(/sourceBucketArn is "acme-dr-data": expected a bucket ARN/);
        expect(message).to.match(/roleArn is .*user\/alice.*: expected an IAM role ARN/);
        expect(message).to.match(/createdAfter is .*: expected a time in the past/);
        expect(s3control.commandCalls(CreateJobCommand)).to.have.length(0);
    });

    it("reads progress, failure reasons and the report location from DescribeJob", async () => {
        s3control.on(DescribeJobCommand, { AccountId: "222222222222", JobId: "job-1" }).resolves({
            Job: {
                Status: "Failed",
                ProgressSummary: { TotalNumberOfTasks: 400, NumberOfTasksSucceeded: 390, NumberOfTasksFailed: 10 },
                FailureReasons: [{ FailureCode: "AccessDenied", FailureReason: "role cannot read the replication configuration" }],
                StatusUpdateReason: "Job failure threshold exceeded",
                Report: { Enabled: true, Bucket: "arn:aws:s3:::acme-dr-data", Prefix: ".lustre-dr/batch-reports" },
            },
        });

        const progress = await describeBatchJob(client, "222222222222", "job-1");

        expect(progress).to.deep.equal({
            jobId: "job-1",
            status: "Failed",
            totalTasks: 400,
            succeededTasks: 390,
            failedTasks: 10,
            failureReasons: ["AccessDenied: role cannot read the replication configuration", "Job failure threshold exceeded"],
            reportLocation: "s3://acme-dr-data/.lustre-dr/batch-reports/job-job-1/",
        });
        expect(describeProgress(progress)).to.equal(
            "job job-1 Failed: 390/400 replicated, 10 failed (AccessDenied: role cannot read the replication configuration; Job failure threshold exceeded)",
        );
    });

    it("polls until the job reaches a terminal status, reporting each step", async () => {
        s3control
            .on(DescribeJobCommand)
            .resolvesOnce({ Job: { Status: "Preparing" } })
            .resolvesOnce({ Job: { Status: "Active", ProgressSummary: { TotalNumberOfTasks: 4, NumberOfTasksSucceeded: 1, NumberOfTasksFailed: 0 } } })
            .resolves({ Job: { Status: "Complete", ProgressSummary: { TotalNumberOfTasks: 4, NumberOfTasksSucceeded: 4, NumberOfTasksFailed: 0 } } });
        const seen: BatchJobProgress[] = [];
        const sleeps: number[] = [];

        const final = await waitForBatchJob(client, "222222222222", "job-1", {
            pollSeconds: 5,
            onProgress: (progress) => seen.push(progress),
            sleep: async (ms) => {
                sleeps.push(ms);
            },
        });

        expect(seen.map((p) => p.status)).to.deep.equal(["Preparing", "Active", "Complete"]);
        expect(sleeps).to.deep.equal([5000, 5000]);
        expect(final).to.include({ status: "Complete", succeededTasks: 4, failedTasks: 0 });
    });

    it("gives up after the timeout, saying the job keeps running", async () => {
        s3control.on(DescribeJobCommand).resolves({ Job: { Status: "Active", ProgressSummary: { TotalNumberOfTasks: 9, NumberOfTasksSucceeded: 3 } } });

        const error = await waitForBatchJob(client, "222222222222", "job-1", { pollSeconds: 10, timeoutSeconds: 20, sleep: async () => undefined }).then(
            () => undefined,
            (e: unknown) => e,
        );

        expect((error as Error).message).to.match(/job-1 is still Active after 20s \(3\/9 objects replicated\); it keeps running/);
        expect(s3control.commandCalls(DescribeJobCommand)).to.have.length(3);
    });
});
