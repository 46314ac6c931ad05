import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    checkLustreSettings,
    DataRepository,
    dataRepositoryPath,
    isPersistent,
    LustreFileSystemSettings,
    LustreDataCompressionType,
    LustreDeploymentType,
    LustreDriveCacheType,
    LustreLogLevel,
    LustreStorageType,
    UncheckedLustreSettings,
} from "./lustreRules";
import { lustreMountProblems, mountCommand } from "./clientScript";
import { ConfigError } from "./problems";

/** Lustre network ports (docs/filesystem.md): LNet on 988, and 1018-1023 for the remaining Lustre traffic. */
export const lustrePortRanges: readonly { readonly fromPort: number; readonly toPort: number }[] = [
    { fromPort: 988, toPort: 988 },
    { fromPort: 1018, toPort: 1023 },
];

/** Events kept in sync in both directions between the file system and its bucket. */
export const dataRepositoryEvents = ["NEW", "CHANGED", "DELETED"] as const;

export interface LustreWithRepositoryArgs {
    /** VPC of the subnet; the file system's security group is created there. */
    readonly vpcId: pulumi.Input<string>;
    /** The one subnet the file system's network interfaces live in. */
    readonly subnetId: pulumi.Input<string>;
    /**
     * Networks allowed to mount the file system (TCP 988 and 1018-1023, both directions).
     * @default []
     * @example ["10.0.0.0/16"]
     */
    readonly clientCidrs?: string[];
    /**
     * Security groups of clients allowed to mount the file system. Give their rules the same ports towards
     * the file system's security group (an output), or add clients later with rules that reference it.
     * @default []
     */
    readonly clientSecurityGroupIds?: pulumi.Input<string>[];
    /** The bucket linked to the file system; it must be in the file system's region (auto-import needs that). */
    readonly bucketName: pulumi.Input<string>;
    /**
     * Key prefix of the bucket linked to the file system; "" links the whole bucket. Short form of a single
     * repository: refused together with a list of repositories.
     * @default ""
     * @example "projects/shared"
     */
    readonly repositoryPrefix?: string;
    /**
     * Where the bucket appears inside the file system. Cannot change without replacing the association. Short form
     * of a single repository: refused together with a list of repositories.
     * @default "/s3"
     */
    readonly fileSystemPath?: string;
    /**
     * One to eight parts of the bucket, each linked at its own path by its own data repository association.
     * Paths must not contain one another ("/" only alone); prefixes end in "/" and must not contain one another
     * ("" only alone). The first entry's association keeps the name of the single association, so a one-repository
     * stack can grow into a list without replacing it: add new repositories at the end.
     * @default [{ fileSystemPath: "/s3", repositoryPrefix: "" }]
     * @example [{ fileSystemPath: "/projects", repositoryPrefix: "projects/" }, { fileSystemPath: "/scratch", repositoryPrefix: "scratch/" }]
     */
    readonly repositories?: LustreRepositoryArgs[];
    /**
     * Root squash: root on a client acts as the given user and group on the file system, except on the listed clients.
     * On a DR site many hosts are rebuilt in a hurry; squashing root keeps a mistake (or an intruder) on one of them
     * from rewriting every file's owner and mode, which FSx then exports to the bucket.
     * @default root is not squashed
     * @example { uidGid: "65534:65534", noSquashNids: ["10.0.1.10@tcp"] }
     */
    readonly rootSquash?: LustreRootSquashArgs;
    /**
     * Adopt this existing file system instead of creating one (Pulumi's `import`). The declared deployment type,
     * storage type, capacity and throughput must match it; its subnet, security groups, KMS key and Lustre version
     * are kept as they are (they cannot change without replacing it). Adopted resources are released, not deleted,
     * when the stack is destroyed.
     * @example "fs-0123456789abcdef0"
     */
    readonly importFileSystemId?: string;
    /**
     * With an adopted file system: one of its security groups. FSx does not report a file system's
     * groups, so lustre-dr is told which one its client rules go into.
     * @example "sg-0123456789abcdef0"
     */
    readonly importSecurityGroupId?: string;
    /**
     * SCRATCH_1 is not accepted: it cannot have a data repository association.
     * @default "PERSISTENT_2"
     */
    readonly deploymentType?: LustreDeploymentType;
    /**
     * HDD only with PERSISTENT_1, and then a drive cache type is required.
     * @default "SSD"
     */
    readonly storageType?: LustreStorageType;
    /**
     * SSD: 1200, 2400, then multiples of 2400. PERSISTENT_1 HDD: multiples of 6000 (12 MB/s/TiB) or 1800 (40 MB/s/TiB).
     * @default 1200
     */
    readonly storageCapacityGib?: number;
    /**
     * MB/s per TiB. PERSISTENT_2: 125, 250, 500, 1000; PERSISTENT_1 SSD: 50, 100, 200; HDD: 12, 40; none on scratch.
     * @default the lowest value of the deployment and storage type (125 for PERSISTENT_2)
     */
    readonly perUnitStorageThroughput?: number;
    /** Read cache for HDD storage; required with HDD, refused with SSD. */
    readonly driveCacheType?: LustreDriveCacheType;
    /**
     * Compression of the file system's data.
     * @default "LZ4"
     */
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
     * Where clients mount the file system, for the mount command output.
     * @default "/fsx"
     */
    readonly mountPoint?: string;
    /**
     * Refuse to delete the file system through Pulumi. The bucket is the durable copy, but the file system may
     * hold files not yet exported.
     * @default true
     */
    readonly protect?: boolean;
    /** Tags for every taggable child resource. */
    readonly tags?: Record<string, string>;
}

/** Root squash of a `LustreWithRepository`: what root on a client becomes on the file system. */
export interface LustreRootSquashArgs {
    /** User and group id root acts as, such as "65534:65534". */
    readonly uidGid: string;
    /**
     * Lustre NIDs of the clients whose root stays root.
     * @default []
     * @example ["10.0.1.10@tcp"]
     */
    readonly noSquashNids?: string[];
}

/** One data repository association of a `LustreWithRepository`. */
export interface LustreRepositoryArgs {
    /** Where this part of the bucket appears inside the file system, such as "/projects". */
    readonly fileSystemPath: string;
    /**
     * Key prefix of the bucket, ending in "/"; "" is the whole bucket.
     * @default ""
     * @example "projects/"
     */
    readonly repositoryPrefix?: string;
    /** Adopt this existing association (`dra-...`) instead of creating one; only with an adopted file system. */
    readonly importAssociationId?: string;
}

/**
 * Args named differently from the rules' fields. "Gib" rather than "GiB" because other Pulumi languages derive their
 * names from these (Python's would be `storage_capacity_gi_b`).
 */
const argNames: Partial<Record<keyof UncheckedLustreSettings, keyof LustreWithRepositoryArgs>> = { storageCapacityGiB: "storageCapacityGib" };

/** The args through the Lustre rules, with the defaults filled in; throws a ConfigError naming each bad field. */
function validatedSettings(args: LustreWithRepositoryArgs): LustreFileSystemSettings {
    const checked = checkLustreSettings(
        {
            deploymentType: args.deploymentType ?? "PERSISTENT_2",
            storageType: args.storageType ?? "SSD",
            storageCapacityGiB: args.storageCapacityGib ?? 1200,
            perUnitStorageThroughput: args.perUnitStorageThroughput,
            driveCacheType: args.driveCacheType,
            dataCompression: args.dataCompression ?? "LZ4",
            fileSystemPath: args.fileSystemPath,
            repositoryPrefix: args.repositoryPrefix,
            repositories: args.repositories?.map((repository) => ({ ...repository, repositoryPrefix: repository.repositoryPrefix ?? "" })),
            rootSquash: args.rootSquash,
            importFileSystemId: args.importFileSystemId,
            importSecurityGroupId: args.importSecurityGroupId,
            weeklyMaintenanceStartTime: args.weeklyMaintenanceStartTime,
            logLevel: args.logLevel ?? "WARN_ERROR",
            kmsKeyId: args.kmsKeyId === undefined ? undefined : "(set)",
        },
        (field) => `LustreWithRepositoryArgs.${argNames[field] ?? field}`,
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
    /** The file system's own security group; absent on an adopted file system, which keeps its groups. */
    public readonly securityGroup?: aws.ec2.SecurityGroup;
    /** Log group of the data repository events; absent when the log level is DISABLED. */
    public readonly logGroup?: aws.cloudwatch.LogGroup;
    /** The FSx for Lustre file system. */
    public readonly fileSystem: aws.fsx.LustreFileSystem;
    /** One per repository, in the order given. */
    public readonly dataRepositoryAssociations: aws.fsx.DataRepositoryAssociation[];
    /** The first repository's association. */
    public readonly dataRepositoryAssociation: aws.fsx.DataRepositoryAssociation;
    /** Id of the file system. */
    public readonly fileSystemId: pulumi.Output<string>;
    /** DNS name clients mount the file system by. */
    public readonly dnsName: pulumi.Output<string>;
    /** Lustre mount name of the file system. */
    public readonly mountName: pulumi.Output<string>;
    /** Id of the first repository's association. */
    public readonly dataRepositoryAssociationId: pulumi.Output<string>;
    /** Ids of every repository's association, in the order given. */
    public readonly dataRepositoryAssociationIds: pulumi.Output<string[]>;
    /** The group clients' Lustre rules go into: the own group, or the adopted file system's given group. */
    public readonly securityGroupId: pulumi.Output<string>;
    /** The command that mounts the file system on a client at the mount point, such as: sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock <dns name>@tcp:/<mount name> /fsx */
    public readonly mountCommand: pulumi.Output<string>;
    /** The capacity the file system was created with, in GiB, for capacity alarms. */
    public readonly storageCapacityGib: number;
    /** The repositories as checked: paths, normalised prefixes, adopted association ids. */
    public readonly repositories: DataRepository[];

    constructor(name: string, args: LustreWithRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered, so invalid args leave no trace in the stack.
        const settings = validatedSettings(args);
        super("lustre-dr:filesystem:LustreWithRepository", name, {}, opts);
        const child = { parent: this };
        const tags = args.tags ?? {};
        const adopted = settings.adopt;
        this.repositories = [...settings.repositories];

        // An adopted file system keeps its security groups (changing them replaces the file system), so only a
        // created one gets a group of its own.
        if (adopted) {
            this.securityGroupId = pulumi.output(adopted.securityGroupId);
        } else {
            this.securityGroup = new aws.ec2.SecurityGroup(
                `${name}-sg`,
                {
                    vpcId: args.vpcId,
                    description: "FSx for Lustre file system: Lustre traffic (TCP 988, 1018-1023) with itself and its clients",
                    tags,
                },
                child,
            );
            this.securityGroupId = this.securityGroup.id;
        }
        this.addLustreRules(name, args, tags, { self: !adopted });

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
        this.storageCapacityGib = settings.storageCapacityGiB;
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
                securityGroupIds: [this.securityGroupId],
                // S3-linked file systems cannot be backed up; the versioned, replicated bucket is the durable copy.
                automaticBackupRetentionDays: 0,
                weeklyMaintenanceStartTime: settings.weeklyMaintenanceStartTime,
                logConfiguration: this.logGroup ? { level: logLevel, destination: this.logGroup.arn } : { level: "DISABLED" },
                rootSquashConfiguration: settings.rootSquash && {
                    rootSquash: settings.rootSquash.uidGid,
                    noSquashNids: settings.rootSquash.noSquashNids.length > 0 ? [...settings.rootSquash.noSquashNids] : undefined,
                },
                tags,
            },
            { ...child, protect: args.protect ?? true, ...(adopted ? adoptionOptions(adopted.fileSystemId, adoptedFileSystemFixedProperties) : {}) },
        );

        this.dataRepositoryAssociations = settings.repositories.map(
            (repository, index) =>
                new aws.fsx.DataRepositoryAssociation(
                    associationName(name, repository, index),
                    {
                        fileSystemId: this.fileSystem.id,
                        fileSystemPath: repository.fileSystemPath,
                        dataRepositoryPath: pulumi.output(args.bucketName).apply((bucket) => dataRepositoryPath(bucket, repository.repositoryPrefix)),
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
                    {
                        ...child,
                        customTimeouts: { create: dataRepositoryAssociationTimeout, delete: dataRepositoryAssociationTimeout },
                        // FSx does not report the create-only batch import flag: without ignoring it an adopted
                        // association would be replaced.
                        ...(repository.importAssociationId ? adoptionOptions(repository.importAssociationId, ["batchImportMetaDataOnCreate"]) : {}),
                    },
                ),
        );
        this.dataRepositoryAssociation = this.dataRepositoryAssociations[0];

        this.fileSystemId = this.fileSystem.id;
        this.dnsName = this.fileSystem.dnsName;
        this.mountName = this.fileSystem.mountName;
        this.dataRepositoryAssociationId = this.dataRepositoryAssociation.id;
        this.dataRepositoryAssociationIds = pulumi.all(this.dataRepositoryAssociations.map((association) => association.id));
        const mountPoint = args.mountPoint ?? "/fsx";
        this.mountCommand = pulumi
            .all([this.fileSystem.dnsName, this.fileSystem.mountName])
            .apply(([dnsName, mountName]) => mountCommand({ dnsName, mountName, mountPoint }));

        this.registerOutputs({
            fileSystemId: this.fileSystemId,
            dnsName: this.dnsName,
            mountName: this.mountName,
            dataRepositoryAssociationId: this.dataRepositoryAssociationId,
            dataRepositoryAssociationIds: this.dataRepositoryAssociationIds,
            securityGroupId: this.securityGroupId,
            mountCommand: this.mountCommand,
        });
    }

    /**
     * One ingress and one egress rule per port range and peer: the group itself (file servers talk to each
     * other; an adopted file system's group already allows that), each client network and each client security group.
     */
    private addLustreRules(name: string, args: LustreWithRepositoryArgs, tags: Record<string, string>, include: { readonly self: boolean }): void {
        const child = { parent: this };
        const peers: { readonly label: string; readonly cidrIpv4?: string; readonly referencedSecurityGroupId?: pulumi.Input<string> }[] = [
            ...(include.self ? [{ label: "self", referencedSecurityGroupId: this.securityGroupId }] : []),
            ...(args.clientCidrs ?? []).map((cidr) => ({ label: `cidr-${cidr.replace(/[./]/g, "-")}`, cidrIpv4: cidr })),
            ...(args.clientSecurityGroupIds ?? []).map((id, index) => ({ label: `client-sg-${index}`, referencedSecurityGroupId: id })),
        ];
        for (const peer of peers) {
            for (const ports of lustrePortRanges) {
                const portLabel = ports.fromPort === ports.toPort ? `${ports.fromPort}` : `${ports.fromPort}-${ports.toPort}`;
                const rule = {
                    securityGroupId: this.securityGroupId,
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

/**
 * Properties of an adopted file system that cannot change without replacing it and that lustre-dr cannot know
 * offline: they stay as they are.
 */
export const adoptedFileSystemFixedProperties = ["securityGroupIds", "subnetIds", "kmsKeyId", "fileSystemTypeVersion"] as const;

/**
 * Resource options that adopt an existing resource: import it, leave alone what cannot change in place, and release
 * it instead of deleting it when the stack goes (it was somebody's before it was ours).
 */
function adoptionOptions(id: string, fixed: readonly string[]): pulumi.CustomResourceOptions {
    return { import: id, ignoreChanges: [...fixed], retainOnDelete: true };
}

/** The first association keeps the single-association name, so a stack can grow from one repository to several. */
function associationName(name: string, repository: DataRepository, index: number): string {
    if (index === 0) {
        return `${name}-dra`;
    }
    const slug = repository.fileSystemPath.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    return `${name}-dra-${slug || "root"}`;
}
