import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { formatIpv4Cidr, Ipv4Cidr, ipv4CidrProblem, parseIpv4Cidr } from "./cidr";
import { ConfigError, ConfigProblem } from "./problems";

/** Systems Manager endpoints a private instance needs for Session Manager and Run Command without NAT. */
export const ssmEndpointServices = ["ssm", "ssmmessages", "ec2messages"] as const;

/** A network that exists already: the file system joins it. */
export interface ExistingNetworkArgs {
    readonly kind: "existing";
    readonly vpcId: pulumi.Input<string>;
    /** The one subnet the file system lives in. */
    readonly subnetId: pulumi.Input<string>;
    /**
     * Networks allowed to mount the file system.
     * @default []
     * @example ["10.0.0.0/16"]
     */
    readonly clientCidrs?: readonly string[];
}

/**
 * A minimal private network for an account that has nothing (typically the dr side during a recovery):
 * one private subnet, no internet gateway and no NAT. Instances reach S3 through a gateway endpoint (which also
 * serves the Amazon Linux package repositories) and Systems Manager through interface endpoints, so operators
 * get a shell with Session Manager and no inbound port is open.
 */
export interface CreatedNetworkArgs {
    readonly kind: "create";
    /** Region the network is created in; names the endpoint services. @example "us-west-2" */
    readonly region: string;
    /**
     * The VPC's range, /16 to /28. The private subnet takes its first half (all of it for a /28).
     * @default "10.80.0.0/16"
     */
    readonly cidr?: string;
    /**
     * Networks besides this VPC allowed to mount the file system (peered VPCs, VPN ranges). The VPC's own
     * range is always allowed: the network exists only for the file system and its clients.
     * @default []
     */
    readonly clientCidrs?: readonly string[];
    /** @default chosen by AWS */
    readonly availabilityZone?: string;
    readonly tags?: Record<string, string>;
}

export type LustreNetworkArgs = ExistingNetworkArgs | CreatedNetworkArgs;

export const defaultNetworkCidr = "10.80.0.0/16";

/** What is wrong with a range for a created VPC: the one CIDR rule (components/cidr.ts), and AWS takes /16 to /28. */
export function createdNetworkCidrProblems(cidr: string, key: string): ConfigProblem[] {
    const problem = ipv4CidrProblem(cidr);
    if (problem !== undefined) {
        return [{ key, value: cidr, expected: problem }];
    }
    const parsed = parseIpv4Cidr(cidr) as Ipv4Cidr;
    if (parsed.prefix < 16 || parsed.prefix > 28) {
        return [{ key, value: cidr, expected: `a VPC range from /16 to /28 (AWS refuses others), such as ${defaultNetworkCidr}` }];
    }
    return [];
}

/** Every client range that breaks the one CIDR rule, keyed by its position. */
export function clientCidrProblems(cidrs: readonly string[], keyOf: (index: number) => string): ConfigProblem[] {
    return cidrs.flatMap((cidr, index) => {
        const expected = ipv4CidrProblem(cidr);
        return expected === undefined ? [] : [{ key: keyOf(index), value: cidr, expected }];
    });
}

/** The private subnet: the first half of the VPC range, or all of it when the VPC is already the smallest (/28). */
export function privateSubnetCidr(vpcCidr: string): string {
    const parsed = parseIpv4Cidr(vpcCidr);
    if (parsed === undefined) {
        throw new Error(`not an IPv4 CIDR: ${vpcCidr}`);
    }
    return formatIpv4Cidr({ address: parsed.address, prefix: Math.min(parsed.prefix + 1, 28) });
}

/** The networks allowed to mount: a created VPC always includes its own range, once. */
export function mountingCidrs(args: LustreNetworkArgs): string[] {
    const given = args.clientCidrs ?? [];
    return args.kind === "create" ? [...new Set([args.cidr ?? defaultNetworkCidr, ...given])] : [...given];
}

/**
 * Where the file system and its clients live: an existing VPC and subnet passed through, or a minimal private
 * VPC built here (see `CreatedNetworkArgs`).
 */
export class LustreNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly subnetId: pulumi.Output<string>;
    /** Networks allowed to mount the file system. */
    public readonly clientCidrs: string[];
    /** Present for a created network. */
    public readonly vpc?: aws.ec2.Vpc;
    public readonly subnet?: aws.ec2.Subnet;
    public readonly endpoints: aws.ec2.VpcEndpoint[] = [];

    constructor(name: string, args: LustreNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = [
            ...(args.kind === "create" ? createdNetworkCidrProblems(args.cidr ?? defaultNetworkCidr, "CreatedNetworkArgs.cidr") : []),
            ...clientCidrProblems(args.clientCidrs ?? [], (index) => `LustreNetworkArgs.clientCidrs[${index}]`),
        ];
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
        super("lustre-dr:network:LustreNetwork", name, {}, opts);
        this.clientCidrs = mountingCidrs(args);

        if (args.kind === "existing") {
            this.vpcId = pulumi.output(args.vpcId);
            this.subnetId = pulumi.output(args.subnetId);
        } else {
            const built = this.createNetwork(name, args);
            this.vpc = built.vpc;
            this.subnet = built.subnet;
            this.vpcId = built.vpc.id;
            this.subnetId = built.subnet.id;
        }
        this.registerOutputs({ vpcId: this.vpcId, subnetId: this.subnetId, clientCidrs: this.clientCidrs });
    }

    private createNetwork(name: string, args: CreatedNetworkArgs): { vpc: aws.ec2.Vpc; subnet: aws.ec2.Subnet } {
        const child = { parent: this };
        const tags = args.tags ?? {};
        const cidr = args.cidr ?? defaultNetworkCidr;

        // DNS hostnames and support are required for the interface endpoints' private DNS names.
        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            { cidrBlock: cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { ...tags, Name: `${name}-vpc` } },
            child,
        );
        // Strip the default group's allow-all rules so nothing ends up in it by accident.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags }, child);

        const subnet = new aws.ec2.Subnet(
            `${name}-private`,
            {
                vpcId: vpc.id,
                cidrBlock: privateSubnetCidr(cidr),
                availabilityZone: args.availabilityZone,
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${name}-private` },
            },
            child,
        );
        // No route to the internet: only the VPC itself and the S3 gateway endpoint.
        const routeTable = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-private` } }, child);
        new aws.ec2.RouteTableAssociation(`${name}-private`, { subnetId: subnet.id, routeTableId: routeTable.id }, child);

        this.endpoints.push(
            new aws.ec2.VpcEndpoint(
                `${name}-s3`,
                { vpcId: vpc.id, serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: [routeTable.id], tags },
                child,
            ),
        );

        const endpointGroup = new aws.ec2.SecurityGroup(
            `${name}-endpoints`,
            { vpcId: vpc.id, description: "Interface endpoints: HTTPS from inside the VPC", tags },
            child,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-endpoints-https`,
            { securityGroupId: endpointGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: cidr, description: "HTTPS from the VPC", tags },
            child,
        );
        for (const service of ssmEndpointServices) {
            this.endpoints.push(
                new aws.ec2.VpcEndpoint(
                    `${name}-${service}`,
                    {
                        vpcId: vpc.id,
                        serviceName: `com.amazonaws.${args.region}.${service}`,
                        vpcEndpointType: "Interface",
                        privateDnsEnabled: true,
                        subnetIds: [subnet.id],
                        securityGroupIds: [endpointGroup.id],
                        tags,
                    },
                    child,
                ),
            );
        }
        return { vpc, subnet };
    }
}
