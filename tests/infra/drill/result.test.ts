import { expect } from "chai";
import { CheckResult, failuresOf, legResult, percentile, summarise } from "../../../infra/drill/result";

describe("infra/drill/result", () => {
    describe("percentile (nearest rank)", () => {
        it("picks a sample, never interpolates", () => {
            const values = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
            expect(percentile(values, 95)).to.equal(19);
            expect(percentile(values, 100)).to.equal(20);
            expect(percentile(values, 50)).to.equal(10);
            expect(percentile([7], 95)).to.equal(7);
        });
        it("refuses no samples", () => {
            expect(() => percentile([], 50)).to.throw(/no samples/);
        });
    });

    describe("summarise", () => {
        it("reports min, median, p95 and max in seconds from milliseconds in any order", () => {
            expect(summarise([900, 300, 500, 700])).to.deep.equal({
                count: 4,
                minSeconds: 0.3,
                medianSeconds: 0.6,
                p95Seconds: 0.9,
                maxSeconds: 0.9,
            });
            expect(summarise([1234.4])).to.deep.equal({ count: 1, minSeconds: 1.234, medianSeconds: 1.234, p95Seconds: 1.234, maxSeconds: 1.234 });
        });
        it("keeps the widest uncertainty of the samples", () => {
            expect(summarise([900, 300], [120, 480.4])?.uncertaintySeconds).to.equal(0.48);
            expect(summarise([900, 300])).to.not.have.property("uncertaintySeconds");
        });
        it("has nothing to say about no samples", () => {
            expect(summarise([])).to.equal(undefined);
        });
    });

    describe("legResult", () => {
        const leg = { kind: "s3-object", from: "primary", to: "dr" } as const;
        it("passes when every canary arrived within the objective", () => {
            const result = legResult(leg, 3, [400, 500, 600], 1);
            expect(result).to.include({ name: "s3-object primary->dr", expected: 3, missed: 0, passed: true });
        });
        it("fails when a canary is missing or the slowest is over the objective", () => {
            expect(legResult(leg, 3, [400, 500], 1)).to.include({ missed: 1, passed: false });
            expect(legResult(leg, 2, [400, 1001], 1).passed).to.equal(false);
            expect(legResult(leg, 0, [], 1).passed).to.equal(false);
        });
    });

    describe("failuresOf", () => {
        const ok = legResult({ kind: "s3-object", from: "primary", to: "dr" }, 1, [100], 10);
        const missed = legResult({ kind: "s3-object", from: "dr", to: "primary" }, 2, [], 10);
        const slow = legResult({ kind: "s3-delete-marker", from: "primary", to: "dr" }, 1, [12_000], 10);
        const checks: CheckResult[] = [
            { name: "loop", status: "failed", detail: "versions still growing" },
            { name: "replication-status primary->dr", status: "skipped", detail: "not reported by this endpoint" },
            { name: "content primary->dr", status: "passed", detail: "1 of 1 match" },
        ];
        it("names each failing leg with its direction and each failed check; skipped checks do not fail", () => {
            expect(failuresOf([ok, missed, slow], checks, 10, false)).to.deep.equal([
                "s3-object dr->primary: 2 of 2 canaries did not arrive within the 10 s objective",
                "s3-delete-marker primary->dr: slowest canary took 12 s, over the 10 s objective",
                "loop: versions still growing",
            ]);
        });
        it("passes a clean run and fails an interrupted one", () => {
            expect(failuresOf([ok], checks.slice(1), 10, false)).to.deep.equal([]);
            expect(failuresOf([ok], [], 10, true)).to.deep.equal(["interrupted before every leg and check ran"]);
        });
    });
});
