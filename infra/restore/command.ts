/**
 * `lustre-dr restore`: returns a bucket (or a prefix) to a point in time. A thin wrapper over
 * {@link restoreToPointInTime}: parse and validate flags, resolve the side, show progress, print the result.
 */
import { Command, Option } from "commander";
import { S3Client } from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { sideClientConfig, SideLocation } from "../aws/clients";
import { BatchAccess, BatchSink, defaultBatchThreshold, RestoreEngine, restoreEngines, resumeBatchRun, ResumeOutcome } from "./batch/engine";
import { runIdFor } from "./batch/job";
import { resolveSide, Side, SideOptions, StackOutputsReader } from "../aws/sides";
import { expectedEncryption } from "./encryption";
import { createOutput, ExitCode, Output, UsageError } from "../output";
import { resolveInProject } from "../project";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { parseIsoTime } from "../time";
import type { PartitionProgress } from "./partitions";
import { defaultListConcurrency, maxListConcurrency, RestoreProgress, RestoreResult, restoreToPointInTime, validateRestoreOptions } from "./restore";
import { describeVerify, verifyRestore } from "./verify";

interface RestoreCommandOptions {
    stack?: string;
    bucket?: string;
    region?: string;
    profile?: string;
    endpoint?: string;
    to: string;
    prefix?: string;
    dryRun?: boolean;
    planFile?: string;
    concurrency: string;
    verify?: boolean;
    listConcurrency: string;
    engine: string;
    batchThreshold: string;
    batchRoleArn?: string;
    manifestFile?: string;
    pollSeconds: string;
    json?: boolean;
}

export function parseEngine(value: string): RestoreEngine {
    if (!(restoreEngines as readonly string[]).includes(value)) {
        throw new UsageError(`--engine is ${JSON.stringify(value)}: expected one of ${restoreEngines.join(", ")}`);
    }
    return value as RestoreEngine;
}

function parseWholeNumber(flag: string, value: string, min: number): number {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || !Number.isSafeInteger(number)) {
        throw new UsageError(`${flag} is ${JSON.stringify(value)}: expected a whole number, at least ${min}`);
    }
    return number;
}

const roleArnPattern = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/**
 * What a batch job needs, from the stack's outputs or `--batch-role-arn`. The job runs in the bucket's account,
 * so a role of another account (a typo, or forged stack outputs) is refused before anything is written.
 */
export function batchAccessFor(
    bucket: string,
    outputs: { accountId: string; bucketArn: string; restoreBatchRoleArn?: string } | undefined,
    batchRoleArn: string | undefined,
): Omit<BatchAccess, "s3control"> | undefined {
    const roleArn = batchRoleArn ?? outputs?.restoreBatchRoleArn;
    if (roleArn === undefined) {
        return undefined;
    }
    const flag = batchRoleArn !== undefined ? "--batch-role-arn" : "the stack output restoreBatchRoleArn";
    const match = roleArnPattern.exec(roleArn);
    if (!match) {
        throw new UsageError(`${flag} is ${JSON.stringify(roleArn)}: expected an IAM role ARN such as arn:aws:iam::123456789012:role/lustre-dr-dr-restore-batch`);
    }
    const [, partition, accountId] = match;
    if (outputs && outputs.accountId !== accountId) {
        throw new UsageError(`${flag} is ${roleArn}, a role of account ${accountId}, but the bucket belongs to ${outputs.accountId}: the job must run as a role of the bucket's account`);
    }
    return { accountId, roleArn, bucketArn: outputs?.bucketArn ?? `arn:${partition}:s3:::${bucket}` };
}

export function parseConcurrency(value: string, flag = "--concurrency", max = 1000): number {
    const concurrency = Number(value);
    if (!/^\d+$/.test(value) || concurrency < 1 || concurrency > max) {
        throw new UsageError(`${flag} is ${JSON.stringify(value)}: expected a whole number from 1 to ${max}`);
    }
    return concurrency;
}

/**
 * Listing progress per key range of the partitioned planner, on stderr: one line every few seconds naming the
 * ranges being listed (where each one is and how many versions it listed) and how many are done or queued.
 */
export function partitionReporter(output: Output, intervalMs = 5000, now: () => number = Date.now): (partition: PartitionProgress) => void {
    if (output.json) {
        return () => undefined;
    }
    const ranges = new Map<number, PartitionProgress>();
    let lastShown = now();
    const short = (key: string | undefined) => (key === undefined ? "…" : JSON.stringify(key.length > 40 ? `${key.slice(0, 39)}…` : key));
    return (partition) => {
        ranges.set(partition.id, partition);
        const all = [...ranges.values()];
        const allDone = all.every((range) => range.state === "done");
        if (now() - lastShown < intervalMs && !allDone) {
            return;
        }
        lastShown = now();
        const listing = all.filter((range) => range.state === "listing");
        const done = all.filter((range) => range.state === "done").length;
        const queued = all.length - done - listing.length;
        const versions = all.reduce((sum, range) => sum + range.versions, 0);
        if (allDone) {
            output.progress(`listing: all ${number(all.length)} key ranges done, ${number(versions)} versions`);
            return;
        }
        output.progress(
            `listing: ${number(done)} key ranges done, ${number(listing.length)} listing, ${number(queued)} queued, ${number(versions)} versions` +
                listing.map((range) => `\n  range ${range.id} (${short(range.after)}, ${short(range.upTo)}]: at ${short(range.cursor)}, ${number(range.versions)} versions`).join(""),
        );
    };
}

/**
 * The restore names one bucket with `--stack` or `--bucket/--region`; sides.ts resolves it as the `dr` role (the
 * usual target) and its messages are rewritten to name this command's flags.
 */
async function resolveTarget(options: RestoreCommandOptions, readOutputs: StackOutputsReader) {
    if (options.stack !== undefined && options.bucket !== undefined) {
        throw new UsageError(`--stack ${options.stack} and --bucket ${options.bucket} both name the bucket: give one of them`);
    }
    if (options.stack === undefined && options.bucket === undefined) {
        throw new UsageError(`no bucket named: give --stack (e.g. --stack dr) or --bucket with --region`);
    }
    const sideOptions: SideOptions = {
        ...(options.stack !== undefined ? { drStack: options.stack } : {}),
        ...(options.bucket !== undefined ? { drBucket: options.bucket } : {}),
        ...(options.region !== undefined ? { drRegion: options.region } : {}),
        ...(options.profile !== undefined ? { drProfile: options.profile } : {}),
        ...(options.endpoint !== undefined ? { drEndpoint: options.endpoint } : {}),
    };
    let side: Side;
    try {
        side = await resolveSide("dr", sideOptions, readOutputs);
    } catch (error) {
        if (error instanceof UsageError) {
            throw new UsageError(error.message.replace(/--dr-/g, "--"));
        }
        throw error;
    }
    // Known only through the stack: with --bucket, copies take the bucket's default encryption.
    const encryption = expectedEncryption(side.outputs);
    return { ...side, ...(encryption ? { encryption } : {}) };
}

const number = (value: number) => value.toLocaleString("en-US");

export function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A one-line progress bar, redrawn in place on a terminal and printed every few seconds otherwise. */
export function progressReporter(output: Output, stream: NodeJS.WriteStream = process.stderr): (progress: RestoreProgress) => void {
    if (output.json) {
        return () => undefined;
    }
    let lastDrawn = 0;
    return (progress) => {
        const now = Date.now();
        if (now - lastDrawn < (stream.isTTY ? 100 : 5000) && progress.actionsDone !== progress.actionsPlanned) {
            return;
        }
        lastDrawn = now;
        if (progress.phase === "checking") {
            return;
        }
        const width = 24;
        const ratio = progress.actionsPlanned === 0 ? 0 : progress.actionsDone / progress.actionsPlanned;
        const filled = Math.round(ratio * width);
        const line =
            `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${number(progress.actionsDone)}/${number(progress.actionsPlanned)} ` +
            `actions planned so far, ${formatBytes(progress.bytesCopied)} copied, ${number(progress.versionsListed)} versions listed` +
            (progress.failures ? `, ${number(progress.failures)} failed` : "");
        if (stream.isTTY) {
            stream.write(`\r${line}\x1b[K`);
        } else {
            output.progress(line);
        }
    };
}

/** The batch engine's part of the result: run, jobs, manifests. */
function describeEngine(engine: NonNullable<RestoreResult["engine"]>, dryRun: boolean): string[] {
    const lines: string[] = [];
    const jobs = (engine.jobs as Array<{ jobId?: string; storageClass: string; copies: number; status?: string; succeeded?: number; failed?: number }> | undefined) ?? [];
    const attempt = engine.attempt !== undefined ? `, attempt ${String(engine.attempt)}` : "";
    lines.push(`  engine: ${engine.name}${dryRun ? " (would be used)" : ""} (run ${String(engine.runId)}${attempt}; batch from ${number(Number(engine.threshold))} copies)`);
    for (const job of jobs) {
        lines.push(`    batch job ${job.jobId} (${job.storageClass}): ${job.status}, ${number(job.succeeded ?? 0)}/${number(job.copies)} copied, ${number(job.failed ?? 0)} failed`);
    }
    if (typeof engine.largeCopies === "number" && engine.largeCopies > 0) {
        lines.push(`    over 5 GiB, copied here with multipart copies: ${number(engine.largeCopies)}`);
    }
    for (const file of (engine.localManifests as string[] | undefined) ?? []) {
        lines.push(`    manifest written to ${file}`);
    }
    if (typeof engine.state === "string") {
        lines.push(`    run state: ${engine.state}`);
    }
    return lines;
}

export function describeResult(result: RestoreResult): string {
    const where = `s3://${result.bucket}/${result.prefix}`;
    const examples = (keys: string[]) => (keys.length ? `   e.g. ${keys.slice(0, 3).map((key) => JSON.stringify(key)).join(", ")}` : "");
    const lines = [
        `${result.dryRun ? "Plan (dry run, nothing written)" : "Restored"}: ${where} to ${result.to}`,
        `  listed ${number(result.versionsListed)} versions and delete markers of ${number(result.keys)} keys`,
        `  copy back the version from T   ${number(result.plan.copy.count)} keys, ${formatBytes(result.plan.copy.bytes)}${examples(result.plan.copy.firstKeys)}`,
        ...copyReasons(result),
        `  delete marker (created after T) ${number(result.plan.deleteMarker.count)} keys${examples(result.plan.deleteMarker.firstKeys)}`,
        `  unchanged                       ${number(result.plan.unchanged)} keys` +
            (result.plan.verifiedByReads
                ? ` (${number(result.plan.verifiedByReads)} another version with the same identity` +
                  (result.plan.verifiedByChecksum ? `, ${number(result.plan.verifiedByChecksum)} of them by checksum` : "") +
                  `; ${number(result.identityReads.head)} HEAD and ${number(result.identityReads.tagging)} tag reads)`
                : ""),
        `  absent at T and now             ${number(result.plan.absent)} keys`,
        `  reserved (.lustre-dr/)          ${number(result.plan.reserved)} keys`,
    ];
    if (result.plan.unknown.count > 0) {
        lines.push(`  NOT restored, state at T unknown ${number(result.plan.unknown.count)} keys:`);
        lines.push(...result.plan.unknown.first.map(({ key, reason }) => `    ${JSON.stringify(key)}: ${reason}`));
    }
    if (!result.dryRun) {
        lines.push(
            `  written: ${number(result.applied.copies)} copies (${formatBytes(result.applied.bytesCopied)}), ${number(result.applied.deleteMarkers)} delete markers`,
        );
    }
    if (result.failures.count > 0) {
        lines.push(`  FAILED ${number(result.failures.count)} keys (re-run the same command to retry them):`);
        lines.push(...result.failures.first.slice(0, 20).map(({ key, action, message }) => `    ${JSON.stringify(key)} (${action}): ${message}`));
    }
    if (result.planFile) {
        lines.push(`  plan written to ${result.planFile}`);
    }
    if (result.engine) {
        lines.push(...describeEngine(result.engine, result.dryRun));
    }
    return lines.join("\n");
}

/** Why keys are copied back, and the first differences: an attacker's chmod shows up here, not only ransomware. */
function copyReasons(result: RestoreResult): string[] {
    const why = Object.entries(result.plan.copy.why).filter(([, count]) => count > 0);
    if (why.length === 0) {
        return [];
    }
    const lines = [`    because: ${why.map(([reason, count]) => `${reason} ${number(count)}`).join(", ")}`];
    for (const { key, differences } of result.plan.copy.firstDifferences.slice(0, 5)) {
        lines.push(`    ${JSON.stringify(key)}: ${differences.slice(0, 3).join("; ")}${differences.length > 3 ? `; and ${differences.length - 3} more` : ""}`);
    }
    return lines;
}

/** Default plan file of a dry run: next to the operator, named after the bucket and T. */
function defaultPlanFile(bucket: string, to: Date): string {
    return `restore-plan-${bucket}-${to.toISOString().replace(/[:.]/g, "")}.json`;
}

/** Registers `restore`; `readOutputs` resolves `--stack` (default: the Automation API on the configured backend). */
export function registerRestoreCommand(
    program: Command,
    readOutputs: StackOutputsReader = createStackOutputsReader(),
    s3control: (location: SideLocation) => S3ControlClient = (location) => new S3ControlClient(sideClientConfig(location)),
): Command {
    return program
        .command("restore")
        .description(
            "Return a versioned bucket (or a prefix) to its state at a point in time: keys that are not the same object " +
                "as then (content, user metadata, content headers, storage class, tags) get a copy of their version from " +
                "then, keys created since get a delete marker. Never deletes a version; re-run to resume; --verify to compare.",
        )
        .addOption(new Option("--stack <name>", "stack whose bucket to restore, e.g. dr"))
        .addOption(new Option("--bucket <name>", "bucket to restore, instead of --stack"))
        .addOption(new Option("--region <region>", "the bucket's region (required with --bucket)"))
        .addOption(new Option("--profile <profile>", "AWS profile (default: the SDK chain, AWS_PROFILE)"))
        .addOption(new Option("--endpoint <url>", "AWS endpoint override (default: AWS_ENDPOINT_URL or AWS)"))
        .requiredOption("--to <time>", "the point in time, ISO 8601 with a zone, e.g. 2026-11-25T08:00:00Z")
        .option("--prefix <prefix>", "restore only keys under this prefix")
        .option("--dry-run", "plan only: print counts, bytes and first keys, write the plan as JSON")
        .option("--plan-file <path>", "write the plan as JSON here, relative to the project (dry run default: restore-plan-<bucket>-<time>.json)")
        .option("--concurrency <n>", "writes (with --verify: keys compared) in flight at once", "32")
        .option("--verify", "write nothing: compare the bucket (or prefix) with its state at --to; exit 1 when anything differs")
        .option("--list-concurrency <n>", `key ranges listed at once (1: one sequential listing; max ${maxListConcurrency})`, String(defaultListConcurrency))
        .addOption(new Option("--engine <engine>", "local: copy from here; batch: S3 Batch Operations; auto: batch from --batch-threshold planned copies").choices([...restoreEngines]).default("auto"))
        .option("--batch-threshold <n>", "planned copies from which --engine auto uses S3 Batch Operations", String(defaultBatchThreshold))
        .option("--batch-role-arn <arn>", "role the batch job runs as (default: the stack output restoreBatchRoleArn)")
        .option("--manifest-file <path>", "also write the batch manifest here (per storage class); with --dry-run, only here")
        .option("--poll-seconds <n>", "seconds between batch job status checks", "30")
        .option("--json", "print the result as JSON on stdout")
        .action(async (options: RestoreCommandOptions) => {
            const output = createOutput({ json: options.json === true });
            // Everything that can be checked without writing is checked before anything is announced.
            const to = parseIsoTime("--to", options.to, { notAfter: new Date() });
            const concurrency = parseConcurrency(options.concurrency);
            const listConcurrency = parseConcurrency(options.listConcurrency, "--list-concurrency", maxListConcurrency);
            const engine = parseEngine(options.engine);
            const threshold = parseWholeNumber("--batch-threshold", options.batchThreshold, 0);
            const pollSeconds = parseWholeNumber("--poll-seconds", options.pollSeconds, 1);
            if (options.verify && (options.dryRun || options.planFile !== undefined)) {
                throw new UsageError(`--verify compares and writes nothing: it takes no ${options.dryRun ? "--dry-run" : "--plan-file"}`);
            }
            validateRestoreOptions({ to, concurrency, listConcurrency, ...(options.prefix ? { prefix: options.prefix } : {}) }, new Date());
            if (engine === "local" && (options.manifestFile !== undefined || options.batchRoleArn !== undefined)) {
                throw new UsageError(`--engine local writes no batch manifest and runs no job: drop --manifest-file/--batch-role-arn, or use --engine batch or auto`);
            }
            const side = await resolveTarget(options, readOutputs);
            const access = batchAccessFor(side.bucketName, side.outputs, options.batchRoleArn);
            if (engine === "batch" && !access && !options.dryRun) {
                throw new UsageError(
                    `--engine batch needs the role S3 Batch Operations runs as: name a stack that exports restoreBatchRoleArn with --stack, or give --batch-role-arn`,
                );
            }
            const client = new S3Client(sideClientConfig(side));
            // relative to the project, like every path lustre-dr is given
            const planFileName = options.planFile ?? (options.dryRun ? defaultPlanFile(side.bucketName, to) : undefined);
            const planFile = planFileName === undefined ? undefined : resolveInProject(planFileName);
            const where = `s3://${side.bucketName}/${options.prefix ?? ""}`;
            const manifestFile = options.manifestFile === undefined ? undefined : resolveInProject(options.manifestFile);

            // Ctrl-C stops starting new writes; the run is resumable, so say how to continue.
            const controller = new AbortController();
            const interrupt = () => controller.abort();
            process.once("SIGINT", interrupt);
            const showProgress = progressReporter(output);
            // auto without a batch role runs the local writers as they stream, as --engine local does.
            const useBatch = engine === "batch" || (engine === "auto" && (access !== undefined || manifestFile !== undefined));
            if (engine === "auto" && !useBatch && !options.verify) {
                output.progress("engine: local (auto needs a batch role for S3 Batch Operations: --stack of a stack exporting restoreBatchRoleArn, or --batch-role-arn)");
            }
            const runId = runIdFor(side.bucketName, options.prefix ?? "", to);
            const batchOptions = {
                engine: engine === "batch" ? ("batch" as const) : ("auto" as const),
                threshold,
                client,
                bucket: side.bucketName,
                runId,
                prefix: options.prefix ?? "",
                to,
                dryRun: options.dryRun === true,
                concurrency,
                pollSeconds,
                signal: controller.signal,
                progress: (line: string) => output.progress(line),
                ...(manifestFile !== undefined ? { manifestFile } : {}),
                ...(access ? { access: { ...access, s3control: s3control(side) } } : {}),
                ...(side.encryption ? { encryption: side.encryption } : {}),
            };
            let resumed: ResumeOutcome | undefined;
            try {
                if (options.verify) {
                    output.progress(`Comparing ${where} with its state at ${to.toISOString()}`);
                    const verified = await verifyRestore(side, { to, concurrency, signal: controller.signal, ...(options.prefix ? { prefix: options.prefix } : {}) });
                    output.result(verified, () => describeVerify(verified));
                    if (verified.verdict !== "same") {
                        process.exitCode = ExitCode.Failed;
                    }
                    return;
                }
                // A run of this command that was stopped, or killed between CreateJob and recording the job, is
                // finished first; planning then finds only what is still different.
                if (useBatch && !options.dryRun && batchOptions.access) {
                    resumed = await resumeBatchRun({ ...batchOptions, access: batchOptions.access });
                    if (resumed.attempt !== undefined) {
                        output.progress(
                            `run ${runId}: attempt ${resumed.attempt} finished, ${number(resumed.copies)} copies, ${number(resumed.failures.count)} failed` +
                                resumed.failures.first.slice(0, 20).map((failure) => `\n  ${JSON.stringify(failure.key)}: ${failure.message}`).join("") +
                                "\nplanning again: only what is still different",
                        );
                    }
                }
                let announced = false;
                const result = await restoreToPointInTime(side, {
                    to,
                    client,
                    ...(useBatch ? { sink: new BatchSink(batchOptions) } : {}),
                    concurrency,
                    listConcurrency,
                    dryRun: options.dryRun === true,
                    signal: controller.signal,
                    onProgress: (progress) => {
                        // Announced once the bucket's versioning and history at T are checked, not before.
                        if (!announced && progress.phase === "restoring") {
                            announced = true;
                            output.progress(`${options.dryRun ? "Planning" : "Restoring"} ${where} to ${to.toISOString()}`);
                        }
                        showProgress(progress);
                    },
                    onPartition: partitionReporter(output),
                    ...(options.prefix ? { prefix: options.prefix } : {}),
                    ...(planFile ? { planFile } : {}),
                });
                if (!output.json && process.stderr.isTTY) {
                    process.stderr.write("\n");
                }
                const document = resumed?.attempt !== undefined ? { ...result, resumed } : result;
                output.result(document, () => describeResult(result));
                if (result.failures.count > 0 || result.plan.unknown.count > 0) {
                    process.exitCode = ExitCode.Failed;
                }
            } catch (error) {
                if (controller.signal.aborted) {
                    throw new Error(
                        `interrupted: nothing was lost; run the same command again to ${options.verify ? "verify" : "finish the restore"}` +
                            (useBatch ? " (a batch job already started keeps running, and the next run attaches to it)" : ""),
                    );
                }
                throw error;
            } finally {
                process.removeListener("SIGINT", interrupt);
            }
        });
}
