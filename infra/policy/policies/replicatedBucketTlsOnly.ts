import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asList, attachedTo, bucketName, describe, replicatedBuckets, Statement, statementsOf, types } from "../stackModel";
import { uniqueBuckets } from "./replicatedBucketVersioning";

function isEveryone(principal: unknown): boolean {
    if (principal === "*") {
        return true;
    }
    const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
    return asList(aws as string | string[] | undefined).includes("*");
}

function deniesInsecureTransport(value: unknown): boolean {
    return asList(value as unknown[] | unknown).some((entry) => entry === false || entry === "false");
}

/** `arn:<any partition>:s3:::name` and `.../*`: the partition does not matter for this check. */
function covers(resources: string[], bucket: string, suffix: string): boolean {
    return resources.some((resource) => new RegExp(`^arn:[^:]+:s3:::${escape(bucket)}${escape(suffix)}$`).test(resource));
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `statement` denies every S3 action without TLS on the bucket and on all its objects. */
export function isTlsOnlyStatement(statement: Statement, bucket: string): boolean {
    const actions = asList(statement.Action);
    const resources = asList(statement.Resource);
    return (
        statement.Effect === "Deny" &&
        isEveryone(statement.Principal) &&
        (actions.includes("s3:*") || actions.includes("*")) &&
        deniesInsecureTransport(statement.Condition?.Bool?.["aws:SecureTransport"]) &&
        covers(resources, bucket, "") &&
        covers(resources, bucket, "/*")
    );
}

function hasTlsOnlyStatement(policy: PolicyResource, bucket: string): boolean {
    return (statementsOf(policy.props.policy) ?? []).some((statement) => isTlsOnlyStatement(statement, bucket));
}

/** Replication traffic and every client request to the DR copy travel over TLS; plain HTTP is refused by policy. */
export const replicatedBucketTlsOnly: StackValidationPolicy = {
    name: "replicated-bucket-tls-only",
    description:
        "Every bucket with a replication configuration has a bucket policy denying s3:* to everyone when aws:SecureTransport is false.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        for (const { bucket } of uniqueBuckets(replicatedBuckets(args.resources))) {
            const name = bucketName(bucket) ?? bucket.name;
            const policies = attachedTo(bucket, args.resources, types.bucketPolicy);
            if (!policies.some((policy) => hasTlsOnlyStatement(policy, name))) {
                reportViolation(
                    `bucket ${describe(bucket)} replicates without a TLS-only bucket policy: add an aws.s3.BucketPolicy statement ` +
                        `{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::${name}", "arn:aws:s3:::${name}/*"], ` +
                        `Condition: {Bool: {"aws:SecureTransport": "false"}}}.`,
                    (policies[0] ?? bucket).urn,
                );
            }
        }
    },
};
