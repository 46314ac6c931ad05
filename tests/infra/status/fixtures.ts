/**
 * A healthy, converged pair as lustre-dr deploys it: primary with a file system, dr in pilot light, two accounts,
 * SSE-KMS on both sides. Plain tests derive their facts from it; emulator tests deploy it into moto.
 */
import type { DataRepositoryAssociation, FileSystem } from "@aws-sdk/client-fsx";
import type { ReplicationConfiguration, ReplicationRule } from "@aws-sdk/client-s3";
import { bucketPolicy } from "../../../components/policyDocuments";
import type { Side, SideRole } from "../../../infra/aws/sides";
import { DrillResult, legResult } from "../../../infra/drill/result";
import type { SideFacts } from "../../../infra/status/model";
import type { SiteOutputs } from "../../../stacks/outputs";
import { valueOf } from "../../support/pulumiMocks";

export const outputs: Record<SideRole, SiteOutputs> = {
    primary: {
        accountId: "111111111111",
        region: "us-east-1",
        role: "primary",
        bucketName: "lustre-dr-primary-data",
        bucketArn: "arn:aws:s3:::lustre-dr-primary-data",
        kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/primary-key",
        replicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-replication",
        batchReplicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-batch-replication",
        replicationGrantedTo: ["arn:aws:iam::222222222222:role/lustre-dr-dr-replication"],
        replicationStatus: "active",
        fileSystemId: "fs-0123456789abcdef0",
        dataRepositoryAssociationId: "dra-0123456789abcdef0",
    },
    dr: {
        accountId: "222222222222",
        region: "us-west-2",
        role: "dr",
        bucketName: "lustre-dr-dr-data",
        bucketArn: "arn:aws:s3:::lustre-dr-dr-data",
        kmsKeyArn: "arn:aws:kms:us-west-2:222222222222:key/dr-key",
        replicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-replication",
        batchReplicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
        replicationGrantedTo: ["arn:aws:iam::111111111111:role/lustre-dr-primary-replication"],
        replicationStatus: "active",
    },
};

export const peerOf: Record<SideRole, SideRole> = { primary: "dr", dr: "primary" };

/** The rule as S3 returns it for what `replicationRule()` deploys from `role` to its peer. */
export function deployedRule(role: SideRole): ReplicationRule {
    const peer = outputs[peerOf[role]];
    return {
        ID: "lustre-dr-to-peer",
        Priority: 1,
        Status: "Enabled",
        Filter: {},
        DeleteMarkerReplication: { Status: "Enabled" },
        SourceSelectionCriteria: { ReplicaModifications: { Status: "Enabled" }, SseKmsEncryptedObjects: { Status: "Enabled" } },
        Destination: {
            Bucket: peer.bucketArn,
            StorageClass: "STANDARD",
            Account: peer.accountId,
            AccessControlTranslation: { Owner: "Destination" },
            EncryptionConfiguration: { ReplicaKmsKeyID: peer.kmsKeyArn },
            Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } },
            ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } },
        },
    };
}

export function deployedReplication(role: SideRole): ReplicationConfiguration {
    return { Role: outputs[role].replicationRoleArn, Rules: [deployedRule(role)] };
}

/** The bucket policy `components/policyDocuments.ts` writes for `role`, serialised as S3 stores it. */
export async function deployedPolicy(role: SideRole): Promise<string> {
    const peerRole = outputs[peerOf[role]].replicationRoleArn;
    return JSON.stringify(await valueOf(bucketPolicy({ bucketArn: outputs[role].bucketArn, peerReplicationRoleArn: peerRole })));
}

export const primaryAssociation: DataRepositoryAssociation = {
    AssociationId: "dra-0123456789abcdef0",
    FileSystemId: "fs-0123456789abcdef0",
    Lifecycle: "AVAILABLE",
    FileSystemPath: "/s3",
    DataRepositoryPath: "s3://lustre-dr-primary-data/",
    S3: {
        AutoImportPolicy: { Events: ["NEW", "CHANGED", "DELETED"] },
        AutoExportPolicy: { Events: ["NEW", "CHANGED", "DELETED"] },
    },
};

export const primaryFileSystem: FileSystem = { FileSystemId: "fs-0123456789abcdef0", Lifecycle: "AVAILABLE", FileSystemType: "LUSTRE" };

export function side(role: SideRole, endpoint?: string): Side {
    return {
        role,
        bucketName: outputs[role].bucketName,
        region: outputs[role].region,
        outputs: outputs[role],
        ...(endpoint ? { endpoint } : {}),
    };
}

/** Facts as `collectSide` reads them from a healthy side. */
export async function healthyFacts(role: SideRole): Promise<SideFacts> {
    return {
        role,
        location: side(role),
        versioning: { ok: true, value: "Enabled" },
        encryption: { ok: true, value: { algorithm: "aws:kms", kmsKeyId: outputs[role].kmsKeyArn } },
        replication: { ok: true, value: deployedReplication(role) },
        policy: { ok: true, value: await deployedPolicy(role) },
        dataRepositories: { ok: true, value: role === "primary" ? [primaryAssociation] : [] },
        ...(role === "primary" ? { fileSystem: { ok: true, value: primaryFileSystem } } : {}),
        metrics: { ok: true, value: { latencyMaxSeconds: 12, pendingLatest: 0, pendingMax: 4, failedTotal: 0, datapoints: 864 } },
    };
}

/** A drill of this pair as the drill history records it: 5 canaries each way, all within the objective. */
export function drillResult(finishedAt: string, passed = true): DrillResult {
    const legs = [
        legResult({ kind: "s3-object", from: "primary", to: "dr" }, 5, [4_000, 5_000, 6_000, 9_000, 14_200], 900),
        legResult({ kind: "s3-object", from: "dr", to: "primary" }, 5, [3_000, 4_000, 4_000, 5_000, 8_000], 900),
    ];
    return {
        schema: 1,
        runId: "drill-20261124-0300",
        startedAt: finishedAt,
        finishedAt,
        objectiveSeconds: 900,
        primary: { bucket: outputs.primary.bucketName, region: outputs.primary.region },
        dr: { bucket: outputs.dr.bucketName, region: outputs.dr.region },
        legs,
        checks: [{ name: "loop", status: "passed", detail: "version counts stable" }],
        interrupted: false,
        cleanup: { deleteMarkersWritten: 20, leftover: [] },
        failures: passed ? [] : ["s3-object dr->primary: 2 of 5 canaries missed the 900 s objective"],
        passed,
    };
}
