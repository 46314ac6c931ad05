/**
 * What a drill produces: per-leg statistics, checks and the verdict. Plain data and pure functions, so the
 * report, the history file and `lustre-dr status` share one shape, and the arithmetic is tested without AWS.
 */
import { z } from "zod";

/** Bump when a field changes meaning; readers skip entries of other schemas. */
export const drillResultSchemaVersion = 1;

const sideRole = z.enum(["primary", "dr"]);

/** A leg is one measured hop; every sample is the time one canary took over it. */
export const legKinds = [
    "s3-object", // a new version, bucket to bucket
    "s3-delete-marker", // a delete marker, bucket to bucket
    "fs-export", // file written on a file system -> object in that side's bucket
    "fs-replication", // that object -> the other bucket
    "fs-import", // the other bucket -> file readable on the other file system
    "fs-end-to-end", // file written -> file readable on the other side
] as const;
export type LegKind = (typeof legKinds)[number];

export const legStatsSchema = z.object({
    count: z.number().int().nonnegative(),
    minSeconds: z.number(),
    medianSeconds: z.number(),
    p95Seconds: z.number(),
    maxSeconds: z.number(),
    /**
     * How far any sample may be from the true lag: half the widest bracket between the last poll that missed a
     * canary and the poll that saw it. Absent when the leg's figures come without one.
     */
    uncertaintySeconds: z.number().nonnegative().optional(),
});
export type LegStats = z.infer<typeof legStatsSchema>;

export const legResultSchema = z.object({
    /** e.g. `s3-object primary->dr`. */
    name: z.string(),
    kind: z.enum(legKinds),
    from: sideRole,
    to: sideRole,
    /** File-system legs of a run over several repositories: the association's path the leg went through. */
    repository: z.string().optional(),
    /** Canaries sent over this leg. */
    expected: z.number().int().nonnegative(),
    /** Canaries that did not arrive within the objective. */
    missed: z.number().int().nonnegative(),
    /** Over the canaries that arrived; absent when none did. */
    stats: legStatsSchema.optional(),
    passed: z.boolean(),
});
export type LegResult = z.infer<typeof legResultSchema>;

export const checkResultSchema = z.object({
    /** e.g. `content primary->dr`, `replication-status dr->primary`, `loop`. */
    name: z.string(),
    status: z.enum(["passed", "failed", "skipped"]),
    detail: z.string(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

const sideSummary = z.object({ bucket: z.string(), region: z.string() });

export const drillResultSchema = z.object({
    schema: z.literal(drillResultSchemaVersion),
    runId: z.string(),
    /** ISO 8601. */
    startedAt: z.string(),
    finishedAt: z.string(),
    objectiveSeconds: z.number().positive(),
    primary: sideSummary,
    dr: sideSummary,
    legs: z.array(legResultSchema),
    checks: z.array(checkResultSchema),
    /** Ctrl-C or an abort ended the run early. */
    interrupted: z.boolean(),
    /**
     * Cleanup writes delete markers on canary keys (never deletes a version). `leftover`: canary keys still current
     * (`side:key`) and sides cleanup could not reach; `inFlight`: replicas that had not arrived when cleanup last
     * looked (each one, when it lands, leaves its key current); `command`: the exact `lustre-dr drill --clean-up`
     * command that finishes the job, present whenever either list is not empty.
     */
    cleanup: z.object({
        deleteMarkersWritten: z.number().int().nonnegative(),
        leftover: z.array(z.string()),
        inFlight: z.array(z.string()).optional(),
        command: z.string().optional(),
    }),
    /** One line per reason the drill failed; empty when it passed. */
    failures: z.array(z.string()),
    passed: z.boolean(),
});
export type DrillResult = z.infer<typeof drillResultSchema>;

/**
 * Nearest-rank percentile (p in 0..100) of ascending values: the smallest value at or above p% of the samples,
 * always one of the samples.
 */
export function percentile(ascending: readonly number[], p: number): number {
    if (ascending.length === 0) {
        throw new Error("percentile of no samples");
    }
    const rank = Math.max(1, Math.ceil((p / 100) * ascending.length));
    return ascending[rank - 1];
}

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * min / median / p95 / max of samples given in milliseconds, reported in seconds (ms precision), with the widest of
 * the samples' uncertainties when given.
 */
export function summarise(samplesMs: readonly number[], uncertaintiesMs: readonly number[] = []): LegStats | undefined {
    if (samplesMs.length === 0) {
        return undefined;
    }
    const sorted = [...samplesMs].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
    return {
        count: sorted.length,
        minSeconds: roundMs(sorted[0] / 1000),
        medianSeconds: roundMs(median / 1000),
        p95Seconds: roundMs(percentile(sorted, 95) / 1000),
        maxSeconds: roundMs(sorted[sorted.length - 1] / 1000),
        ...(uncertaintiesMs.length > 0 ? { uncertaintySeconds: roundMs(Math.max(...uncertaintiesMs) / 1000) } : {}),
    };
}

/** A leg passes when every canary arrived and the slowest did so within the objective. */
export function legResult(
    leg: Pick<LegResult, "kind" | "from" | "to" | "repository">,
    expected: number,
    samplesMs: readonly number[],
    objectiveSeconds: number,
    uncertaintiesMs: readonly number[] = [],
): LegResult {
    const stats = summarise(samplesMs, uncertaintiesMs);
    const missed = Math.max(0, expected - samplesMs.length);
    return {
        name: legName(leg),
        ...leg,
        expected,
        missed,
        ...(stats ? { stats } : {}),
        passed: missed === 0 && expected > 0 && stats !== undefined && stats.maxSeconds <= objectiveSeconds,
    };
}

export function legName(leg: Pick<LegResult, "kind" | "from" | "to" | "repository">): string {
    return `${leg.kind} ${leg.from}->${leg.to}${leg.repository ? ` ${leg.repository}` : ""}`;
}

/** Why the drill failed, one line each; empty means it passed. Skipped checks do not fail a drill. */
export function failuresOf(
    legs: readonly LegResult[],
    checks: readonly CheckResult[],
    objectiveSeconds: number,
    interrupted: boolean,
): string[] {
    const failures: string[] = [];
    if (interrupted) {
        failures.push("interrupted before every leg and check ran");
    }
    for (const leg of legs) {
        if (leg.passed) {
            continue;
        }
        if (leg.missed > 0) {
            failures.push(`${leg.name}: ${leg.missed} of ${leg.expected} canaries did not arrive within the ${objectiveSeconds} s objective`);
        } else if (leg.stats && leg.stats.maxSeconds > objectiveSeconds) {
            failures.push(`${leg.name}: slowest canary took ${leg.stats.maxSeconds} s, over the ${objectiveSeconds} s objective`);
        } else {
            failures.push(`${leg.name}: not measured, no canary could be sent over it`);
        }
    }
    for (const check of checks) {
        if (check.status === "failed") {
            failures.push(`${check.name}: ${check.detail}`);
        }
    }
    return failures;
}
