import type { StackValidationPolicy } from "@pulumi/policy";
import { attachedTo, describe, replicatedBuckets, types } from "../stackModel";
import { uniqueBuckets } from "./replicatedBucketVersioning";

/** Default encryption algorithms S3 accepts; `aws:kms` is what lustre-dr uses unless `bucket.encryption` is SSE_S3. */
export const defaultEncryptionAlgorithms = ["aws:kms", "aws:kms:dsse", "AES256"];

interface EncryptionRule {
    applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown };
}

/**
 * Default encryption is declared, not left to S3's implicit SSE-S3, so the key (and with SSE-KMS, who may use it)
 * is part of the program and replication's KMS settings match it.
 */
export const replicatedBucketEncryption: StackValidationPolicy = {
    name: "replicated-bucket-default-encryption",
    description:
        "Every bucket with a replication configuration has an aws.s3.BucketServerSideEncryptionConfiguration with a default algorithm.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        for (const { bucket } of uniqueBuckets(replicatedBuckets(args.resources))) {
            const configurations = attachedTo(bucket, args.resources, types.encryption);
            const encrypted = configurations.some((configuration) =>
                ((configuration.props.rules as EncryptionRule[] | undefined) ?? []).some((rule) =>
                    defaultEncryptionAlgorithms.includes(String(rule.applyServerSideEncryptionByDefault?.sseAlgorithm)),
                ),
            );
            if (!encrypted) {
                reportViolation(
                    `bucket ${describe(bucket)} replicates without declared default encryption: add an ` +
                        `aws.s3.BucketServerSideEncryptionConfiguration whose rule sets applyServerSideEncryptionByDefault.sseAlgorithm ` +
                        `to "aws:kms" (with its key, as lustre-dr's SSE_KMS does) or "AES256".`,
                    (configurations[0] ?? bucket).urn,
                );
            }
        }
    },
};
