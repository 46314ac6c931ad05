import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    checkLustreSettings,
    dataRepositoryPath,
    isPersistent,
    LustreFileSystemSettings,
    LustreDataCompressionType,
    LustreDeploymentType,
    LustreDriveCacheType,
    LustreLogLevel,
    LustreStorageType,
} from "./lustreRules";
import { lustreMountProblems, mountCommand } from "./clientScript";
import { ConfigError } from "./problems";

/** Lustre network ports (design.md §7): LNet on 988, and 1018-1023 for the remaining Lustre traffic. */
export const lustrePortRanges: readonly { readonly fromPort: number; readonly toPort: number }[] = [
    { fromPort: 988, toPort: 988 },
    { fromPort: 1018, toPort: 1023 },
];

/** Events kept in sync in both directions between the file system and its bucket. */
export const dataRepositoryEvents = ["NEW", "CHANGED", "DELETED"] as const;

export interface LustreWithRepositoryArgs {
    /** VPC of `subnetId`; the file system's security group is created there. */
    readonly vpcId: pulumi.Input<string>;
    /** The one subnet the file system's network interfaces live in. */
    readonly subnetId: pulumi.Input<string>;
    /**
     * Networks allowed to mount the file system (TCP 988 and 1018-1023, both directions).
     * @default []
     * @example ["10.0.0.0/16"]
     */
    readonly clientCidrs?: readonly string[];
    /**
     * Security groups of clients allowed to mount the file system. Give their rules the same ports towards
     * `securityGroupId`, or add clients later with rules that reference `securityGroupId`.
     * @default []
     */
    readonly clientSecurityGroupIds?: readonly pulumi.Input<string>[];
    /** The bucket linked to the file system; it must be in the file system's region (auto-import needs that). */
    readonly bucketName: pulumi.Input<string>;
    /**
     * Key prefix of the bucket linked to the file system; "" links the whole bucket.
     * @default ""
     * @example "projects/shared"
     */
    readonly repositoryPrefix?: string;
    /**
     * Where the bucket appears inside the file system. Cannot change without replacing the association.
     * @default "/s3"
     */
    readonly fileSystemPath?: string;
    /**
     * SCRATCH_1 is not accepted: it cannot have a data repository association.
     * @default "PERSISTENT_2"
     */
    readonly deploymentType?: LustreDeploymentType;
    /**
     * HDD only with PERSISTENT_1, and then `driveCacheType` is required.
     * @default "SSD"
     */
    readonly storageType?: LustreStorageType;
    /**
     * SSD: 1200, 2400, then multiples of 2400. PERSISTENT_1 HDD: multiples of 6000 (12 MB/s/TiB) or 1800 (40 MB/s/TiB).
     * @default 1200
     */
    readonly storageCapacityGiB?: number;
    /**
     * MB/s per TiB. PERSISTENT_2: 125, 250, 500, 1000; PERSISTENT_1 SSD: 50, 100, 200; HDD: 12, 40; none on scratch.
     * @default the lowest value of the deployment and storage type (125 for PERSISTENT_2)
     */
    readonly perUnitStorageThroughput?: number;
    /** Read cache for HDD storage; required with HDD, refused with SSD. */
    readonly driveCacheType?: LustreDriveCacheType;
    /** @default "LZ4" */
    readonly dataCompression?: LustreDataCompressionType;
    /**
     * Customer-managed key for the file system's storage, honoured only by persistent types (refused on SCRATCH_2).
     * Absent: an FSx-managed key.
     */
    readonly kmsKeyId?: pulumi.Input<string>;
    /**
     * Weekly maintenance window start, `d:HH:MM` in UTC (1 = Monday).
     * @default chosen by FSx
     * @example "7:03:00"
     */
    readonly weeklyMaintenanceStartTime?: string;
    /**
     * Data repository events logged to CloudWatch Logs (import and export failures show up here first).
     * @default "WARN_ERROR"
     */
    readonly logLevel?: LustreLogLevel;
    /**
     * Days the log group keeps data repository events.
     * @default 90
     */
    readonly logRetentionDays?: number;
    /**
     * Where clients mount the file system, for `mountCommand`.
     * @default "/fsx"
     */
    readonly mountPoint?: string;
    /**
     * Refuse to delete the file system through Pulumi. The bucket is the durable copy, but the file system may
     * hold files not yet exported.
     * @default true
     */
    readonly protect?: boolean;
    readonly tags?: Record<string, string>;
}

/** The args through the Lustre rules, with the defaults filled in; throws a ConfigError naming each bad field. */
function validatedSettings(args: LustreWithRepositoryArgs): LustreFileSystemSettings {
    const checked = checkLustreSettings(
        {
            deploymentType: args.deploymentType ?? "PERSISTENT_2",
            storageType: args.storageType ?? "SSD",
            storageCapacityGiB: args.storageCapacityGiB ?? 1200,
            perUnitStorageThroughput: args.perUnitStorageThroughput,
            driveCacheType: args.driveCacheType,
            dataCompression: args.dataCompression ?? "LZ4",
            fileSystemPath: args.fileSystemPath ?? "/s3",
            repositoryPrefix: args.repositoryPrefix ?? "",
            weeklyMaintenanceStartTime: args.weeklyMaintenanceStartTime,
            logLevel: args.logLevel ?? "WARN_ERROR",
            kmsKeyId: args.kmsKeyId === undefined ? undefined : "(set)",
        },
        (field) => `LustreWithRepositoryArgs.${field}`,
    );
    // The mount point only shapes the mountCommand output; checked here so that output cannot fail later.
    const mountPoint = args.mountPoint ?? "/fsx";
    const mountPointProblems = lustreMountProblems({ dnsName: "fs.example", mountName: "fsx", mountPoint }).map((expected) => ({
        key: "LustreWithRepositoryArgs.mountPoint",
        value: mountPoint,
        expected: `an absolute path for the clients (${expected})`,
    }));
    const retention = args.logRetentionDays;
    const retentionProblems =
        retention === undefined || logRetentionDays.includes(retention)
            ? []
            : [{ key: "LustreWithRepositoryArgs.logRetentionDays", value: retention, expected: `one of ${logRetentionDays.join(", ")} (what CloudWatch Logs accepts)` }];
    const problems = [...checked.problems, ...mountPointProblems, ...retentionProblems];
    if (!("settings" in checked) || problems.length > 0) {
        throw new ConfigError(problems);
    }
    return checked.settings;
}

/** Retention periods CloudWatch Logs accepts, in days. */
export const logRetentionDays: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** How long FSx may take to create a data repository association (the API often needs well over 10 minutes). */
export const dataRepositoryAssociationTimeout = "30m";

/**
 * An FSx for Lustre file system (Lustre 2.15) linked to an S3 bucket by one data repository association that
 * imports and exports new, changed and deleted files automatically.
 *
 * Backups are off: FSx does not support them on file systems linked to S3. The bucket, versioned and replicated,
 * is the durable copy.
 */
export class LustreWithRepository extends pulumi.ComponentResource {
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly logGroup?: aws.cloudwatch.LogGroup;
    public readonly fileSystem: aws.fsx.LustreFileSystem;
    public readonly dataRepositoryAssociation: aws.fsx.DataRepositoryAssociation;
    public readonly fileSystemId: pulumi.Output<string>;
    public readonly dnsName: pulumi.Output<string>;
    public readonly mountName: pulumi.Output<string>;
    public readonly dataRepositoryAssociationId: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /** `sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock <dns>@tcp:/<mountName> /fsx` */
    public readonly mountCommand: pulumi.Output<string>;
    /** The capacity the file system was created with, for capacity alarms. */
    public readonly storageCapacityGiB: number;

    constructor(name: string, args: LustreWithRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered, so invalid args leave no trace in the stack.
        const settings = validatedSettings(args);
        super("lustre-dr:filesystem:LustreWithRepository", name, {}, opts);
        const child = { parent: this };
        const tags = args.tags ?? {};

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: "FSx for Lustre file system: Lustre traffic (TCP 988, 1018-1023) with itself and its clients",
                tags,
            },
            child,
        );
        this.addLustreRules(name, args, tags);

        const logLevel = settings.logLevel;
        if (logLevel !== "DISABLED") {
            // Under /aws/fsx/ because FSx only writes to log groups there; a prefix keeps two file systems apart.
            this.logGroup = new aws.cloudwatch.LogGroup(
                `${name}-logs`,
                { namePrefix: `/aws/fsx/${name}-`, retentionInDays: args.logRetentionDays ?? 90, tags },
                child,
            );
        }

        const persistent = isPersistent(settings.deploymentType);
        this.storageCapacityGiB = settings.storageCapacityGiB;
        this.fileSystem = new aws.fsx.LustreFileSystem(
            `${name}-fs`,
            {
                fileSystemTypeVersion: "2.15",
                deploymentType: settings.deploymentType,
                storageType: settings.storageType,
                storageCapacity: settings.storageCapacityGiB,
                perUnitStorageThroughput: settings.perUnitStorageThroughput,
                driveCacheType: settings.driveCacheType,
                dataCompressionType: settings.dataCompression,
                kmsKeyId: persistent ? args.kmsKeyId : undefined,
                subnetIds: args.subnetId,
                securityGroupIds: [this.securityGroup.id],
                // S3-linked file systems cannot be backed up; the versioned, replicated bucket is the durable copy.
                automaticBackupRetentionDays: 0,
                weeklyMaintenanceStartTime: settings.weeklyMaintenanceStartTime,
                logConfiguration: this.logGroup ? { level: logLevel, destination: this.logGroup.arn } : { level: "DISABLED" },
                tags,
            },
            { ...child, protect: args.protect ?? true },
        );

        this.dataRepositoryAssociation = new aws.fsx.DataRepositoryAssociation(
            `${name}-dra`,
            {
                fileSystemId: this.fileSystem.id,
                fileSystemPath: settings.fileSystemPath,
                dataRepositoryPath: pulumi.output(args.bucketName).apply((bucket) => dataRepositoryPath(bucket, settings.repositoryPrefix)),
                // A file system created during recovery must list what the bucket already holds.
                batchImportMetaDataOnCreate: true,
                // Removing the association must never delete files that were not yet exported.
                deleteDataInFilesystem: false,
                s3: {
                    autoImportPolicy: { events: [...dataRepositoryEvents] },
                    autoExportPolicy: { events: [...dataRepositoryEvents] },
                },
                tags,
            },
            { ...child, customTimeouts: { create: dataRepositoryAssociationTimeout, delete: dataRepositoryAssociationTimeout } },
        );

        this.fileSystemId = this.fileSystem.id;
        this.dnsName = this.fileSystem.dnsName;
        this.mountName = this.fileSystem.mountName;
        this.dataRepositoryAssociationId = this.dataRepositoryAssociation.id;
        this.securityGroupId = this.securityGroup.id;
        const mountPoint = args.mountPoint ?? "/fsx";
        this.mountCommand = pulumi
            .all([this.fileSystem.dnsName, this.fileSystem.mountName])
            .apply(([dnsName, mountName]) => mountCommand({ dnsName, mountName, mountPoint }));

        this.registerOutputs({
            fileSystemId: this.fileSystemId,
            dnsName: this.dnsName,
            mountName: this.mountName,
            dataRepositoryAssociationId: this.dataRepositoryAssociationId,
            securityGroupId: this.securityGroupId,
            mountCommand: this.mountCommand,
        });
    }

    /**
     * One ingress and one egress rule per port range and peer: the group itself (file servers talk to each
     * other), each client network and each client security group.
     */
    private addLustreRules(name: string, args: LustreWithRepositoryArgs, tags: Record<string, string>): void {
        const child = { parent: this };
        const peers: { readonly label: string; readonly cidrIpv4?: string; readonly referencedSecurityGroupId?: pulumi.Input<string> }[] = [
            { label: "self", referencedSecurityGroupId: this.securityGroup.id },
            ...(args.clientCidrs ?? []).map((cidr) => ({ label: `cidr-${cidr.replace(/[./]/g, "-")}`, cidrIpv4: cidr })),
            ...(args.clientSecurityGroupIds ?? []).map((id, index) => ({ label: `client-sg-${index}`, referencedSecurityGroupId: id })),
        ];
        for (const peer of peers) {
            for (const ports of lustrePortRanges) {
                const portLabel = ports.fromPort === ports.toPort ? `${ports.fromPort}` : `${ports.fromPort}-${ports.toPort}`;
                const rule = {
                    securityGroupId: this.securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: ports.fromPort,
                    toPort: ports.toPort,
                    cidrIpv4: peer.cidrIpv4,
                    referencedSecurityGroupId: peer.referencedSecurityGroupId,
                    tags,
                };
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-in-${portLabel}-${peer.label}`,
                    { ...rule, description: `Lustre ${portLabel} from ${peer.label}` },
                    child,
                );
                new aws.vpc.SecurityGroupEgressRule(
                    `${name}-out-${portLabel}-${peer.label}`,
                    { ...rule, description: `Lustre ${portLabel} to ${peer.label}` },
                    child,
                );
            }
        }
    }
}
