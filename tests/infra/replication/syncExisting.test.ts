import { CreateJobCommand, DescribeJobCommand, JobDescriptor, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { Command } from "commander";
import type { SideLocation } from "../../../infra/aws/clients";
import { addSideOptions } from "../../../infra/aws/sides";
import { UsageError } from "../../../infra/output";
import { describeSyncResult, runSyncExisting, SyncExistingOptions } from "../../../infra/replication/syncExisting";
import type { SiteOutputs } from "../../../stacks/outputs";

const primaryOutputs: SiteOutputs = {
    accountId: "111111111111",
    region: "us-east-1",
    role: "primary",
    bucketName: "acme-primary-data",
    bucketArn: "arn:aws:s3:::acme-primary-data",
    replicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-replication",
    batchReplicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-batch-replication",
    replicationGrantedTo: ["arn:aws:iam::222222222222:role/lustre-dr-dr-replication"],
    replicationStatus: "active",
};

function job(status: JobDescriptor["Status"], succeeded: number, failed: number, total = 10): { Job: JobDescriptor } {
    return {
        Job: {
            JobId: "job-7",
            Status: status,
            ProgressSummary: { TotalNumberOfTasks: total, NumberOfTasksSucceeded: succeeded, NumberOfTasksFailed: failed },
            Report: { Enabled: true, Bucket: "arn:aws:s3:::acme-primary-data", Prefix: ".lustre-dr/batch-reports" },
        },
    };
}

/** Parses flags as the command does, so defaults (--poll-seconds 30, wait on) are the real ones. */
function parse(args: string[]): SyncExistingOptions {
    const command = addSideOptions(
        new Command("sync-existing")
            .exitOverride()
            .requiredOption("--from <side>")
            .requiredOption("--to <side>")
            .option("--job <id>")
            .option("--since <time>")
            .option("--all")
            .option("--no-wait")
            .option("--poll-seconds <n>", "", "30")
            .option("--timeout-seconds <n>"),
    );
    command.parse(args, { from: "user" });
    return command.opts<SyncExistingOptions>();
}

describe("infra/replication/syncExisting", () => {
    const s3control = mockClient(S3ControlClient);
    // Never reaches AWS: aws-sdk-client-mock intercepts send() before any request is signed or sent.
    const client = new S3ControlClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const progress: string[] = [];
    const stacksRead: string[] = [];
    const locations: SideLocation[] = [];
    const context = (outputs: SiteOutputs = primaryOutputs) => ({
        output: { json: false, progress: (line: string) => progress.push(line), result: () => undefined },
        readOutputs: async (stack: string) => {
            stacksRead.push(stack);
            return outputs;
        },
        s3control: (location: SideLocation) => {
            locations.push(location);
            return client;
        },
        sleep: async () => undefined,
    });

    beforeEach(() => {
        s3control.reset();
        progress.length = 0;
        stacksRead.length = 0;
        locations.length = 0;
    });

    it("starts a job from the source side's outputs, waits with progress and succeeds when nothing failed", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-7" });
        s3control.on(DescribeJobCommand).resolvesOnce(job("Preparing", 0, 0)).resolvesOnce(job("Active", 4, 0)).resolves(job("Complete", 10, 0));

        const result = await runSyncExisting(parse(["--from", "primary", "--to", "dr", "--primary-profile", "prod"]), context());

        expect(stacksRead).to.deep.equal(["primary"]);
        expect(locations[0]).to.deep.include({ region: "us-east-1", profile: "prod" });
        const input = s3control.commandCalls(CreateJobCommand)[0].args[0].input;
        expect(input).to.deep.include({ AccountId: "111111111111", RoleArn: primaryOutputs.batchReplicationRoleArn });
        expect(input.ManifestGenerator?.S3JobManifestGenerator?.Filter).to.deep.equal({ EligibleForReplication: true, ObjectReplicationStatuses: ["NONE", "FAILED"] });
        expect(s3control.commandCalls(DescribeJobCommand)).to.have.length(3);
        expect(progress.filter((line) => line.startsWith("job job-7"))).to.deep.equal([
            "job job-7 Preparing: 0/10 replicated, 0 failed",
            "job job-7 Active: 4/10 replicated, 0 failed",
            "job job-7 Complete: 10/10 replicated, 0 failed",
        ]);
        expect(result).to.deep.include({ jobId: "job-7", started: true, ok: true, from: "primary", to: "dr" });
    });

    it("reports failed objects and where the completion report is", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-7" });
        s3control.on(DescribeJobCommand).resolves(job("Complete", 7, 3));

        const result = await runSyncExisting(parse(["--from", "primary", "--to", "dr"]), context());

        expect(result.ok).to.equal(false);
        expect(result.job).to.deep.include({ failedTasks: 3, reportLocation: "s3://acme-primary-data/.lustre-dr/batch-reports/job-job-7/" });
        expect(describeSyncResult(result)).to.match(/7\/10 replicated, 3 failed/).and.match(/completion report at s3:\/\/acme-primary-data\/\.lustre-dr\/batch-reports\/job-job-7\//);
    });

    it("reports a job that failed as a whole with S3's reasons", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-7" });
        s3control.on(DescribeJobCommand).resolves({
            Job: { ...job("Failed", 0, 0).Job, FailureReasons: [{ FailureCode: "AccessDenied", FailureReason: "role cannot read the manifest" }] },
        });
        const result = await runSyncExisting(parse(["--from", "primary", "--to", "dr"]), context());
        expect(result.ok).to.equal(false);
        expect(describeSyncResult(result)).to.match(/Failed: .*AccessDenied: role cannot read the manifest/);
    });

    it("follows an existing job without starting one, and can start without waiting", async () => {
        s3control.on(DescribeJobCommand).resolves(job("Complete", 10, 0));
        const followed = await runSyncExisting(parse(["--from", "dr", "--to", "primary", "--job", "job-7", "--no-wait"]), context({ ...primaryOutputs, role: "dr" }));
        expect(s3control.commandCalls(CreateJobCommand)).to.have.length(0);
        expect(followed).to.deep.include({ started: false, ok: true });

        s3control.reset();
        s3control.on(CreateJobCommand).resolves({ JobId: "job-8" });
        const started = await runSyncExisting(parse(["--from", "primary", "--to", "dr", "--no-wait", "--since", "2026-11-01T00:00:00Z", "--all"]), context());
        expect(s3control.commandCalls(DescribeJobCommand)).to.have.length(0);
        expect(started).to.deep.include({ jobId: "job-8", ok: false });
        expect(started).to.not.have.property("job");
        expect(s3control.commandCalls(CreateJobCommand)[0].args[0].input.ManifestGenerator?.S3JobManifestGenerator?.Filter).to.deep.equal({
            EligibleForReplication: true,
            CreatedAfter: new Date("2026-11-01T00:00:00Z"),
        });
        expect(describeSyncResult(started)).to.match(/--job job-8/);
    });

    it("refuses bad flags and a side that does not replicate, before calling S3 Control", async () => {
        const cases: Array<[string[], RegExp, SiteOutputs?]> = [
            [["--from", "primary", "--to", "primary"], /--from and --to are both primary/],
            [["--from", "east", "--to", "dr"], /--from is "east": expected one of primary, dr/],
            [["--from", "primary", "--to", "dr", "--since", "last week"], /--since is "last week"/],
            [["--from", "primary", "--to", "dr", "--poll-seconds", "0"], /--poll-seconds is "0"/],
            [["--from", "primary", "--to", "dr", "--job", "j", "--since", "2026-11-01T00:00:00Z"], /--since and --all only apply when starting one/],
            [["--from", "primary", "--to", "dr"], /replication from primary \(acme-primary-data\) is awaiting-peer-grant/, { ...primaryOutputs, replicationStatus: "awaiting-peer-grant" }],
            [["--from", "primary", "--to", "dr", "--primary-bucket", "b-b-b", "--primary-region", "us-east-1"], /needs the primary stack's outputs/],
        ];
        for (const [args, message, outputs] of cases) {
            const error = await runSyncExisting(parse(args), context(outputs)).then(() => undefined, (e: unknown) => e);
            expect(error, args.join(" ")).to.be.instanceOf(UsageError);
            expect((error as Error).message, args.join(" ")).to.match(message);
        }
        expect(s3control.calls()).to.have.length(0);
    });

    it("prints the job and how to follow it for people", () => {
        const text = describeSyncResult({
            from: "primary", to: "dr", sourceBucket: "acme-primary-data", accountId: "111111111111", region: "us-east-1", jobId: "job-9", started: true, ok: false,
        });
        expect(text).to.match(/^Started batch replication job job-9/).and.match(/describe-job --account-id 111111111111 --job-id job-9 --region us-east-1/);
    });
});
