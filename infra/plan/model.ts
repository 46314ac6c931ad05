/**
 * What `lustre-dr plan` shows: the resources a stack would declare, reduced to the properties that decide the DR
 * design (replication rules, DRA paths and events, capacity, throughput), with values only known after deployment
 * shown as `<computed>`. Plain data and plain functions: the Pulumi run lives in infra/plan/run.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { RecordedResource, ResourceRef } from "./mockRunner";

/** How a value appears that AWS only decides at deployment (ids, ARNs, generated names). */
export const computed = "<computed>";

export type PlanValue = string | number | boolean | null | PlanValue[] | { [key: string]: PlanValue };

export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    readonly parent?: ResourceRef;
    /** False for component resources (grouping only; AWS never sees them). */
    readonly custom: boolean;
    /** The key properties of this type, by input path. */
    readonly properties: Record<string, PlanValue>;
}

export interface StackPlan {
    readonly stack: string;
    readonly role: string;
    readonly region: string;
    readonly accountId: string;
    /** What was assumed to plan this stack offline (placeholder account, simulated peer, ...). */
    readonly assumptions: string[];
    /** What adopting existing resources changes on them (absent when nothing is adopted). */
    readonly adoption?: string[];
    /** What this pilot-light side declares nothing for yet: created by `lustre-dr recover` (absent when none). */
    readonly onRecovery?: string[];
    readonly resources: PlannedResource[];
    readonly outputs: Record<string, PlanValue>;
}

/** How a secret value appears: never its content. */
export const secret = "[secret]";

/** A secret as the mock monitor hands it over: the value wrapped with Pulumi's secret signature. */
function secretWrapper(value: unknown): { value: unknown } | undefined {
    const record = value as Record<string, unknown> | null;
    return record !== null && typeof record === "object" && record[specialSigKey] === specialSecretSig ? (record as { value: unknown }) : undefined;
}

/** An input value as plain data, unknown parts replaced by `<computed>`, secrets by `[secret]`. */
export function toPlanValue(value: unknown): PlanValue {
    if (pulumi.isUnknown(value) || value === undefined) {
        return computed;
    }
    if (secretWrapper(value)) {
        return secret;
    }
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map(toPlanValue);
    }
    if (pulumi.Resource.isInstance(value)) {
        return computed;
    }
    if (typeof value === "object") {
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toPlanValue(v)]));
    }
    return String(value);
}

/**
 * The inputs that matter per resource type, as dotted paths. Everything else (policies, tags) is still declared and
 * tested, but would drown the plan.
 */
export const keyInputs: Readonly<Record<string, readonly string[]>> = {
    "aws:s3/bucket:Bucket": ["bucket", "objectLockEnabled", "forceDestroy"],
    "aws:s3/bucketVersioning:BucketVersioning": ["versioningConfiguration.status"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm",
        "rules.0.bucketKeyEnabled",
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["rules.0.noncurrentVersionExpiration.noncurrentDays"],
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ["rule.defaultRetention"],
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ["role", "rules"],
    "aws:kms/key:Key": ["enableKeyRotation", "deletionWindowInDays"],
    "aws:iam/role:Role": ["name"],
    "aws:fsx/lustreFileSystem:LustreFileSystem": [
        "deploymentType",
        "storageType",
        "storageCapacity",
        "perUnitStorageThroughput",
        "driveCacheType",
        "dataCompressionType",
        "fileSystemTypeVersion",
        "subnetIds",
        "automaticBackupRetentionDays",
    ],
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": [
        "fileSystemPath",
        "dataRepositoryPath",
        "batchImportMetaDataOnCreate",
        "s3.autoImportPolicy.events",
        "s3.autoExportPolicy.events",
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["metricName", "comparisonOperator", "threshold"],
    "aws:ec2/instance:Instance": ["instanceType", "subnetId"],
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId"],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId"],
    "command:remote:Command": ["connection.host", "connection.user"],
    "pulumi:pulumi:StackReference": ["name"],
};

/**
 * The value at a dotted path. A secret object is looked into (Pulumi marks a whole connection secret for its key),
 * so its plain fields can be shown; a secret leaf stays wrapped and prints as `[secret]`.
 */
function at(value: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((node, part) => {
        if (node === null || node === undefined || pulumi.isUnknown(node)) {
            return node;
        }
        const inner = secretWrapper(node)?.value ?? node;
        return inner === null || inner === undefined || pulumi.isUnknown(inner) ? inner : (inner as Record<string, unknown>)[part];
    }, value);
}

/** Names AWS (or the provider's autonaming) generates when the input leaves them out. */
const generatedWhenAbsent: Readonly<Record<string, readonly string[]>> = {
    "aws:s3/bucket:Bucket": ["bucket"],
};

/** The key properties of one recorded resource; absent inputs are left out, unknown or generated ones are `<computed>`. */
export function plannedResource(resource: RecordedResource): PlannedResource {
    // An adopted resource shows what it adopts first: that is the one thing the plan cannot show by its inputs.
    const properties: Record<string, PlanValue> = resource.importId ? { adopts: resource.importId } : {};
    for (const path of keyInputs[resource.type] ?? []) {
        const value = at(resource.inputs, path);
        if (value !== undefined) {
            properties[path] = toPlanValue(value);
        } else if (generatedWhenAbsent[resource.type]?.includes(path)) {
            properties[path] = computed;
        }
    }
    return {
        type: resource.type,
        name: resource.name,
        ...(resource.parent ? { parent: resource.parent } : {}),
        custom: resource.custom,
        properties,
    };
}

/** `{a: 1, b: [x, y]}` -> `a=1 b=[x, y]`, compact enough for one table cell. */
export function inlineValue(value: PlanValue): string {
    if (Array.isArray(value)) {
        return `[${value.map(inlineValue).join(", ")}]`;
    }
    if (value !== null && typeof value === "object") {
        return `{${Object.entries(value)
            .map(([k, v]) => `${k}: ${inlineValue(v)}`)
            .join(", ")}}`;
    }
    return String(value);
}

/** Resources in tree order: each top-level resource in declaration order, followed by its descendants. */
export function treeOrder(resources: readonly PlannedResource[]): { resource: PlannedResource; depth: number }[] {
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    const known = new Set(resources.map(key));
    const children = new Map<string, PlannedResource[]>();
    const roots: PlannedResource[] = [];
    for (const resource of resources) {
        if (resource.parent && known.has(key(resource.parent))) {
            children.set(key(resource.parent), [...(children.get(key(resource.parent)) ?? []), resource]);
        } else {
            roots.push(resource);
        }
    }
    const walk = (resource: PlannedResource, depth: number): { resource: PlannedResource; depth: number }[] => [
        { resource, depth },
        ...(children.get(key(resource)) ?? []).flatMap((child) => walk(child, depth + 1)),
    ];
    return roots.flatMap((root) => walk(root, 0));
}

/** The table format: one line per resource (name indented under its parent, type, parent), key properties below. */
export function formatPlanTable(plans: readonly StackPlan[]): string {
    return plans
        .map((plan) => {
            const ordered = treeOrder(plan.resources);
            const rows = [
                ["name", "type", "parent"],
                ...ordered.map(({ resource, depth }) => [`${"  ".repeat(depth)}${resource.name}`, resource.type, resource.parent?.name ?? "-"]),
            ];
            const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column].length)));
            const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell)).join("  ");
            const body = ordered.flatMap(({ resource, depth }, index) => [
                line(rows[index + 1]),
                ...Object.entries(resource.properties).map(([key, value]) => `${"  ".repeat(depth + 2)}${key} = ${inlineValue(value)}`),
            ]);
            return [
                `Stack ${plan.stack} (${plan.role}, ${plan.region}): ${plan.resources.length} resources`,
                ...plan.assumptions.map((a) => `  assumed: ${a}`),
                ...(plan.adoption ?? []).map((a) => `  adoption: ${a}`),
                ...(plan.onRecovery ?? []).map((a) => `  on recovery: ${a}`),
                "",
                line(rows[0]),
                ...body,
                "",
                "Outputs:",
                ...Object.entries(plan.outputs).map(([key, value]) => `  ${key} = ${inlineValue(value)}`),
            ].join("\n");
        })
        .join("\n\n");
}
