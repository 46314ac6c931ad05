/** A valid drill result to start from in tests of anything that reads the drill history (status, runbook). */
import type { DrillResult } from "../../infra/drill/result";

export function sampleDrillResult(overrides: Partial<DrillResult> = {}): DrillResult {
    return {
        schema: 1,
        runId: "20261125t090000z-abcd",
        startedAt: "2026-11-25T09:00:00.000Z",
        finishedAt: "2026-11-25T09:01:00.000Z",
        objectiveSeconds: 900,
        primary: { bucket: "p", region: "us-east-1" },
        dr: { bucket: "d", region: "us-west-2" },
        legs: [],
        checks: [],
        interrupted: false,
        cleanup: { deleteMarkersWritten: 4, leftover: [] },
        failures: [],
        passed: true,
        ...overrides,
    };
}
