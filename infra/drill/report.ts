/**
 * The drill's human report: one table row per leg (min / median / p95 / max against the objective), the checks,
 * the reasons it failed, and what cleanup left. `--json` prints the DrillResult itself.
 */
import type { DrillResult, LegResult } from "./result";

const seconds = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(3)} s`);

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

function legRow(leg: LegResult): string[] {
    return [
        leg.name,
        `${leg.expected - leg.missed}/${leg.expected}`,
        seconds(leg.stats?.minSeconds),
        seconds(leg.stats?.medianSeconds),
        seconds(leg.stats?.p95Seconds),
        seconds(leg.stats?.maxSeconds),
        leg.stats?.uncertaintySeconds === undefined ? "-" : `±${leg.stats.uncertaintySeconds.toFixed(3)} s`,
        leg.passed ? "pass" : "FAIL",
    ];
}

/** One line for status and notifications: the verdict, the slowest leg, or the first reasons it failed. */
export function drillSummaryLine(result: DrillResult): string {
    if (!result.passed) {
        const more = result.failures.length > 2 ? ` (+${result.failures.length - 2} more)` : "";
        return `FAILED: ${result.failures.slice(0, 2).join("; ")}${more}`;
    }
    const slowest = [...result.legs].sort((a, b) => (b.stats?.maxSeconds ?? 0) - (a.stats?.maxSeconds ?? 0))[0];
    return slowest?.stats
        ? `passed: ${result.legs.length} legs, slowest ${slowest.name} ${slowest.stats.maxSeconds} s of ${result.objectiveSeconds} s objective`
        : "passed";
}

/** What cleanup did, and when it could not finish, why and the exact command that finishes it. */
function cleanupLines(result: DrillResult): string[] {
    const { deleteMarkersWritten, leftover, inFlight = [], command } = result.cleanup;
    if (leftover.length === 0 && inFlight.length === 0) {
        return [`cleanup: ${deleteMarkersWritten} delete markers on this run's canaries; no canary left current`];
    }
    const shown = (items: readonly string[]) => items.slice(0, 5).join(", ") + (items.length > 5 ? ` (+${items.length - 5} more)` : "");
    const lines = [`cleanup: ${deleteMarkersWritten} delete markers on this run's canaries`];
    if (leftover.length > 0) {
        lines.push(`  WARNING, still current or not cleaned: ${shown(leftover)}`);
    }
    if (inFlight.length > 0) {
        lines.push(
            `  WARNING, ${inFlight.length} canary replicas had not arrived when cleanup ran: ${shown(inFlight)}`,
            "  a replica that lands later leaves its key current on that side (lifecycle rules expire only noncurrent versions)",
        );
    }
    lines.push("  once replication has caught up, run:", `    ${command ?? `lustre-dr drill --clean-up ${result.runId} (with the same side options)`}`);
    return lines;
}

export function renderDrillReport(result: DrillResult, historyFile?: string): string {
    const lines: string[] = [
        `drill ${result.runId}: ${result.passed ? "PASSED" : "FAILED"} (objective ${result.objectiveSeconds} s)`,
        `primary ${result.primary.bucket} (${result.primary.region})  dr ${result.dr.bucket} (${result.dr.region})`,
        "",
        ...table([["leg", "arrived", "min", "median", "p95", "max", "within", "result"], ...result.legs.map(legRow)]),
        "",
        "checks:",
        ...result.checks.map((check) => `  ${check.status.padEnd(7)} ${check.name}: ${check.detail}`),
    ];
    if (result.failures.length > 0) {
        lines.push("", "failures:", ...result.failures.map((failure) => `  - ${failure}`));
    }
    lines.push("", ...cleanupLines(result));
    if (historyFile) {
        lines.push(`history: appended to ${historyFile}`);
    }
    return lines.join("\n");
}
