/**
 * `lustre-dr restore`: returns a bucket (or a prefix) to a point in time. A thin wrapper over
 * {@link restoreToPointInTime}: parse and validate flags, resolve the side, show progress, print the result.
 */
import { Command, Option } from "commander";
import { resolveSide, SideOptions, StackOutputsReader } from "../aws/sides";
import { createOutput, ExitCode, Output, UsageError } from "../output";
import { resolveInProject } from "../project";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { parseIsoTime } from "../time";
import { RestoreProgress, RestoreResult, restoreToPointInTime, validateRestoreOptions } from "./restore";
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
    json?: boolean;
}

export function parseConcurrency(value: string): number {
    const concurrency = Number(value);
    if (!/^\d+$/.test(value) || concurrency < 1 || concurrency > 1000) {
        throw new UsageError(`--concurrency is ${JSON.stringify(value)}: expected a whole number from 1 to 1000`);
    }
    return concurrency;
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
    try {
        return await resolveSide("dr", sideOptions, readOutputs);
    } catch (error) {
        if (error instanceof UsageError) {
            throw new UsageError(error.message.replace(/--dr-/g, "--"));
        }
        throw error;
    }
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
export function registerRestoreCommand(program: Command, readOutputs: StackOutputsReader = createStackOutputsReader()): Command {
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
        .option("--json", "print the result as JSON on stdout")
        .action(async (options: RestoreCommandOptions) => {
            const output = createOutput({ json: options.json === true });
            // Everything that can be checked without writing is checked before anything is announced.
            const to = parseIsoTime("--to", options.to, { notAfter: new Date() });
            const concurrency = parseConcurrency(options.concurrency);
            if (options.verify && (options.dryRun || options.planFile !== undefined)) {
                throw new UsageError(`--verify compares and writes nothing: it takes no ${options.dryRun ? "--dry-run" : "--plan-file"}`);
            }
            validateRestoreOptions({ to, concurrency, ...(options.prefix ? { prefix: options.prefix } : {}) }, new Date());
            const side = await resolveTarget(options, readOutputs);
            // relative to the project, like every path lustre-dr is given
            const planFileName = options.planFile ?? (options.dryRun ? defaultPlanFile(side.bucketName, to) : undefined);
            const planFile = planFileName === undefined ? undefined : resolveInProject(planFileName);
            const where = `s3://${side.bucketName}/${options.prefix ?? ""}`;

            // Ctrl-C stops starting new writes; the run is resumable, so say how to continue.
            const controller = new AbortController();
            const interrupt = () => controller.abort();
            process.once("SIGINT", interrupt);
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
                const showProgress = progressReporter(output);
                let announced = false;
                const result = await restoreToPointInTime(side, {
                    to,
                    concurrency,
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
                    ...(options.prefix ? { prefix: options.prefix } : {}),
                    ...(planFile ? { planFile } : {}),
                });
                if (!output.json && process.stderr.isTTY) {
                    process.stderr.write("\n");
                }
                output.result(result, () => describeResult(result));
                if (result.failures.count > 0 || result.plan.unknown.count > 0) {
                    process.exitCode = ExitCode.Failed;
                }
            } catch (error) {
                if (controller.signal.aborted) {
                    throw new Error(`interrupted: nothing was lost; run the same command again to ${options.verify ? "verify" : "finish the restore"}`);
                }
                throw error;
            } finally {
                process.removeListener("SIGINT", interrupt);
            }
        });
}
