/**
 * One side of the DR pair. The primary and the dr stack run the same composition; the role only changes
 * defaults (Lustre on for primary, off for a pilot-light dr side).
 */
import * as pulumi from "@pulumi/pulumi";
import { ReplicatedBucket } from "../components/replicatedBucket";
import { ReplicationAlarms } from "../components/replicationAlarms";
import type { SiteConfig } from "./config";
import type { HandshakeDecision } from "./handshake";
import type { SiteOutputs } from "./outputs";

/** Facts about the deploying account, resolved before any resource is declared. */
export interface DeploymentIdentity {
    readonly accountId: string;
    readonly partition: string;
    readonly project: string;
    readonly stack: string;
}

/** Deterministic role names: the peer must know this side's replication role ARN before it exists. */
export function roleNames(identity: Pick<DeploymentIdentity, "project" | "stack">): { replication: string; batchReplication: string } {
    const base = `${identity.project}-${identity.stack}`;
    return { replication: `${base}-replication`, batchReplication: `${base}-batch-replication` };
}

export function roleArn(identity: Pick<DeploymentIdentity, "partition" | "accountId">, roleName: string): string {
    return `arn:${identity.partition}:iam::${identity.accountId}:role/${roleName}`;
}

/** Tags on every taggable resource, so both sides of a pair can be found in the console and in cost reports. */
export function siteTags(config: SiteConfig, identity: DeploymentIdentity): Record<string, string> {
    return { "lustre-dr:stack": identity.stack, "lustre-dr:role": config.role };
}

/** `arn:aws:s3:::name` -> `name` (S3 bucket ARNs carry no region or account). */
export function bucketNameFromArn(arn: string): string {
    return arn.slice(arn.lastIndexOf(":") + 1);
}

export type SiteStackOutputs = { [K in keyof SiteOutputs]: pulumi.Input<SiteOutputs[K]> };

export function buildSite(config: SiteConfig, identity: DeploymentIdentity, handshake: HandshakeDecision): SiteStackOutputs {
    const tags = siteTags(config, identity);
    const names = roleNames(identity);

    const storage = new ReplicatedBucket("data", {
        accountId: identity.accountId,
        partition: identity.partition,
        region: config.region,
        bucketName: config.bucket.name,
        encryption: config.bucket.encryption,
        noncurrentVersionRetentionDays: config.bucket.noncurrentVersionRetentionDays,
        objectLock: config.bucket.objectLock,
        forceDestroy: config.bucket.forceDestroy,
        replicationRoleName: names.replication,
        batchReplicationRoleName: names.batchReplication,
        acceptReplicasFrom: handshake.acceptReplicasFrom,
        replicateTo: handshake.replicateTo,
        replicationTimeControl: config.bucket.replicationTimeControl,
        tags,
    });

    const replicateTo = handshake.replicateTo;
    new ReplicationAlarms("alarms", {
        replication: replicateTo && {
            sourceBucketName: storage.bucketName,
            destinationBucketName: bucketNameFromArn(replicateTo.bucketArn),
        },
        latencyThresholdSeconds: config.alarms.replicationLatencySeconds,
        email: config.alarms.email,
        tags,
    });

    return {
        accountId: identity.accountId,
        region: config.region,
        role: config.role,
        bucketName: storage.bucketName,
        bucketArn: storage.bucketArn,
        ...(storage.kmsKey ? { kmsKeyArn: storage.kmsKey.arn } : {}),
        replicationRoleArn: storage.replicationRole.arn,
        batchReplicationRoleArn: storage.batchReplicationRole.arn,
        replicationGrantedTo: handshake.acceptReplicasFrom ? [handshake.acceptReplicasFrom] : [],
        replicationStatus: handshake.status,
    };
}
