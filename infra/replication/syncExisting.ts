/**
 * `lustre-dr sync-existing --from primary --to dr`: copies the objects live replication never saw (written before
 * the replication rule existed, or while a side was detached) with an S3 Batch Replication job, waits for it with
 * progress, and reports what failed. Built on infra/replication/batchReplication.ts; this file only decides which
 * side is the source, checks it can replicate at all, and reports.
 */
import { Command, Option } from "commander";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { sideClientConfig, SideLocation } from "../aws/clients";
import { addSideOptions, resolveSide, SideOptions, SideRole, sideRoles, StackOutputsReader } from "../aws/sides";
import { createOutput, ExitCode, Output, UsageError } from "../output";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { parseIsoTime } from "../time";
import { BatchJobProgress, describeBatchJob, describeProgress, startBatchReplication, waitForBatchJob } from "./batchReplication";

export interface SyncExistingOptions extends SideOptions {
    from: string;
    to: string;
    /** Follow an existing job instead of starting one (e.g. the job `failback` started). */
    job?: string;
    /** ISO 8601: only objects created after this time. */
    since?: string;
    /** Include objects already replicated (status COMPLETED); by default only NONE and FAILED are sent again. */
    all?: boolean;
    /** Commander's negation of `--no-wait`. */
    wait: boolean;
    pollSeconds: string;
    timeoutSeconds?: string;
    json?: boolean;
}

export interface SyncExistingContext {
    readonly output: Output;
    readonly readOutputs?: StackOutputsReader;
    /** Creates the S3 Control client for the source side; tests use a mocked client. */
    readonly s3control?: (location: SideLocation) => S3ControlClient;
    /** Injected by tests. @default setTimeout */
    readonly sleep?: (milliseconds: number) => Promise<void>;
    readonly now?: Date;
}

export interface SyncExistingResult {
    readonly from: SideRole;
    readonly to: SideRole;
    readonly sourceBucket: string;
    /** Account and region the job runs in (the source side's). */
    readonly accountId: string;
    readonly region: string;
    readonly jobId: string;
    readonly started: boolean;
    /** The job's last known state; absent with --no-wait right after starting. */
    readonly job?: BatchJobProgress;
    /** True when the job finished Complete with no failed object. */
    readonly ok: boolean;
}

function parseRole(flag: string, value: string): SideRole {
    if (!(sideRoles as readonly string[]).includes(value)) {
        throw new UsageError(`${flag} is ${JSON.stringify(value)}: expected one of ${sideRoles.join(", ")}`);
    }
    return value as SideRole;
}

function parsePositiveSeconds(flag: string, value: string): number {
    const seconds = Number(value);
    if (!/^\d+$/.test(value) || seconds < 1) {
        throw new UsageError(`${flag} is ${JSON.stringify(value)}: expected a whole number of seconds, at least 1`);
    }
    return seconds;
}

/** Starts (or follows) the job and, unless told not to wait, waits for it. Validates every flag before any call. */
export async function runSyncExisting(options: SyncExistingOptions, context: SyncExistingContext): Promise<SyncExistingResult> {
    const { output } = context;
    const from = parseRole("--from", options.from);
    const to = parseRole("--to", options.to);
    if (from === to) {
        throw new UsageError(`--from and --to are both ${from}: replication goes from one side to the other`);
    }
    const now = context.now ?? new Date();
    const createdAfter = options.since !== undefined ? parseIsoTime("--since", options.since, { notAfter: now }) : undefined;
    const pollSeconds = parsePositiveSeconds("--poll-seconds", options.pollSeconds);
    const timeoutSeconds = options.timeoutSeconds !== undefined ? parsePositiveSeconds("--timeout-seconds", options.timeoutSeconds) : undefined;
    if (options.job !== undefined && (options.since !== undefined || options.all)) {
        throw new UsageError(`--job ${options.job} follows an existing job: --since and --all only apply when starting one`);
    }

    const source = await resolveSide(from, options, context.readOutputs);
    const outputs = source.outputs;
    if (!outputs) {
        throw new UsageError(
            `sync-existing needs the ${from} stack's outputs (account id, bucket ARN, batch replication role): ` +
                `name it with --${from}-stack instead of --${from}-bucket`,
        );
    }
    if (options.job === undefined && outputs.replicationStatus !== "active") {
        throw new UsageError(
            `replication from ${from} (${outputs.bucketName}) is ${outputs.replicationStatus}: a batch job would replicate nothing. ` +
                `Converge the pair first (lustre-dr deploy, or lustre-dr failback after an incident)`,
        );
    }
    const client = (context.s3control ?? ((location: SideLocation) => new S3ControlClient(sideClientConfig(location))))(source);

    let jobId = options.job;
    if (jobId === undefined) {
        output.progress(`Starting S3 Batch Replication of existing objects from ${outputs.bucketName} (${from}) to ${to}`);
        jobId = await startBatchReplication(client, {
            accountId: outputs.accountId,
            sourceBucketArn: outputs.bucketArn,
            roleArn: outputs.batchReplicationRoleArn,
            ...(createdAfter ? { createdAfter } : {}),
            // Replicas came from the peer and must not go back; COMPLETED objects are already there.
            ...(options.all ? {} : { replicationStatuses: ["NONE", "FAILED"] as const }),
            description: `lustre-dr sync-existing: ${outputs.bucketName} (${from}) to ${to}`,
        });
        output.progress(`Batch replication job ${jobId} started`);
    }

    const job = options.wait
        ? await waitForBatchJob(client, outputs.accountId, jobId, {
              pollSeconds,
              ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
              ...(context.sleep ? { sleep: context.sleep } : {}),
              onProgress: (progress) => output.progress(describeProgress(progress)),
          })
        : options.job !== undefined
          ? await describeBatchJob(client, outputs.accountId, jobId)
          : undefined;
    return {
        from,
        to,
        sourceBucket: outputs.bucketName,
        accountId: outputs.accountId,
        region: source.region,
        jobId,
        started: options.job === undefined,
        ...(job ? { job } : {}),
        ok: job !== undefined && job.status === "Complete" && job.failedTasks === 0,
    };
}

export function describeSyncResult(result: SyncExistingResult): string {
    const lines = [`${result.started ? "Started" : "Following"} batch replication job ${result.jobId}: ${result.sourceBucket} (${result.from}) to ${result.to}`];
    if (!result.job) {
        lines.push(`Not waiting. Follow it with: lustre-dr sync-existing --from ${result.from} --to ${result.to} --job ${result.jobId}`);
        lines.push(`  or: aws s3control describe-job --account-id ${result.accountId} --job-id ${result.jobId} --region ${result.region}`);
        return lines.join("\n");
    }
    lines.push(describeProgress(result.job));
    if (result.job.failedTasks > 0 || result.job.status !== "Complete") {
        lines.push(
            result.job.reportLocation
                ? `Which objects failed and why: the completion report at ${result.job.reportLocation}`
                : "The job wrote no completion report location; check it in the S3 console under Batch Operations",
        );
    }
    return lines.join("\n");
}

export function registerSyncExistingCommand(program: Command, readOutputs: StackOutputsReader = createStackOutputsReader()): Command {
    return addSideOptions(
        program
            .command("sync-existing")
            .description(
                "Replicate objects live replication never saw (written before it was configured, or while detached) with an " +
                    "S3 Batch Replication job; wait for it and report failed objects",
            )
            .addOption(new Option("--from <side>", "side whose bucket holds the objects").choices([...sideRoles]).makeOptionMandatory())
            .addOption(new Option("--to <side>", "side that receives them (the source's replication rule decides the bucket)").choices([...sideRoles]).makeOptionMandatory())
            .option("--job <id>", "follow an existing job (e.g. the one failback started) instead of starting one")
            .option("--since <time>", "only objects created after this ISO 8601 time")
            .option("--all", "also send objects already replicated (status COMPLETED), not only NONE and FAILED")
            .option("--no-wait", "start the job and return its id without waiting")
            .option("--poll-seconds <n>", "seconds between job status checks", "30")
            .option("--timeout-seconds <n>", "stop waiting after this long (the job keeps running)")
            .option("--json", "print the result as JSON"),
    ).action(async (options: SyncExistingOptions) => {
        const output = createOutput(options);
        const result = await runSyncExisting(options, { output, readOutputs });
        output.result(result, () => describeSyncResult(result));
        if (result.job && !result.ok) {
            process.exitCode = ExitCode.Failed;
        }
    });
}
