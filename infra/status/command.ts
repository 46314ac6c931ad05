/**
 * `lustre-dr status`: is the DR pair protecting the data right now? Reads both sides (each with its own
 * credentials), judges, and answers with one word first: healthy (exit 0), degraded (1) or broken (2).
 */
import { Command, Option } from "commander";
import { addSideOptions, Side, SideOptions, SideRole, sideRoles, StackOutputsReader } from "../aws/sides";
import type { ReplicationStatusReader } from "../compare/compare";
import { defaultDrillHistoryPath, readLastDrill, resolveDrillHistoryFile } from "../drill/history";
import { createOutput, Output, UsageError } from "../output";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { assessPair } from "./checks";
import { collectPair, locateSides } from "./collect";
import { defaultThresholds, StatusThresholds } from "./model";
import { renderHuman, StatusReport, statusReport } from "./report";
import { takeSample } from "./sample";
import { maxSampleSize, parseSampleRequest, SampleRequest } from "./sampleKeys";
import { exitCodeOf, verdictOf } from "./verdict";

export interface StatusOptions extends SideOptions {
    json?: boolean;
    only?: SideRole;
    latencyThreshold?: string;
    drillHistory?: string;
    /** `--sample <n>`: compare n random keys across the sides. */
    sample?: string;
    samplePrefix?: string;
    sampleSeed?: string;
}

/** Where status reads what it does not get from AWS; tests and other commands substitute their own. */
export interface StatusSources {
    readonly readOutputs?: StackOutputsReader;
    readonly now?: Date;
    /** How a side reports a version's replication status for `--sample`; default HeadObject's. */
    readonly replicationStatus?: ReplicationStatusReader;
    /** Listing page size for `--sample`; smaller pages are for tests. */
    readonly samplePageSize?: number;
}

const maxSeed = 0xffffffff;

/** `--sample`, `--sample-prefix` and `--sample-seed`, checked before anything is read. */
function sampleFrom(options: StatusOptions): { request: SampleRequest; seed?: number } | undefined {
    const request = parseSampleRequest(options.sample, options.samplePrefix);
    if (request === undefined) {
        if (options.sampleSeed !== undefined) {
            throw new UsageError(`--sample-seed is ${JSON.stringify(options.sampleSeed)} but --sample is missing: give --sample <n> too`);
        }
        return undefined;
    }
    if (options.only !== undefined) {
        throw new UsageError(`--sample compares the two sides, so it cannot be combined with --only ${options.only}: drop one of them`);
    }
    if (options.sampleSeed === undefined) {
        return { request };
    }
    const seed = /^[0-9]+$/.test(options.sampleSeed) ? Number(options.sampleSeed) : Number.NaN;
    if (!Number.isSafeInteger(seed) || seed > maxSeed) {
        throw new UsageError(`--sample-seed is ${JSON.stringify(options.sampleSeed)}: expected a whole number from 0 to ${maxSeed} (the seed a previous report printed)`);
    }
    return { request, seed };
}

function thresholdsFrom(options: StatusOptions): StatusThresholds {
    if (options.latencyThreshold === undefined) {
        return defaultThresholds;
    }
    const seconds = Number(options.latencyThreshold);
    if (!Number.isInteger(seconds) || seconds <= 0) {
        throw new UsageError(
            `--latency-threshold is ${JSON.stringify(options.latencyThreshold)}: expected a positive whole number of seconds, e.g. 900`,
        );
    }
    return { ...defaultThresholds, replicationLatencySeconds: seconds };
}

/** Runs the whole status check and writes the report; returns the exit code. */
export async function runStatus(options: StatusOptions, output: Output, sources: StatusSources = {}): Promise<{ exitCode: number; report: StatusReport }> {
    const thresholds = thresholdsFrom(options);
    const sample = sampleFrom(options);
    const located = await locateSides(options, sources.readOutputs);
    output.progress(`reading ${options.only ?? "both sides"}...`);
    const historyFile = resolveDrillHistoryFile(options.drillHistory);
    const pair = await collectPair(located, {
        only: options.only,
        now: sources.now,
        readLastDrill: () => readLastDrill(historyFile),
        ...(sample
            ? {
                  takeSample: (primary: Side, dr: Side) =>
                      takeSample(primary, dr, sample.request, {
                          ...(sample.seed !== undefined ? { seed: sample.seed } : {}),
                          ...(sources.replicationStatus ? { replicationStatus: sources.replicationStatus } : {}),
                          ...(sources.samplePageSize ? { pageSize: sources.samplePageSize } : {}),
                          onProgress: (message) => output.progress(message),
                      }),
              }
            : {}),
    });
    const findings = assessPair(pair, thresholds);
    const assessment = verdictOf(findings);
    const report = statusReport(pair, findings, assessment);
    output.result(report, () => renderHuman(report, assessment));
    return { exitCode: exitCodeOf(assessment.verdict), report };
}

export function registerStatusCommand(program: Command): void {
    const command = program
        .command("status")
        .description(
            "Report the DR pair's health: versioning, replication rule, bucket policy, data repository association, file " +
                "system, last 24 h of replication metrics and the last drill (from the drill history); with --sample, whether random " +
                "keys are the same object on both sides. First line: healthy, degraded or broken (exit code 0, 1 or 2). Read-only.",
        )
        .option("--json", "print the report as JSON")
        .addOption(new Option("--only <side>", "contact only this side (e.g. during an incident)").choices([...sideRoles]))
        .option(
            "--latency-threshold <seconds>",
            `replication latency above this in the last 24 h degrades the pair (match alarms.replicationLatencySeconds)`,
            String(defaultThresholds.replicationLatencySeconds),
        )
        .option("--drill-history <file>", "the drill history lustre-dr drill appends to, relative to the project", defaultDrillHistoryPath)
        .option(
            "--sample <n>",
            `also compare n random keys (1 to ${maxSampleSize}) across the sides, drawn from both; a key that differs degrades the pair (pending replication does not)`,
        )
        .option("--sample-prefix <prefix>", "draw the --sample keys only under this key prefix")
        .option("--sample-seed <seed>", "draw the same keys as a previous report (its sample.seed) from the same buckets");
    addSideOptions(command).action(async (options: StatusOptions) => {
        // Stack outputs are only read for a side not named with --<side>-bucket.
        const { exitCode } = await runStatus(options, createOutput(options), { readOutputs: createStackOutputsReader() });
        process.exitCode = exitCode;
    });
}
