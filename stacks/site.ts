/**
 * One side of the DR pair. The primary and the dr stack run the same composition; the role only changes
 * defaults (Lustre on for primary, off for a pilot-light dr side).
 */
import * as pulumi from "@pulumi/pulumi";
import { LustreClient } from "../components/lustreClient";
import { LustreNetwork, LustreNetworkArgs } from "../components/lustreNetwork";
import { isPersistent } from "../components/lustreRules";
import { LustreWithRepository } from "../components/lustreWithRepository";
import { ReplicatedBucket } from "../components/replicatedBucket";
import { ReplicationAlarms } from "../components/replicationAlarms";
import { WriteActivityAlarms } from "../components/writeActivityAlarms";
import { bucketNameFromArn } from "./bucketName";
import type { ClientSettings, NetworkSettings, SiteConfig } from "./config";
import type { HandshakeDecision } from "./handshake";
import type { SiteOutputs } from "./outputs";
import { roleNames } from "./roles";

export { roleArn, roleNames } from "./roles";

/** Facts about the deploying account, resolved before any resource is declared. */
export interface DeploymentIdentity {
    readonly accountId: string;
    readonly partition: string;
    readonly project: string;
    readonly stack: string;
}

/**
 * Tags on every taggable resource: the operator's own (`lustre-dr:tags`), and lustre-dr's, so both sides of a pair
 * can be found in the console and in cost reports. lustre-dr's come last: validation refuses operator tags that
 * would override them, and this order keeps them even for a caller that skipped validation.
 */
export function siteTags(config: SiteConfig, identity: DeploymentIdentity): Record<string, string> {
    return { ...config.tags, "lustre-dr:stack": identity.stack, "lustre-dr:role": config.role };
}

export type SiteStackOutputs = { [K in keyof SiteOutputs]: pulumi.Input<SiteOutputs[K]> };

/** Secret config, read in stacks/program.ts and passed down as secrets; never part of SiteConfig. */
export interface SiteSecrets {
    /** `lustre-dr:sshPrivateKey`: the key ssh clients log in with. */
    readonly sshPrivateKey?: pulumi.Input<string>;
}

export function buildSite(
    config: SiteConfig,
    identity: DeploymentIdentity,
    handshake: HandshakeDecision,
    secrets: SiteSecrets = {},
): SiteStackOutputs {
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
        importExisting: config.bucket.importExisting,
        replicationRoleName: names.replication,
        batchReplicationRoleName: names.batchReplication,
        restoreBatchRoleName: names.restoreBatch,
        acceptReplicasFrom: handshake.acceptReplicasFrom,
        replicateTo: handshake.replicateTo,
        replicationTimeControl: config.bucket.replicationTimeControl,
        tags,
    });

    const lustre = config.lustre.enabled ? buildFileSystem(config, storage, tags) : undefined;
    const clients = lustre ? buildClients(config.clients, lustre, identity, secrets, tags) : [];

    const replicateTo = handshake.replicateTo;
    const alarms = new ReplicationAlarms("alarms", {
        replication: replicateTo && {
            sourceBucketName: storage.bucketName,
            destinationBucketName: bucketNameFromArn(replicateTo.bucketArn),
        },
        latencyThresholdSeconds: config.alarms.replicationLatencySeconds,
        email: config.alarms.email,
        fileSystem: lustre && { id: lustre.fileSystem.fileSystemId, storageCapacityGiB: lustre.fileSystem.storageCapacityGib },
        tags,
    });
    if (config.alarms.writeActivity) {
        // A compromised side's overwrites and delete markers replicate; the old versions last only the retention period.
        new WriteActivityAlarms("write-activity", {
            bucketName: storage.bucketName,
            topicArn: alarms.topic.arn,
            deleteRequestsPer5Minutes: config.alarms.deleteRequestsPer5Minutes,
            putRequestsPer5Minutes: config.alarms.putRequestsPer5Minutes,
            tags,
        });
    }

    return {
        accountId: identity.accountId,
        region: config.region,
        role: config.role,
        bucketName: storage.bucketName,
        bucketArn: storage.bucketArn,
        ...(storage.kmsKey ? { kmsKeyArn: storage.kmsKey.arn } : {}),
        replicationRoleArn: storage.replicationRole.arn,
        batchReplicationRoleArn: storage.batchReplicationRole.arn,
        ...(storage.restoreBatchRole ? { restoreBatchRoleArn: storage.restoreBatchRole.arn } : {}),
        replicationGrantedTo: handshake.acceptReplicasFrom ? [handshake.acceptReplicasFrom] : [],
        replicationStatus: handshake.status,
        objectLockEnabled: config.bucket.objectLock !== undefined,
        alarmTopicArn: alarms.topic.arn,
        ...(lustre
            ? {
                  vpcId: lustre.network.vpcId,
                  subnetId: lustre.network.subnetId,
                  securityGroupId: lustre.fileSystem.securityGroupId,
                  ...instanceIdsOf(config.clients, clients),
                  fileSystemId: lustre.fileSystem.fileSystemId,
                  fileSystemDnsName: lustre.fileSystem.dnsName,
                  fileSystemMountName: lustre.fileSystem.mountName,
                  dataRepositoryAssociationId: lustre.fileSystem.dataRepositoryAssociationId,
                  dataRepositoryAssociationIds: lustre.fileSystem.dataRepositoryAssociationIds,
                  dataRepositories: config.lustre.repositories.map((repository) => ({
                      fileSystemPath: repository.fileSystemPath,
                      repositoryPrefix: repository.repositoryPrefix === "" ? "" : `${repository.repositoryPrefix}/`,
                  })),
                  mountCommand: lustre.fileSystem.mountCommand,
              }
            : {}),
    };
}

/** `clientInstanceIds`: each instance client's EC2 instance id by client name (what `drill --fs` and SSM take). */
function instanceIdsOf(settings: readonly ClientSettings[], clients: readonly LustreClient[]): { clientInstanceIds?: pulumi.Output<Record<string, string>> } {
    const ids = settings.flatMap((client, index) => {
        const instanceId = clients[index]?.instanceId;
        return instanceId === undefined ? [] : [[client.name, instanceId] as const];
    });
    return ids.length === 0 ? {} : { clientInstanceIds: pulumi.all(Object.fromEntries(ids)) };
}

/**
 * What a pilot-light side declares nothing for yet, but `lustre-dr recover` creates (lustre.enabled switched on):
 * the file system, its network and the clients declared ahead. Empty when Lustre is already enabled.
 */
export function createdOnRecovery(config: SiteConfig): string[] {
    if (config.lustre.enabled) {
        return [];
    }
    const lustre = config.lustre;
    const network = config.network === undefined ? undefined : "create" in config.network ? `a new network ${config.network.cidr}` : `network ${config.network.vpcId}/${config.network.subnetId}`;
    return [
        `file system ${lustre.deploymentType} ${lustre.storageType} ${lustre.storageCapacityGiB} GiB${network ? `, in ${network}` : ""}: created on recovery`,
        ...config.clients.map((client) =>
            client.kind === "instance"
                ? `client ${client.name} (instance ${client.instanceType}, ${client.os}, mounted at ${client.mountPoint}): created on recovery`
                : `client ${client.name} (ssh ${client.user}@${client.host}, mounted at ${client.mountPoint}): created on recovery`,
        ),
    ];
}

/** The config's network as component args: an existing VPC, or a minimal private one in this region. */
export function networkArgs(network: NetworkSettings, region: string, tags: Record<string, string>): LustreNetworkArgs {
    return "create" in network
        ? { kind: "create", region, cidr: network.cidr, clientCidrs: network.clientCidrs, availabilityZone: network.availabilityZone, tags }
        : { kind: "existing", vpcId: network.vpcId, subnetId: network.subnetId, clientCidrs: network.clientCidrs };
}

/**
 * The file system on this side's bucket, in its network. Only when Lustre is enabled: a pilot-light side pays
 * for neither the file system nor the network endpoints until a recovery switches it on.
 */
function buildFileSystem(
    config: SiteConfig,
    storage: ReplicatedBucket,
    tags: Record<string, string>,
): { network: LustreNetwork; fileSystem: LustreWithRepository } {
    if (config.network === undefined) {
        // parseSiteConfig refuses lustre.enabled without a network; this only guards other callers.
        throw new Error("lustre-dr:network is required when Lustre is enabled");
    }
    const settings = config.lustre;
    const network = new LustreNetwork("network", networkArgs(config.network, config.region, tags));
    const fileSystem = new LustreWithRepository(
        "lustre",
        {
            vpcId: network.vpcId,
            subnetId: network.subnetId,
            clientCidrs: network.clientCidrs,
            bucketName: storage.bucketName,
            repositories: settings.repositories.map((repository) => ({
                fileSystemPath: repository.fileSystemPath,
                // The checked prefix is normalised (no trailing slash); the component's list form wants one.
                repositoryPrefix: repository.repositoryPrefix === "" ? "" : `${repository.repositoryPrefix}/`,
                importAssociationId: repository.importAssociationId,
            })),
            rootSquash: settings.rootSquash && { uidGid: settings.rootSquash.uidGid, noSquashNids: [...settings.rootSquash.noSquashNids] },
            importFileSystemId: settings.adopt?.fileSystemId,
            importSecurityGroupId: settings.adopt?.securityGroupId,
            deploymentType: settings.deploymentType,
            storageType: settings.storageType,
            storageCapacityGib: settings.storageCapacityGiB,
            perUnitStorageThroughput: settings.perUnitStorageThroughput,
            driveCacheType: settings.driveCacheType,
            dataCompression: settings.dataCompression,
            // With SSE-KMS the file system uses the bucket's key too (scratch types cannot take one).
            kmsKeyId: storage.kmsKey && isPersistent(settings.deploymentType) ? storage.kmsKey.arn : undefined,
            weeklyMaintenanceStartTime: settings.weeklyMaintenanceStartTime,
            logLevel: settings.logLevel,
            tags,
        },
        // The association needs the bucket, its policy and its key policy (which admits the FSx role) in place.
        { dependsOn: [storage] },
    );
    return { network, fileSystem };
}

/**
 * One LustreClient per configured client, in the file system's subnet. Instance clients add their own rules to the
 * file system's security group, so the file system never depends on its clients (and they can come and go).
 */
function buildClients(
    clients: readonly ClientSettings[],
    lustre: { network: LustreNetwork; fileSystem: LustreWithRepository },
    identity: DeploymentIdentity,
    secrets: SiteSecrets,
    tags: Record<string, string>,
): LustreClient[] {
    const fileSystem = {
        id: lustre.fileSystem.fileSystemId,
        dnsName: lustre.fileSystem.dnsName,
        mountName: lustre.fileSystem.mountName,
        securityGroupId: lustre.fileSystem.securityGroupId,
    };
    return clients.map((client) => {
        const name = `client-${client.name}`;
        if (client.kind === "instance") {
            return new LustreClient(name, {
                kind: "instance",
                fileSystem,
                os: client.os,
                instanceType: client.instanceType,
                mountPoint: client.mountPoint,
                vpcId: lustre.network.vpcId,
                subnetId: lustre.network.subnetId,
                partition: identity.partition,
                tags,
            });
        }
        if (secrets.sshPrivateKey === undefined) {
            // parseSiteConfig refuses ssh clients without the key; this only guards other callers.
            throw new Error(`client ${client.name} is an ssh client, but lustre-dr:sshPrivateKey is not set`);
        }
        return new LustreClient(name, {
            kind: "ssh",
            fileSystem,
            host: client.host,
            user: client.user,
            privateKey: pulumi.secret(secrets.sshPrivateKey),
            mountPoint: client.mountPoint,
            tags,
        });
    });
}
