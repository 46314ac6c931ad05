/**
 * IAM, bucket and KMS key policy documents for a replicated bucket, built as typed objects.
 *
 * Every function here is pure: give it plain strings (tests) or Pulumi inputs (components, through
 * `pulumi.jsonStringify`) and it returns the same document shape. Action lists follow the S3 replication
 * permission model (docs/policy.md); each one is here because replication, batch replication or FSx needs it.
 */
import * as pulumi from "@pulumi/pulumi";

type Value = pulumi.Input<string>;
type OneOrMany = Value | Value[];

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { AWS?: OneOrMany; Service?: OneOrMany };
    Action: string | string[];
    /** Absent only in trust policies, where IAM rejects it. */
    Resource?: OneOrMany;
    Condition?: Record<string, Record<string, OneOrMany>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

function document(statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

function objectsOf(bucketArn: Value): pulumi.Input<string> {
    return pulumi.interpolate`${bucketArn}/*`;
}

/** Actions a source role needs on the destination's objects (and the destination grants to it). */
export const replicaWriteActions = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"];

/**
 * Bucket-level actions the destination grants the source role: S3 checks that the destination is versioned.
 * The AWS example also grants `s3:PutBucketVersioning` and `s3:List*`; replication needs neither, and the first
 * would let a compromised peer suspend versioning here, the second list every key and version of this bucket.
 */
export const replicaBucketActions = ["s3:GetBucketVersioning"];

/**
 * What writing a replica needs on the destination's key. With S3 Bucket Keys the writer also needs `kms:Decrypt`:
 * S3 decrypts the bucket key to check its integrity before using it (S3 guide, "Replicating encrypted objects",
 * section "S3 Bucket Keys and replication"). Without it every SSE-KMS replica fails.
 */
export const replicaKeyActions = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"];

// ---------------------------------------------------------------------------------------------------------------
// Trust policies

/**
 * S3 may assume the replication role only on behalf of this account's bucket (confused-deputy protection).
 */
export function replicationTrustPolicy(accountId: Value, sourceBucketArn: Value): PolicyDocument {
    return document([
        {
            Sid: "S3AssumesForReplication",
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": accountId },
                ArnLike: { "aws:SourceArn": sourceBucketArn },
            },
        },
    ]);
}

/** ARN pattern of every S3 Batch Operations job of an account in a region: `arn:aws:s3:<region>:<account>:job/*`. */
export function batchJobArnPattern(partition: Value, region: Value, accountId: Value): pulumi.Input<string> {
    return pulumi.interpolate`arn:${partition}:s3:${region}:${accountId}:job/*`;
}

/**
 * Batch Operations may assume the role only for this account's jobs in this bucket's region (where the CLI creates
 * them, infra/replication/syncExisting.ts): confused-deputy protection by source account and source ARN.
 */
export function batchReplicationTrustPolicy(args: { partition: Value; region: Value; accountId: Value }): PolicyDocument {
    return batchOperationsTrustPolicy("BatchOperationsAssumesForReplication", args);
}

/** The one trust both Batch Operations roles have: this account's jobs in this region, and no one else's. */
function batchOperationsTrustPolicy(sid: string, args: { partition: Value; region: Value; accountId: Value }): PolicyDocument {
    return document([
        {
            Sid: sid,
            Effect: "Allow",
            Principal: { Service: "batchoperations.s3.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": args.accountId },
                ArnLike: { "aws:SourceArn": batchJobArnPattern(args.partition, args.region, args.accountId) },
            },
        },
    ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Replication role

export interface ReplicationRolePolicyArgs {
    readonly sourceBucketArn: Value;
    readonly sourceRegion: Value;
    /** Customer-managed key of the source bucket; absent with SSE-S3. */
    readonly sourceKeyArn?: Value;
    /** Object Lock on the source adds the retention and legal-hold reads replication needs. */
    readonly objectLock: boolean;
    /** The peer, once replication to it is configured; absent before the handshake completes. */
    readonly destination?: {
        readonly bucketArn: Value;
        readonly region: Value;
        readonly keyArn?: Value;
        /**
         * The account that must own the destination bucket (the pinned `lustre-dr:peerAccountId`). A bucket ARN
         * names no account, so without this condition a forged bucket ARN could point replicas at anyone's bucket.
         */
        readonly accountId: Value;
        /** The destination belongs to another account: replicas change owner, which needs its own permission. */
        readonly crossAccount: boolean;
    };
}

/** The policy S3 acts with when replicating this bucket: exactly this bucket, the peer bucket and their keys. */
export function replicationRolePolicy(args: ReplicationRolePolicyArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "ReadSourceConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: args.sourceBucketArn,
        },
        {
            Sid: "ReadSourceObjectVersions",
            Effect: "Allow",
            Action: [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                ...(args.objectLock ? ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] : []),
            ],
            Resource: objectsOf(args.sourceBucketArn),
        },
    ];
    if (args.sourceKeyArn) {
        statements.push({
            Sid: "DecryptSourceObjects",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: args.sourceKeyArn,
            Condition: s3KeyUseCondition(args.sourceRegion, args.sourceBucketArn),
        });
    }
    const destination = args.destination;
    if (destination) {
        statements.push({
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: [...replicaWriteActions, ...(destination.crossAccount ? ["s3:ObjectOwnerOverrideToBucketOwner"] : [])],
            Resource: objectsOf(destination.bucketArn),
            Condition: { StringEquals: { "s3:ResourceAccount": destination.accountId } },
        });
        // The destination's bucket policy grants this too (LetPeerCheckVersioning); across accounts a grant only
        // takes effect when the caller's own policy allows the call as well.
        statements.push({
            Sid: "CheckDestinationVersioning",
            Effect: "Allow",
            Action: "s3:GetBucketVersioning",
            Resource: destination.bucketArn,
        });
        if (destination.keyArn) {
            statements.push({
                Sid: "EncryptReplicas",
                Effect: "Allow",
                Action: replicaKeyActions,
                Resource: destination.keyArn,
                Condition: s3KeyUseCondition(destination.region, destination.bucketArn),
            });
        }
    }
    return document(statements);
}

/**
 * A key may be used only by S3 in its region, for this bucket. With bucket keys the encryption context is the
 * bucket ARN; objects written before bucket keys were enabled carry their own ARN, hence both patterns.
 */
function s3KeyUseCondition(region: Value, bucketArn: Value): Record<string, Record<string, OneOrMany>> {
    return {
        StringEquals: { "kms:ViaService": pulumi.interpolate`s3.${region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, objectsOf(bucketArn)] },
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Batch replication role (existing objects: sync-existing and failback)

export const batchReportPrefix = ".lustre-dr/batch-reports/";

export interface BatchReplicationRolePolicyArgs {
    readonly sourceBucketArn: Value;
    readonly sourceRegion: Value;
    readonly sourceKeyArn?: Value;
}

/**
 * S3 Batch Replication with a generated manifest that is not saved (`EnableManifestOutput: false`,
 * infra/replication/batchReplication.ts): start replication of source objects, generate the manifest from the
 * bucket's replication configuration, and write the completion report under `.lustre-dr/batch-reports/` of the same
 * bucket. No manifest object is ever read, so the role reads no object.
 */
export function batchReplicationRolePolicy(args: BatchReplicationRolePolicyArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "InitiateReplication",
            Effect: "Allow",
            Action: "s3:InitiateReplication",
            Resource: objectsOf(args.sourceBucketArn),
        },
        {
            Sid: "GenerateManifest",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
            Resource: args.sourceBucketArn,
        },
        {
            Sid: "WriteReport",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${args.sourceBucketArn}/${batchReportPrefix}*`,
        },
    ];
    if (args.sourceKeyArn) {
        // The report is written with the bucket's default encryption (bucket key: Decrypt as for replicas).
        statements.push({
            Sid: "EncryptReport",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: args.sourceKeyArn,
            Condition: s3KeyUseCondition(args.sourceRegion, args.sourceBucketArn),
        });
    }
    return document(statements);
}

// ---------------------------------------------------------------------------------------------------------------
// Restore batch role (point-in-time restore on S3 Batch Operations: `lustre-dr restore --engine batch`)

/** Where a batch restore keeps its state, manifests and completion reports (infra/restore/batch/manifest.ts). */
export const restoreRunPrefix = ".lustre-dr/restore/";

export interface RestoreBatchTrustArgs {
    readonly partition: Value;
    readonly accountId: Value;
    readonly region: Value;
}

/**
 * S3 Batch Operations may assume the restore role only for jobs of this account in this region (confused-deputy
 * protection: `aws:SourceAccount` and `aws:SourceArn` of the job).
 */
export function restoreBatchTrustPolicy(args: RestoreBatchTrustArgs): PolicyDocument {
    return batchOperationsTrustPolicy("BatchOperationsAssumesForRestore", args);
}

export interface RestoreBatchRolePolicyArgs {
    readonly bucketArn: Value;
    readonly region: Value;
    /** The bucket's customer-managed key; absent with SSE-S3. */
    readonly keyArn?: Value;
}

/**
 * What an `S3PutObjectCopy` job of a restore needs, and nothing more: read the run's manifest, read the listed
 * versions with their tags and ACL, write the copies (and their tags) over the same keys of the same bucket, and
 * the completion report, which lands under the run's reserved prefix of the same bucket. No delete of any kind, no
 * bucket configuration, no other bucket; the key only through S3 in the bucket's region.
 */
export function restoreBatchRolePolicy(args: RestoreBatchRolePolicyArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "ReadRestoreManifest",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: pulumi.interpolate`${args.bucketArn}/${restoreRunPrefix}*`,
        },
        {
            Sid: "ReadVersionsToRestore",
            Effect: "Allow",
            Action: ["s3:GetObjectVersion", "s3:GetObjectVersionTagging", "s3:GetObjectVersionAcl"],
            Resource: objectsOf(args.bucketArn),
        },
        {
            // The copies over their own keys, and the completion report under the run's prefix.
            Sid: "CopyInPlaceAndWriteReport",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:PutObjectTagging"],
            Resource: objectsOf(args.bucketArn),
        },
    ];
    if (args.keyArn) {
        statements.push({
            Sid: "UseBucketKeyThroughS3",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: args.keyArn,
            Condition: s3KeyUseCondition(args.region, args.bucketArn),
        });
    }
    return document(statements);
}

// ---------------------------------------------------------------------------------------------------------------
// Bucket policy

export interface BucketPolicyArgs {
    readonly bucketArn: Value;
    /** The peer's replication role, once this side accepts replicas from it. */
    readonly peerReplicationRoleArn?: Value;
}

export function bucketPolicy(args: BucketPolicyArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [args.bucketArn, objectsOf(args.bucketArn)],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ];
    if (args.peerReplicationRoleArn) {
        statements.push(
            {
                Sid: "AcceptReplicasFromPeer",
                Effect: "Allow",
                Principal: { AWS: args.peerReplicationRoleArn },
                Action: [...replicaWriteActions, "s3:ObjectOwnerOverrideToBucketOwner"],
                Resource: objectsOf(args.bucketArn),
            },
            {
                Sid: "LetPeerCheckVersioning",
                Effect: "Allow",
                Principal: { AWS: args.peerReplicationRoleArn },
                Action: replicaBucketActions,
                Resource: args.bucketArn,
            },
        );
    }
    return document(statements);
}

// ---------------------------------------------------------------------------------------------------------------
// KMS key policy

/** Service-linked role FSx creates per file system to reach its linked bucket. */
export function fsxS3AccessRolePattern(partition: Value, accountId: Value): pulumi.Input<string> {
    return pulumi.interpolate`arn:${partition}:iam::${accountId}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_*`;
}

export interface KeyPolicyArgs {
    readonly partition: Value;
    readonly accountId: Value;
    readonly region: Value;
    readonly bucketArn: Value;
    readonly peerReplicationRoleArn?: Value;
}

export function keyPolicy(args: KeyPolicyArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            // Without this statement IAM policies in the account cannot grant use of the key at all.
            Sid: "AccountAdministersKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: pulumi.interpolate`arn:${args.partition}:iam::${args.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
        },
        {
            Sid: "FsxReadsAndWritesLinkedBucket",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            Resource: "*",
            Condition: {
                StringEquals: {
                    "aws:PrincipalAccount": args.accountId,
                    "kms:ViaService": pulumi.interpolate`s3.${args.region}.amazonaws.com`,
                },
                ArnLike: { "aws:PrincipalArn": fsxS3AccessRolePattern(args.partition, args.accountId) },
                // Only for this bucket: a file system linked to another bucket of the account gets nothing here. The
                // shape of the FSx guide's statement ("Working with server-side encrypted Amazon S3 buckets").
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [args.bucketArn, objectsOf(args.bucketArn)] },
            },
        },
    ];
    if (args.peerReplicationRoleArn) {
        statements.push({
            Sid: "PeerEncryptsReplicas",
            Effect: "Allow",
            Principal: { AWS: args.peerReplicationRoleArn },
            Action: replicaKeyActions,
            Resource: "*",
            Condition: s3KeyUseCondition(args.region, args.bucketArn),
        });
    }
    return document(statements);
}
