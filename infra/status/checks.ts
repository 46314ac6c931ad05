/**
 * From facts to findings: plain functions, no I/O. Each facet of each side yields at least one finding, so the
 * human report is the list of findings and nothing is judged twice.
 */
import type { DataRepositoryAssociation, EventType } from "@aws-sdk/client-fsx";
import { replicationRuleId } from "../../components/replicationRule";
import type { ReplicationStatus, SiteOutputs } from "../../stacks/outputs";
import type { SideRole } from "../aws/sides";
import { drillSummaryLine } from "../drill/report";
import type { DrillResult } from "../drill/result";
import { describeEncryption, encryptionOf, ExpectedEncryption, expectedEncryption, isExpected } from "../restore/encryption";
import type { Fact, Finding, PairFacts, Severity, SideFacts, StatusThresholds } from "./model";
import { assessSample } from "./sampleCheck";
import {
    coveredActions,
    historyDestroyingActions,
    missingActions,
    peerBucketActions,
    peerObjectActions,
    PolicySummary,
    summarisePolicy,
} from "./policyCheck";
import {
    compareRule,
    describeDifference,
    findRule,
    hasReplicationTimeControl,
    ReplicationExpectation,
    UnknownFact,
} from "./replicationCheck";

const otherRole: Record<SideRole, SideRole> = { primary: "dr", dr: "primary" };

/** Where this side's outbound replication should stand: the stack says so, or (explicit buckets) it replicates. */
export function replicationMode(side: SideFacts): ReplicationStatus {
    return side.location?.outputs?.replicationStatus ?? "active";
}

function partitionOf(side: SideFacts): string {
    return side.location?.outputs?.bucketArn.split(":")[1] ?? "aws";
}

export function bucketArnOf(side: SideFacts, partition: string): string | undefined {
    if (!side.location) {
        return undefined;
    }
    return side.location.outputs?.bucketArn ?? `arn:${partition}:s3:::${side.location.bucketName}`;
}

function value<T>(fact: Fact<T> | undefined): T | undefined {
    return fact?.ok ? fact.value : undefined;
}

function usesKms(algorithm: string | undefined): boolean {
    return algorithm?.startsWith("aws:kms") ?? false;
}

/** The peer's replication role: from its outputs, or from the rule it has deployed. */
export function peerReplicationRole(peer: SideFacts): string | undefined {
    return peer.location?.outputs?.replicationRoleArn ?? value(peer.replication)?.Role;
}

/** What `side`'s replication rule must say, learnt from both sides' outputs and, failing those, their buckets. */
export function replicationExpectation(side: SideFacts, peer: SideFacts): ReplicationExpectation {
    const unknown = new Set<UnknownFact>();
    const destinationBucketArn = bucketArnOf(peer, partitionOf(side));
    if (!destinationBucketArn) {
        unknown.add("destination-bucket");
    }

    const ownAccount = side.location?.outputs?.accountId;
    const peerAccount = peer.location?.outputs?.accountId;
    if (!ownAccount || !peerAccount) {
        unknown.add("destination-account");
    }

    const ownEncryption = side.encryption?.ok ? side.encryption.value : undefined;
    let sourceUsesKms = false;
    if (side.encryption?.ok) {
        sourceUsesKms = usesKms(ownEncryption?.algorithm);
    } else if (side.location?.outputs) {
        sourceUsesKms = side.location.outputs.kmsKeyArn !== undefined;
    } else {
        unknown.add("source-encryption");
    }

    let destinationKeyArn: string | undefined;
    const peerOutputs = peer.location?.outputs;
    const peerEncryption = peer.encryption?.ok ? peer.encryption.value : undefined;
    if (peerOutputs) {
        destinationKeyArn = peerOutputs.kmsKeyArn;
    } else if (peer.encryption?.ok && !usesKms(peerEncryption?.algorithm)) {
        destinationKeyArn = undefined;
    } else if (peerEncryption?.kmsKeyId?.startsWith("arn:")) {
        destinationKeyArn = peerEncryption.kmsKeyId;
    } else {
        unknown.add("replica-key");
    }

    return {
        destinationBucketArn,
        destinationAccountId: ownAccount && peerAccount && ownAccount !== peerAccount ? peerAccount : undefined,
        destinationKeyArn,
        sourceUsesKms,
        roleArn: side.location?.outputs?.replicationRoleArn,
        unknown,
    };
}

type Emit = (area: Finding["area"], severity: Severity, message: string) => void;

function checkVersioning(side: SideFacts, emit: Emit): void {
    const fact = side.versioning;
    if (!fact) {
        return;
    }
    if (!fact.ok) {
        emit("versioning", "broken", `cannot read bucket versioning: ${fact.error}`);
    } else if (fact.value === "Enabled") {
        emit("versioning", "ok", "Enabled");
    } else {
        const state = fact.value ?? "never enabled";
        emit("versioning", "broken", `versioning is ${state}: replication stops and point-in-time restore loses history`);
    }
}

/** The stack's expected encryption, or why its `kmsKeyArn` output is refused. */
function expectedEncryptionOrProblem(outputs: SiteOutputs): ExpectedEncryption | string {
    try {
        return expectedEncryption(outputs) as ExpectedEncryption;
    } catch (error) {
        return (error as Error).message;
    }
}

function checkEncryption(side: SideFacts, emit: Emit): void {
    const fact = side.encryption;
    if (!fact) {
        return;
    }
    // New writes (FSx exports, replicas) get the default: one pointed at a key that is not the stack's (an attacker's,
    // which they can disable) locks every new object. Held to the stack's own key when its outputs are known.
    const expected = side.location?.outputs ? expectedEncryptionOrProblem(side.location.outputs) : undefined;
    // No configuration at all is S3's base level for every bucket: SSE-S3.
    const actual = fact.ok ? (fact.value ? encryptionOf({ ServerSideEncryption: fact.value.algorithm, SSEKMSKeyId: fact.value.kmsKeyId }) : { algorithm: "AES256" }) : undefined;
    if (typeof expected === "string") {
        emit("encryption", "broken", expected);
    } else if (actual && expected && !isExpected(actual, expected)) {
        emit(
            "encryption",
            "broken",
            `default encryption is ${describeEncryption(actual)}, not the stack's ${describeEncryption(expected)}: new objects (FSx exports, replicas) are written under it; \`lustre-dr deploy\` sets it back`,
        );
    } else if (!fact.ok) {
        emit("encryption", "note", `cannot read default encryption: ${fact.error}`);
    } else if (usesKms(fact.value?.algorithm)) {
        emit("encryption", "ok", `SSE-KMS with ${fact.value?.kmsKeyId ?? "the AWS managed key"}`);
    } else {
        emit("encryption", "ok", fact.value?.algorithm === "AES256" ? "SSE-S3" : "S3 default (SSE-S3)");
    }
}

function checkReplication(side: SideFacts, peer: SideFacts, emit: Emit): void {
    const fact = side.replication;
    if (!fact) {
        return;
    }
    if (!fact.ok) {
        emit("replication", "degraded", `cannot read the replication configuration: ${fact.error}`);
        return;
    }
    const mode = replicationMode(side);
    const rules = fact.value?.Rules ?? [];
    const rule = findRule(rules);
    const peerName = peer.location?.bucketName ?? `the ${peer.role} bucket`;
    const others = rules.filter((r) => r !== rule).map((r) => r.ID ?? "(no id)");
    if (others.length > 0) {
        emit("replication", "note", `rules lustre-dr does not manage: ${others.join(", ")}`);
    }

    if (mode === "detached" || mode === "no-peer" || mode === "awaiting-peer-grant") {
        if (rule?.Status === "Enabled") {
            emit("replication", "degraded", `rule ${replicationRuleId} is still enabled although the stack reports ${mode}`);
        } else {
            emit("replication", "ok", `no outbound replication (${mode})`);
        }
        return;
    }

    if (!rule) {
        emit("replication", "broken", `no replication rule ${replicationRuleId}: writes to this bucket do not reach ${peerName}`);
        return;
    }
    const expectation = replicationExpectation(side, peer);
    const differences = compareRule(rule, expectation);
    if (expectation.roleArn && fact.value?.Role !== expectation.roleArn) {
        emit("replication", "broken", `replicates with role ${fact.value?.Role ?? "(none)"} (expected ${expectation.roleArn})`);
    }
    for (const difference of differences) {
        emit("replication", difference.severity, `rule ${replicationRuleId}: ${describeDifference(difference)}`);
    }
    if (!hasReplicationTimeControl(rule)) {
        emit("replication", "note", "Replication Time Control is off: no 15-minute replication target");
    }
    if (differences.length === 0) {
        const rtc = hasReplicationTimeControl(rule) ? ", RTC 15 min" : "";
        const unchecked = expectation.unknown.size > 0 ? ` (not compared without stack outputs: ${[...expectation.unknown].join(", ")})` : "";
        emit(
            "replication",
            "ok",
            `${replicationRuleId} -> ${rule.Destination?.Bucket ?? peerName}: Enabled${rtc}, delete markers, replica modifications${unchecked}`,
        );
    }
}

function checkPolicy(side: SideFacts, peer: SideFacts, emit: Emit): void {
    const fact = side.policy;
    const bucketArn = bucketArnOf(side, partitionOf(side));
    if (!fact || !bucketArn) {
        return;
    }
    if (!fact.ok) {
        emit("bucket-policy", "degraded", `cannot read the bucket policy: ${fact.error}`);
        return;
    }
    let summary: PolicySummary;
    try {
        summary = summarisePolicy(fact.value, bucketArn);
    } catch (error) {
        emit("bucket-policy", "degraded", `the bucket policy is not valid JSON: ${(error as Error).message}`);
        return;
    }
    let problems = 0;
    if (!summary.requiresTls) {
        problems++;
        emit("bucket-policy", "degraded", "no statement denies requests without TLS (aws:SecureTransport false)");
    }

    const mode = replicationMode(side);
    const peerRole = peerReplicationRole(peer);
    const outputs = side.location?.outputs;
    const expectedGrantees = outputs ? outputs.replicationGrantedTo : mode === "active" && peerRole ? [peerRole] : undefined;
    if (expectedGrantees === undefined) {
        emit("bucket-policy", "note", `cannot check the grant to the ${peer.role} replication role: its ARN is unknown without stack outputs`);
    }
    for (const grantee of expectedGrantees ?? []) {
        const grant = summary.grants.get(grantee) ?? { bucket: [], objects: [] };
        const missingObject = missingActions(grant.objects, peerObjectActions);
        const missingBucket = missingActions(grant.bucket, peerBucketActions);
        if (missingObject.length + missingBucket.length > 0) {
            problems++;
            const severity: Severity = missingObject.includes("s3:ReplicateObject") ? "broken" : "degraded";
            emit(
                "bucket-policy",
                severity,
                `does not grant ${grantee} ${[...missingObject, ...missingBucket].join(", ")}: replication from ${peer.role} into this bucket fails`,
            );
        }
    }
    for (const [grantee, grant] of summary.grants) {
        if (expectedGrantees?.includes(grantee)) {
            // expected; dangerous actions are still checked below
        } else if (grantee === peerRole && mode === "detached") {
            problems++;
            emit("bucket-policy", "degraded", `still accepts replicas from ${grantee} although this side is detached`);
        } else {
            emit("bucket-policy", "note", `also grants ${grantee}: ${[...new Set([...grant.bucket, ...grant.objects])].join(", ")}`);
        }
        const dangerous = coveredActions([...grant.bucket, ...grant.objects], historyDestroyingActions);
        if (dangerous.length > 0) {
            problems++;
            emit("bucket-policy", "degraded", `grants ${grantee} ${dangerous.join(", ")}: it could erase this bucket's history`);
        }
    }
    if (problems === 0) {
        const accepts = expectedGrantees?.length ? `accepts replicas from ${expectedGrantees.join(", ")}` : "accepts replicas from no one";
        emit("bucket-policy", "ok", `TLS required; ${accepts}`);
    }
}

const fullSync: readonly EventType[] = ["NEW", "CHANGED", "DELETED"];

function describeAssociation(association: DataRepositoryAssociation): string {
    return `${association.AssociationId ?? "(no id)"} ${association.FileSystemPath ?? "?"} <-> ${association.DataRepositoryPath ?? "?"}`;
}

function checkDataRepositories(side: SideFacts, emit: Emit): void {
    const fact = side.dataRepositories;
    if (!fact || !side.location) {
        return;
    }
    if (!fact.ok) {
        emit("data-repository", "degraded", `cannot describe data repository associations: ${fact.error}`);
        return;
    }
    const fileSystemId = side.location.outputs?.fileSystemId;
    if (fact.value.length === 0) {
        if (fileSystemId) {
            emit("data-repository", "broken", `no data repository association links ${fileSystemId} to s3://${side.location.bucketName}`);
        } else {
            emit("data-repository", "ok", "no file system linked to this bucket (pilot light)");
        }
        return;
    }
    const bucketPrefix = `s3://${side.location.bucketName}`;
    for (const association of fact.value) {
        const name = describeAssociation(association);
        const path = association.DataRepositoryPath ?? "";
        if (path !== bucketPrefix && !path.startsWith(`${bucketPrefix}/`)) {
            emit("data-repository", "broken", `${name}: links another bucket than ${bucketPrefix}`);
        }
        const lifecycle = association.Lifecycle ?? "UNKNOWN";
        const failure = association.FailureDetails?.Message;
        switch (lifecycle) {
            case "AVAILABLE":
                break;
            case "CREATING":
            case "UPDATING":
                emit("data-repository", "degraded", `${name}: ${lifecycle}, not importing or exporting yet`);
                break;
            default:
                emit(
                    "data-repository",
                    "broken",
                    `${name}: ${lifecycle}${failure ? `: ${failure}` : ""}; files written on the file system do not reach the bucket`,
                );
        }
        const missingImport = fullSync.filter((event) => !(association.S3?.AutoImportPolicy?.Events ?? []).includes(event));
        const missingExport = fullSync.filter((event) => !(association.S3?.AutoExportPolicy?.Events ?? []).includes(event));
        if (missingImport.length > 0) {
            emit("data-repository", "degraded", `${name}: auto-import misses ${missingImport.join(", ")} (replicated changes not seen)`);
        }
        if (missingExport.length > 0) {
            emit("data-repository", "degraded", `${name}: auto-export misses ${missingExport.join(", ")} (changes stay on the file system)`);
        }
        if (lifecycle === "AVAILABLE" && missingImport.length + missingExport.length === 0) {
            emit("data-repository", "ok", `${name}: AVAILABLE, auto-import and auto-export NEW, CHANGED, DELETED`);
        }
    }
}

function checkFileSystem(side: SideFacts, emit: Emit): void {
    const fact = side.fileSystem;
    const fileSystemId = side.location?.outputs?.fileSystemId;
    if (!fact || !fileSystemId) {
        return;
    }
    if (!fact.ok) {
        emit("file-system", "degraded", `cannot describe ${fileSystemId}: ${fact.error}`);
        return;
    }
    const lifecycle = fact.value?.Lifecycle;
    if (!fact.value) {
        emit("file-system", "broken", `${fileSystemId} does not exist`);
    } else if (lifecycle === "AVAILABLE") {
        emit("file-system", "ok", `${fileSystemId} AVAILABLE`);
    } else if (lifecycle === "CREATING" || lifecycle === "UPDATING") {
        emit("file-system", "degraded", `${fileSystemId} ${lifecycle}`);
    } else {
        const failure = fact.value.FailureDetails?.Message;
        emit("file-system", "broken", `${fileSystemId} ${lifecycle ?? "in an unknown state"}${failure ? `: ${failure}` : ""}`);
    }
}

function checkMetrics(side: SideFacts, thresholds: StatusThresholds, emit: Emit): void {
    const fact = side.metrics;
    // S3 publishes replication metrics only for a rule that exists; a detached side has none to judge.
    if (!fact || replicationMode(side) !== "active") {
        return;
    }
    if (!fact.ok) {
        emit("metrics", "note", `cannot read replication metrics: ${fact.error}`);
        return;
    }
    const m = fact.value;
    if (m.datapoints === 0) {
        emit("metrics", "note", "no replication metrics in the last 24 h (no writes, or S3 has not published them yet)");
        return;
    }
    let problems = 0;
    if (m.latencyMaxSeconds !== undefined && m.latencyMaxSeconds > thresholds.replicationLatencySeconds) {
        problems++;
        emit(
            "metrics",
            "degraded",
            `replication latency reached ${m.latencyMaxSeconds} s in the last 24 h (threshold ${thresholds.replicationLatencySeconds} s)`,
        );
    }
    if (m.failedTotal !== undefined && m.failedTotal > 0) {
        problems++;
        emit("metrics", "degraded", `${m.failedTotal} replication operations failed in the last 24 h`);
    }
    if (problems === 0) {
        const latency = m.latencyMaxSeconds === undefined ? "n/a" : `${m.latencyMaxSeconds} s`;
        emit(
            "metrics",
            "ok",
            `last 24 h: latency max ${latency}, pending operations ${m.pendingLatest ?? 0} now (max ${m.pendingMax ?? 0}), failed ${m.failedTotal ?? 0}`,
        );
    }
}

function checkSideState(side: SideFacts, peer: SideFacts, emit: Emit): void {
    const mode = replicationMode(side);
    if (mode === "detached") {
        emit("side", "degraded", `detached from ${peer.role} (recovery): no replication to or from it`);
    } else if (mode === "awaiting-peer-grant" || mode === "no-peer") {
        emit("side", "degraded", `replication handshake incomplete (${mode}): run lustre-dr deploy`);
    } else if (peer.location?.outputs?.replicationStatus === "detached") {
        // The peer stopped accepting replicas: everything written here now fails to replicate until failback.
        emit("side", "degraded", `replicates to ${peer.role}, which is detached and refuses replicas: run lustre-dr failback when ready`);
    }
}

export function assessSide(side: SideFacts, peer: SideFacts, thresholds: StatusThresholds): Finding[] {
    const findings: Finding[] = [];
    const emit: Emit = (area, severity, message) => findings.push({ side: side.role, area, severity, message });
    if (side.skipped) {
        return findings;
    }
    if (side.unreachable !== undefined) {
        emit("side", "broken", `unreachable: ${side.unreachable}`);
        return findings;
    }
    checkSideState(side, peer, emit);
    checkVersioning(side, emit);
    checkEncryption(side, emit);
    checkReplication(side, peer, emit);
    checkPolicy(side, peer, emit);
    checkDataRepositories(side, emit);
    checkFileSystem(side, emit);
    checkMetrics(side, thresholds, emit);
    return findings;
}

/**
 * The last drill must have passed, recently, on this pair's buckets (a history file can outlive a pair, or be
 * copied from another checkout).
 */
export function assessDrill(
    lastDrill: Fact<DrillResult | undefined> | undefined,
    buckets: Partial<Record<SideRole, string>>,
    now: Date,
    thresholds: StatusThresholds,
): Finding[] {
    const finding = (severity: Severity, message: string): Finding[] => [{ side: "pair", area: "drill", severity, message }];
    if (lastDrill === undefined) {
        return finding("note", "drill history not read");
    }
    if (!lastDrill.ok) {
        return finding("degraded", `cannot read the drill history: ${lastDrill.error}`);
    }
    const drill = lastDrill.value;
    if (!drill) {
        return finding("degraded", "no drill on record: run lustre-dr drill");
    }
    const otherPair = (["primary", "dr"] as const).some((role) => buckets[role] !== undefined && drill[role].bucket !== buckets[role]);
    if (otherPair) {
        return finding(
            "degraded",
            `the last drill on record was of s3://${drill.primary.bucket} and s3://${drill.dr.bucket}, not this pair: run lustre-dr drill`,
        );
    }
    const ageDays = (now.getTime() - Date.parse(drill.finishedAt)) / 86_400_000;
    const when = `${drill.finishedAt} (${ageDays < 2 ? `${Math.round(ageDays * 24)} h` : `${Math.floor(ageDays)} days`} ago)`;
    const summary = `last drill ${when}: ${drillSummaryLine(drill)}`;
    if (!drill.passed) {
        return finding("degraded", summary);
    }
    if (!(ageDays <= thresholds.drillMaxAgeDays)) {
        return finding("degraded", `${summary}; older than ${thresholds.drillMaxAgeDays} days: run lustre-dr drill`);
    }
    return finding("ok", summary);
}

/** All findings for the pair, side by side (primary first), then the drill. */
export function assessPair(pair: PairFacts, thresholds: StatusThresholds): Finding[] {
    const byRole = new Map(pair.sides.map((side) => [side.role, side]));
    const findings: Finding[] = [];
    for (const side of pair.sides) {
        const peer = byRole.get(otherRole[side.role]) ?? { role: otherRole[side.role], skipped: true };
        findings.push(...assessSide(side, peer, thresholds));
    }
    const buckets = Object.fromEntries(pair.sides.flatMap((side) => (side.location ? [[side.role, side.location.bucketName]] : [])));
    findings.push(...assessDrill(pair.lastDrill, buckets, pair.now, thresholds));
    findings.push(...assessSample(pair.sample));
    return findings;
}
