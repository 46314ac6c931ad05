/**
 * The stack outputs contract: what each side exports, and what its peer, the CLI and the
 * operators read back. Keep these names stable: they are read across stacks and accounts.
 */

/** Where a side's outbound replication stands in the handshake (README.md, "The replication handshake"). */
export type ReplicationStatus = "active" | "awaiting-peer-grant" | "no-peer" | "detached";

export const replicationStatuses: readonly ReplicationStatus[] = ["active", "awaiting-peer-grant", "no-peer", "detached"];

export interface SiteOutputs {
    accountId: string;
    region: string;
    /** `primary` or `dr`. */
    role: string;
    bucketName: string;
    bucketArn: string;
    /** Absent with SSE_S3. */
    kmsKeyArn?: string;
    /** Role S3 assumes to replicate this bucket to the peer. */
    replicationRoleArn: string;
    /** Role S3 Batch Operations assumes to replicate existing objects (sync-existing, failback). */
    batchReplicationRoleArn: string;
    /** Role S3 Batch Operations assumes for `lustre-dr restore --engine batch`; absent on stacks deployed before it. */
    restoreBatchRoleArn?: string;
    /** Role ARNs this bucket's policy accepts replicas from. */
    replicationGrantedTo: string[];
    replicationStatus: ReplicationStatus;
    /** The bucket has Object Lock: a peer with Object Lock replicates to this side only when it is true. */
    objectLockEnabled?: boolean;
    /** SNS topic the replication (and file system) alarms publish to; subscribe on-call tooling here. */
    alarmTopicArn?: string;
    /** Present only when Lustre is enabled on this side: the network the file system lives in. */
    vpcId?: string;
    subnetId?: string;
    /** The file system's security group (Lustre ports from clients and itself). */
    securityGroupId?: string;
    /** Each `instance` client's EC2 instance id, by client name: `drill --fs --primary-instance <id>`, SSM sessions. */
    clientInstanceIds?: Record<string, string>;
    /** Present only when Lustre is enabled on this side. */
    fileSystemId?: string;
    fileSystemDnsName?: string;
    fileSystemMountName?: string;
    /** The first repository's association (the only one with the short form). */
    dataRepositoryAssociationId?: string;
    /** Every association, in the order of `lustre.repositories`. */
    dataRepositoryAssociationIds?: string[];
    /** What each association links: its path and bucket prefix ("" or ending in "/"), same order. */
    dataRepositories?: { fileSystemPath: string; repositoryPrefix: string }[];
    mountCommand?: string;
}
