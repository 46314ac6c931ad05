/**
 * The shape of every config key (docs/config.md), one schema per key of the `lustre-dr` namespace plus `aws:region`.
 * Each key is parsed on its own (stacks/config.ts), so a mistake in one never hides the problems of another.
 *
 * To add a key: add its schema to `siteKeySchemas` (objects through `strict`, so misspelt sub-keys are named with the
 * nearest valid one), give it a default with `.prefault`/`.default` or `.optional()`, add it to `RawSiteConfig` and,
 * when it needs other keys to be judged, a rule in stacks/config/rules.ts. docs/config.md lists every rule.
 */
import { z } from "zod";
import { ipv4CidrProblem, ipv4CidrRule } from "../../components/cidr";
import { clientOperatingSystems, isValidMountPoint, mountPointRule } from "../../components/clientScript";
import { instanceTypeRule, isValidInstanceType } from "../../components/lustreClient";
import { defaultNetworkCidr } from "../../components/lustreNetwork";
import { strictKeys } from "./messages";
import { regionProblem } from "./regions";

/** An object that refuses unknown keys, naming its valid ones (and the nearest) in the message. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
    return z.strictObject(shape, strictKeys(Object.keys(shape)));
}

/** Text with one meaning: the same words whether the value is missing, not text, or malformed. */
function text(meaning: string, pattern?: RegExp) {
    const base = z.string({ error: meaning });
    return pattern ? base.regex(pattern, meaning) : base;
}

/** Text judged by a rule function that explains itself (`undefined` = fine). */
function checked(meaning: string, problem: (value: string) => string | undefined) {
    return z.string({ error: meaning }).superRefine((value, ctx) => {
        const expected = problem(value);
        if (expected !== undefined) {
            ctx.addIssue({ code: "custom", message: expected, input: value });
        }
    });
}

/**
 * A value with variants, chosen by one of its keys (clients by `kind`, the network by `create`). Zod's own unions
 * report "Invalid discriminator value" or the whole object; this reports the deciding key, or the one bad field.
 */
function variant<T>(notAnObject: string, choose: (value: Record<string, unknown>) => z.ZodType<T> | { readonly path: string; readonly message: string }) {
    return z.unknown().transform((value, ctx): T => {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            ctx.addIssue({ code: "custom", message: notAnObject, input: value });
            return z.NEVER;
        }
        const chosen = choose(value as Record<string, unknown>);
        if ("path" in chosen && typeof chosen.path === "string") {
            ctx.addIssue({ code: "custom", path: [chosen.path], message: chosen.message, input: value });
            return z.NEVER;
        }
        const parsed = (chosen as z.ZodType<T>).safeParse(value);
        if (!parsed.success) {
            for (const issue of parsed.error.issues) {
                ctx.addIssue({ ...issue, input: undefined } as z.core.$ZodRawIssue);
            }
            return z.NEVER;
        }
        return parsed.data;
    });
}

const bool = (meaning: string) => z.boolean({ error: `true or false: ${meaning}` });
const wholeNumber = (meaning: string) => z.number({ error: meaning }).int(meaning);

export const regionSchema = checked("the AWS region of this side, such as us-east-1 (pulumi config set aws:region us-east-1)", regionProblem);

export const roleSchema = z.enum(["primary", "dr"]);

/** Stack and organization names as Pulumi allows them: letters, digits, "-", "_" and ".". */
const stackPart = "[A-Za-z0-9][A-Za-z0-9._-]*";
export const peerStackSchema = text(
    "the other side's fully qualified stack name <organization>/<project>/<stack>, such as organization/lustre-dr/dr",
    new RegExp(`^${stackPart}/${stackPart}/${stackPart}$`),
);

/** The one account-id rule: 12 digits, as text (a YAML number would lose leading zeros). */
export const accountIdSchema = text(
    'a 12-digit AWS account id as text, such as "123456789012" (quote it in YAML)',
    /^\d{12}$/,
);

export const bucketSchema = strict({
    name: text("a globally unique S3 bucket name, such as acme-lustre-primary").optional(),
    encryption: z.enum(["SSE_KMS", "SSE_S3"]).default("SSE_KMS"),
    replicationTimeControl: bool("S3 Replication Time Control on or off").default(true),
    noncurrentVersionRetentionDays: wholeNumber("a whole number of days >= 1").min(1).default(90),
    objectLock: strict({
        mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
        days: wholeNumber("a whole number of days >= 1").min(1),
    }).optional(),
    forceDestroy: bool("whether pulumi destroy may delete a bucket that holds objects").default(false),
    importExisting: bool("adopt the existing bucket named by bucket.name").default(false),
    adoptWithoutHistory: bool("accept an adopted bucket whose versioning was never enabled").default(false),
}).prefault({});

const cidr = checked(ipv4CidrRule, ipv4CidrProblem);

const existingNetworkSchema = strict({
    vpcId: text("the id of an existing VPC, such as vpc-0123456789abcdef0 (or create: true to build a network)", /^vpc-[0-9a-f]{8,17}$/),
    subnetId: text("the id of a subnet of that VPC, such as subnet-0123456789abcdef0", /^subnet-[0-9a-f]{8,17}$/),
    clientCidrs: z.array(cidr, { error: "a list of IPv4 ranges allowed to mount, such as [10.0.0.0/16]" }).default([]),
});

const createdNetworkSchema = strict({
    create: z.literal(true),
    cidr: cidr.default(defaultNetworkCidr),
    clientCidrs: z.array(cidr, { error: "a list of further IPv4 ranges allowed to mount, such as [10.0.0.0/16]" }).default([]),
    availabilityZone: text("an availability zone of aws:region, such as us-west-2a", /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/).optional(),
});

export const networkSchema = variant<z.output<typeof existingNetworkSchema> | z.output<typeof createdNetworkSchema>>(
    "either an existing network {vpcId, subnetId, clientCidrs} or {create: true, cidr} for one built here",
    (value) => {
        if (value.create === true) {
            return createdNetworkSchema;
        }
        if (value.create !== undefined) {
            return { path: "create", message: "true to build a network here (or leave it out and give vpcId and subnetId of an existing one)" };
        }
        return existingNetworkSchema;
    },
);

/** Types only: the Lustre rules (components/lustreRules.ts) judge the values, with messages that explain sizes. */
export const lustreSchema = strict({
    enabled: bool("create the file system on this side").optional(),
    deploymentType: text("one of \"PERSISTENT_2\", \"PERSISTENT_1\", \"SCRATCH_2\"").default("PERSISTENT_2"),
    storageType: text("one of \"SSD\", \"HDD\"").default("SSD"),
    storageCapacityGiB: z.number({ error: "a number of GiB such as 1200" }).default(1200),
    perUnitStorageThroughput: z.number({ error: "a number of MB/s per TiB such as 125" }).optional(),
    fileSystemPath: text("a path inside the file system such as /s3").optional(),
    repositoryPrefix: text('an S3 key prefix such as "projects/shared", or "" for the whole bucket').optional(),
    repositories: z
        .array(
            strict({
                fileSystemPath: text("a path inside the file system such as /s3"),
                repositoryPrefix: text('an S3 key prefix such as "projects/shared", or "" for the whole bucket').default(""),
                importAssociationId: text('the id of an existing association to adopt, such as "dra-0123456789abcdef0"').optional(),
            }),
            { error: "a list of {fileSystemPath, repositoryPrefix} repositories" },
        )
        .optional(),
    rootSquash: strict({
        uidGid: text('UID:GID root is mapped to, such as "65534:65534" ("0:0" switches root squash off)'),
        noSquashNids: z.array(text("a client NID such as 10.0.1.6@tcp"), { error: "a list of client NIDs" }).optional(),
    }).optional(),
    importFileSystemId: text('the id of an existing FSx for Lustre file system, such as "fs-0123456789abcdef0"').optional(),
    importSecurityGroupId: text('the id of the adopted file system\'s security group, such as "sg-0123456789abcdef0"').optional(),
    dataCompression: text("one of \"LZ4\", \"NONE\"").default("LZ4"),
    driveCacheType: text("one of \"NONE\", \"READ\"").optional(),
    weeklyMaintenanceStartTime: text('d:HH:MM in UTC, day 1 (Monday) to 7 (Sunday), such as "7:03:00" (quote it)').optional(),
    logLevel: text("one of \"WARN_ERROR\", \"WARN_ONLY\", \"ERROR_ONLY\", \"DISABLED\"").default("WARN_ERROR"),
}).prefault({});

const clientName = text("a name of lowercase letters, digits and hyphens, starting with a letter, at most 31 characters", /^[a-z][a-z0-9-]{0,30}$/);
const mountPoint = checked(mountPointRule, (value) => (isValidMountPoint(value) ? undefined : mountPointRule)).default("/fsx");

const ipv4Address = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const hostLabel = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const hostName = new RegExp(`^(?=.{1,253}$)${hostLabel}(\\.${hostLabel})*$`);
export const sshHostRule = "a host name or IPv4 address the deployment can reach over SSH, such as 10.0.3.17 or login-1.example.internal (the user goes in user)";

export function sshHostProblem(host: string): string | undefined {
    if (ipv4Address.test(host)) {
        return undefined;
    }
    // All-numeric labels are an IP address with a typo (10.0.3.300), not a host name.
    if (/^[\d.]+$/.test(host) || !hostName.test(host)) {
        return sshHostRule;
    }
    return undefined;
}

const instanceClientSchema = strict({
    name: clientName,
    kind: z.literal("instance"),
    instanceType: checked(instanceTypeRule, (value) => (isValidInstanceType(value) ? undefined : instanceTypeRule)).default("m6i.large"),
    os: z.enum(clientOperatingSystems as readonly ["al2023", "al2", "ubuntu2204"]).default("al2023"),
    mountPoint,
});

const sshClientSchema = strict({
    name: clientName,
    kind: z.literal("ssh"),
    host: checked(sshHostRule, sshHostProblem),
    user: text("the login user on the host, such as ec2-user", /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/),
    mountPoint,
});

export const clientSchema = variant<z.output<typeof instanceClientSchema> | z.output<typeof sshClientSchema>>("a client: {name, kind: instance, instanceType, os, mountPoint} or {name, kind: ssh, host, user, mountPoint}", (value) => {
    if (value.kind === "instance") {
        return instanceClientSchema;
    }
    if (value.kind === "ssh") {
        return sshClientSchema;
    }
    return { path: "kind", message: '"instance" (an EC2 instance created by the stack) or "ssh" (an existing host reached over SSH)' };
});

export const clientsSchema = z.array(clientSchema, { error: "a list of clients" }).default([]);

export const recoverySchema = strict({ detached: bool("stop replicating with the peer").default(false) }).prefault({});

export const alarmsSchema = strict({
    email: z.email({ error: "an email address such as storage-oncall@example.com" }).optional(),
    replicationLatencySeconds: wholeNumber("a whole number of seconds >= 60").min(60).default(900),
    writeActivity: bool("S3 request metrics and alarms on mass deletes and overwrites of this side's bucket").default(true),
    deleteRequestsPer5Minutes: wholeNumber("a whole number of DELETE requests per 5 minutes >= 1").min(1).default(1000),
    putRequestsPer5Minutes: wholeNumber("a whole number of PUT requests per 5 minutes >= 1").min(1).default(50000),
}).prefault({});

/** AWS tag rules shared by the services lustre-dr tags (S3, EC2, FSx, IAM, KMS, SNS, CloudWatch, Logs). */
const tagKeyPattern = /^[\p{L}\p{N}\s_.:/=+\-@]{1,128}$/u;
const tagValuePattern = /^[\p{L}\p{N}\s_.:/=+\-@]{0,256}$/u;
/** AWS allows 50 tags per resource; lustre-dr sets up to 5 of its own (lustre-dr:stack, lustre-dr:role, Name, ...). */
export const maxOperatorTags = 45;

export function tagProblems(tags: Record<string, unknown>): { readonly tag: string; readonly expected: string }[] {
    const problems: { tag: string; expected: string }[] = [];
    const keys = Object.keys(tags);
    if (keys.length > maxOperatorTags) {
        problems.push({ tag: "", expected: `at most ${maxOperatorTags} tags (AWS allows 50 per resource and lustre-dr sets up to 5 itself); this has ${keys.length}` });
    }
    for (const key of keys) {
        const value = tags[key];
        if (/^aws:/i.test(key)) {
            problems.push({ tag: key, expected: 'a tag key that does not start with "aws:" (reserved by AWS)' });
        } else if (/^lustre-dr:/i.test(key)) {
            problems.push({ tag: key, expected: 'a tag key that does not start with "lustre-dr:" (lustre-dr sets lustre-dr:stack and lustre-dr:role itself)' });
        } else if (key === "Name") {
            problems.push({ tag: key, expected: "another tag key: lustre-dr names each resource with its own Name tag" });
        } else if (!tagKeyPattern.test(key)) {
            problems.push({ tag: key, expected: "a tag key of 1 to 128 letters, digits, spaces and _ . : / = + - @" });
        }
        if (typeof value !== "string") {
            problems.push({ tag: key, expected: 'a text value (quote it, e.g. "1234", so YAML keeps it exactly as written)' });
        } else if (!tagValuePattern.test(value)) {
            problems.push({ tag: key, expected: "a tag value of at most 256 letters, digits, spaces and _ . : / = + - @" });
        }
    }
    return problems;
}

export const tagsSchema = z
    .record(z.string(), z.unknown(), { error: "a mapping of tag keys to values, such as {cost-center: \"1234\", team: storage}" })
    .superRefine((tags, ctx) => {
        for (const problem of tagProblems(tags)) {
            ctx.addIssue({ code: "custom", path: problem.tag === "" ? [] : [problem.tag], message: problem.expected, input: tags });
        }
    })
    .transform((tags) => tags as Record<string, string>)
    .default({});

/**
 * Every key and its schema, by the name it has in RawSiteConfig. Keys of the `lustre-dr` namespace appear under
 * their own name; `awsRegion` is `aws:region`.
 */
export const siteKeySchemas = {
    awsRegion: regionSchema,
    role: roleSchema.optional(),
    peerStack: peerStackSchema.optional(),
    peerAccountId: accountIdSchema.optional(),
    bucket: bucketSchema,
    network: networkSchema.optional(),
    lustre: lustreSchema,
    clients: clientsSchema,
    recovery: recoverySchema,
    alarms: alarmsSchema,
    tags: tagsSchema,
} as const;

export type SiteKey = keyof typeof siteKeySchemas;
export type SiteValues = { -readonly [K in SiteKey]: z.output<(typeof siteKeySchemas)[K]> };
