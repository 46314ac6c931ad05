/**
 * The lustre-dr policy pack: guardrails for the DR invariants (docs/policy.md).
 *
 *     pulumi up --policy-pack infra/policy
 *
 * Constructing the PolicyPack starts the analyzer's gRPC server, so this file only assembles the policies; tests
 * import ./policies instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { lustreDrPolicies } from "./policies";

new PolicyPack("lustre-dr", {
    description: "Disaster-recovery invariants of lustre-dr: replicated buckets, replication rules, Lustre links, protection.",
    provider: "aws",
    tags: ["aws", "s3", "fsx", "disaster-recovery"],
    policies: lustreDrPolicies,
});
