import { expect } from "chai";
import { assessDrill, assessPair, assessSide } from "../../../infra/status/checks";
import { defaultThresholds, Finding, SideFacts } from "../../../infra/status/model";
import { verdictOf } from "../../../infra/status/verdict";
import type { DrillResult } from "../../../infra/drill/result";
import { deployedRule, drillResult, healthyFacts, outputs, primaryAssociation, primaryFileSystem } from "./fixtures";

const now = new Date("2026-11-25T09:00:00Z");

function problems(findings: Finding[]): string[] {
    return findings.filter((f) => f.severity === "degraded" || f.severity === "broken").map((f) => `${f.severity} ${f.area}: ${f.message}`);
}

async function assess(patch: { primary?: Partial<SideFacts>; dr?: Partial<SideFacts> }): Promise<Finding[]> {
    const primary = { ...(await healthyFacts("primary")), ...patch.primary };
    const dr = { ...(await healthyFacts("dr")), ...patch.dr };
    return [...assessSide(primary, dr, defaultThresholds), ...assessSide(dr, primary, defaultThresholds)];
}

describe("infra/status/checks", () => {
    it("finds nothing wrong with a converged pair, and says so per facet", async () => {
        const findings = await assess({});
        expect(problems(findings)).to.deep.equal([]);
        const primaryAreas = findings.filter((f) => f.side === "primary").map((f) => f.area);
        expect(primaryAreas).to.include.members(["versioning", "encryption", "replication", "bucket-policy", "data-repository", "file-system", "metrics"]);
        expect(findings.find((f) => f.side === "dr" && f.area === "data-repository")?.message).to.match(/pilot light/);
    });

    it("reports a default encryption that is not the stack's key as broken (new objects would be written under the attacker's key)", async () => {
        const attackerKey = "arn:aws:kms:us-east-1:999999999999:key/attacker";
        const findings = await assess({ primary: { encryption: { ok: true, value: { algorithm: "aws:kms", kmsKeyId: attackerKey } } } });
        expect(problems(findings)).to.deep.equal([
            `broken encryption: default encryption is SSE-KMS ${attackerKey}, not the stack's SSE-KMS ${outputs.primary.kmsKeyArn}: new objects (FSx exports, replicas) are written under it; \`lustre-dr deploy\` sets it back`,
        ]);
        expect(problems(await assess({ dr: { encryption: { ok: true, value: undefined } } }))[0]).to.match(/^broken encryption: default encryption is SSE-S3 \(AES256\), not the stack's SSE-KMS/);
    });

    it("reports a MISCONFIGURED association as broken, with AWS's failure details", async () => {
        const misconfigured = {
            ...primaryAssociation,
            Lifecycle: "MISCONFIGURED" as const,
            FailureDetails: { Message: "The S3 bucket has existing event notifications that overlap with FSx event types." },
        };
        const findings = await assess({ primary: { dataRepositories: { ok: true, value: [misconfigured] } } });
        expect(problems(findings)).to.deep.equal([
            "broken data-repository: dra-0123456789abcdef0 /s3 <-> s3://lustre-dr-primary-data/: MISCONFIGURED: The S3 bucket has existing " +
                "event notifications that overlap with FSx event types.; files written on the file system do not reach the bucket",
        ]);
    });

    it("reports a creating association and an auto-export without DELETED as degraded", async () => {
        const creating = { ...primaryAssociation, Lifecycle: "CREATING" as const, S3: { ...primaryAssociation.S3, AutoExportPolicy: { Events: ["NEW" as const, "CHANGED" as const] } } };
        const findings = await assess({ primary: { dataRepositories: { ok: true, value: [creating] } } });
        expect(problems(findings)).to.have.members([
            "degraded data-repository: dra-0123456789abcdef0 /s3 <-> s3://lustre-dr-primary-data/: CREATING, not importing or exporting yet",
            "degraded data-repository: dra-0123456789abcdef0 /s3 <-> s3://lustre-dr-primary-data/: auto-export misses DELETED (changes stay on the file system)",
        ]);
    });

    it("reports a file system named in the outputs but missing, or unavailable, as broken", async () => {
        expect(problems(await assess({ primary: { fileSystem: { ok: true, value: undefined }, dataRepositories: { ok: true, value: [] } } }))).to.have.members([
            "broken file-system: fs-0123456789abcdef0 does not exist",
            "broken data-repository: no data repository association links fs-0123456789abcdef0 to s3://lustre-dr-primary-data",
        ]);
        const unavailable = { ...primaryFileSystem, Lifecycle: "MISCONFIGURED_UNAVAILABLE" as const };
        expect(problems(await assess({ primary: { fileSystem: { ok: true, value: unavailable } } }))).to.deep.equal([
            "broken file-system: fs-0123456789abcdef0 MISCONFIGURED_UNAVAILABLE",
        ]);
    });

    it("reports a missing replication rule as broken and suspended versioning as broken", async () => {
        const findings = await assess({ dr: { replication: { ok: true, value: undefined }, versioning: { ok: true, value: "Suspended" } } });
        expect(problems(findings)).to.have.members([
            "broken versioning: versioning is Suspended: replication stops and point-in-time restore loses history",
            "broken replication: no replication rule lustre-dr-to-peer: writes to this bucket do not reach lustre-dr-primary-data",
        ]);
    });

    it("reports a rule replicating with another role than the stack's as broken", async () => {
        const replication = { Role: "arn:aws:iam::222222222222:role/someone-else", Rules: [deployedRule("dr")] };
        expect(problems(await assess({ dr: { replication: { ok: true, value: replication } } }))).to.deep.equal([
            `broken replication: replicates with role arn:aws:iam::222222222222:role/someone-else (expected ${outputs.dr.replicationRoleArn})`,
        ]);
    });

    it("checks the bucket policy: TLS deny, the peer's grant, and no grant that could erase history", async () => {
        const tlsOnly = JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [outputs.dr.bucketArn, `${outputs.dr.bucketArn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        expect(problems(await assess({ dr: { policy: { ok: true, value: tlsOnly } } }))).to.deep.equal([
            `broken bucket-policy: does not grant ${outputs.primary.replicationRoleArn} s3:ReplicateObject, s3:ReplicateDelete, s3:ReplicateTags, ` +
                "s3:ObjectOwnerOverrideToBucketOwner, s3:GetBucketVersioning: replication from primary into this bucket fails",
        ]);

        const generous = JSON.stringify({
            Statement: { Effect: "Allow", Principal: { AWS: outputs.primary.replicationRoleArn }, Action: "s3:*", Resource: [outputs.dr.bucketArn, `${outputs.dr.bucketArn}/*`] },
        });
        expect(problems(await assess({ dr: { policy: { ok: true, value: generous } } }))).to.deep.equal([
            "degraded bucket-policy: no statement denies requests without TLS (aws:SecureTransport false)",
            `degraded bucket-policy: grants ${outputs.primary.replicationRoleArn} s3:PutBucketVersioning, s3:DeleteObjectVersion, s3:PutBucketPolicy: it could erase this bucket's history`,
        ]);
    });

    it("takes a detached side as degraded, and a grant it still gives its peer as a further problem", async () => {
        const detachedOutputs = { ...outputs.dr, replicationStatus: "detached" as const, replicationGrantedTo: [] };
        const dr = { location: { role: "dr" as const, bucketName: outputs.dr.bucketName, region: outputs.dr.region, outputs: detachedOutputs }, replication: { ok: true as const, value: undefined } };
        const findings = await assess({ dr });
        expect(problems(findings.filter((f) => f.side === "dr"))).to.deep.equal([
            "degraded side: detached from primary (recovery): no replication to or from it",
            `degraded bucket-policy: still accepts replicas from ${outputs.primary.replicationRoleArn} although this side is detached`,
        ]);
        const drFindings = findings.filter((f) => f.side === "dr");
        expect(drFindings.find((f) => f.area === "replication")).to.include({ severity: "ok", message: "no outbound replication (detached)" });
        expect(drFindings.some((f) => f.area === "metrics"), "no metrics expected from a detached side").to.equal(false);
        // The primary, still attached, is told that its replication now goes nowhere.
        expect(problems(findings.filter((f) => f.side === "primary"))).to.deep.equal([
            "degraded side: replicates to dr, which is detached and refuses replicas: run lustre-dr failback when ready",
        ]);
    });

    it("degrades on replication latency above the threshold and on failed operations", async () => {
        const metrics = { ok: true as const, value: { latencyMaxSeconds: 1250, pendingLatest: 30, pendingMax: 800, failedTotal: 3, datapoints: 600 } };
        expect(problems(await assess({ primary: { metrics } }))).to.deep.equal([
            "degraded metrics: replication latency reached 1250 s in the last 24 h (threshold 900 s)",
            "degraded metrics: 3 replication operations failed in the last 24 h",
        ]);
    });

    it("reports an unreachable side as broken and nothing else about it; a skipped side not at all", async () => {
        const dr = await healthyFacts("dr");
        const unreachable = assessSide({ role: "primary", unreachable: "connect ECONNREFUSED 127.0.0.1:9" }, dr, defaultThresholds);
        expect(unreachable).to.deep.equal([{ side: "primary", area: "side", severity: "broken", message: "unreachable: connect ECONNREFUSED 127.0.0.1:9" }]);
        expect(assessSide({ role: "primary", skipped: true }, dr, defaultThresholds)).to.deep.equal([]);
    });

    it("without stack outputs, learns the expectations from the buckets themselves", async () => {
        const bare = async (role: "primary" | "dr"): Promise<SideFacts> => {
            const facts = await healthyFacts(role);
            return { ...facts, location: { role, bucketName: outputs[role].bucketName, region: outputs[role].region }, fileSystem: undefined, dataRepositories: { ok: true, value: [] } };
        };
        const [primary, dr] = [await bare("primary"), await bare("dr")];
        const findings = assessSide(primary, dr, defaultThresholds);
        expect(problems(findings)).to.deep.equal([]);
        expect(findings.find((f) => f.area === "replication")?.message).to.match(/not compared without stack outputs: destination-account/);
        // The grant is checked against the role the peer actually replicates with.
        const withoutGrant = { ...dr, policy: { ok: true as const, value: undefined } };
        expect(problems(assessSide(withoutGrant, primary, defaultThresholds))[1]).to.match(/^broken bucket-policy: does not grant arn:aws:iam::111111111111:role\/lustre-dr-primary-replication/);
    });

    describe("the last drill", () => {
        const buckets = { primary: outputs.primary.bucketName, dr: outputs.dr.bucketName };
        const fact = (value: DrillResult | undefined) => ({ ok: true as const, value });

        it("is fine when it passed within the last 8 days on this pair, naming its slowest leg", () => {
            expect(assessDrill(fact(drillResult("2026-11-24T03:00:00Z")), buckets, now, defaultThresholds)).to.deep.equal([
                {
                    side: "pair",
                    area: "drill",
                    severity: "ok",
                    message: "last drill 2026-11-24T03:00:00Z (30 h ago): passed: 2 legs, slowest s3-object primary->dr 14.2 s of 900 s objective",
                },
            ]);
        });

        it("degrades when it failed, is older than 8 days, was of other buckets, is missing or unreadable", () => {
            const otherPair = { ...drillResult("2026-11-24T03:00:00Z"), dr: { bucket: "old-dr-bucket", region: "us-west-2" } };
            const findings = [
                fact(drillResult("2026-11-24T03:00:00Z", false)),
                fact(drillResult("2026-11-10T03:00:00Z")),
                fact(otherPair),
                fact(undefined),
                { ok: false as const, error: "EACCES: permission denied" },
            ].map((drill) => assessDrill(drill, buckets, now, defaultThresholds)[0]);
            expect(findings.map((f) => f.severity)).to.deep.equal(["degraded", "degraded", "degraded", "degraded", "degraded"]);
            expect(findings.map((f) => f.message)).to.deep.equal([
                "last drill 2026-11-24T03:00:00Z (30 h ago): FAILED: s3-object dr->primary: 2 of 5 canaries missed the 900 s objective",
                "last drill 2026-11-10T03:00:00Z (15 days ago): passed: 2 legs, slowest s3-object primary->dr 14.2 s of 900 s objective; older than 8 days: run lustre-dr drill",
                "the last drill on record was of s3://lustre-dr-primary-data and s3://old-dr-bucket, not this pair: run lustre-dr drill",
                "no drill on record: run lustre-dr drill",
                "cannot read the drill history: EACCES: permission denied",
            ]);
        });

        it("is only a note when the history was not read", () => {
            expect(assessDrill(undefined, buckets, now, defaultThresholds)[0]).to.include({ severity: "note" });
        });
    });

    it("judges a whole pair: healthy pair plus a passed drill is healthy", async () => {
        const pair = { sides: [await healthyFacts("primary"), await healthyFacts("dr")], now, lastDrill: { ok: true as const, value: drillResult("2026-11-24T03:00:00Z") } };
        expect(verdictOf(assessPair(pair, defaultThresholds))).to.deep.equal({ verdict: "healthy", reasons: [] });
    });
});
