import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import type { SideLocation } from "../../../infra/aws/clients";
import { UsageError } from "../../../infra/output";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { FailbackOptions, runFailback } from "../../../infra/lifecycle/failback";
import { runRecover } from "../../../infra/lifecycle/recover";
import { FakePulumiCommand, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

describe("infra/lifecycle/failback", () => {
    const s3control = mockClient(S3ControlClient);
    let project: TempProject;
    let fake: FakePulumiCommand;
    let clientLocations: SideLocation[];

    const workspace = () => ({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

    beforeEach(async () => {
        s3control.reset();
        project = tempProject();
        fake = new FakePulumiCommand(twoSites);
        clientLocations = [];
        await runDeploy({ primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId }, { output: recordingOutput(), workspace: workspace() });
        await runRecover({ dr: "dr", detach: true }, { output: recordingOutput(), workspace: workspace() });
        fake.invocations.length = 0;
    });
    afterEach(() => project.remove());

    function failback(options: Partial<FailbackOptions> = {}, output = recordingOutput()) {
        return runFailback(
            { primary: "primary", dr: "dr", ...options },
            {
                output,
                workspace: workspace(),
                pollSeconds: 0,
                s3control: (location) => {
                    clientLocations.push(location);
                    return new S3ControlClient({ region: location.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
                },
            },
        );
    }

    it("re-attaches the dr side, converges, then batch-replicates the dr bucket's unreplicated objects to the primary", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-42" });

        const result = await failback({ since: "2026-01-31T12:00:00Z", drProfile: "dr-admin" });

        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=false", "up dr", "up primary"]);
        expect(result.reattached).to.deep.equal(["dr"]);
        expect(result.convergence.verdict).to.equal("converged");
        expect(result.jobId).to.equal("job-42");
        expect(clientLocations).to.deep.equal([{ region: "us-west-2", profile: "dr-admin" }]);
        const input = s3control.commandCalls(CreateJobCommand)[0].args[0].input;
        expect(input).to.deep.include({
            AccountId: "222222222222",
            RoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
            Operation: { S3ReplicateObject: {} },
        });
        expect(input.ManifestGenerator?.S3JobManifestGenerator).to.deep.include({
            SourceBucket: "arn:aws:s3:::lustre-dr-dr-222222222222",
            Filter: { EligibleForReplication: true, CreatedAfter: new Date("2026-01-31T12:00:00Z"), ObjectReplicationStatuses: ["NONE", "FAILED"] },
        });
    });

    it("waits for the job with --wait and fails when objects failed to replicate", async () => {
        s3control.on(CreateJobCommand).resolves({ JobId: "job-42" });
        s3control
            .on(DescribeJobCommand)
            .resolvesOnce({ Job: { Status: "Active", ProgressSummary: { TotalNumberOfTasks: 10, NumberOfTasksSucceeded: 4, NumberOfTasksFailed: 0 } } })
            .resolves({ Job: { Status: "Complete", ProgressSummary: { TotalNumberOfTasks: 10, NumberOfTasksSucceeded: 8, NumberOfTasksFailed: 2 } } });
        const output = recordingOutput();

        const error = await failback({ wait: true }, output).then(
            () => undefined,
            (e: unknown) => e,
        );

        expect(output.progressLines).to.include("job job-42 Active: 4/10 replicated, 0 failed");
        expect((error as Error).message).to.match(/batch replication job job-42 Complete: 8\/10 replicated, 2 failed/);
        expect(output.results).to.have.length(1);
    });

    it("a re-run after a failed update continues without starting a job until the stacks converge", async () => {
        fake.failures.push({ when: (args) => args[0] === "up" && args.includes("dr"), stderr: "error: dr bucket policy: AccessDenied" });

        const error = await failback().then(
            () => undefined,
            (e: unknown) => e,
        );

        expect((error as Error).message).to.match(/update 1 of at most 4 \(stack dr\) failed.*\n.*AccessDenied[\s\S]*run `lustre-dr failback` again/);
        expect(s3control.commandCalls(CreateJobCommand)).to.have.length(0);

        s3control.on(CreateJobCommand).resolves({ JobId: "job-43" });
        fake.invocations.length = 0;
        const rerun = await failback();
        expect(rerun.reattached).to.deep.equal([]);
        expect(fake.changes()).to.deep.equal(["up dr", "up primary"]);
        expect(rerun.jobId).to.equal("job-43");
    });

    it("refuses a --since that is not a past ISO time before touching anything", async () => {
        const error = await failback({ since: "yesterday" }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/--since is "yesterday": expected an ISO 8601 time with a zone/);
        expect(fake.invocations).to.deep.equal([]);
    });

    it("refuses a zone-less --since instead of reading it as the machine's local time", async () => {
        const error = await failback({ since: "2026-01-31T12:00:00" }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/--since is "2026-01-31T12:00:00": the time zone is missing/);
        expect(fake.invocations).to.deep.equal([]);
    });
});
