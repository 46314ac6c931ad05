import { expect } from "chai";
import { drillSummaryLine, renderDrillReport } from "../../../infra/drill/report";
import { legResult } from "../../../infra/drill/result";
import { sampleDrillResult } from "../../support/drillResult";

describe("infra/drill/report", () => {
    const legs = [
        legResult({ kind: "s3-object", from: "primary", to: "dr" }, 2, [6112, 9731], 900, [250, 500]),
        legResult({ kind: "s3-object", from: "dr", to: "primary" }, 2, [], 900),
    ];

    it("renders one aligned row per leg with min/median/p95/max, then checks, failures and cleanup", () => {
        const result = sampleDrillResult({
            legs,
            checks: [{ name: "loop", status: "skipped", detail: "not conclusive" }],
            failures: ["s3-object dr->primary: 2 of 2 canaries did not arrive within the 900 s objective"],
            passed: false,
        });
        const text = renderDrillReport(result, "/p/.lustre-dr/drill-history.jsonl");
        const lines = text.split("\n");
        expect(lines[0]).to.equal("drill 20261125t090000z-abcd: FAILED (objective 900 s)");
        expect(lines).to.include("leg                    arrived  min      median   p95      max      within    result");
        expect(lines).to.include("s3-object primary->dr  2/2      6.112 s  7.922 s  9.731 s  9.731 s  ±0.500 s  pass");
        expect(lines).to.include("s3-object dr->primary  0/2      -        -        -        -        -         FAIL");
        expect(lines).to.include("  skipped loop: not conclusive");
        expect(lines).to.include("  - s3-object dr->primary: 2 of 2 canaries did not arrive within the 900 s objective");
        expect(lines).to.include("history: appended to /p/.lustre-dr/drill-history.jsonl");
    });

    it("warns about canaries left current after cleanup, with the command that finishes it", () => {
        const command = "lustre-dr drill --clean-up 20261125t090000z-abcd --primary-bucket p --primary-region us-east-1 --dr-bucket d --dr-region us-west-2";
        const text = renderDrillReport(sampleDrillResult({ cleanup: { deleteMarkersWritten: 3, leftover: ["dr:.lustre-dr/drill/x/a"], inFlight: [], command } }));
        expect(text.split("\n").slice(-4)).to.deep.equal([
            "cleanup: 3 delete markers on this run's canaries",
            "  WARNING, still current or not cleaned: dr:.lustre-dr/drill/x/a",
            "  once replication has caught up, run:",
            `    ${command}`,
        ]);
    });

    it("says that replicas still in flight will leave their keys current", () => {
        const inFlight = Array.from({ length: 7 }, (_, i) => `dr:.lustre-dr/drill/x/primary-to-dr/canary-000${i}`);
        const text = renderDrillReport(sampleDrillResult({ cleanup: { deleteMarkersWritten: 7, leftover: [], inFlight, command: "lustre-dr drill --clean-up x" } }));
        expect(text).to.include(`  WARNING, 7 canary replicas had not arrived when cleanup ran: ${inFlight.slice(0, 5).join(", ")} (+2 more)`);
        expect(text).to.include("a replica that lands later leaves its key current on that side");
        expect(text).to.include("    lustre-dr drill --clean-up x");
    });

    it("summarises a run in one line for status", () => {
        expect(drillSummaryLine(sampleDrillResult({ legs: [legs[0]] }))).to.equal(
            "passed: 1 legs, slowest s3-object primary->dr 9.731 s of 900 s objective",
        );
        expect(drillSummaryLine(sampleDrillResult({ passed: false, failures: ["a", "b", "c"] }))).to.equal("FAILED: a; b (+1 more)");
    });
});
