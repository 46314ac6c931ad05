/**
 * The access matrix (issue 13): every call AWS makes for lustre-dr, evaluated by an IAM policy simulator against the
 * documents the program declares for both sides (trust, identity, bucket and key policies, read from a mocked
 * `pulumi up` of the example stacks converged through the handshake). Two tables: what must be ALLOWED (or
 * replication, batch replication, FSx or the CLI breaks) and what must be DENIED (or the DR copy is not protected).
 *
 * One row per call. Rows are functions of the deployed pair, so they name real ARNs; a failing row prints the call,
 * the principal and what every evaluated document says about it (tests/support/accessMatrix.ts).
 */
import { expect } from "chai";
import { converge, recoveredDr, Variant } from "../infra/policy/pair";
import { accounts } from "../infra/policy/policyHarness";
import {
    AccessRow,
    AccessWorld,
    allowEverything,
    anonymous,
    Context,
    DeclaredSide,
    evaluate,
    Expectation,
    mismatch,
    NamedPolicy,
    row,
} from "../support/accessMatrix";
import { declaredSide } from "../support/declaredPolicies";

type SideName = "primary" | "dr";
interface Pair {
    readonly primary: DeclaredSide;
    readonly dr: DeclaredSide;
    readonly world: AccessWorld;
}
type Row = AccessRow<Pair>;

const other: Record<SideName, SideName> = { primary: "dr", dr: "primary" };
const foreignAccount = "333333333333";
const s3Service = "s3.amazonaws.com";
const batchService = "batchoperations.s3.amazonaws.com";
const fileSystemId = "fs-0123456789abcdef0";

const objectOf = (side: DeclaredSide, key = "projects/run-42/output.dat"): string => `${side.bucketArn}/${key}`;
const canaryOf = (side: DeclaredSide): string => objectOf(side, ".lustre-dr/drill/20260101T000000Z-abcd/s3-canary");
const reportOf = (side: DeclaredSide): string => objectOf(side, ".lustre-dr/batch-reports/job-0123/results/report.csv");
const batchJobOf = (side: DeclaredSide, account = side.accountId, region = side.region): string =>
    `arn:aws:s3:${region}:${account}:job/0123abcd-4567-89ef-0123-456789abcdef`;

/** What S3 puts in a KMS request it makes for `side`'s bucket: with bucket keys the context is the bucket ARN. */
const viaS3 = (side: DeclaredSide, encryptionContext = side.bucketArn): Context => ({
    "kms:ViaService": `s3.${side.region}.amazonaws.com`,
    "kms:EncryptionContext:aws:s3:arn": encryptionContext,
});
const keyOf = (side: DeclaredSide): string => {
    if (!side.keyArn) {
        throw new Error(`${side.stack} has no key (SSE_S3): a KMS row ran in an SSE_S3 scenario`);
    }
    return side.keyArn;
};

const operatorOf = (side: DeclaredSide): string => `arn:aws:iam::${side.accountId}:role/lustre-dr-operator`;
const operatorPolicy = (side: DeclaredSide): NamedPolicy[] => [allowEverything(`operator of ${side.stack}'s account`)];
const fsxRoleOf = (account: string): string =>
    `arn:aws:iam::${account}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_${fileSystemId}`;
/** The FSx role's own policy is AWS-managed; this stand-in lets the bucket and key policies alone decide. */
const fsxManagedPolicy = (side: DeclaredSide): NamedPolicy[] => [
    {
        name: "AWS-managed policy of the FSx service-linked role (stand-in: s3:* on the linked bucket)",
        document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: [side.bucketArn, `${side.bucketArn}/*`] }] },
    },
];

interface Features {
    readonly kms: boolean;
    /** Sides whose bucket has Object Lock. */
    readonly locked: readonly SideName[];
    /** Both sides in one account: no owner override, and no peer account to be compromised separately. */
    readonly singleAccount?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Must be ALLOWED

/** Live replication from `from` to `to`: S3 acting with `from`'s replication role. */
function replicationCalls(from: SideName, to: SideName, features: Features): Row[] {
    const role = (p: Pair) => ({ principal: p[from].replicationRoleArn, as: `${from} replication role` });
    return [
        row(`S3 assumes the ${from} replication role for its bucket`, (p) => ({
            principal: s3Service,
            action: "sts:AssumeRole",
            resource: p[from].replicationRoleArn,
            context: { "aws:SourceAccount": p[from].accountId, "aws:SourceArn": p[from].bucketArn },
        })),
        row("replication reads the source's replication configuration", (p) => ({ ...role(p), action: "s3:GetReplicationConfiguration", resource: p[from].bucketArn })),
        row("replication lists the source bucket", (p) => ({ ...role(p), action: "s3:ListBucket", resource: p[from].bucketArn })),
        row("replication reads the source version", (p) => ({ ...role(p), action: "s3:GetObjectVersionForReplication", resource: objectOf(p[from]) })),
        row("replication reads the source version's ACL", (p) => ({ ...role(p), action: "s3:GetObjectVersionAcl", resource: objectOf(p[from]) })),
        row("replication reads the source version's tags", (p) => ({ ...role(p), action: "s3:GetObjectVersionTagging", resource: objectOf(p[from]) })),
        ...(features.locked.includes(from)
            ? [
                  row("replication reads the source version's retention (Object Lock)", (p: Pair) => ({ ...role(p), action: "s3:GetObjectRetention", resource: objectOf(p[from]) })),
                  row("replication reads the source version's legal hold (Object Lock)", (p: Pair) => ({ ...role(p), action: "s3:GetObjectLegalHold", resource: objectOf(p[from]) })),
              ]
            : []),
        row("replication checks the destination is versioned", (p) => ({ ...role(p), action: "s3:GetBucketVersioning", resource: p[to].bucketArn })),
        row("replication writes the replica", (p) => ({ ...role(p), action: "s3:ReplicateObject", resource: objectOf(p[to]) })),
        row("replication writes a delete marker", (p) => ({ ...role(p), action: "s3:ReplicateDelete", resource: objectOf(p[to]) })),
        row("replication writes the replica's tags", (p) => ({ ...role(p), action: "s3:ReplicateTags", resource: objectOf(p[to]) })),
        ...(features.singleAccount
            ? []
            : [
                  row("replication hands the replica to the destination account", (p: Pair) => ({
                      ...role(p),
                      action: "s3:ObjectOwnerOverrideToBucketOwner",
                      resource: objectOf(p[to]),
                  })),
              ]),
        ...(features.kms
            ? [
                  row("replication decrypts the source version (bucket key)", (p: Pair) => ({ ...role(p), action: "kms:Decrypt", resource: keyOf(p[from]), context: viaS3(p[from]) })),
                  row("replication decrypts a source version written before bucket keys", (p: Pair) => ({
                      ...role(p),
                      action: "kms:Decrypt",
                      resource: keyOf(p[from]),
                      context: viaS3(p[from], objectOf(p[from])),
                  })),
                  row("replication generates the replica's data key", (p: Pair) => ({ ...role(p), action: "kms:GenerateDataKey", resource: keyOf(p[to]), context: viaS3(p[to]) })),
                  row("replication encrypts with the replica key", (p: Pair) => ({ ...role(p), action: "kms:Encrypt", resource: keyOf(p[to]), context: viaS3(p[to]) })),
                  row("replication decrypts the replica key's bucket key to verify it", (p: Pair) => ({
                      ...role(p),
                      action: "kms:Decrypt",
                      resource: keyOf(p[to]),
                      context: viaS3(p[to]),
                  })),
              ]
            : []),
    ];
}

/** S3 Batch Replication of `side`'s existing objects (sync-existing, failback) with its batch role. */
function batchReplicationCalls(side: SideName, features: Features): Row[] {
    const role = (p: Pair) => ({ principal: p[side].batchReplicationRoleArn, as: `${side} batch replication role` });
    return [
        row(`Batch Operations assumes the ${side} batch replication role for a job of its account`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: p[side].batchReplicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": batchJobOf(p[side]) },
        })),
        row("the job reads the replication configuration to generate its manifest", (p) => ({ ...role(p), action: "s3:GetReplicationConfiguration", resource: p[side].bucketArn })),
        row("the job configures the inventory its manifest is generated from", (p) => ({ ...role(p), action: "s3:PutInventoryConfiguration", resource: p[side].bucketArn })),
        row("the job starts replication of an existing object", (p) => ({ ...role(p), action: "s3:InitiateReplication", resource: objectOf(p[side]) })),
        row("the job writes its completion report", (p) => ({ ...role(p), action: "s3:PutObject", resource: reportOf(p[side]) })),
        ...(features.kms
            ? [
                  row("the job encrypts its report with the bucket's key", (p: Pair) => ({ ...role(p), action: "kms:GenerateDataKey", resource: keyOf(p[side]), context: viaS3(p[side]) })),
                  row("the job's report write verifies the bucket key", (p: Pair) => ({ ...role(p), action: "kms:Decrypt", resource: keyOf(p[side]), context: viaS3(p[side]) })),
              ]
            : []),
    ];
}

/** The FSx service-linked role of a file system linked to `side`'s bucket (data repository association). */
function fileSystemCalls(side: SideName, features: Features): Row[] {
    const role = (p: Pair) => ({ principal: fsxRoleOf(p[side].accountId), as: `FSx service-linked role on ${side}`, identity: fsxManagedPolicy(p[side]) });
    return [
        row("FSx imports: lists the linked bucket", (p) => ({ ...role(p), action: "s3:ListBucket", resource: p[side].bucketArn })),
        row("FSx imports: reads an object", (p) => ({ ...role(p), action: "s3:GetObject", resource: objectOf(p[side]) })),
        row("FSx exports: writes an object", (p) => ({ ...role(p), action: "s3:PutObject", resource: objectOf(p[side]) })),
        row("FSx exports a delete: adds a delete marker", (p) => ({ ...role(p), action: "s3:DeleteObject", resource: objectOf(p[side]) })),
        ...(features.kms
            ? [
                  row("FSx reads an SSE-KMS object through S3", (p: Pair) => ({ ...role(p), action: "kms:Decrypt", resource: keyOf(p[side]), context: viaS3(p[side]) })),
                  row("FSx writes an SSE-KMS object through S3", (p: Pair) => ({ ...role(p), action: "kms:GenerateDataKey", resource: keyOf(p[side]), context: viaS3(p[side]) })),
                  row("FSx encrypts through S3", (p: Pair) => ({ ...role(p), action: "kms:Encrypt", resource: keyOf(p[side]), context: viaS3(p[side]) })),
              ]
            : []),
    ];
}

/** What `lustre-dr status`, `drill` and `restore` call (infra/status, infra/drill, infra/restore) as an operator of `side`'s account. */
function cliCalls(side: SideName, features: Features): Row[] {
    const operator = (p: Pair) => ({ principal: operatorOf(p[side]), as: `operator of ${side}`, identity: operatorPolicy(p[side]) });
    const kms = (call: string, action: string): Row[] =>
        features.kms ? [row(call, (p: Pair) => ({ ...operator(p), action, resource: keyOf(p[side]), context: viaS3(p[side]) }))] : [];
    return [
        row("status: GetBucketVersioning", (p) => ({ ...operator(p), action: "s3:GetBucketVersioning", resource: p[side].bucketArn })),
        row("status: GetBucketEncryption", (p) => ({ ...operator(p), action: "s3:GetEncryptionConfiguration", resource: p[side].bucketArn })),
        row("status: GetBucketReplication", (p) => ({ ...operator(p), action: "s3:GetReplicationConfiguration", resource: p[side].bucketArn })),
        row("status: GetBucketPolicy", (p) => ({ ...operator(p), action: "s3:GetBucketPolicy", resource: p[side].bucketArn })),
        row("status --sample: ListObjectsV2 to draw keys", (p) => ({ ...operator(p), action: "s3:ListBucket", resource: p[side].bucketArn })),
        row("status --sample: HeadObject of a key's current version", (p) => ({ ...operator(p), action: "s3:GetObject", resource: objectOf(p[side]) })),
        row("status --sample: HeadObject of a version (its replication status, its identity)", (p) => ({ ...operator(p), action: "s3:GetObjectVersion", resource: objectOf(p[side]) })),
        row("status --sample: GetObjectTagging of a version", (p) => ({ ...operator(p), action: "s3:GetObjectVersionTagging", resource: objectOf(p[side]) })),
        row("drill: PutObject of a canary", (p) => ({ ...operator(p), action: "s3:PutObject", resource: canaryOf(p[side]) })),
        ...kms("drill: the canary's data key (SSE-KMS PutObject)", "kms:GenerateDataKey"),
        row("drill: ListObjectVersions under the run's prefix", (p) => ({ ...operator(p), action: "s3:ListBucketVersions", resource: p[side].bucketArn })),
        row("drill: GetObject/HeadObject of the replicated canary version", (p) => ({ ...operator(p), action: "s3:GetObjectVersion", resource: canaryOf(p[side]) })),
        ...kms("drill: decrypt the canary (SSE-KMS GetObject)", "kms:Decrypt"),
        row("drill: DeleteObject of a canary (delete marker)", (p) => ({ ...operator(p), action: "s3:DeleteObject", resource: canaryOf(p[side]) })),
        row("restore: ListObjectVersions", (p) => ({ ...operator(p), action: "s3:ListBucketVersions", resource: p[side].bucketArn })),
        row("restore: CopyObject reads the version at T", (p) => ({ ...operator(p), action: "s3:GetObjectVersion", resource: objectOf(p[side]) })),
        row("restore: CopyObject/GetObjectTagging reads its tags", (p) => ({ ...operator(p), action: "s3:GetObjectVersionTagging", resource: objectOf(p[side]) })),
        row("restore: CopyObject/CreateMultipartUpload writes the new current version", (p) => ({ ...operator(p), action: "s3:PutObject", resource: objectOf(p[side]) })),
        row("restore: CopyObject copies the tags", (p) => ({ ...operator(p), action: "s3:PutObjectTagging", resource: objectOf(p[side]) })),
        row("restore: AbortMultipartUpload after a failed part", (p) => ({ ...operator(p), action: "s3:AbortMultipartUpload", resource: objectOf(p[side]) })),
        row("restore: DeleteObject adds a delete marker", (p) => ({ ...operator(p), action: "s3:DeleteObject", resource: objectOf(p[side]) })),
        ...kms("restore: decrypt the version at T (SSE-KMS copy source)", "kms:Decrypt"),
        ...kms("restore: encrypt the copy (SSE-KMS copy destination)", "kms:GenerateDataKey"),
        row("sync-existing: CreateJob (S3 Control, account level)", (p) => ({ ...operator(p), action: "s3:CreateJob", resource: "*", resourceAccount: p[side].accountId })),
        row("sync-existing: pass the batch replication role to the job", (p) => ({ ...operator(p), action: "iam:PassRole", resource: p[side].batchReplicationRoleArn })),
        // deploy/recover/failback run `pulumi up`: the program must never lock its own deployer out of what it manages.
        row("deploy: PutBucketPolicy", (p) => ({ ...operator(p), action: "s3:PutBucketPolicy", resource: p[side].bucketArn })),
        row("deploy: PutBucketReplication", (p) => ({ ...operator(p), action: "s3:PutReplicationConfiguration", resource: p[side].bucketArn })),
        row("deploy: PutBucketLifecycleConfiguration", (p) => ({ ...operator(p), action: "s3:PutLifecycleConfiguration", resource: p[side].bucketArn })),
        row("deploy: PutObjectLockConfiguration", (p) => ({ ...operator(p), action: "s3:PutBucketObjectLockConfiguration", resource: p[side].bucketArn })),
        ...(features.kms
            ? [
                  row("deploy: PutKeyPolicy (the key stays administrable through IAM)", (p: Pair) => ({ ...operator(p), action: "kms:PutKeyPolicy", resource: keyOf(p[side]) })),
                  row("deploy: DescribeKey", (p: Pair) => ({ ...operator(p), action: "kms:DescribeKey", resource: keyOf(p[side]) })),
              ]
            : []),
    ];
}

// ---------------------------------------------------------------------------------------------------------------
// Must be DENIED

/** A compromised `from` account acting on `to`'s bucket and key with the role `to` grants, rewritten to Allow *. */
function peerAttackCalls(from: SideName, to: SideName, features: Features): Row[] {
    const attacker = (p: Pair) => ({
        principal: p[from].replicationRoleArn,
        as: `${from} replication role, rewritten by an attacker in ${from}'s account`,
        identity: [allowEverything(`${from} account`)],
    });
    const onBucket = (action: string): Row => row(`peer ${action} on the ${to} bucket`, (p) => ({ ...attacker(p), action, resource: p[to].bucketArn }));
    const onObject = (action: string): Row => row(`peer ${action} on a ${to} object`, (p) => ({ ...attacker(p), action, resource: objectOf(p[to]) }));
    const onKey = (action: string, context?: (p: Pair) => Context): Row =>
        row(`peer ${action} on the ${to} key${context ? " through S3" : " directly"}`, (p) => ({
            ...attacker(p),
            action,
            resource: keyOf(p[to]),
            ...(context ? { context: context(p) } : {}),
        }));
    const otherAdmin = (p: Pair) => ({
        principal: `arn:aws:iam::${p[from].accountId}:role/Admin`,
        as: `another principal of ${from}'s account`,
        identity: [allowEverything(`${from} account`)],
    });
    return [
        onObject("s3:DeleteObjectVersion"),
        onObject("s3:DeleteObject"),
        onObject("s3:PutObject"),
        onObject("s3:GetObject"),
        onObject("s3:GetObjectVersion"),
        onObject("s3:PutObjectRetention"),
        onObject("s3:BypassGovernanceRetention"),
        onObject("s3:PutObjectLegalHold"),
        onBucket("s3:ListBucket"),
        onBucket("s3:ListBucketVersions"),
        onBucket("s3:PutBucketVersioning"),
        onBucket("s3:PutLifecycleConfiguration"),
        onBucket("s3:PutBucketPolicy"),
        onBucket("s3:DeleteBucketPolicy"),
        onBucket("s3:PutReplicationConfiguration"),
        onBucket("s3:PutBucketObjectLockConfiguration"),
        onBucket("s3:PutEncryptionConfiguration"),
        onBucket("s3:PutBucketPublicAccessBlock"),
        onBucket("s3:DeleteBucket"),
        row(`another principal of ${from}'s account writes a replica into ${to}`, (p) => ({ ...otherAdmin(p), action: "s3:ReplicateObject", resource: objectOf(p[to]) })),
        row(`another principal of ${from}'s account deletes a ${to} version`, (p) => ({ ...otherAdmin(p), action: "s3:DeleteObjectVersion", resource: objectOf(p[to]) })),
        ...(features.kms
            ? [
                  onKey("kms:ScheduleKeyDeletion"),
                  onKey("kms:DisableKey"),
                  onKey("kms:PutKeyPolicy"),
                  onKey("kms:CreateGrant"),
                  onKey("kms:DisableKeyRotation"),
                  onKey("kms:Decrypt"),
                  onKey("kms:ReEncryptFrom", (p) => viaS3(p[to])),
                  row(`peer kms:Decrypt on the ${to} key through S3 for another bucket`, (p: Pair) => ({
                      ...attacker(p),
                      action: "kms:Decrypt",
                      resource: keyOf(p[to]),
                      context: viaS3(p[to], "arn:aws:s3:::attacker-bucket"),
                  })),
                  row(`peer kms:GenerateDataKey on the ${to} key through S3 in another region`, (p: Pair) => ({
                      ...attacker(p),
                      action: "kms:GenerateDataKey",
                      resource: keyOf(p[to]),
                      context: { ...viaS3(p[to]), "kms:ViaService": "s3.ap-southeast-2.amazonaws.com" },
                  })),
                  row(`another principal of ${from}'s account uses the ${to} key through S3`, (p: Pair) => ({
                      ...otherAdmin(p),
                      action: "kms:GenerateDataKey",
                      resource: keyOf(p[to]),
                      context: viaS3(p[to]),
                  })),
              ]
            : []),
    ];
}

/** Requests that come from nowhere the program trusts: no TLS, no signature, another account, the wrong service. */
function strangerCalls(side: SideName, features: Features): Row[] {
    const peer = other[side];
    const operator = (p: Pair) => ({ principal: operatorOf(p[side]), as: `operator of ${side}`, identity: operatorPolicy(p[side]) });
    const plainHttp = { "aws:SecureTransport": "false" };
    const impostor = (p: Pair) => ({
        principal: p[peer].replicationRoleArn.replace(`::${p[peer].accountId}:`, `::${foreignAccount}:`),
        as: `a role named like the ${peer} replication role in account ${foreignAccount}`,
        identity: [allowEverything(`account ${foreignAccount}`)],
    });
    return [
        row(`operator GetObject on ${side} without TLS`, (p) => ({ ...operator(p), action: "s3:GetObject", resource: objectOf(p[side]), context: plainHttp })),
        row(`operator PutObject on ${side} without TLS`, (p) => ({ ...operator(p), action: "s3:PutObject", resource: objectOf(p[side]), context: plainHttp })),
        row(`operator ListObjectVersions on ${side} without TLS`, (p) => ({ ...operator(p), action: "s3:ListBucketVersions", resource: p[side].bucketArn, context: plainHttp })),
        row(`${peer} replication writes a replica into ${side} without TLS`, (p) => ({
            principal: p[peer].replicationRoleArn,
            action: "s3:ReplicateObject",
            resource: objectOf(p[side]),
            context: plainHttp,
        })),
        row(`anonymous GetObject on ${side}`, (p) => ({ principal: anonymous, action: "s3:GetObject", resource: objectOf(p[side]) })),
        row(`anonymous ListBucket on ${side}`, (p) => ({ principal: anonymous, action: "s3:ListBucket", resource: p[side].bucketArn })),
        row(`anonymous PutObject on ${side}`, (p) => ({ principal: anonymous, action: "s3:PutObject", resource: objectOf(p[side]) })),
        row(`impostor writes a replica into ${side}`, (p) => ({ ...impostor(p), action: "s3:ReplicateObject", resource: objectOf(p[side]) })),
        row(`impostor checks ${side}'s versioning`, (p) => ({ ...impostor(p), action: "s3:GetBucketVersioning", resource: p[side].bucketArn })),
        ...(features.kms
            ? [row(`impostor uses ${side}'s key through S3`, (p: Pair) => ({ ...impostor(p), action: "kms:GenerateDataKey", resource: keyOf(p[side]), context: viaS3(p[side]) }))]
            : []),
        row(`S3 assumes the ${side} replication role for another account's bucket`, (p) => ({
            principal: s3Service,
            action: "sts:AssumeRole",
            resource: p[side].replicationRoleArn,
            context: { "aws:SourceAccount": foreignAccount, "aws:SourceArn": "arn:aws:s3:::attacker-bucket" },
        })),
        row(`S3 assumes the ${side} replication role for another bucket of its account`, (p) => ({
            principal: s3Service,
            action: "sts:AssumeRole",
            resource: p[side].replicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": "arn:aws:s3:::some-other-bucket" },
        })),
        row(`Batch Operations assumes the ${side} replication role`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: p[side].replicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": batchJobOf(p[side]) },
        })),
        row(`Batch Operations assumes the ${side} batch role for another account's job`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: p[side].batchReplicationRoleArn,
            context: { "aws:SourceAccount": foreignAccount, "aws:SourceArn": batchJobOf(p[side], foreignAccount) },
        })),
        row(`Batch Operations assumes the ${side} batch role for a job of no account (no source ARN)`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: p[side].batchReplicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId },
        })),
        row(`Batch Operations assumes the ${side} batch role for a job in another region`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: p[side].batchReplicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": batchJobOf(p[side], p[side].accountId, "ap-southeast-2") },
        })),
        row(`S3 assumes the ${side} batch role`, (p) => ({
            principal: s3Service,
            action: "sts:AssumeRole",
            resource: p[side].batchReplicationRoleArn,
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": p[side].bucketArn },
        })),
        row(`${side} batch role reads an object (no manifest is read)`, (p) => ({
            principal: p[side].batchReplicationRoleArn,
            action: "s3:GetObject",
            resource: objectOf(p[side]),
        })),
        row(`${side} batch role writes outside its report prefix`, (p) => ({ principal: p[side].batchReplicationRoleArn, action: "s3:PutObject", resource: objectOf(p[side]) })),
        row(`${side} replication role deletes a version of its own bucket`, (p) => ({
            principal: p[side].replicationRoleArn,
            action: "s3:DeleteObjectVersion",
            resource: objectOf(p[side]),
        })),
        ...(features.kms
            ? [
                  row(`FSx role of ${side} uses the key for another bucket of the account`, (p: Pair) => ({
                      principal: fsxRoleOf(p[side].accountId),
                      action: "kms:Decrypt",
                      resource: keyOf(p[side]),
                      context: viaS3(p[side], `arn:aws:s3:::another-bucket-of-${p[side].accountId}`),
                  })),
                  row(`FSx role of ${side} uses the key directly, not through S3`, (p: Pair) => ({
                      principal: fsxRoleOf(p[side].accountId),
                      action: "kms:Decrypt",
                      resource: keyOf(p[side]),
                      context: { "kms:EncryptionContext:aws:s3:arn": p[side].bucketArn },
                  })),
                  row(`an FSx role of account ${foreignAccount} uses ${side}'s key`, (p: Pair) => ({
                      principal: fsxRoleOf(foreignAccount),
                      action: "kms:Decrypt",
                      resource: keyOf(p[side]),
                      context: viaS3(p[side]),
                  })),
                  row(`${side} batch role uses the key outside S3`, (p: Pair) => ({
                      principal: p[side].batchReplicationRoleArn,
                      action: "kms:Decrypt",
                      resource: keyOf(p[side]),
                  })),
              ]
            : []),
    ];
}

/** A recovered (detached) side grants the peer nothing, whatever the peer's own policies say. */
function detachedPeerCalls(features: Features): Row[] {
    const formerPeer = (p: Pair) => ({
        principal: p.primary.replicationRoleArn,
        as: "primary replication role (the dr side is detached)",
        identity: [allowEverything("primary account")],
    });
    return [
        row("primary writes a replica into the detached dr bucket", (p) => ({ ...formerPeer(p), action: "s3:ReplicateObject", resource: objectOf(p.dr) })),
        row("primary replicates a delete marker into the detached dr bucket", (p) => ({ ...formerPeer(p), action: "s3:ReplicateDelete", resource: objectOf(p.dr) })),
        row("primary checks the detached dr bucket's versioning", (p) => ({ ...formerPeer(p), action: "s3:GetBucketVersioning", resource: p.dr.bucketArn })),
        ...(features.kms
            ? [row("primary uses the detached dr key through S3", (p: Pair) => ({ ...formerPeer(p), action: "kms:GenerateDataKey", resource: keyOf(p.dr), context: viaS3(p.dr) }))]
            : []),
    ];
}

// ---------------------------------------------------------------------------------------------------------------
// The scenarios and the two tables

function check(pairOf: () => Pair, rows: Row[], expected: Expectation): void {
    for (const entry of rows) {
        it(entry.call, () => {
            const pair = pairOf();
            const problem = mismatch(entry.call, evaluate(pair.world, entry.request(pair)), expected);
            if (problem) {
                expect.fail(problem);
            }
        });
    }
}

function pairFrom(primary: DeclaredSide, dr: DeclaredSide): Pair {
    return { primary, dr, world: new AccessWorld([primary, dr]) };
}

interface Scenario {
    readonly title: string;
    readonly variant?: Variant;
    readonly features: Features;
    /** Directions that replicate once converged. @default both */
    readonly replicating?: readonly (readonly [SideName, SideName])[];
}

const both = [["primary", "dr"], ["dr", "primary"]] as const;
const withBucket =
    (change: Record<string, unknown>, only?: SideName): Variant =>
    (raw) =>
        only && raw.role !== only ? raw : { ...raw, bucket: { ...(raw.bucket as Record<string, unknown>), ...change } };
const governance30 = { objectLock: { mode: "GOVERNANCE", days: 30 } };

const scenarios: Scenario[] = [
    { title: "SSE-KMS with bucket keys, cross-account, both sides active", features: { kms: true, locked: [] } },
    { title: "SSE-S3, cross-account, both sides active", variant: withBucket({ encryption: "SSE_S3" }), features: { kms: false, locked: [] } },
    {
        title: "SSE-KMS with Object Lock (GOVERNANCE, 30 days) on both buckets",
        variant: withBucket(governance30),
        features: { kms: true, locked: ["primary", "dr"] },
    },
    {
        // The first half of switching Object Lock on (docs/config.md): dr has it, the primary not yet, so only
        // primary -> dr replicates; the dr side waits to send until the primary reports Object Lock.
        title: "SSE-KMS with Object Lock on the dr bucket only",
        variant: withBucket(governance30, "dr"),
        features: { kms: true, locked: ["dr"] },
        replicating: [["primary", "dr"]],
    },
    {
        title: "SSE-KMS, both sides in one account (regions differ)",
        features: { kms: true, locked: [], singleAccount: true },
    },
];

describe("access matrix (IAM policy simulator over the declared documents)", function () {
    this.timeout(120_000);

    for (const scenario of scenarios) {
        describe(scenario.title, () => {
            let pair: Pair | undefined;
            const pairOf = (): Pair => {
                if (!pair) {
                    throw new Error("the pair was not deployed");
                }
                return pair;
            };
            before(async () => {
                const accountIds = scenario.features.singleAccount ? { primary: accounts.primary, dr: accounts.primary } : accounts;
                const converged = await converge(scenario.variant, accountIds);
                pair = pairFrom(declaredSide(converged.primary, accountIds.primary), declaredSide(converged.dr, accountIds.dr));
            });

            it("declares the documents the matrix evaluates, each one valid IAM", () => {
                const { primary, dr, world } = pairOf();
                for (const side of [primary, dr]) {
                    expect(side.bucketPolicy, `${side.stack} bucket policy`).to.not.equal(undefined);
                    expect(side.keyPolicy !== undefined, `${side.stack} key policy`).to.equal(scenario.features.kms);
                    expect(side.objectLock, `${side.stack} Object Lock`).to.equal(scenario.features.locked.includes(side.stack as SideName));
                    expect(side.roles.get(side.replicationRoleArn)?.identity, `${side.stack} replication role policy`).to.have.length(1);
                    expect(side.roles.get(side.batchReplicationRoleArn)?.identity, `${side.stack} batch role policy`).to.have.length(1);
                    for (const arn of [side.replicationRoleArn, side.batchReplicationRoleArn]) {
                        expect(side.roles.get(arn)?.unreadablePolicyArns, `${arn}: policies the matrix cannot read`).to.deep.equal([]);
                    }
                }
                expect(primary.fileSystem, "the example primary runs a file system").to.equal(true);
                expect(world.documentProblems()).to.deep.equal([]);
            });

            describe("ALLOWED", () => {
                for (const [from, to] of scenario.replicating ?? both) {
                    describe(`live replication ${from} -> ${to}`, () => check(pairOf, replicationCalls(from, to, scenario.features), "allowed"));
                }
                for (const side of ["primary", "dr"] as const) {
                    describe(`S3 Batch Replication of ${side}`, () => check(pairOf, batchReplicationCalls(side, scenario.features), "allowed"));
                    describe(`lustre-dr CLI on ${side}`, () => check(pairOf, cliCalls(side, scenario.features), "allowed"));
                }
                describe("FSx data repository association on primary", () => check(pairOf, fileSystemCalls("primary", scenario.features), "allowed"));
            });

            describe("DENIED", () => {
                // In a single account, whoever controls one side's account controls both: there is no peer to contain.
                for (const [from, to] of scenario.features.singleAccount ? [] : both) {
                    describe(`a compromised ${from} account against ${to}`, () => check(pairOf, peerAttackCalls(from, to, scenario.features), "denied"));
                }
                for (const [from, to] of both.filter(([f, t]) => !(scenario.replicating ?? both).some(([rf, rt]) => rf === f && rt === t))) {
                    describe(`${from} waits to replicate into ${to}`, () =>
                        check(
                            pairOf,
                            [
                                row(`${from} replication writes a replica into ${to}`, (p) => ({ principal: p[from].replicationRoleArn, action: "s3:ReplicateObject", resource: objectOf(p[to]) })),
                            ],
                            "denied",
                        ),
                    );
                }
                for (const side of ["primary", "dr"] as const) {
                    describe(`strangers against ${side}`, () => check(pairOf, strangerCalls(side, scenario.features), "denied"));
                }
            });
        });
    }

    describe("SSE-KMS, dr recovered (detached, file system on) while the primary still runs", () => {
        const features: Features = { kms: true, locked: [] };
        let pair: Pair | undefined;
        const pairOf = (): Pair => {
            if (!pair) {
                throw new Error("the pair was not deployed");
            }
            return pair;
        };
        before(async () => {
            const converged = await converge();
            pair = pairFrom(declaredSide(converged.primary, accounts.primary), declaredSide(await recoveredDr(), accounts.dr));
        });

        it("the recovered dr side grants the primary nothing in its bucket or key policy", () => {
            const { dr, primary } = pairOf();
            expect(JSON.stringify(dr.bucketPolicy?.document)).to.not.include(primary.replicationRoleArn);
            expect(JSON.stringify(dr.keyPolicy?.document)).to.not.include(primary.replicationRoleArn);
        });

        describe("ALLOWED", () => {
            describe("FSx data repository association on the recovered dr", () => check(pairOf, fileSystemCalls("dr", features), "allowed"));
            describe("lustre-dr CLI on the recovered dr", () => check(pairOf, cliCalls("dr", features), "allowed"));
            describe("S3 Batch Replication of the recovered dr (failback)", () => check(pairOf, batchReplicationCalls("dr", features), "allowed"));
        });

        describe("DENIED", () => {
            describe("the primary against the detached dr", () => check(pairOf, detachedPeerCalls(features), "denied"));
            describe("strangers against the recovered dr", () => check(pairOf, strangerCalls("dr", features), "denied"));
        });
    });
});
