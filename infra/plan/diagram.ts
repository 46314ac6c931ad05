/**
 * The two-side architecture as a Mermaid flowchart, drawn only from planned resources: buckets, replication in each
 * direction with its handshake state, file systems (or their absence in a pilot light), DRAs and clients.
 */
import { computed, PlannedResource, PlanValue, StackPlan } from "./model";

const types = {
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    fileSystem: "aws:fsx/lustreFileSystem:LustreFileSystem",
    association: "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
    client: "lustre-dr:filesystem:LustreClient",
    instance: "aws:ec2/instance:Instance",
    remoteCommand: "command:remote:Command",
} as const;

/** Mermaid label text: quotes and angle brackets as entity codes, so `<computed>` shows literally. */
function text(value: string): string {
    return value.replace(/"/g, "#quot;").replace(/</g, "#60;").replace(/>/g, "#62;");
}

function label(...lines: string[]): string {
    return `"${lines.filter((l) => l !== "").map(text).join("<br/>")}"`;
}

function id(...parts: string[]): string {
    return parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
}

function ofType(plan: StackPlan, type: string): PlannedResource[] {
    return plan.resources.filter((r) => r.type === type);
}

function prop(resource: PlannedResource | undefined, path: string): PlanValue | undefined {
    return resource?.properties[path];
}

function str(value: PlanValue | undefined, fallback = computed): string {
    return value === undefined || value === null ? fallback : Array.isArray(value) ? value.map((v) => str(v)).join(", ") : String(value);
}

interface ReplicationRule {
    readonly destination?: { readonly bucket?: PlanValue; readonly replicationTime?: { readonly status?: PlanValue } };
    readonly deleteMarkerReplication?: { readonly status?: PlanValue };
}

function firstRule(replication: PlannedResource): ReplicationRule | undefined {
    const rules = prop(replication, "rules");
    return Array.isArray(rules) && rules.length > 0 ? (rules[0] as ReplicationRule) : undefined;
}

function sideLines(plan: StackPlan): string[] {
    const role = plan.stack;
    const bucket = ofType(plan, types.bucket)[0];
    const versioning = str(prop(ofType(plan, types.versioning)[0], "versioningConfiguration.status"), "not versioned");
    const algorithm = prop(ofType(plan, types.encryption)[0], "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm");
    const encryption = algorithm === "aws:kms" ? "SSE-KMS" : algorithm === "AES256" ? "SSE-S3" : str(algorithm, "");
    const lock = ofType(plan, types.objectLock).length > 0 ? "Object Lock" : "";
    const lines = [
        `    subgraph ${id(role)}[${label(`${role} · ${plan.region} · account ${plan.accountId}`)}]`,
        `        ${id(role, "bucket")}[(${label(`S3 bucket ${str(prop(bucket, "bucket"))}`, `versioning ${versioning}`, [encryption, lock].filter(Boolean).join(", "))})]`,
    ];
    const fileSystems = ofType(plan, types.fileSystem);
    if (fileSystems.length === 0) {
        if (plan.role === "dr") {
            lines.push(
                `        ${id(role, "nofs")}[${label("no file system (pilot light)", "lustre-dr recover creates it")}]`,
                `        ${id(role, "nofs")} -.-|${label("imports the bucket on recovery")}| ${id(role, "bucket")}`,
            );
        } else {
            lines.push(`        ${id(role, "nofs")}[${label("no file system planned")}]`);
        }
    }
    for (const fs of fileSystems) {
        const throughput = prop(fs, "perUnitStorageThroughput");
        lines.push(
            `        ${id(role, "fs", fs.name)}[${label(
                `FSx for Lustre ${str(prop(fs, "deploymentType"))} ${str(prop(fs, "storageType"), "SSD")}`,
                `${str(prop(fs, "storageCapacity"))} GiB${throughput !== undefined ? `, ${str(throughput)} MB/s/TiB` : ""}`,
            )}]`,
        );
    }
    for (const dra of ofType(plan, types.association)) {
        // One file system per side: an association belongs to it (its fileSystemId is only known after creation).
        const fs = fileSystems.find((f) => f.parent?.name === dra.parent?.name) ?? fileSystems[0];
        if (fs === undefined) {
            continue;
        }
        lines.push(
            `        ${id(role, "fs", fs.name)} <-->|${label(
                `DRA ${str(prop(dra, "fileSystemPath"))} ⇄ ${str(prop(dra, "dataRepositoryPath"))}`,
                `import ${str(prop(dra, "s3.autoImportPolicy.events"), "none")}`,
                `export ${str(prop(dra, "s3.autoExportPolicy.events"), "none")}`,
                prop(dra, "batchImportMetaDataOnCreate") === true ? "batch import on create" : "",
            )}| ${id(role, "bucket")}`,
        );
    }
    for (const client of ofType(plan, types.client)) {
        const children = plan.resources.filter((r) => r.parent?.type === types.client && r.parent.name === client.name);
        const instance = children.find((r) => r.type === types.instance);
        const remote = children.find((r) => r.type === types.remoteCommand);
        const detail = instance
            ? `EC2 ${str(prop(instance, "instanceType"))}`
            : remote
              ? `host ${str(prop(remote, "connection.host"))} over SSH`
              : "";
        lines.push(`        ${id(role, "client", client.name)}([${label(client.name, detail)}])`);
        for (const fs of fileSystems) {
            lines.push(`        ${id(role, "client", client.name)} -->|mounts| ${id(role, "fs", fs.name)}`);
        }
    }
    lines.push("    end");
    return lines;
}

function replicationLines(plans: readonly StackPlan[]): string[] {
    const lines: string[] = [];
    for (const plan of plans) {
        const peer = plans.find((p) => p !== plan);
        const status = str(plan.outputs.replicationStatus, "unknown");
        const replication = ofType(plan, types.replication)[0];
        const from = id(plan.stack, "bucket");
        if (replication !== undefined) {
            const rule = firstRule(replication);
            const destination = str(rule?.destination?.bucket);
            const to = peer ? id(peer.stack, "bucket") : id(plan.stack, "peer_bucket");
            if (!peer) {
                lines.push(`    ${to}[(${label(`peer bucket ${destination.replace(/^arn:aws[\w-]*:s3:::/, "")}`)})]`);
            }
            const rtc = rule?.destination?.replicationTime?.status === "Enabled" ? "RTC 15 min" : "no RTC";
            const markers = rule?.deleteMarkerReplication?.status === "Enabled" ? "delete markers" : "";
            lines.push(`    ${from} ==>|${label(`replication ${status}`, [rtc, markers].filter(Boolean).join(", "))}| ${to}`);
        } else if (peer) {
            lines.push(`    ${from} -.->|${label(`no replication: ${status}`)}| ${id(peer.stack, "bucket")}`);
        }
    }
    return lines;
}

/** The Mermaid flowchart of the planned stacks (one side, or both with replication between them). */
export function architectureDiagram(plans: readonly StackPlan[]): string {
    return [
        "flowchart LR",
        ...plans.flatMap((plan) => plan.assumptions.map((a) => `    %% ${plan.stack}: assumed ${a}`)),
        ...plans.flatMap(sideLines),
        ...replicationLines(plans),
    ].join("\n");
}
