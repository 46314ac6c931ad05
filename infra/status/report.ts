/**
 * The status report as people read it (verdict first, then one line per finding, grouped by side) and as
 * machines read it (`--json`).
 */
import type { Finding, PairFacts, Severity, SideFacts } from "./model";
import type { SampleResult } from "./sample";
import { sampleDetailLines } from "./sampleCheck";
import { Assessment, headline } from "./verdict";

export interface StatusReport {
    readonly verdict: Assessment["verdict"];
    readonly reasons: readonly string[];
    readonly checkedAt: string;
    readonly findings: readonly Finding[];
    readonly sides: readonly SideFacts[];
    /** Only with `--sample`: the keys compared across the sides, or why no sample was taken. */
    readonly sample?: SampleResult | { readonly error: string };
}

export function statusReport(pair: PairFacts, findings: readonly Finding[], assessment: Assessment): StatusReport {
    return {
        verdict: assessment.verdict,
        reasons: assessment.reasons,
        checkedAt: pair.now.toISOString(),
        findings,
        sides: pair.sides,
        ...(pair.sample ? { sample: pair.sample.ok ? pair.sample.value : { error: pair.sample.error } } : {}),
    };
}

const label: Record<Severity, string> = { ok: "ok", note: "note", degraded: "DEGRADED", broken: "BROKEN" };

function line(finding: Finding): string {
    return `  ${finding.area.padEnd(16)}${label[finding.severity].padEnd(10)}${finding.message}`;
}

function sideHeading(side: SideFacts): string {
    const where = side.location ? `s3://${side.location.bucketName} (${side.location.region})` : "(not located)";
    if (side.skipped) {
        return `${side.role.padEnd(9)}${where}: not checked`;
    }
    return `${side.role.padEnd(9)}${where}`;
}

export function renderHuman(report: StatusReport, assessment: Assessment): string {
    const lines = [headline(assessment)];
    for (const side of report.sides) {
        lines.push("", sideHeading(side));
        lines.push(...report.findings.filter((f) => f.side === side.role).map(line));
    }
    const pairFindings = report.findings.filter((f) => f.side === "pair");
    if (pairFindings.length > 0) {
        lines.push("", "pair");
        for (const finding of pairFindings) {
            lines.push(line(finding));
            if (finding.area === "sample" && report.sample && "keysCompared" in report.sample) {
                lines.push(...sampleDetailLines(report.sample).map((detail) => `${" ".repeat(28)}${detail}`));
            }
        }
    }
    return lines.join("\n");
}
