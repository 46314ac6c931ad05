/**
 * A host that mounts an FSx for Lustre file system: either an EC2 instance this component launches (`instance`), or
 * an existing host it configures over SSH (`ssh`). Both run the same generated script (clientScript.ts).
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { asRootCommand, ClientOs, installAndMountScript, isValidMountPoint, mountCommand, mountPointRule, unmountScript } from "./clientScript";
import { lustrePortRanges } from "./lustreWithRepository";
import type { PolicyDocument } from "./policyDocuments";

/** The file system a client mounts; the outputs of LustreWithRepository. */
export interface MountedFileSystem {
    /**
     * Id of the file system.
     * @example "fs-0123456789abcdef0"
     */
    readonly id: pulumi.Input<string>;
    /**
     * DNS name of the file system.
     * @example "fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com"
     */
    readonly dnsName: pulumi.Input<string>;
    /**
     * Lustre mount name of the file system.
     * @example "abcdefgh"
     */
    readonly mountName: pulumi.Input<string>;
    /**
     * The file system's security group. An `instance` client adds the Lustre ingress rules for its own security
     * group to it, so adding or removing a client never changes the file system component.
     * @example "sg-0123456789abcdef0"
     */
    readonly securityGroupId: pulumi.Input<string>;
}

/** How a LustreClient reaches its host. */
export const LustreClientKind = {
    /** An EC2 instance the component launches in the file system's VPC, reached through Systems Manager (no SSH key, no inbound SSH). */
    instance: "instance",
    /** An existing host the component configures over SSH; its network path to the file system is the operator's. */
    ssh: "ssh",
} as const;
export type LustreClientKind = (typeof LustreClientKind)[keyof typeof LustreClientKind];

/**
 * Arguments of a LustreClient. `kind` chooses the client; fields marked "instance only" or "ssh only" belong to that
 * kind, are required or refused accordingly, and are checked before any resource is registered. One interface with a
 * kind, rather than a union of two, so that other Pulumi languages get the same arguments from the component
 * package's schema (PulumiPlugin.yaml).
 */
export interface LustreClientArgs {
    /** Launch an EC2 instance (`instance`) or configure an existing host over SSH (`ssh`). */
    readonly kind: LustreClientKind;
    /** The file system to mount: the outputs of a LustreWithRepository. */
    readonly fileSystem: MountedFileSystem;
    /**
     * Absolute directory the file system is mounted at.
     * @default "/fsx"
     */
    readonly mountPoint?: string;
    /** Tags for every taggable child resource. */
    readonly tags?: Record<string, string>;
    /**
     * Instance only. Operating system; the AMI is the latest one AWS or Canonical publish for it (SSM public parameters).
     * @default "al2023"
     */
    readonly os?: ClientOs;
    /**
     * Instance only. EC2 instance type. Graviton types (`m7g.large`, `c6gn.xlarge`, ...) get the arm64 AMI.
     * @default "m6i.large"
     */
    readonly instanceType?: string;
    /** Instance only, required. VPC of the file system. @example "vpc-0123456789abcdef0" */
    readonly vpcId?: pulumi.Input<string>;
    /** Instance only, required. Subnet to launch in, normally the file system's. @example "subnet-0123456789abcdef0" */
    readonly subnetId?: pulumi.Input<string>;
    /**
     * Instance only. Where the instance may open HTTP(S) connections: package repositories and the Systems Manager endpoints.
     * @default ["0.0.0.0/0"]
     */
    readonly httpsEgressCidrs?: string[];
    /**
     * Instance only. AWS partition, for the managed policy ARN.
     * @default "aws"
     */
    readonly partition?: string;
    /** SSH only, required. Address of the host. @example "10.0.3.17" */
    readonly host?: pulumi.Input<string>;
    /** SSH only, required. A user that is root or may `sudo` without a password. @example "ec2-user" */
    readonly user?: string;
    /** SSH only, required. PEM private key; kept secret in state whatever is passed in. */
    readonly privateKey?: pulumi.Input<string>;
    /**
     * SSH only. TCP port of the SSH server.
     * @default 22
     */
    readonly port?: number;
}

/** The arguments of an `instance` client, once checked. */
export type InstanceClientArgs = LustreClientArgs & {
    readonly kind: "instance";
    readonly vpcId: pulumi.Input<string>;
    readonly subnetId: pulumi.Input<string>;
};

/** The arguments of an `ssh` client, once checked. */
export type SshClientArgs = LustreClientArgs & {
    readonly kind: "ssh";
    readonly host: pulumi.Input<string>;
    readonly user: string;
    readonly privateKey: pulumi.Input<string>;
};

const instanceOnly = ["os", "instanceType", "vpcId", "subnetId", "httpsEgressCidrs", "partition"] as const;
const sshOnly = ["host", "user", "privateKey", "port"] as const;


/**
 * CPU architecture of an instance type: Graviton families carry a `g` after the generation (m7g, c6gn, x2gd, g5g);
 * `a1` is the first Graviton.
 */
export function instanceArchitecture(instanceType: string): "x86_64" | "arm64" {
    const family = instanceType.split(".")[0];
    if (family === "a1") {
        return "arm64";
    }
    const match = /^[a-z]+\d+([a-z-]*)$/.exec(family);
    return match && match[1].includes("g") ? "arm64" : "x86_64";
}

/** The SSM public parameter holding the latest AMI id for an OS and architecture. */
export function amiParameterName(os: ClientOs, architecture: "x86_64" | "arm64"): string {
    switch (os) {
        case "al2023":
            return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
        case "al2":
            // The 5.10 kernel: `amazon-linux-extras install lustre` has modules for it.
            return `/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-${architecture}-gp2`;
        case "ubuntu2204":
            return `/aws/service/canonical/ubuntu/server/22.04/stable/current/${architecture === "x86_64" ? "amd64" : "arm64"}/hvm/ebs-gp2/ami-id`;
    }
}

const instanceTypePattern = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** What an instance type must look like, as a phrase for messages. */
export const instanceTypeRule = "an EC2 instance type such as m6i.large (family.size)";

export function isValidInstanceType(instanceType: string): boolean {
    return instanceTypePattern.test(instanceType);
}

/** Problems with the plain arguments, found before any resource is registered. */
export function lustreClientArgsProblems(args: LustreClientArgs): string[] {
    const problems: string[] = [];
    const kinds = Object.values(LustreClientKind);
    if (!kinds.includes(args.kind)) {
        return [`args.kind ${JSON.stringify(args.kind)} is not one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}`];
    }
    const [required, refused] = args.kind === "instance" ? [["vpcId", "subnetId"] as const, sshOnly] : [["host", "user", "privateKey"] as const, instanceOnly];
    for (const field of required) {
        if (args[field] === undefined) {
            problems.push(`args.${field} is required with kind ${JSON.stringify(args.kind)}`);
        }
    }
    for (const field of refused) {
        if (args[field] !== undefined) {
            problems.push(`args.${field} is only for ${args.kind === "instance" ? "ssh" : "instance"} clients, not with kind ${JSON.stringify(args.kind)}`);
        }
    }
    const mountPoint = args.mountPoint ?? "/fsx";
    if (!isValidMountPoint(mountPoint)) {
        problems.push(`args.mountPoint ${JSON.stringify(mountPoint)} is not ${mountPointRule}`);
    }
    if (args.kind === "instance" && args.instanceType !== undefined && !isValidInstanceType(args.instanceType)) {
        problems.push(`args.instanceType ${JSON.stringify(args.instanceType)} is not ${instanceTypeRule}`);
    }
    if (args.kind === "ssh" && (args.port !== undefined && (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535))) {
        problems.push(`args.port ${JSON.stringify(args.port)} is not a TCP port (1-65535)`);
    }
    return problems;
}

function ec2TrustPolicy(): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "Ec2AssumesForInstanceProfile", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    };
}

/**
 * A host that mounts an FSx for Lustre file system at boot: an EC2 instance the component launches in the file
 * system's VPC (kind `instance`), or an existing host it configures over SSH (kind `ssh`).
 */
export class LustreClient extends pulumi.ComponentResource {
    /** Which kind of client this is. */
    readonly kind: LustreClientKind;
    /** The command that mounts the file system by hand on a host that has the Lustre client installed. */
    readonly mountCommand: pulumi.Output<string>;
    /** The EC2 instance id (`instance` clients only); connect with `aws ssm start-session --target <id>`. */
    readonly instanceId?: pulumi.Output<string>;
    /** The client's security group (`instance` clients only). */
    readonly securityGroupId?: pulumi.Output<string>;

    constructor(name: string, args: LustreClientArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = lustreClientArgsProblems(args);
        if (problems.length > 0) {
            throw new Error(`LustreClient ${name}: ${problems.join("; ")}`);
        }
        super("lustre-dr:filesystem:LustreClient", name, {}, opts);
        this.kind = args.kind;
        const mountPoint = args.mountPoint ?? "/fsx";
        const fs = args.fileSystem;
        const mountOf = (dnsName: string, mountName: string) => ({ dnsName, mountName, mountPoint });

        this.mountCommand = pulumi.all([fs.dnsName, fs.mountName]).apply(([dnsName, mountName]) => mountCommand(mountOf(dnsName, mountName)));

        if (args.kind === "instance") {
            const instance = this.launchInstance(name, args as InstanceClientArgs, mountPoint);
            this.instanceId = instance.instance.id;
            this.securityGroupId = instance.securityGroup.id;
        } else {
            this.configureHost(name, args as SshClientArgs, mountPoint);
        }

        this.registerOutputs({ mountCommand: this.mountCommand, instanceId: this.instanceId, securityGroupId: this.securityGroupId });
    }

    private launchInstance(name: string, args: InstanceClientArgs, mountPoint: string): { instance: aws.ec2.Instance; securityGroup: aws.ec2.SecurityGroup } {
        const os = args.os ?? "al2023";
        const instanceType = args.instanceType ?? "m6i.large";
        const partition = args.partition ?? "aws";
        const tags = args.tags ?? {};
        const fs = args.fileSystem;
        const parent = { parent: this };

        const role = new aws.iam.Role(
            `${name}-role`,
            { assumeRolePolicy: JSON.stringify(ec2TrustPolicy()), description: `Lustre client ${name}: Systems Manager access`, tags },
            parent,
        );
        const ssmCore = new aws.iam.RolePolicyAttachment(
            `${name}-ssm-core`,
            { role: role.name, policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
            parent,
        );
        const profile = new aws.iam.InstanceProfile(`${name}-instance-profile`, { role: role.name, tags }, parent);

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            { vpcId: args.vpcId, description: `Lustre client ${name}`, tags: { ...tags, Name: `${name}-lustre-client` } },
            parent,
        );
        // The Lustre guide's client rules: both directions between the client and the file system on every
        // Lustre port (the servers also open connections to clients).
        const lustreRules: pulumi.Resource[] = [];
        for (const { fromPort, toPort } of lustrePortRanges) {
            const ports = { label: fromPort === toPort ? `${fromPort}` : `${fromPort}-${toPort}` };
            const range = { ipProtocol: "tcp", fromPort, toPort, tags };
            lustreRules.push(
                new aws.vpc.SecurityGroupEgressRule(
                    `${name}-to-fs-${ports.label}`,
                    { ...range, securityGroupId: securityGroup.id, referencedSecurityGroupId: fs.securityGroupId, description: `Lustre ${ports.label} to the file system` },
                    parent,
                ),
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-from-fs-${ports.label}`,
                    { ...range, securityGroupId: securityGroup.id, referencedSecurityGroupId: fs.securityGroupId, description: `Lustre ${ports.label} from the file system` },
                    parent,
                ),
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-fs-from-client-${ports.label}`,
                    { ...range, securityGroupId: fs.securityGroupId, referencedSecurityGroupId: securityGroup.id, description: `Lustre ${ports.label} from client ${name}` },
                    parent,
                ),
                // The file system's group has no allow-all egress, so its side of the server-initiated traffic is explicit too.
                new aws.vpc.SecurityGroupEgressRule(
                    `${name}-fs-to-client-${ports.label}`,
                    { ...range, securityGroupId: fs.securityGroupId, referencedSecurityGroupId: securityGroup.id, description: `Lustre ${ports.label} to client ${name}` },
                    parent,
                ),
            );
        }
        for (const cidr of args.httpsEgressCidrs ?? ["0.0.0.0/0"]) {
            for (const port of [443, 80]) {
                lustreRules.push(
                    new aws.vpc.SecurityGroupEgressRule(
                        `${name}-egress-${port}-${cidr.replace("/", "-")}`,
                        {
                            securityGroupId: securityGroup.id,
                            ipProtocol: "tcp",
                            fromPort: port,
                            toPort: port,
                            cidrIpv4: cidr,
                            description: port === 443 ? "package repositories and Systems Manager" : "package repositories that use plain HTTP (signed packages)",
                            tags,
                        },
                        parent,
                    ),
                );
            }
        }

        const ami = aws.ssm.getParameterOutput({ name: amiParameterName(os, instanceArchitecture(instanceType)), withDecryption: false }, parent);
        const userData = pulumi
            .all([fs.dnsName, fs.mountName])
            .apply(([dnsName, mountName]) => installAndMountScript({ os, dnsName, mountName, mountPoint }));

        const instance = new aws.ec2.Instance(
            `${name}-instance`,
            {
                // An AMI id is public: `insecureValue` keeps it readable in diffs, where `value` is always secret.
                ami: ami.insecureValue,
                instanceType,
                subnetId: args.subnetId,
                // Clients are reached through Session Manager; a subnet that maps public addresses must not give them one.
                associatePublicIpAddress: false,
                vpcSecurityGroupIds: [securityGroup.id],
                iamInstanceProfile: profile.name,
                userData,
                // User data runs once, on first boot: a changed script only takes effect on a new instance.
                userDataReplaceOnChange: true,
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
                tags: { ...tags, Name: name },
            },
            {
                parent: this,
                // The mount at first boot needs the rules in place and the role usable.
                dependsOn: [...lustreRules, ssmCore],
                // A newly published AMI must not replace a running client; replace it on purpose with `--replace`.
                ignoreChanges: ["ami"],
            },
        );
        return { instance, securityGroup };
    }

    private configureHost(name: string, args: SshClientArgs, mountPoint: string): command.remote.Command {
        const fs = args.fileSystem;
        const scripts = pulumi.all([fs.dnsName, fs.mountName]).apply(([dnsName, mountName]) => {
            const mount = { dnsName, mountName, mountPoint };
            return {
                create: asRootCommand(installAndMountScript({ ...mount, os: "detect" }), args.user),
                delete: asRootCommand(unmountScript(mount), args.user),
            };
        });
        return new command.remote.Command(
            `${name}-mount`,
            {
                connection: {
                    host: args.host,
                    user: args.user,
                    port: args.port ?? 22,
                    privateKey: pulumi.secret(args.privateKey),
                },
                create: scripts.create,
                delete: scripts.delete,
                // Keep the host's install output out of the Pulumi log; it stays in the resource's stdout/stderr.
                logging: command.types.enums.remote.Logging.None,
                // A new file system (or mount point) replaces the command: unmount the old one, then mount the new.
                triggers: [fs.id, mountPoint],
            },
            { parent: this, deleteBeforeReplace: true },
        );
    }
}
