import type { StackValidationPolicy } from "@pulumi/policy";
import { attachedTo, describe, replicatedBuckets, types } from "../stackModel";

/**
 * S3 refuses to replicate from or to an unversioned bucket, and versions are what point-in-time restore rolls
 * back to. Versioning must be Enabled, never Suspended, and declared with its own resource so drift is visible.
 */
export const replicatedBucketVersioning: StackValidationPolicy = {
    name: "replicated-bucket-versioning-enabled",
    description: "Every bucket with a replication configuration has an aws.s3.BucketVersioning with status Enabled.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: (args, reportViolation) => {
        for (const { bucket } of uniqueBuckets(replicatedBuckets(args.resources))) {
            const versionings = attachedTo(bucket, args.resources, types.versioning);
            if (versionings.length === 0) {
                reportViolation(
                    `bucket ${describe(bucket)} replicates but has no aws.s3.BucketVersioning: declare one with ` +
                        `versioningConfiguration.status "Enabled" (S3 rejects replication without it).`,
                    bucket.urn,
                );
            }
            for (const versioning of versionings) {
                const status = (versioning.props.versioningConfiguration as { status?: unknown } | undefined)?.status;
                if (status !== "Enabled") {
                    reportViolation(
                        `${versioning.name}: versioning of bucket ${describe(bucket)} is ${JSON.stringify(status ?? null)}; ` +
                            `set versioningConfiguration.status to "Enabled" (never "Suspended": replication and restore need every version).`,
                        versioning.urn,
                    );
                }
            }
        }
    },
};

/** A bucket with several replication configurations is checked once. */
export function uniqueBuckets<T extends { bucket: unknown }>(entries: T[]): T[] {
    const seen = new Set<unknown>();
    return entries.filter((entry) => (seen.has(entry.bucket) ? false : (seen.add(entry.bucket), true)));
}
