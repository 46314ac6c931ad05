import { expect } from "chai";
import type { Finding } from "../../../infra/status/model";
import { exitCodeOf, headline, verdictOf } from "../../../infra/status/verdict";

const ok: Finding = { side: "primary", area: "versioning", severity: "ok", message: "Enabled" };
const note: Finding = { side: "dr", area: "metrics", severity: "note", message: "no replication metrics in the last 24 h" };
const slow: Finding = { side: "primary", area: "metrics", severity: "degraded", message: "replication latency reached 1200 s" };
const noRule: Finding = { side: "dr", area: "replication", severity: "broken", message: "no replication rule lustre-dr-to-peer" };

describe("infra/status/verdict", () => {
    it("is healthy when nothing is worse than a note, with no reasons", () => {
        expect(verdictOf([ok, note])).to.deep.equal({ verdict: "healthy", reasons: [] });
        expect(verdictOf([])).to.deep.equal({ verdict: "healthy", reasons: [] });
    });

    it("is degraded by one degraded finding and names it with its side", () => {
        expect(verdictOf([ok, slow, note])).to.deep.equal({
            verdict: "degraded",
            reasons: ["primary: replication latency reached 1200 s"],
        });
    });

    it("is broken by one broken finding, listing the broken reasons before the degraded ones", () => {
        const assessment = verdictOf([slow, ok, noRule]);
        expect(assessment.verdict).to.equal("broken");
        expect(assessment.reasons).to.deep.equal(["dr: no replication rule lustre-dr-to-peer", "primary: replication latency reached 1200 s"]);
    });

    it("maps healthy, degraded, broken to exit codes 0, 1, 2", () => {
        expect(["healthy", "degraded", "broken"].map((v) => exitCodeOf(v as "healthy"))).to.deep.equal([0, 1, 2]);
    });

    it("puts the verdict and the worst reason on the first line", () => {
        expect(headline(verdictOf([ok]))).to.equal("healthy");
        expect(headline(verdictOf([slow]))).to.equal("degraded: primary: replication latency reached 1200 s");
        expect(headline(verdictOf([slow, noRule]))).to.equal("broken: dr: no replication rule lustre-dr-to-peer (and 1 more)");
    });
});
