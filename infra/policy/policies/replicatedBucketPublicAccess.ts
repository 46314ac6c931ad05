import type { StackValidationPolicy } from "@pulumi/policy";
import { attachedTo, describe, replicatedBuckets, types } from "../stackModel";
import { uniqueBuckets } from "./replicatedBucketVersioning";

/** The four switches of an S3 public access block; all four must be on. */
export const publicAccessSwitches = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** The DR copy of the file system's data is private: no ACL or bucket policy can ever make it public. */
export const replicatedBucketPublicAccess: StackValidationPolicy = {
    name: "replicated-bucket-public-access-blocked",
    description: "Every bucket with a replication configuration has an aws.s3.BucketPublicAccessBlock with all four switches on.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: (args, reportViolation) => {
        for (const { bucket } of uniqueBuckets(replicatedBuckets(args.resources))) {
            const blocks = attachedTo(bucket, args.resources, types.publicAccessBlock);
            if (blocks.length === 0) {
                reportViolation(
                    `bucket ${describe(bucket)} replicates but has no aws.s3.BucketPublicAccessBlock: declare one with ` +
                        `${publicAccessSwitches.join(", ")} all true.`,
                    bucket.urn,
                );
            }
            for (const block of blocks) {
                const off = publicAccessSwitches.filter((key) => block.props[key] !== true);
                if (off.length > 0) {
                    reportViolation(
                        `${block.name}: public access of bucket ${describe(bucket)} is not fully blocked; set ${off.join(", ")} to true.`,
                        block.urn,
                    );
                }
            }
        }
    },
};
