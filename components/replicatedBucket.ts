import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    batchReplicationRolePolicy,
    batchReplicationTrustPolicy,
    restoreBatchRolePolicy,
    restoreBatchTrustPolicy,
    bucketPolicy,
    keyPolicy,
    replicationRolePolicy,
    replicationTrustPolicy,
} from "./policyDocuments";
import { ConfigError } from "./problems";
import { replicationRule } from "./replicationRule";

// Enumerations are `as const` objects with a type of the same name, the form the component package's schema
// (index.ts, PulumiPlugin.yaml) turns into enums for other languages; TypeScript callers still pass the strings.

/** Default encryption of the bucket's objects. */
export const BucketEncryption = {
    /** A customer-managed KMS key the component creates, with rotation and the S3 bucket key on. */
    SSE_KMS: "SSE_KMS",
    /** Keys S3 manages. */
    SSE_S3: "SSE_S3",
} as const;
export type BucketEncryption = (typeof BucketEncryption)[keyof typeof BucketEncryption];

/** How strictly Object Lock retains object versions. */
export const ObjectLockMode = {
    /** Users with `s3:BypassGovernanceRetention` can still delete or shorten retention. */
    GOVERNANCE: "GOVERNANCE",
    /** Nobody, the account root user included, can delete a version before its retention ends. */
    COMPLIANCE: "COMPLIANCE",
} as const;
export type ObjectLockMode = (typeof ObjectLockMode)[keyof typeof ObjectLockMode];

/** Object Lock default retention for new object versions. */
export interface ObjectLockRetention {
    /** Governance or compliance mode. */
    readonly mode: ObjectLockMode;
    /** Days each new version is retained. */
    readonly days: number;
}

/** Where this bucket replicates to: the peer's bucket, read from its stack outputs. */
export interface ReplicationDestination {
    /**
     * ARN of the destination bucket.
     * @example "arn:aws:s3:::lustre-dr-dr-data"
     */
    readonly bucketArn: string;
    /** Account that owns the destination bucket. */
    readonly accountId: string;
    /** Region of the destination bucket; must differ from this bucket's. */
    readonly region: string;
    /** Full ARN of the destination bucket's key. Required when this bucket uses SSE-KMS. */
    readonly kmsKeyArn?: string;
}

export interface ReplicatedBucketArgs {
    /** Account this bucket lives in: the account id of the caller identity. */
    readonly accountId: string;
    /** AWS partition, e.g. `aws`. */
    readonly partition: string;
    /** Region of this bucket. */
    readonly region: string;
    /**
     * Physical bucket name. Must be globally unique.
     * @default a name derived from the resource name with a random suffix
     */
    readonly bucketName?: string;
    /**
     * Default encryption: a customer-managed KMS key (rotation on, bucket key on) or S3-managed keys.
     * @default "SSE_KMS"
     */
    readonly encryption?: BucketEncryption;
    /**
     * Days a noncurrent version is kept before it expires. This is how far back point-in-time restore can go.
     * @default 90
     */
    readonly noncurrentVersionRetentionDays?: number;
    /**
     * Object Lock with this default retention: every new version (replicas included) cannot be deleted or overwritten
     * for `days`. Can be switched on for an existing bucket, never off again. S3 replicates from an Object Lock
     * bucket only into an Object Lock bucket, so set it on both sides of a pair.
     * @example { mode: "GOVERNANCE", days: 30 }
     */
    readonly objectLock?: ObjectLockRetention;
    /**
     * Adopt the existing bucket of that bucket name (Pulumi's `import`) instead of creating one. Its versioning,
     * encryption, bucket policy, public access block, ownership controls and lifecycle are then set as this
     * component manages them (the policy and lifecycle are replaced, not merged); its event notifications are left
     * alone. An adopted bucket is released, not deleted, when the stack is destroyed.
     * @default false
     */
    readonly importExisting?: boolean;
    /**
     * Let `pulumi destroy` delete a bucket that still holds objects.
     * @default false
     */
    readonly forceDestroy?: boolean;
    /**
     * Name of the role S3 assumes to replicate this bucket. Deterministic, so that the peer can grant its ARN.
     * @example "lustre-dr-primary-replication"
     */
    readonly replicationRoleName: string;
    /**
     * Name of the role S3 Batch Operations assumes to replicate objects that existed before replication.
     * @example "lustre-dr-primary-batch-replication"
     */
    readonly batchReplicationRoleName: string;
    /**
     * Name of the role S3 Batch Operations assumes to restore this bucket to a point in time
     * (`lustre-dr restore --engine batch`): copies listed versions in place, nothing else. No role when absent.
     * @example "lustre-dr-dr-restore-batch"
     */
    readonly restoreBatchRoleName?: string;
    /** The peer's replication role ARN this bucket accepts replicas from (bucket and key policy grants). */
    readonly acceptReplicasFrom?: string;
    /** Replicate every object to this destination. Only set it once the destination grants this side's role. */
    readonly replicateTo?: ReplicationDestination;
    /**
     * S3 Replication Time Control (15 minutes) with replication metrics.
     * @default true
     */
    readonly replicationTimeControl?: boolean;
    /**
     * Protect the bucket and its key from `pulumi destroy` and from replacement, and keep (Pulumi's retain-on-delete) the
     * settings that protect their data (versioning, bucket policy, public access block, default encryption,
     * ownership controls, lifecycle, Object Lock) when the stack is destroyed without them.
     * @default true
     */
    readonly protect?: boolean;
    /** Tags for every taggable child resource. */
    readonly tags?: Record<string, string>;
}

/**
 * A versioned, encrypted, private S3 bucket that replicates to a peer bucket in another region (and possibly
 * another account), with the roles and policies both directions of a two-way replication need.
 */
export class ReplicatedBucket extends pulumi.ComponentResource {
    /** The versioned bucket. */
    public readonly bucket: aws.s3.Bucket;
    /** Physical name of the bucket. */
    public readonly bucketName: pulumi.Output<string>;
    /** ARN of the bucket. */
    public readonly bucketArn: pulumi.Output<string>;
    /** The bucket's customer-managed KMS key; absent with SSE-S3. */
    public readonly kmsKey?: aws.kms.Key;
    /** The role S3 assumes to replicate this bucket to its peer; the peer grants its ARN. */
    public readonly replicationRole: aws.iam.Role;
    /** The role S3 Batch Operations assumes to replicate objects that existed before replication was set up. */
    public readonly batchReplicationRole: aws.iam.Role;
    /** The role S3 Batch Operations assumes to restore this bucket to a point in time; present when its name is given. */
    public readonly restoreBatchRole?: aws.iam.Role;
    /** The bucket's versioning, always enabled. */
    public readonly versioning: aws.s3.BucketVersioning;
    /** The replication configuration; present only when the bucket replicates to a destination. */
    public readonly replicationConfig?: aws.s3.BucketReplicationConfig;

    constructor(name: string, args: ReplicatedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.importExisting && args.bucketName === undefined) {
            throw new ConfigError([{ key: "ReplicatedBucketArgs.bucketName", value: undefined, expected: "the name of the existing bucket to adopt (importExisting is true)" }]);
        }
        super("lustre-dr:storage:ReplicatedBucket", name, {}, opts);

        const encryption = args.encryption ?? "SSE_KMS";
        const protect = args.protect ?? true;
        const tags = args.tags ?? {};
        const child = { parent: this };
        // The settings that keep the data safe stay with the data: deleting BucketVersioning would suspend
        // versioning, deleting the policy would drop the TLS-only deny, and so on. Kept (`retainOnDelete`) whenever
        // the bucket is protected, so a destroy that keeps the bucket leaves it exactly as protected as it was; a
        // destroy that deletes the bucket takes these settings with it.
        const guard = { ...child, retainOnDelete: protect };

        this.bucket = new aws.s3.Bucket(
            `${name}-bucket`,
            {
                bucket: args.bucketName,
                forceDestroy: args.forceDestroy ?? false,
                // Object Lock is switched on by the BucketObjectLockConfiguration below, which S3 accepts on new and
                // existing (versioned) buckets alike: `objectLockEnabled` here would replace an existing bucket.
                tags,
            },
            {
                ...child,
                protect,
                // Object Lock on an existing bucket is switched on by its lock configuration below; the provider would
                // replace the bucket for it instead.
                ...(args.importExisting ? { import: args.bucketName, ignoreChanges: ["objectLockEnabled"], retainOnDelete: true } : {}),
            },
        );
        this.bucketName = this.bucket.bucket;
        this.bucketArn = this.bucket.arn;
        const bucketId = this.bucket.id;

        new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            {
                bucket: bucketId,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            guard,
        );

        new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
            guard,
        );

        // Versioning is what makes replication and point-in-time restore possible; it is never suspended.
        this.versioning = new aws.s3.BucketVersioning(
            `${name}-versioning`,
            { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
            guard,
        );

        if (encryption === "SSE_KMS") {
            this.kmsKey = new aws.kms.Key(
                `${name}-key`,
                {
                    description: pulumi.interpolate`Default encryption of s3://${this.bucket.bucket} (lustre-dr)`,
                    enableKeyRotation: true,
                    deletionWindowInDays: 30,
                    policy: pulumi.jsonStringify(
                        keyPolicy({
                            partition: args.partition,
                            accountId: args.accountId,
                            region: args.region,
                            bucketArn: this.bucketArn,
                            peerReplicationRoleArn: args.acceptReplicasFrom,
                        }),
                    ),
                    tags,
                },
                { ...child, protect },
            );
        }
        const kmsKeyArn = this.kmsKey?.arn;

        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucketId,
                rules: [
                    kmsKeyArn
                        ? {
                              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn },
                              bucketKeyEnabled: true,
                          }
                        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                ],
            },
            guard,
        );

        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucketId,
                rules: [
                    {
                        id: "expire-noncurrent-versions",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionRetentionDays ?? 90 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                        expiration: { expiredObjectDeleteMarker: true },
                    },
                ],
            },
            { ...guard, dependsOn: [this.versioning] },
        );

        if (args.objectLock) {
            new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: bucketId,
                    rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
                },
                { ...guard, dependsOn: [this.versioning] },
            );
        }

        new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucketId,
                policy: pulumi.jsonStringify(
                    bucketPolicy({ bucketArn: this.bucketArn, peerReplicationRoleArn: args.acceptReplicasFrom }),
                ),
            },
            guard,
        );

        this.replicationRole = new aws.iam.Role(
            `${name}-replication-role`,
            {
                name: args.replicationRoleName,
                description: "S3 replicates the lustre-dr bucket to its peer with this role",
                assumeRolePolicy: pulumi.jsonStringify(replicationTrustPolicy(args.accountId, this.bucketArn)),
                tags,
            },
            child,
        );
        const destination = args.replicateTo;
        const replicationPolicy = new aws.iam.RolePolicy(
            `${name}-replication-policy`,
            {
                role: this.replicationRole.id,
                policy: pulumi.jsonStringify(
                    replicationRolePolicy({
                        sourceBucketArn: this.bucketArn,
                        sourceRegion: args.region,
                        sourceKeyArn: kmsKeyArn,
                        objectLock: args.objectLock !== undefined,
                        destination: destination && {
                            bucketArn: destination.bucketArn,
                            region: destination.region,
                            keyArn: destination.kmsKeyArn,
                            accountId: destination.accountId,
                            crossAccount: destination.accountId !== args.accountId,
                        },
                    }),
                ),
            },
            child,
        );

        this.batchReplicationRole = new aws.iam.Role(
            `${name}-batch-replication-role`,
            {
                name: args.batchReplicationRoleName,
                description: "S3 Batch Operations replicates existing lustre-dr objects to the peer with this role",
                assumeRolePolicy: pulumi.jsonStringify(
                    batchReplicationTrustPolicy({ partition: args.partition, region: args.region, accountId: args.accountId }),
                ),
                tags,
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-batch-replication-policy`,
            {
                role: this.batchReplicationRole.id,
                policy: pulumi.jsonStringify(
                    batchReplicationRolePolicy({ sourceBucketArn: this.bucketArn, sourceRegion: args.region, sourceKeyArn: kmsKeyArn }),
                ),
            },
            child,
        );

        if (args.restoreBatchRoleName) {
            this.restoreBatchRole = new aws.iam.Role(
                `${name}-restore-batch-role`,
                {
                    name: args.restoreBatchRoleName,
                    description: "S3 Batch Operations restores lustre-dr objects to a point in time (in-place copies) with this role",
                    assumeRolePolicy: pulumi.jsonStringify(restoreBatchTrustPolicy({ partition: args.partition, accountId: args.accountId, region: args.region })),
                    tags,
                },
                child,
            );
            new aws.iam.RolePolicy(
                `${name}-restore-batch-policy`,
                {
                    role: this.restoreBatchRole.id,
                    policy: pulumi.jsonStringify(restoreBatchRolePolicy({ bucketArn: this.bucketArn, region: args.region, keyArn: kmsKeyArn })),
                },
                child,
            );
        }

        if (destination) {
            this.replicationConfig = new aws.s3.BucketReplicationConfig(
                `${name}-replication`,
                {
                    bucket: bucketId,
                    role: this.replicationRole.arn,
                    rules: [
                        replicationRule({
                            destinationBucketArn: destination.bucketArn,
                            destinationAccountId: destination.accountId !== args.accountId ? destination.accountId : undefined,
                            destinationKeyArn: destination.kmsKeyArn,
                            sourceUsesKms: encryption === "SSE_KMS",
                            replicationTimeControl: args.replicationTimeControl ?? true,
                        }),
                    ],
                },
                // S3 rejects a replication configuration on a bucket whose versioning is not yet Enabled.
                { ...child, dependsOn: [this.versioning, replicationPolicy] },
            );
        }

        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            kmsKeyArn,
            replicationRoleArn: this.replicationRole.arn,
            batchReplicationRoleArn: this.batchReplicationRole.arn,
            restoreBatchRoleArn: this.restoreBatchRole?.arn,
        });
    }
}
