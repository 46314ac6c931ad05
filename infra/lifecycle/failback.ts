/**
 * `lustre-dr failback`: after an incident, re-attach both sides, converge the handshake, then copy to the primary
 * what was written on the dr side while it was detached (docs/runbook.md). Live replication only carries writes made
 * after its configuration exists, so those objects go through S3 Batch Replication.
 */
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { sideClientConfig, SideLocation } from "../aws/clients";
import { BatchJobProgress, describeProgress, startBatchReplication, waitForBatchJob } from "../replication/batchReplication";
import { converge, ConvergeResult } from "./converge";
import { CommandContext, convergenceSummary, NotConvergedError, openWorkspace, stackNames, StackSelectionOptions } from "./deploy";
import { readOutputsOf } from "../pulumi/stackOutputs";
import { parseIsoTime } from "../time";

export interface FailbackOptions extends StackSelectionOptions {
    /** ISO 8601 time: only objects created after it (e.g. when `recover` ran). */
    since?: string;
    /** Wait for the batch job to finish, printing progress. */
    wait?: boolean;
    drEndpoint?: string;
    verbose?: boolean;
    json?: boolean;
}

export interface FailbackContext extends CommandContext {
    /** Creates the S3 Control client for the dr side; tests use a mocked client. */
    readonly s3control?: (location: SideLocation) => S3ControlClient;
    /** Seconds between job status polls with --wait. @default 30 */
    readonly pollSeconds?: number;
}

export interface FailbackResult {
    readonly reattached: string[];
    readonly convergence: ConvergeResult;
    readonly jobId: string;
    readonly job?: BatchJobProgress;
}

const detachedKey = "lustre-dr:recovery.detached";

export function parseSince(since: string | undefined, now: Date = new Date()): Date | undefined {
    if (since === undefined) {
        return undefined;
    }
    return parseIsoTime("--since", since, { notAfter: now });
}

export async function runFailback(options: FailbackOptions, context: FailbackContext): Promise<FailbackResult> {
    const { output } = context;
    const names = stackNames(options);
    const createdAfter = parseSince(options.since);
    const workspace = await openWorkspace(options, context);

    const reattached: string[] = [];
    for (const role of ["dr", "primary"] as const) {
        const name = names[role];
        workspace.actAs(role);
        const stack = await workspace.selectStack(name);
        const recovery = (await stack.getAllConfig())["lustre-dr:recovery"]?.value;
        if (recovery !== undefined && (JSON.parse(recovery) as { detached?: boolean }).detached === true) {
            output.progress(`Re-attaching ${name}: recovery.detached=false`);
            await stack.setAllConfig({ [detachedKey]: { value: "false" } }, true);
            reattached.push(name);
        }
    }

    // The dr side first: the primary never stopped granting it, so the re-attached dr side can replicate at once,
    // and the primary follows in the next update (two updates instead of three).
    const convergence = await converge(workspace, names, { output, verbose: options.verbose, rerunCommand: "lustre-dr failback", first: "dr" });
    if (convergence.verdict !== "converged") {
        output.result({ reattached, convergence }, () => convergenceSummary(convergence));
        throw new NotConvergedError(convergence);
    }

    workspace.actAs("dr");
    const dr = await readOutputsOf(workspace, names.dr);
    const location: SideLocation = {
        region: dr.region,
        ...(options.drProfile ? { profile: options.drProfile } : {}),
        ...(options.drEndpoint ? { endpoint: options.drEndpoint } : {}),
    };
    const client = (context.s3control ?? ((side: SideLocation) => new S3ControlClient(sideClientConfig(side))))(location);
    output.progress(`Starting S3 Batch Replication from ${dr.bucketName} to the primary bucket`);
    const jobId = await startBatchReplication(client, {
        accountId: dr.accountId,
        sourceBucketArn: dr.bucketArn,
        roleArn: dr.batchReplicationRoleArn,
        ...(createdAfter ? { createdAfter } : {}),
        // Objects written while detached were never replicated; replicas that came from the primary are skipped.
        replicationStatuses: ["NONE", "FAILED"],
        description: `lustre-dr failback: ${dr.bucketName} to the primary`,
    });
    output.progress(`Batch replication job ${jobId} started`);

    let job: BatchJobProgress | undefined;
    if (options.wait) {
        job = await waitForBatchJob(client, dr.accountId, jobId, {
            pollSeconds: context.pollSeconds,
            onProgress: (progress) => output.progress(describeProgress(progress)),
        });
    }
    const result: FailbackResult = { reattached, convergence, jobId, ...(job ? { job } : {}) };
    output.result(result, () =>
        [
            reattached.length > 0 ? `Re-attached: ${reattached.join(", ")}.` : "Both sides were already attached.",
            convergenceSummary(convergence),
            `Batch replication job ${jobId} copies what changed on ${dr.bucketName} during the outage to the primary.`,
            job ? describeProgress(job) : `Follow it with: aws s3control describe-job --account-id ${dr.accountId} --job-id ${jobId} --region ${dr.region}`,
        ].join("\n"),
    );
    if (job && (job.status !== "Complete" || job.failedTasks > 0)) {
        throw new Error(`batch replication ${describeProgress(job)}; see the report${job.reportLocation ? ` at ${job.reportLocation}` : ""}`);
    }
    return result;
}
