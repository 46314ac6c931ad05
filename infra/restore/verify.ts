/**
 * `restore --verify`: does the bucket (or a prefix) hold what it held at T? Read-only: the same listing and planner
 * as the restore, the same identity (identity.ts), and every difference of a differing key, not only the first.
 * `recover --restore-to` calls {@link verifyRestore} after its restore.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { sideClientConfig } from "../aws/clients";
import { forEachBounded } from "./apply";
import { describeDifference, IdentityDifference } from "./identity";
import { compareKeys, planRestore } from "./plan";
import { compareVersions, IdentityReads } from "./readIdentity";
import { checkVersioning, copySides, RestoreTarget, validateRestoreOptions } from "./restore";
import { SignalFanOut } from "./signals";
import { listVersions } from "./versions";

export interface VerifyOptions {
    /** The point in time to compare with; must be in the past. */
    readonly to: Date;
    /** Only keys under this prefix. @default "" (the whole bucket) */
    readonly prefix?: string;
    /** Keys compared at once (each costs up to two HEADs and two tag reads). @default 32 */
    readonly concurrency?: number;
    /** Differing keys kept in the result, the first in key order. @default 10 */
    readonly firstDifferences?: number;
    readonly signal?: AbortSignal;
    /** Called after each listed page and compared key. */
    readonly onProgress?: (progress: { readonly versionsListed: number; readonly keysChecked: number; readonly differing: number }) => void;
    /** @default one built from the target's region, profile, endpoint */
    readonly client?: S3Client;
    /** @default () => new Date() */
    readonly now?: () => Date;
    /** Entries per list request; smaller pages are for tests. @default 1000 */
    readonly pageSize?: number;
}

/** One key that is not as it was at T. */
export type KeyDifference =
    /** Existed at T, absent (deleted) now. */
    | { readonly key: string; readonly kind: "missing"; readonly versionAtT: string }
    /** Absent at T, exists now. */
    | { readonly key: string; readonly kind: "extra"; readonly currentVersion: string }
    /** Exists at T and now, but is not the same object. */
    | { readonly key: string; readonly kind: "changed"; readonly versionAtT: string; readonly currentVersion: string; readonly differences: readonly IdentityDifference[] }
    /**
     * Cannot be verified: S3 kept no record of its state at T (overwritten without versioning after T), or reading
     * the two versions failed (the reason says which).
     */
    | { readonly key: string; readonly kind: "unknown"; readonly reason: string };

export interface VerifyResult {
    readonly bucket: string;
    readonly region: string;
    readonly to: string;
    readonly prefix: string;
    /** `same`: every key is as it was at T. `differs`: some key is not, or cannot be shown to be. */
    readonly verdict: "same" | "differs";
    readonly versionsListed: number;
    readonly keysChecked: number;
    /** Keys as at T: the version from T is current, another version is the same object, or absent then and now. */
    readonly same: number;
    readonly differing: { readonly missing: number; readonly extra: number; readonly changed: number; readonly unknown: number };
    /** The first differing keys in key order, with every difference of each. */
    readonly first: readonly KeyDifference[];
    /** Reads spent on keys whose current version is not T's (HeadObject, GetObjectTagging). */
    readonly identityReads: IdentityReads;
}

/** Differing keys in total. */
export function differingCount(result: VerifyResult): number {
    const { missing, extra, changed, unknown } = result.differing;
    return missing + extra + changed + unknown;
}

/**
 * Compares `target`'s bucket (or `options.prefix`) with its state at `options.to`. Writes nothing. Refuses (throws
 * {@link RestoreRefusedError} or `UsageError`) what the restore refuses before listing: a future T, the drill's
 * prefix, a bucket without versioning Enabled. The reserved `.lustre-dr/` prefix is not compared.
 */
export async function verifyRestore(target: RestoreTarget, options: VerifyOptions): Promise<VerifyResult> {
    const now = (options.now ?? (() => new Date()))();
    validateRestoreOptions({ to: options.to, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}), ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}) }, now);
    const bucket = target.bucketName;
    const prefix = options.prefix ?? "";
    const client = options.client ?? new S3Client(sideClientConfig(target));
    const keep = options.firstDifferences ?? 10;
    await checkVersioning(client, bucket);

    const counts = { missing: 0, extra: 0, changed: 0, unknown: 0 };
    const progress = { versionsListed: 0, keysChecked: 0, differing: 0 };
    const identityReads: IdentityReads = { head: 0, tagging: 0 };
    let same = 0;
    const first: KeyDifference[] = [];
    const report = () => options.onProgress?.({ ...progress });
    // Keys finish out of order (some need reads): keep the first `keep` in key order, whatever the timing.
    const note = (difference: KeyDifference) => {
        counts[difference.kind]++;
        progress.differing++;
        first.push(difference);
        first.sort((a, b) => compareKeys(a.key, b.key));
        if (first.length > keep) first.pop();
    };

    const versions = listVersions(client, bucket, {
        prefix,
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onPage: (entries) => {
            progress.versionsListed += entries;
            report();
        },
    });
    const signals = new SignalFanOut(options.signal);
    try {
        await forEachBounded(planRestore(versions, { to: options.to }), options.concurrency ?? 32, (plan) =>
            signals.run(async (signal) => {
                if (plan.action === "none" && plan.reason === "reserved") {
                    return;
                }
                progress.keysChecked++;
                if (plan.action === "none") {
                    same++;
                } else if (plan.action === "unknown") {
                    note({ key: plan.key, kind: "unknown", reason: plan.reason });
                } else if (plan.action === "delete-marker") {
                    note({ key: plan.key, kind: "extra", currentVersion: plan.currentVersionId });
                } else {
                    const sides = copySides(plan);
                    if (!sides) {
                        note({ key: plan.key, kind: "missing", versionAtT: plan.versionId });
                    } else {
                        try {
                            const { differences } = await compareVersions(client, bucket, plan.key, sides.atT, sides.now, {
                                exhaustive: true,
                                reads: identityReads,
                                ...(target.encryption ? { identity: { expected: target.encryption } } : {}),
                                ...(signal ? { signal } : {}),
                            });
                            if (differences.length === 0) same++;
                            else note({ key: plan.key, kind: "changed", versionAtT: sides.atT.versionId, currentVersion: sides.now.versionId, differences });
                        } catch (error) {
                            if (options.signal?.aborted) throw error;
                            // A key that could not be read is not shown to be the same: it counts against the verdict.
                            note({ key: plan.key, kind: "unknown", reason: `could not be read: ${(error as Error).message}` });
                        }
                    }
                }
                report();
            }),
        );
    } finally {
        signals.dispose();
    }
    return {
        bucket,
        region: target.region,
        to: options.to.toISOString(),
        prefix,
        verdict: progress.differing === 0 ? "same" : "differs",
        versionsListed: progress.versionsListed,
        keysChecked: progress.keysChecked,
        same,
        differing: counts,
        first,
        identityReads,
    };
}

/** The human report: one verdict line, then the first differences. */
export function describeVerify(result: VerifyResult): string {
    const where = `s3://${result.bucket}/${result.prefix}`;
    const checked = `${result.keysChecked.toLocaleString("en-US")} keys checked`;
    if (result.verdict === "same") {
        return `SAME as at ${result.to}: ${where} (${checked}, ${result.versionsListed.toLocaleString("en-US")} versions listed)`;
    }
    const { missing, extra, changed, unknown } = result.differing;
    const parts = [
        missing ? `${missing} missing` : "",
        extra ? `${extra} created after T` : "",
        changed ? `${changed} changed` : "",
        unknown ? `${unknown} unverifiable` : "",
    ].filter(Boolean);
    const lines = [`DIFFERS from ${result.to}: ${where}: ${differingCount(result).toLocaleString("en-US")} of ${checked} differ (${parts.join(", ")})`];
    for (const difference of result.first) {
        const key = JSON.stringify(difference.key);
        if (difference.kind === "missing") lines.push(`  ${key}: deleted now (existed at T)`);
        else if (difference.kind === "extra") lines.push(`  ${key}: exists now, did not exist at T`);
        else if (difference.kind === "unknown") lines.push(`  ${key}: cannot be verified: ${difference.reason}`);
        else lines.push(`  ${key}: ${difference.differences.map(describeDifference).join("; ")}`);
    }
    if (differingCount(result) > result.first.length) {
        lines.push(`  ... and ${(differingCount(result) - result.first.length).toLocaleString("en-US")} more (lustre-dr restore --dry-run lists them all in its plan file)`);
    }
    return lines.join("\n");
}
