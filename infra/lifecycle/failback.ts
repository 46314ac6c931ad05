/**
 * `lustre-dr failback`: after an incident, make the primary clean again, re-attach both sides, converge the
 * handshake, copy to the primary what was written on the dr side while it was detached (docs/runbook.md, section 6).
 *
 * The phases, in this order, each timed:
 *
 * 1. with `--restore-primary-to T`: **detach-primary**, one update of the primary stack with `recovery.detached=true`
 *    (as `freeze` does for the dr side): the primary bucket loses its replication rule, so the restore's copies are
 *    written with no replication to do. Without it they would only be refused by the frozen dr bucket's policy
 *    (FAILED), and a copy still PENDING when the dr side re-grants the primary would land on the dr bucket as its newest
 *    version, over what users wrote there during the outage;
 * 2. **restore-primary**: the primary bucket returns to T with the restore of `lustre-dr restore` (infra/restore:
 *    content, metadata incl. the POSIX attributes, content headers, storage class, tags; adds versions, deletes none),
 *    with the primary's credentials. It runs while the dr side is still detached: once the dr side is re-attached, a
 *    restore of the primary would undo what replication has brought it since, so a re-run then skips it;
 * 3. **converge**: both sides re-attached (`recovery.detached=false`) and the handshake run, dr side first;
 * 4. **replicate**: an S3 Batch Replication job in the dr account copies the dr bucket's objects that never replicated
 *    (`NONE`/`FAILED`, created after `--since`) to the primary; `--wait` follows it;
 * 5. with `--wait`, once the job is Complete without failures: **compare**, the two buckets key by key (infra/compare, restore's object
 *    identity); when they differ, **resend**: the dr side sends again, with a fresh timestamp, the outage's writes that
 *    did not become current on the primary (resend.ts explains why they may not), and the comparison runs again until
 *    nothing is in flight. Exit 1 when the sides still differ, naming the first keys and the `lustre-dr compare`
 *    command to re-check with. Without `--wait` the job is still running, so nothing is compared: the result says so
 *    and prints that command.
 *
 * Everything that can be refused is refused before the first update: the times, their order, each stack's pin to its
 * peer's account (`lustre-dr:peerAccountId`), the primary bucket's versioning and history at T. A run killed at any
 * point is re-run with the same command: the primary's freeze is skipped once it took effect, the restore resumes
 * (it only writes what is still different), the re-attachment is an ordinary update, and a second job only finds what
 * is still not replicated.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { CompareOptions, CompareResult, CompareSide, compareBuckets, differingCount } from "../compare/compare";
import { compareProgressReporter } from "../compare/command";
import { describeCompare } from "../compare/report";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { sideClientConfig, SideLocation } from "../aws/clients";
import type { SideRole } from "../aws/sides";
import { UsageError } from "../output";
import { BatchJobProgress, describeProgress, startBatchReplication, waitForBatchJob } from "../replication/batchReplication";
import { BatchSink, defaultBatchThreshold, resumeBatchRun } from "../restore/batch/engine";
import { runIdFor } from "../restore/batch/job";
import { batchAccessFor, describeResult, partitionReporter, progressReporter } from "../restore/command";
import { expectedEncryption } from "../restore/encryption";
import { checkHistoryReachesBack, checkVersioning, defaultListConcurrency, RestoreResult, restoreToPointInTime } from "../restore/restore";
import { converge, ConvergeResult, peerPinsToWrite } from "./converge";
import { CommandContext, convergenceSummary, NotConvergedError, openWorkspace, stackNames, StackSelectionOptions } from "./deploy";
import { configuredDetached, detachedKey, freezeSide, secondsSince } from "./freeze";
import { describePhase } from "./recover";
import { readOutputsOf } from "../pulumi/stackOutputs";
import type { SiteOutputs } from "../../stacks/outputs";
import { ResendResult, resendOutageWrites } from "./resend";
import { parseIsoTime } from "../time";

export interface FailbackOptions extends StackSelectionOptions {
    /** ISO 8601 time: only objects created after it (when the dr side was frozen). */
    since?: string;
    /** ISO 8601 time: before re-attaching, return the primary bucket to its state then (the last good time). */
    restorePrimaryTo?: string;
    /** Wait for the batch job to finish, printing progress. */
    wait?: boolean;
    drEndpoint?: string;
    verbose?: boolean;
    json?: boolean;
}

export interface FailbackContext extends CommandContext {
    /** Creates the S3 Control client for the dr side; tests use a mocked client. */
    readonly s3control?: (location: SideLocation) => S3ControlClient;
    /** Creates the S3 client of a side (the primary's restore); tests point it at the emulator. @default from the side's outputs and profile */
    readonly s3?: (role: SideRole, location: SideLocation) => S3Client;
    /** Seconds between job status polls, and between comparisons while keys replicate, with --wait. @default 30 */
    readonly pollSeconds?: number;
    /** Longest wait for the keys sent again to replicate before the last comparison. @default 900 (the RTC target) */
    readonly settleSeconds?: number;
    /** How the comparison reads replication status (tests: the emulator copier's), and its page size. */
    readonly compare?: Pick<CompareOptions, "replicationStatus" | "pageSize">;
    /** @default setTimeout */
    readonly sleep?: (milliseconds: number) => Promise<void>;
    /**
     * Planned copies from which the primary's restore runs as an S3 Batch Operations job (as `restore --engine auto`);
     * lower only in tests. @default 100,000
     */
    readonly restoreBatchThreshold?: number;
}

/** One phase of a failback as it ran: `seconds` is measured by the command. */
export interface FailbackPhase {
    readonly phase: "detach-primary" | "restore-primary" | "converge" | "replicate" | "compare" | "resend";
    readonly seconds: number;
    /** Why the phase did nothing, e.g. an earlier run already did it. */
    readonly skipped?: string;
    /** Resource operation counts of the phase's update(s). */
    readonly changes?: Record<string, number>;
}

export interface FailbackResult {
    readonly reattached: string[];
    readonly convergence: ConvergeResult;
    readonly jobId: string;
    readonly job?: BatchJobProgress;
    /** The restore of the primary bucket to --restore-primary-to, when it ran in this run. */
    readonly restore?: RestoreResult;
    /**
     * The comparison of the two buckets after the job (with --wait and a Complete job; after a resend, the last one).
     * `verdict: "differs"` makes the command exit 1.
     */
    readonly compare?: CompareResult;
    /** The outage's writes the dr side sent again because the job did not make them current on the primary. */
    readonly resend?: ResendResult;
    /** The command that compares the pair again, at any time. */
    readonly compareCommand: string;
    /** The phases as they ran, in order. */
    readonly phases: FailbackPhase[];
}

/** Differing keys gathered for a resend in one run; a re-run of failback sends the next ones. */
export const resendBatch = 1000;

/** The `lustre-dr compare` command for this pair, with the flags this failback was given. */
export function compareCommandLine(options: Pick<FailbackOptions, "primary" | "dr" | "primaryProfile" | "drProfile">): string {
    const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);
    const words = ["lustre-dr", "compare"];
    if (options.primary !== "primary") words.push("--primary-stack", quote(options.primary));
    if (options.dr !== "dr") words.push("--dr-stack", quote(options.dr));
    if (options.primaryProfile) words.push("--primary-profile", quote(options.primaryProfile));
    if (options.drProfile) words.push("--dr-profile", quote(options.drProfile));
    return words.join(" ");
}

/** The command's times, checked against each other and the clock before anything is read or changed. */
export interface FailbackTimes {
    readonly since?: Date;
    readonly restorePrimaryTo?: Date;
}

export function parseSince(since: string | undefined, now: Date = new Date()): Date | undefined {
    if (since === undefined) {
        return undefined;
    }
    return parseIsoTime("--since", since, { notAfter: now, futureHint: "give the time the dr side was frozen" });
}

/**
 * `--since` and `--restore-primary-to`: each a past ISO time, and T no later than the freeze. The primary is returned
 * to its last good time, which is before the compromise and so before the freeze; what the primary holds from after
 * the freeze never reached the dr side, so a T after `--since` would keep exactly what cannot be trusted.
 */
export function failbackTimes(options: Pick<FailbackOptions, "since" | "restorePrimaryTo">, now: Date = new Date()): FailbackTimes {
    const since = parseSince(options.since, now);
    const restorePrimaryTo =
        options.restorePrimaryTo === undefined
            ? undefined
            : parseIsoTime("--restore-primary-to", options.restorePrimaryTo, {
                  notAfter: now,
                  futureHint: "give the primary's last good time, before it was compromised",
              });
    if (since && restorePrimaryTo && restorePrimaryTo.getTime() > since.getTime()) {
        throw new UsageError(
            `--restore-primary-to is ${JSON.stringify(options.restorePrimaryTo)}, after --since ${JSON.stringify(options.since)} (the freeze): ` +
                `the primary returns to its last good time, before it was compromised, and what it holds from after the freeze never ` +
                `reached the dr side. Give a --restore-primary-to at or before ${since.toISOString()} (usually the T of \`recover --restore-to\`)`,
        );
    }
    return { ...(since ? { since } : {}), ...(restorePrimaryTo ? { restorePrimaryTo } : {}) };
}

export async function runFailback(options: FailbackOptions, context: FailbackContext): Promise<FailbackResult> {
    const { output } = context;
    const names = stackNames(options);
    const { since: createdAfter, restorePrimaryTo } = failbackTimes(options);
    const workspace = await openWorkspace(options, context);
    // Both stacks must already be pinned to their peer's account (failback takes no account ids): checked here, read
    // only, so a missing pin is refused before the primary is detached and restored, not after, at the re-attachment.
    await peerPinsToWrite(workspace, names, {});
    const phases: FailbackPhase[] = [];
    const s3 = context.s3 ?? ((_role: SideRole, location: SideLocation) => new S3Client(sideClientConfig(location)));

    let restore: RestoreResult | undefined;
    if (restorePrimaryTo) {
        restore = await restorePrimary(names, restorePrimaryTo, phases);
    }

    const start = performance.now();
    const reattached: string[] = [];
    for (const role of ["dr", "primary"] as const) {
        const name = names[role];
        workspace.actAs(role);
        const stack = await workspace.selectStack(name);
        if (await configuredDetached(stack)) {
            output.progress(`Re-attaching ${name}: recovery.detached=false`);
            await stack.setAllConfig({ [detachedKey]: { value: "false" } }, true);
            reattached.push(name);
        }
    }

    // The dr side first: unless it was detached to be restored, the primary never stopped granting it, so the
    // re-attached dr side can replicate at once and the primary follows in the next update (two updates, not three).
    const convergence = await converge(workspace, names, { output, verbose: options.verbose, rerunCommand: "lustre-dr failback", first: "dr" });
    phases.push({ phase: "converge", seconds: secondsSince(start), changes: totalChanges(convergence) });
    if (convergence.verdict !== "converged") {
        output.result({ reattached, convergence, phases, ...(restore ? { restore } : {}) }, () => convergenceSummary(convergence));
        throw new NotConvergedError(convergence);
    }

    const replicateStart = performance.now();
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
    phases.push({ phase: "replicate", seconds: secondsSince(replicateStart) });

    const compareCommand = compareCommandLine({ ...options, ...names });
    let compare: CompareResult | undefined;
    let resend: ResendResult | undefined;
    // Failed objects are named by the job's report and retried by running failback again; the comparison would only
    // show them again.
    if (job?.status === "Complete" && job.failedTasks === 0) {
        ({ compare, resend } = await compareAndResend(dr));
    }
    const result: FailbackResult = {
        reattached,
        convergence,
        jobId,
        ...(job ? { job } : {}),
        ...(restore ? { restore } : {}),
        ...(compare ? { compare } : {}),
        ...(resend ? { resend } : {}),
        compareCommand,
        phases,
    };
    output.result(result, () =>
        [
            ...(restore ? [describeResult(restore)] : []),
            reattached.length > 0 ? `Re-attached: ${reattached.join(", ")}.` : "Both sides were already attached.",
            convergenceSummary(convergence),
            `Batch replication job ${jobId} copies what changed on ${dr.bucketName} during the outage to the primary.`,
            job ? describeProgress(job) : `Follow it with: aws s3control describe-job --account-id ${dr.accountId} --job-id ${jobId} --region ${dr.region}`,
            ...(resend ? describeResend(resend) : []),
            compare
                ? `${describeCompare(compare)}\nCompare again at any time: ${compareCommand}`
                : `Not compared: the job ${job ? (job.status === "Complete" ? "failed for some objects" : `is ${job.status}`) : "is still running (no --wait)"}. ` +
                  `Once it is Complete without failures, compare the pair: ${compareCommand}`,
            `Phases: ${phases.map(describePhase).join(", ")}.`,
        ].join("\n"),
    );
    const problems: string[] = [];
    if (job && (job.status !== "Complete" || job.failedTasks > 0)) {
        problems.push(`batch replication ${describeProgress(job)}; see the report${job.reportLocation ? ` at ${job.reportLocation}` : ""}`);
    }
    if (compare?.verdict === "differs") {
        const count = differingCount(compare);
        problems.push(
            `the two buckets still differ after failback: ${count.toLocaleString("en-US")} keys (${compare.first
                .slice(0, 3)
                .map((divergence) => JSON.stringify(divergence.key))
                .join(", ")}${count > 3 ? ", ..." : ""}); ` +
                (count > resendBatch && resend
                    ? `up to ${resendBatch} are sent again per run: run the same \`lustre-dr failback\` again, then `
                    : "look at them (which side is right is yours to decide for keys the dr side did not change during the outage), then ") +
                `re-check with \`${compareCommand}\``,
        );
    }
    if (problems.length > 0) {
        throw new Error(problems.join("\n"));
    }
    return result;

    /** Phase 5: compare; when the sides differ, send the outage's writes again and compare until nothing is in flight. */
    async function compareAndResend(drOutputs: SiteOutputs): Promise<{ compare: CompareResult; resend?: ResendResult }> {
        workspace.actAs("primary");
        const primaryOutputs = await readOutputsOf(workspace, names.primary);
        const side = (role: SideRole, outputs: SiteOutputs): CompareSide => {
            const profile = role === "primary" ? options.primaryProfile : options.drProfile;
            const encryption = expectedEncryption(outputs);
            return {
                side: role,
                bucket: outputs.bucketName,
                region: outputs.region,
                client: s3(role, { region: outputs.region, ...(profile ? { profile } : {}) }),
                // As `lustre-dr compare` does: a bucket name the stack's outputs point at another account's bucket is refused.
                expectedOwner: outputs.accountId,
                ...(encryption ? { expectedEncryption: encryption } : {}),
            };
        };
        if (primaryOutputs.bucketName === drOutputs.bucketName) {
            // Comparing a bucket with itself would prove nothing: the stacks' outputs cannot both be right.
            throw new Error(`stacks ${names.primary} and ${names.dr} both export bucket ${drOutputs.bucketName}: nothing was compared; check their outputs`);
        }
        const sides = { primary: side("primary", primaryOutputs), dr: side("dr", drOutputs) };
        const compareOnce = (firstDifferences?: number) =>
            compareBuckets(sides.primary, sides.dr, {
                ...context.compare,
                onProgress: compareProgressReporter(output),
                ...(firstDifferences !== undefined ? { firstDifferences } : {}),
            });

        const compareStart = performance.now();
        output.progress(`Comparing s3://${primaryOutputs.bucketName}/ (primary) with s3://${drOutputs.bucketName}/ (dr), key by key`);
        const first = await compareOnce(createdAfter ? resendBatch : undefined);
        phases.push({ phase: "compare", seconds: secondsSince(compareStart) });
        output.progress(`${first.verdict}: ${first.same} same, ${first.pending} replicating, ${differingCount(first)} differing`);
        if (first.verdict !== "differs" || !createdAfter) {
            return { compare: firstTen(first) };
        }

        const resendStart = performance.now();
        const { result: resent, sentKeys } = await resendOutageWrites(sides.dr, first.first, {
            since: createdAfter,
            ...(context.compare?.replicationStatus ? { replicationStatus: context.compare.replicationStatus } : {}),
        });
        output.progress(describeResend(resent).join("\n"));
        const sent = new Set(sentKeys);
        let last = await compareOnce(resendBatch);
        const sleep = context.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
        const pollMilliseconds = (context.pollSeconds ?? 30) * 1000;
        const deadline = performance.now() + (context.settleSeconds ?? 900) * 1000;
        // The keys sent again are in flight (PENDING) until live replication has carried them over.
        while (sent.size > 0 && (last.pending > 0 || last.first.some((divergence) => sent.has(divergence.key))) && performance.now() < deadline) {
            output.progress(`waiting for the keys sent again to replicate: ${last.pending} in flight, ${differingCount(last)} differing`);
            await sleep(pollMilliseconds);
            last = await compareOnce(resendBatch);
        }
        phases.push({ phase: "resend", seconds: secondsSince(resendStart) });
        return { compare: firstTen(last), resend: resent };
    }

    /**
     * Phases 1 and 2. Only while the dr side is still detached: its re-attachment comes after a complete restore, so
     * a dr side already re-attached means an earlier run restored the primary, and a restore now would undo what live
     * and batch replication have brought it since.
     */
    async function restorePrimary(stacks: typeof names, to: Date, done: FailbackPhase[]): Promise<RestoreResult | undefined> {
        const begin = performance.now();
        workspace.actAs("dr");
        if (!(await configuredDetached(await workspace.selectStack(stacks.dr)))) {
            const skipped =
                `the dr side ${stacks.dr} is attached (an earlier failback restored the primary and then re-attached it, or it was never frozen): ` +
                "a restore of the primary now would undo what replication has brought it since";
            output.progress(`Not restoring the primary: ${skipped}`);
            done.push({ phase: "restore-primary", seconds: secondsSince(begin), skipped });
            return undefined;
        }
        workspace.actAs("primary");
        const primary = await readOutputsOf(workspace, stacks.primary);
        const where: SideLocation = { region: primary.region, ...(options.primaryProfile ? { profile: options.primaryProfile } : {}) };
        const client = s3("primary", where);
        // Refused here, before any update, rather than after the primary was detached (a forged kmsKeyArn too).
        const encryption = expectedEncryption(primary);
        await checkVersioning(client, primary.bucketName);
        await checkHistoryReachesBack(client, primary.bucketName, to, { prefix: "" });

        const frozen = await freezeSide(workspace, stacks.primary, output, { verbose: options.verbose, peer: "dr" });
        done.push({ ...frozen.phase, phase: "detach-primary" });

        const restoreStart = performance.now();
        output.progress(`Restoring s3://${primary.bucketName}/ (primary) to ${to.toISOString()} (adds versions, deletes none)`);
        // The engine `restore --engine auto` chooses: local writers, or from 100,000 planned copies an S3 Batch
        // Operations job in the primary account as its restoreBatchRoleArn. A run of it that a killed failback left
        // behind is finished first; planning then finds only what is still different.
        const access = batchAccessFor(primary.bucketName, primary, undefined);
        const batch = access
            ? {
                  engine: "auto" as const,
                  threshold: context.restoreBatchThreshold ?? defaultBatchThreshold,
                  client,
                  bucket: primary.bucketName,
                  runId: runIdFor(primary.bucketName, "", to),
                  prefix: "",
                  to,
                  dryRun: false,
                  ...(encryption ? { encryption } : {}),
                  ...(context.pollSeconds !== undefined ? { pollSeconds: context.pollSeconds } : {}),
                  progress: (line: string) => output.progress(line),
                  access: { ...access, s3control: (context.s3control ?? ((side: SideLocation) => new S3ControlClient(sideClientConfig(side))))(where) },
              }
            : undefined;
        if (batch) {
            const resumed = await resumeBatchRun(batch);
            if (resumed.attempt !== undefined) {
                output.progress(`restore run ${resumed.runId}: attempt ${resumed.attempt} finished, ${resumed.copies} copies, ${resumed.failures.count} failed; planning again`);
            }
        } else {
            output.progress("restore engine: local (the primary stack exports no restoreBatchRoleArn for S3 Batch Operations)");
        }
        const restored = await restoreToPointInTime(
            { ...where, bucketName: primary.bucketName, ...(encryption ? { encryption } : {}) },
            {
                to,
                client,
                listConcurrency: defaultListConcurrency,
                onProgress: progressReporter(output),
                onPartition: partitionReporter(output),
                ...(batch ? { sink: new BatchSink(batch) } : {}),
            },
        );
        done.push({ phase: "restore-primary", seconds: secondsSince(restoreStart) });
        output.progress(describeResult(restored));
        if (restored.failures.count > 0) {
            throw new Error(
                `the restore of the primary bucket s3://${primary.bucketName}/ failed for ${restored.failures.count} keys, so neither side was ` +
                    "re-attached: run the same `lustre-dr failback` again (the restore resumes where it stopped)",
            );
        }
        return restored;
    }
}

/** A comparison gathered with many first keys (for the resend), reported with compare's usual ten. */
function firstTen(result: CompareResult): CompareResult {
    return result.first.length > 10 ? { ...result, first: result.first.slice(0, 10) } : result;
}

/** The resend, for people: what was sent again and what was left. */
export function describeResend(resend: ResendResult): string[] {
    const keys = (list: readonly string[]) => list.slice(0, 5).map((key) => JSON.stringify(key)).join(", ");
    const lines = [
        `Sent again from the dr side (outage writes the job did not make current on the primary): ${resend.copies} copies, ${resend.deleteMarkers} delete markers` +
            (resend.firstKeys.length > 0 ? `: ${keys(resend.firstKeys)}` : ""),
    ];
    if (resend.left.count > 0) {
        lines.push(`  not sent (the dr side is not the side of record for them): ${resend.left.count} keys`);
        lines.push(...resend.left.first.slice(0, 5).map(({ key, reason }) => `    ${JSON.stringify(key)}: ${reason}`));
    }
    if (resend.failures.count > 0) {
        lines.push(`  FAILED ${resend.failures.count} keys:`);
        lines.push(...resend.failures.first.slice(0, 5).map(({ key, message }) => `    ${JSON.stringify(key)}: ${message}`));
    }
    return lines;
}

/** Resource operation counts summed over the updates of a convergence. */
function totalChanges(convergence: ConvergeResult): Record<string, number> {
    const total: Record<string, number> = {};
    for (const update of convergence.updates) {
        for (const [op, count] of Object.entries(update.changes)) {
            total[op] = (total[op] ?? 0) + count;
        }
    }
    return total;
}

