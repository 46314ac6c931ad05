/**
 * The one-word answer to "is the DR pair protecting our data?", and the exit code scripts act on.
 */
import type { Finding, Severity } from "./model";

export type Verdict = "healthy" | "degraded" | "broken";

export interface Assessment {
    readonly verdict: Verdict;
    /** The findings behind the verdict, worst first, each prefixed with its side. */
    readonly reasons: readonly string[];
}

const rank: Record<Severity, number> = { ok: 0, note: 0, degraded: 1, broken: 2 };
const verdictOfRank: readonly Verdict[] = ["healthy", "degraded", "broken"];

/** healthy: nothing worse than a note; degraded: at least one degraded finding; broken: at least one broken. */
export function verdictOf(findings: readonly Finding[]): Assessment {
    const problems = findings.filter((f) => rank[f.severity] > 0).sort((a, b) => rank[b.severity] - rank[a.severity]);
    const worst = problems.length > 0 ? rank[problems[0].severity] : 0;
    return {
        verdict: verdictOfRank[worst],
        reasons: problems.map((f) => `${f.side}: ${f.message}`),
    };
}

/** 0 healthy, 1 degraded, 2 broken: a CI job or a cron can alert on anything but 0. */
export function exitCodeOf(verdict: Verdict): number {
    return verdictOfRank.indexOf(verdict);
}

/** The first line of the human report: the verdict, and the worst reason when there is one. */
export function headline(assessment: Assessment): string {
    const [first, ...rest] = assessment.reasons;
    if (!first) {
        return assessment.verdict;
    }
    return `${assessment.verdict}: ${first}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}`;
}
