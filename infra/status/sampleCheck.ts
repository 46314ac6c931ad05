/**
 * From a `--sample` result to status findings and report lines: plain functions, no I/O.
 *
 * Drift is `degraded` (exit 1), not `broken`: it says some past writes did not converge, while `broken` is reserved
 * for "data written now may not reach the other side" (the rule, the policy, a side that does not answer), which the
 * other checks judge. Exit 1 is also what `lustre-dr compare` returns for the same keys. A key still replicating
 * (PENDING) is in flight, not drift: it is counted and shown, and changes nothing. A key that could not be read, or a
 * sample that could not be taken, is `degraded` as any facet status may not read.
 */
import { differingCount } from "../compare/compare";
import { describeDivergence } from "../compare/report";
import type { Fact, Finding } from "./model";
import type { SampleResult } from "./sample";

const number = (value: number) => value.toLocaleString("en-US");

function finding(severity: Finding["severity"], message: string): Finding[] {
    return [{ side: "pair", area: "sample", severity, message }];
}

/** What was compared: `200 keys`, `200 keys under projects/`, `12 keys (all there are, fewer than --sample 200)`. */
function compared(result: SampleResult): string {
    const under = result.prefix ? ` under ${result.prefix}` : "";
    const all = result.exhaustive ? ` (all there are, fewer than --sample ${result.requested})` : "";
    return `${number(result.keysCompared)} keys${under}${all}`;
}

export function assessSample(sample: Fact<SampleResult> | undefined): Finding[] {
    if (sample === undefined) {
        return [];
    }
    if (!sample.ok) {
        return finding("degraded", `sample not taken: ${sample.error}`);
    }
    const result = sample.value;
    if (result.keysCompared === 0) {
        return finding("note", `no keys${result.prefix ? ` under ${result.prefix}` : ""} on either side to compare`);
    }
    const pending = result.pending > 0 ? `; ${number(result.pending)} still replicating (in flight, not drift)` : "";
    const differing = differingCount(result);
    if (differing === 0) {
        return finding("ok", `${compared(result)}, 0 differ${pending}`);
    }
    const { onlyPrimary, onlyDr, changed, unknown } = result.differing;
    const parts = [
        changed > 0 ? `${number(changed)} changed` : "",
        onlyPrimary > 0 ? `${number(onlyPrimary)} only on the primary` : "",
        onlyDr > 0 ? `${number(onlyDr)} only on the dr side` : "",
        unknown > 0 ? `${number(unknown)} could not be compared` : "",
    ].filter((part) => part !== "");
    return finding("degraded", `${compared(result)}, ${number(differing)} differ (${parts.join(", ")})${pending}: run lustre-dr compare for the whole bucket`);
}

/** The lines under the sample finding in the human report: the first differing keys and how, the pending ones. */
export function sampleDetailLines(result: SampleResult): string[] {
    const lines = result.first.map((divergence) => describeDivergence(divergence));
    const differing = differingCount(result);
    if (differing > result.first.length) {
        lines.push(`... and ${number(differing - result.first.length)} more (--json lists the first ${result.first.length})`);
    }
    if (result.pendingKeys.length > 0) {
        lines.push(`still replicating: ${result.pendingKeys.map((key) => JSON.stringify(key)).join(", ")}${result.pending > result.pendingKeys.length ? ", ..." : ""}`);
    }
    return lines;
}
