/**
 * The human report of `compare`: the verdict on the first line (IDENTICAL, IN FLIGHT or DIFFERS), the counts as a
 * small table, then the first differing keys with how they differ, primary value first.
 */
import { describeEncryption, ExpectedEncryption } from "../restore/encryption";
import type { IdentityDifference } from "../restore/identity";
import { CompareResult, differingCount, KeyDivergence } from "./compare";

const number = (value: number) => value.toLocaleString("en-US");
const show = (value: string | undefined) => (value === undefined ? "none" : JSON.stringify(value));

/** One difference of a changed key: `x-amz-meta-file-permissions: primary "0100644", dr "0100777"`. */
export function describeSideDifference(difference: IdentityDifference): string {
    return `${difference.name}: primary ${show(difference.atT)}, dr ${show(difference.now)}`;
}

/** One line per differing key. */
export function describeDivergence(divergence: KeyDivergence): string {
    const key = JSON.stringify(divergence.key);
    const status = "replicationStatus" in divergence && divergence.replicationStatus !== undefined ? ` (replication ${divergence.replicationStatus})` : "";
    switch (divergence.kind) {
        case "only-primary":
            return `${key}: only on the primary (version ${divergence.versionId})${status}`;
        case "only-dr":
            return `${key}: only on the dr side (version ${divergence.versionId})${status}`;
        case "unknown":
            return `${key}: cannot be compared: ${divergence.reason}`;
        case "changed":
            return `${key}: ${divergence.differences.map(describeSideDifference).join("; ")}${status}`;
    }
}

/** Which encryption each side was held to, or that it was not checked (a side named by flags has no stack to say). */
export function describeEncryptionCheck(result: Pick<CompareResult, "expectedEncryption" | "sameVersionEncryption">): string {
    const { primary, dr } = result.expectedEncryption;
    if (!primary && !dr) {
        return "encryption: not checked (both buckets named by flags: no stack outputs say which key each side uses)";
    }
    const held = (side: "primary" | "dr", expected: ExpectedEncryption | undefined) =>
        expected ? `${side} versions held to ${describeEncryption(expected)}` : `${side} not checked (named by flags)`;
    return (
        `encryption: ${held("primary", primary)}; ${held("dr", dr)}` +
        (result.sameVersionEncryption ? "" : " (versions the same on both sides not HEAD-read for it: --encryption)")
    );
}

/** Replication Time Control's bound: 99.99% of objects replicate within 15 minutes. */
const stuckAfterMilliseconds = 15 * 60 * 1000;

export function describeCompare(result: CompareResult, now: Date = new Date()): string {
    const where = (side: CompareResult["primary"]) => `s3://${side.bucket}/${result.prefix} (${side.region})`;
    const differing = differingCount(result);
    const headline =
        result.verdict === "identical"
            ? `IDENTICAL: ${number(result.keysCompared)} keys are the same object on both sides`
            : result.verdict === "in-flight"
              ? `IN FLIGHT: nothing differs but ${number(result.pending)} keys still replicating (ReplicationStatus PENDING); run compare again once they have arrived`
              : `DIFFERS: ${number(differing)} of ${number(result.keysCompared)} keys differ` +
                (result.pending > 0 ? `, and ${number(result.pending)} more are still replicating` : "");
    const rows: Array<[string, number]> = [
        ["same on both sides", result.same],
        ["still replicating (PENDING)", result.pending],
        ["only on the primary", result.differing.onlyPrimary],
        ["only on the dr side", result.differing.onlyDr],
        ["on both, different", result.differing.changed],
        ["could not be compared", result.differing.unknown],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    const lines = [
        headline,
        `  primary ${where(result.primary)}`,
        `  dr      ${where(result.dr)}`,
        ...rows.map(([label, count]) => `  ${label.padEnd(width)}  ${number(count).padStart(12)}`),
        `  requests: ${number(result.requests.list)} list, ${number(result.requests.head)} HEAD, ${number(result.requests.tagging)} tag reads` +
            (result.sameVersionTags ? "" : " (tags of keys with the same version on both sides not read: --tags)"),
        `  ${describeEncryptionCheck(result)}`,
    ];
    if (result.first.length > 0) {
        lines.push("first differing keys:");
        lines.push(...result.first.map((divergence) => `  ${describeDivergence(divergence)}`));
        if (differing > result.first.length) {
            lines.push(`  ... and ${number(differing - result.first.length)} more (--json lists the first ones with every difference; --prefix narrows)`);
        }
    }
    if (result.pendingKeys.length > 0) {
        const since = result.oldestPendingSince !== undefined ? ` (the oldest written ${result.oldestPendingSince})` : "";
        lines.push(`still replicating${since}: ${result.pendingKeys.map((key) => JSON.stringify(key)).join(", ")}${result.pending > result.pendingKeys.length ? ", ..." : ""}`);
        if (result.oldestPendingSince !== undefined && now.getTime() - Date.parse(result.oldestPendingSince) > stuckAfterMilliseconds) {
            lines.push(
                "  WARNING: the oldest has been PENDING for over 15 minutes, longer than S3 Replication Time Control allows 99.99% of " +
                    "objects: likely stuck, not slow; check the replication rule and the ReplicationLatency/OperationsFailedReplication metrics",
            );
        }
    }
    return lines.join("\n");
}
