/**
 * The config contract (design.md §3): parse and validate everything a stack is given, before any resource is
 * registered. Every problem is reported at once, each naming its key, the value given and what is valid.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkLustreSettings, LustreFileSystemSettings } from "../components/lustreRules";
import { createdNetworkCidrProblems } from "../components/lustreNetwork";
import { isValidMountPoint, mountPointRule } from "../components/clientScript";
import { instanceTypeRule, isValidInstanceType } from "../components/lustreClient";
import { ConfigError, ConfigProblem } from "../components/problems";
import { bucketNameProblems } from "./bucketName";

export const configNamespace = "lustre-dr";

export type SiteRole = "primary" | "dr";
const roles = ["primary", "dr"] as const;

const objectLockSchema = z.strictObject({
    mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
    days: z.number().int().min(1),
});

const bucketSchema = z.strictObject({
    name: z.string().optional(),
    encryption: z.enum(["SSE_KMS", "SSE_S3"]).default("SSE_KMS"),
    replicationTimeControl: z.boolean().default(true),
    noncurrentVersionRetentionDays: z.number().int().min(1).default(90),
    objectLock: objectLockSchema.optional(),
    forceDestroy: z.boolean().default(false),
    importExisting: z.boolean().default(false),
    adoptWithoutHistory: z.boolean().default(false),
});

const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, "an IPv4 CIDR such as 10.0.0.0/16");

const existingNetworkSchema = z.strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0123456789abcdef0"),
    subnetId: z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id such as subnet-0123456789abcdef0"),
    clientCidrs: z.array(cidr).default([]),
});

const createdNetworkSchema = z.strictObject({
    create: z.literal(true),
    cidr: cidr.default("10.80.0.0/16"),
    clientCidrs: z.array(cidr).default([]),
    availabilityZone: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "an availability zone such as us-west-2a").optional(),
});

const networkSchema = z.union([existingNetworkSchema, createdNetworkSchema], {
    error: "either {vpcId, subnetId, clientCidrs} of an existing network, or {create: true, cidr}",
});

const lustreSchema = z.strictObject({
    enabled: z.boolean().optional(),
    deploymentType: z.string().default("PERSISTENT_2"),
    storageType: z.string().default("SSD"),
    storageCapacityGiB: z.number().int().default(1200),
    perUnitStorageThroughput: z.number().int().optional(),
    fileSystemPath: z.string().optional(),
    repositoryPrefix: z.string().optional(),
    repositories: z
        .array(
            z.strictObject({
                fileSystemPath: z.string(),
                repositoryPrefix: z.string().default(""),
                importAssociationId: z.string().optional(),
            }),
        )
        .optional(),
    rootSquash: z.strictObject({ uidGid: z.string(), noSquashNids: z.array(z.string()).optional() }).optional(),
    importFileSystemId: z.string().optional(),
    importSecurityGroupId: z.string().optional(),
    dataCompression: z.enum(["LZ4", "NONE"]).default("LZ4"),
    driveCacheType: z.string().optional(),
    weeklyMaintenanceStartTime: z.string().optional(),
    logLevel: z.enum(["WARN_ERROR", "WARN_ONLY", "ERROR_ONLY", "DISABLED"]).default("WARN_ERROR"),
});

const clientName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "lowercase letters, digits and hyphens, starting with a letter");
const mountPoint = z.string().regex(/^\/[A-Za-z0-9._\/-]*$/, "an absolute path such as /fsx").default("/fsx");

const clientSchema = z.discriminatedUnion("kind", [
    z.strictObject({
        name: clientName,
        kind: z.literal("instance"),
        instanceType: z.string().default("m6i.large"),
        os: z.enum(["al2023", "al2", "ubuntu2204"]).default("al2023"),
        mountPoint,
    }),
    z.strictObject({
        name: clientName,
        kind: z.literal("ssh"),
        host: z.string().min(1),
        user: z.string().min(1),
        mountPoint,
    }),
]);

const recoverySchema = z.strictObject({ detached: z.boolean().default(false) });

const alarmsSchema = z.strictObject({
    email: z.email().optional(),
    replicationLatencySeconds: z.number().int().min(60).default(900),
});

const peerStackSchema = z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, "a fully qualified stack name <organization>/<project>/<stack>");

/** The stack's own identity, from the Pulumi engine. */
export interface StackIdentity {
    readonly organization: string;
    readonly project: string;
    readonly stack: string;
}

/** Config as it arrives: each key of the `lustre-dr` namespace parsed from YAML/JSON, plus `aws:region`. */
export interface RawSiteConfig {
    readonly awsRegion?: unknown;
    readonly role?: unknown;
    readonly peerStack?: unknown;
    readonly bucket?: unknown;
    readonly network?: unknown;
    readonly lustre?: unknown;
    readonly clients?: unknown;
    readonly recovery?: unknown;
    readonly alarms?: unknown;
    /** Keys of the `lustre-dr` namespace this program does not know (typos), without the namespace. */
    readonly unknownKeys?: readonly string[];
    /**
     * The secret `lustre-dr:sshPrivateKey`, as a secret Output. Validation only checks it is there; the value
     * goes to the ssh clients untouched.
     */
    readonly sshPrivateKey?: pulumi.Input<string>;
}

/** Every key of the `lustre-dr` namespace; `sshPrivateKey` is a secret read only by the clients. */
export const knownNamespaceKeys = [
    "role",
    "peerStack",
    "bucket",
    "network",
    "lustre",
    "clients",
    "recovery",
    "alarms",
    "sshPrivateKey",
] as const;

export function unknownNamespaceKeys(keys: Iterable<string>): string[] {
    const prefix = `${configNamespace}:`;
    return [...keys]
        .filter((key) => key.startsWith(prefix))
        .map((key) => key.slice(prefix.length))
        .filter((key) => !(knownNamespaceKeys as readonly string[]).includes(key));
}

export type BucketSettings = z.infer<typeof bucketSchema>;
export type NetworkSettings = z.infer<typeof networkSchema>;
/** The file system settings after the Lustre rules (components/lustreRules.ts), plus the on/off switch. */
export type LustreSettings = LustreFileSystemSettings & { readonly enabled: boolean };
export type ClientSettings = z.infer<typeof clientSchema>;
export type AlarmSettings = z.infer<typeof alarmsSchema>;

export interface SiteConfig {
    readonly region: string;
    readonly role: SiteRole;
    readonly peerStack?: string;
    readonly bucket: BucketSettings;
    readonly network?: NetworkSettings;
    readonly lustre: LustreSettings;
    readonly clients: ClientSettings[];
    readonly detached: boolean;
    readonly alarms: AlarmSettings;
}

const siteSchema = z.object({
    awsRegion: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "an AWS region such as us-east-1"),
    role: z.enum(roles).optional(),
    peerStack: peerStackSchema.optional(),
    bucket: bucketSchema.default(bucketSchema.parse({})),
    network: networkSchema.optional(),
    lustre: lustreSchema.default(lustreSchema.parse({})),
    clients: z.array(clientSchema).default([]),
    recovery: recoverySchema.default({ detached: false }),
    alarms: alarmsSchema.default(alarmsSchema.parse({})),
});

/** Maps the schema's field names back to the keys users write. */
function keyOf(path: readonly PropertyKey[]): string {
    const [head, ...rest] = path.map(String);
    const top = head === "awsRegion" ? "aws:region" : `${configNamespace}:${head}`;
    return rest.reduce((key, part) => (/^\d+$/.test(part) ? `${key}[${part}]` : `${key}.${part}`), top);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((value, part) => {
        if (value !== null && typeof value === "object") {
            return (value as Record<PropertyKey, unknown>)[part];
        }
        return undefined;
    }, raw);
}

function problemFromIssue(raw: RawSiteConfig, issue: z.core.$ZodIssue): ConfigProblem[] {
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((key) => ({
                key: keyOf([...issue.path, key]),
                value: valueAt(raw, [...issue.path, key]),
                expected: "no such key (check the spelling against docs/config.md)",
            }));
        case "invalid_value":
            return [
                {
                    key: keyOf(issue.path),
                    value: valueAt(raw, issue.path),
                    expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
                },
            ];
        case "invalid_type":
            return [
                {
                    key: keyOf(issue.path),
                    value: valueAt(raw, issue.path),
                    expected: issue.message.startsWith("Invalid input") ? `a value of type ${issue.expected}` : issue.message,
                },
            ];
        case "too_small":
            return [
                {
                    key: keyOf(issue.path),
                    value: valueAt(raw, issue.path),
                    expected: `${issue.origin === "array" ? "at least" : "a number >="} ${String(issue.minimum)}`,
                },
            ];
        case "invalid_union": {
            return [{ key: keyOf(issue.path), value: valueAt(raw, issue.path), expected: issue.message }];
        }
        default:
            return [{ key: keyOf(issue.path), value: valueAt(raw, issue.path), expected: issue.message }];
    }
}

function unknownKeyProblems(raw: RawSiteConfig): ConfigProblem[] {
    return (raw.unknownKeys ?? []).map((key) => ({
        key: `${configNamespace}:${key}`,
        value: "(set)",
        expected: `no such key; the ${configNamespace} keys are ${knownNamespaceKeys.join(", ")}`,
    }));
}

/** Checks that need more than one key, or the stack's own identity. */
function crossKeyProblems(
    config: Omit<SiteConfig, "lustre"> & { readonly lustre: Pick<LustreSettings, "enabled"> },
    raw: RawSiteConfig,
    self: StackIdentity,
): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (config.peerStack) {
        const [organization, project, stack] = config.peerStack.split("/");
        if (organization === self.organization && project === self.project && stack === self.stack) {
            problems.push({
                key: `${configNamespace}:peerStack`,
                value: config.peerStack,
                expected: `the other side's stack, not this stack (${self.organization}/${self.project}/${self.stack})`,
            });
        }
    }
    if (config.bucket.name !== undefined) {
        problems.push(
            ...bucketNameProblems(config.bucket.name).map((expected) => ({
                key: `${configNamespace}:bucket.name`,
                value: config.bucket.name,
                expected,
            })),
        );
    }
    if (config.network !== undefined && "create" in config.network) {
        problems.push(...createdNetworkCidrProblems(config.network.cidr, `${configNamespace}:network.cidr`));
        const zone = config.network.availabilityZone;
        if (zone !== undefined && !zone.startsWith(config.region)) {
            problems.push({ key: `${configNamespace}:network.availabilityZone`, value: zone, expected: `an availability zone of ${config.region}, such as ${config.region}a` });
        }
    }
    problems.push(...adoptionProblems(config, raw));
    if (config.lustre.enabled && config.network === undefined) {
        problems.push({
            key: `${configNamespace}:network`,
            value: raw.network,
            expected: "a network when lustre.enabled is true: {vpcId, subnetId, clientCidrs} or {create: true}",
        });
    }
    if (config.clients.length > 0 && !config.lustre.enabled) {
        problems.push({
            key: `${configNamespace}:clients`,
            value: config.clients.map((c) => c.name),
            expected: "no clients while lustre.enabled is false (clients mount this side's file system)",
        });
    }
    const seen = new Set<string>();
    config.clients.forEach((client, index) => {
        if (seen.has(client.name)) {
            problems.push({
                key: `${configNamespace}:clients[${index}].name`,
                value: client.name,
                expected: "a name no other client uses",
            });
        }
        seen.add(client.name);
    });
    // The components' own rules, checked here so a bad value stops the update before anything is declared.
    config.clients.forEach((client, index) => {
        if (!isValidMountPoint(client.mountPoint)) {
            problems.push({ key: `${configNamespace}:clients[${index}].mountPoint`, value: client.mountPoint, expected: mountPointRule });
        }
        if (client.kind === "instance" && !isValidInstanceType(client.instanceType)) {
            problems.push({ key: `${configNamespace}:clients[${index}].instanceType`, value: client.instanceType, expected: instanceTypeRule });
        }
    });
    const sshClients = config.clients.filter((client) => client.kind === "ssh").map((client) => client.name);
    if (sshClients.length > 0 && raw.sshPrivateKey === undefined) {
        problems.push({
            key: `${configNamespace}:sshPrivateKey`,
            value: undefined,
            expected: `the private key the ssh clients (${sshClients.join(", ")}) log in with, set as a secret: pulumi config set --secret ${configNamespace}:sshPrivateKey < key.pem`,
        });
    }
    return problems;
}

/** Adopting existing resources: what an import needs that the config alone can tell. */
function adoptionProblems(config: Pick<SiteConfig, "bucket" | "network">, raw: RawSiteConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (config.bucket.importExisting && config.bucket.name === undefined) {
        problems.push({
            key: `${configNamespace}:bucket.name`,
            value: undefined,
            expected: "the name of the existing bucket to adopt (bucket.importExisting is true)",
        });
    }
    if (config.bucket.adoptWithoutHistory && !config.bucket.importExisting) {
        problems.push({
            key: `${configNamespace}:bucket.adoptWithoutHistory`,
            value: true,
            expected: "only together with bucket.importExisting: true (it accepts an adopted bucket whose versioning was never enabled)",
        });
    }
    const importFileSystemId = (raw.lustre as { importFileSystemId?: unknown } | undefined)?.importFileSystemId;
    if (importFileSystemId !== undefined && config.network !== undefined && "create" in config.network) {
        problems.push({
            key: `${configNamespace}:network`,
            value: { create: true },
            expected: `the existing network of the adopted file system ${String(importFileSystemId)}: {vpcId, subnetId, clientCidrs} (an adopted file system stays in its own subnet)`,
        });
    }
    return problems;
}

/**
 * Parses raw config into a typed SiteConfig, or throws one ConfigError listing every problem.
 * `extraChecks` adds domain rules that live with their component (e.g. Lustre sizing).
 */
export function parseSiteConfig(
    raw: RawSiteConfig,
    self: StackIdentity,
    extraChecks: (config: SiteConfig) => ConfigProblem[] = () => [],
): SiteConfig {
    const parsed = siteSchema.safeParse(raw);
    if (!parsed.success) {
        // Report the Lustre sizing problems too when the lustre key itself parsed: one pass fixes everything.
        const lustre = lustreSchema.safeParse(raw.lustre ?? {});
        throw new ConfigError([
            ...unknownKeyProblems(raw),
            ...parsed.error.issues.flatMap((issue) => problemFromIssue(raw, issue)),
            ...(lustre.success ? checkLustreSettings(lustre.data).problems : []),
        ]);
    }
    const value = parsed.data;
    const role = value.role ?? defaultRole(self.stack);
    if (role === undefined) {
        throw new ConfigError([
            {
                key: `${configNamespace}:role`,
                value: raw.role,
                expected: `"primary" or "dr" (required because the stack name "${self.stack}" is neither)`,
            },
        ]);
    }
    // Checked even while Lustre is off: a pilot-light dr side must not learn of a bad size during recovery.
    const lustre = checkLustreSettings(value.lustre);
    const common = {
        region: value.awsRegion,
        role,
        peerStack: value.peerStack,
        bucket: value.bucket,
        network: value.network,
        clients: value.clients,
        detached: value.recovery.detached,
        alarms: value.alarms,
    };
    const enabled = value.lustre.enabled ?? role === "primary";
    if (!("settings" in lustre)) {
        throw new ConfigError([...unknownKeyProblems(raw), ...crossKeyProblems({ ...common, lustre: { enabled } }, raw, self), ...lustre.problems]);
    }
    const config: SiteConfig = { ...common, lustre: { ...lustre.settings, enabled } };
    const problems = [...unknownKeyProblems(raw), ...crossKeyProblems(config, raw, self), ...extraChecks(config)];
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

function defaultRole(stack: string): SiteRole | undefined {
    return (roles as readonly string[]).includes(stack) ? (stack as SiteRole) : undefined;
}
