/**
 * Adopting an existing bucket (`lustre-dr:bucket.importExisting`): what it changes on the bucket, and whether its
 * version history is long enough for the promise restore makes. Pure, except `liveVersioningHistory`, which asks S3.
 */
import { GetBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import type { ConfigProblem } from "../components/problems";
import { configNamespace, SiteConfig } from "./config";

/**
 * What GetBucketVersioning tells about a bucket's past: versioning on now, switched on once and suspended since,
 * never switched on (no Status at all), or not known (planning offline).
 */
export type VersioningHistory = "enabled" | "suspended" | "never" | "unknown";

/** How the program learns an adopted bucket's versioning history; tests and the offline plan pass their own. */
export type VersioningHistoryReader = (bucketName: string, region: string) => Promise<VersioningHistory>;

/**
 * Asks S3 with the deploying credentials (the same the AWS provider uses: the environment, or `aws:profile`).
 * A bucket that cannot be read is reported as a problem of `bucket.name`, before anything is declared.
 */
export function liveVersioningHistory(profile?: string): VersioningHistoryReader {
    return async (bucketName, region) => {
        const s3 = new S3Client({ region, ...(profile ? { profile } : {}) });
        try {
            const reply = await s3.send(new GetBucketVersioningCommand({ Bucket: bucketName }));
            return reply.Status === "Enabled" ? "enabled" : reply.Status === "Suspended" ? "suspended" : "never";
        } catch (error) {
            throw new AdoptionReadError(bucketName, region, error as Error);
        } finally {
            s3.destroy();
        }
    };
}

export class AdoptionReadError extends Error {
    constructor(
        readonly bucketName: string,
        readonly region: string,
        readonly cause: Error,
    ) {
        super(`cannot read the versioning of the bucket to adopt, ${bucketName} in ${region}: ${cause.name}: ${cause.message}`);
    }
}

/**
 * A bucket whose versioning was never enabled has no history: a restore can never go back before the adoption.
 * That is refused unless the operator says, with `bucket.adoptWithoutHistory: true`, that they accept it.
 */
export function versioningHistoryProblems(bucket: SiteConfig["bucket"], history: VersioningHistory): ConfigProblem[] {
    if (!bucket.importExisting || history !== "never" || bucket.adoptWithoutHistory) {
        return [];
    }
    return [
        {
            key: `${configNamespace}:bucket.importExisting`,
            value: bucket.name,
            expected:
                "a bucket whose versioning was enabled before adoption: versioning was never enabled on it, so no earlier version of any object exists " +
                `and a restore can never go back before the adoption. Set ${configNamespace}:bucket.adoptWithoutHistory: true to accept that`,
        },
    ];
}

/**
 * What adopting the bucket changes on it, in the words `lustre-dr plan` prints. Everything lustre-dr manages on a
 * bucket is a whole configuration in S3, so adopting replaces rather than merges.
 */
export function bucketAdoptionChanges(config: Pick<SiteConfig, "bucket">, history: VersioningHistory = "unknown"): string[] {
    const bucket = config.bucket;
    if (!bucket.importExisting) {
        return [];
    }
    const name = bucket.name ?? "<bucket.name>";
    const historyNote: Record<VersioningHistory, string> = {
        enabled: "versioning is already enabled: restore can reach back as far as its noncurrent versions",
        suspended: "versioning was suspended: it is enabled again; objects written while suspended have only their latest (null) version",
        never: "versioning was never enabled: restore can only reach back to the adoption (accepted by bucket.adoptWithoutHistory)",
        unknown: "versioning history is read from S3 when deploying: a bucket whose versioning was never enabled is refused unless bucket.adoptWithoutHistory is true",
    };
    return [
        `bucket ${name} is adopted (Pulumi import), not created; lustre-dr destroy releases it instead of deleting it`,
        `versioning: set to Enabled and never suspended (${historyNote[history]})`,
        `default encryption: replaced by ${bucket.encryption === "SSE_KMS" ? "SSE-KMS with this stack's key and a bucket key" : "SSE-S3"}; objects already stored keep the encryption they were written with`,
        "bucket policy: replaced by lustre-dr's (deny non-TLS requests, grant the peer's replication role): statements of the current policy are dropped",
        "public access block: all four settings switched on",
        "object ownership: BucketOwnerEnforced (ACLs stop applying; access is by policy only)",
        `lifecycle: replaced by one rule (noncurrent versions expire after ${bucket.noncurrentVersionRetentionDays} days, incomplete uploads after 7)`,
        "replication: replaced by the rule to the peer once the handshake allows it",
        ...(bucket.objectLock ? [`Object Lock: switched on with ${bucket.objectLock.mode} retention of ${bucket.objectLock.days} days for new versions`] : []),
        "event notifications: left alone (FSx owns them for its data repository associations)",
    ];
}

/** What adopting the file system and its associations changes on them, in the words `lustre-dr plan` prints. */
export function fileSystemAdoptionChanges(config: Pick<SiteConfig, "lustre">): string[] {
    const lustre = config.lustre;
    if (!lustre.enabled || lustre.adopt === undefined) {
        return [];
    }
    const adopted = lustre.repositories.filter((repository) => repository.importAssociationId !== undefined);
    const created = lustre.repositories.filter((repository) => repository.importAssociationId === undefined);
    return [
        `file system ${lustre.adopt.fileSystemId} is adopted (Pulumi import), not created; lustre-dr destroy releases it instead of deleting it`,
        "file system: subnet, security groups, KMS key and Lustre version kept as they are (they cannot change without replacing it)",
        `file system: deployment type, storage, ${lustre.storageCapacityGiB} GiB and throughput must be what it has (a difference would mean replacing it, which its protection refuses); compression, maintenance window, logging, root squash and backups (off) are applied`,
        `file system: Lustre rules for the clients go into the given group ${lustre.adopt.securityGroupId}; no group of its own`,
        ...adopted.map((repository) => `association ${repository.importAssociationId} at ${repository.fileSystemPath} is adopted; its import and export policies become NEW, CHANGED, DELETED both ways`),
        ...created.map((repository) => `association at ${repository.fileSystemPath} is created on the adopted file system, with a batch import of what the bucket already holds`),
    ];
}
