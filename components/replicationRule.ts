/**
 * The one replication rule a lustre-dr bucket uses towards its peer, as a pure function of plain-ish values.
 * Every field is set explicitly: S3 fills in defaults for missing id/priority/filter and the provider then
 * shows a perpetual diff (terraform-provider-aws #23803).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";

/** Rule id; CloudWatch replication metrics carry it as the `RuleId` dimension, so alarms and status use it too. */
export const replicationRuleId = "lustre-dr-to-peer";

/** RTC's only supported threshold; its metrics must use the same value. */
export const replicationTimeMinutes = 15;

export interface ReplicationRuleArgs {
    readonly destinationBucketArn: pulumi.Input<string>;
    /** Set when the destination is in another account: replicas then change owner to that account. */
    readonly destinationAccountId?: pulumi.Input<string>;
    /** Full ARN of the destination's key in its region (never an alias: S3 does not validate it). */
    readonly destinationKeyArn?: pulumi.Input<string>;
    /** The source bucket encrypts with SSE-KMS: those objects are only replicated when selected explicitly. */
    readonly sourceUsesKms: boolean;
    /** S3 Replication Time Control with its metrics, 15 minutes. */
    readonly replicationTimeControl: boolean;
}

export function replicationRule(args: ReplicationRuleArgs): aws.types.input.s3.BucketReplicationConfigRule {
    const destination: aws.types.input.s3.BucketReplicationConfigRuleDestination = {
        bucket: args.destinationBucketArn,
        storageClass: "STANDARD",
    };
    if (args.destinationAccountId !== undefined) {
        destination.account = args.destinationAccountId;
        destination.accessControlTranslation = { owner: "Destination" };
    }
    if (args.sourceUsesKms && args.destinationKeyArn !== undefined) {
        destination.encryptionConfiguration = { replicaKmsKeyId: args.destinationKeyArn };
    }
    // Metrics are always on: the replication alarms and `lustre-dr status` read them. RTC requires them with
    // the same 15-minute threshold.
    destination.metrics = { status: "Enabled" };
    if (args.replicationTimeControl) {
        destination.replicationTime = { status: "Enabled", time: { minutes: replicationTimeMinutes } };
        destination.metrics = { status: "Enabled", eventThreshold: { minutes: replicationTimeMinutes } };
    }
    return {
        id: replicationRuleId,
        priority: 1,
        status: "Enabled",
        filter: {},
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: {
            // Two-way rules need replica modifications so metadata changes made on replicas flow back.
            replicaModifications: { status: "Enabled" },
            ...(args.sourceUsesKms ? { sseKmsEncryptedObjects: { status: "Enabled" } } : {}),
        },
        destination,
    };
}
