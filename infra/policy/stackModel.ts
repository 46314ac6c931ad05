/**
 * How the policies see a stack: which resource belongs to which bucket, file system or role. Pure functions over
 * the `PolicyResource` graph the engine hands to stack policies, so every policy relates resources the same way.
 *
 * Resources are related through `propertyDependencies` first (the engine records which resource each input came
 * from, and it is known even in a preview, when a new bucket's id is not) and through values second (a literal
 * bucket name, an ARN), so hand-written programs that pass plain strings are still related correctly.
 */
import type { PolicyResource } from "@pulumi/policy";

/** Type tokens of the resources the policies look at. Compared as strings: the pack never loads the AWS SDK. */
export const types = {
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    notification: "aws:s3/bucketNotification:BucketNotification",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    managedPolicy: "aws:iam/policy:Policy",
    lustre: "aws:fsx/lustreFileSystem:LustreFileSystem",
    dataRepositoryAssociation: "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
    stackReference: "pulumi:pulumi:StackReference",
} as const;

export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
    return resources.filter((resource) => resource.type === type);
}

/** The resources `property` of `resource` was computed from (the engine's property dependencies). */
function dependenciesOf(resource: PolicyResource, property: string): PolicyResource[] {
    return resource.propertyDependencies[property] ?? [];
}

/** A string prop, or undefined when absent or not a string. Throws the library's unknown-value error in a preview. */
export function stringProp(props: Record<string, unknown>, key: string): string | undefined {
    const value = props[key];
    return typeof value === "string" ? value : undefined;
}

/** The physical name of a bucket resource. */
export function bucketName(bucket: PolicyResource): string | undefined {
    return stringProp(bucket.props, "bucket");
}

/**
 * The bucket's ARN. S3 bucket ARNs carry neither region nor account, so it follows from the name and the partition
 * of the ARN the provider reported (or `aws` before it reported one).
 */
export function bucketArn(bucket: PolicyResource): string | undefined {
    const name = bucketName(bucket);
    const reported = stringProp(bucket.props, "arn");
    if (reported !== undefined) {
        return reported;
    }
    return name === undefined ? undefined : `arn:aws:s3:::${name}`;
}

/** `arn:<partition>:s3:::name[/key]` -> `name`; undefined for anything else. */
export function bucketNameFromArn(arn: string): string | undefined {
    const match = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
    return match?.[1];
}

/**
 * The bucket a bucket-scoped resource (versioning, policy, replication, notification, ...) configures: the bucket
 * its `bucket` input came from, or the bucket with that name.
 */
export function bucketOf(resource: PolicyResource, buckets: readonly PolicyResource[]): PolicyResource | undefined {
    const fromDependency = dependenciesOf(resource, "bucket").find((dependency) => dependency.type === types.bucket);
    if (fromDependency) {
        return fromDependency;
    }
    const name = stringProp(resource.props, "bucket");
    return name === undefined ? undefined : buckets.find((bucket) => bucketName(bucket) === name);
}

/** Resources of `type` that configure `bucket`. */
export function attachedTo(bucket: PolicyResource, resources: readonly PolicyResource[], type: string): PolicyResource[] {
    const buckets = ofType(resources, types.bucket);
    return ofType(resources, type).filter((resource) => bucketOf(resource, buckets) === bucket);
}

/** Every bucket that has a replication configuration, with its configurations. */
export function replicatedBuckets(resources: readonly PolicyResource[]): { bucket: PolicyResource; replication: PolicyResource }[] {
    const buckets = ofType(resources, types.bucket);
    const found: { bucket: PolicyResource; replication: PolicyResource }[] = [];
    for (const replication of ofType(resources, types.replication)) {
        const bucket = bucketOf(replication, buckets);
        if (bucket) {
            found.push({ bucket, replication });
        }
    }
    return found;
}

/** `s3://bucket/prefix/` -> `bucket`. */
export function bucketNameFromS3Url(url: string): string | undefined {
    const match = /^s3:\/\/([^/]+)/.exec(url);
    return match?.[1];
}

/** The bucket a data repository association links to its file system. */
export function linkedBucketOf(association: PolicyResource, buckets: readonly PolicyResource[]): PolicyResource | undefined {
    const fromDependency = dependenciesOf(association, "dataRepositoryPath").find((dependency) => dependency.type === types.bucket);
    if (fromDependency) {
        return fromDependency;
    }
    const path = stringProp(association.props, "dataRepositoryPath");
    const name = path === undefined ? undefined : bucketNameFromS3Url(path);
    return name === undefined ? undefined : buckets.find((bucket) => bucketName(bucket) === name);
}

/** The data repository associations of a file system: by the `fileSystemId` input's origin, or by id. */
export function associationsOf(fileSystem: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return ofType(resources, types.dataRepositoryAssociation).filter((association) => {
        if (dependenciesOf(association, "fileSystemId").includes(fileSystem)) {
            return true;
        }
        const id = stringProp(fileSystem.props, "id");
        return id !== undefined && stringProp(association.props, "fileSystemId") === id;
    });
}

/** The role a replication configuration acts with: the role its `role` input came from, or the role with that ARN. */
export function replicationRoleOf(replication: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const fromDependency = dependenciesOf(replication, "role").find((dependency) => dependency.type === types.role);
    if (fromDependency) {
        return fromDependency;
    }
    const arn = stringProp(replication.props, "role");
    return ofType(resources, types.role).find((role) => stringProp(role.props, "arn") === arn);
}

/** The account in an ARN such as `arn:aws:iam::111111111111:role/x`; undefined when it has none. */
export function accountOfArn(arn: string | undefined): string | undefined {
    const account = arn?.split(":")[4];
    return account ? account : undefined;
}

/** The region in an ARN such as `arn:aws:kms:us-west-2:...`; undefined when it has none (S3, IAM). */
export function regionOfArn(arn: string | undefined): string | undefined {
    const region = arn?.split(":")[3];
    return region ? region : undefined;
}

/**
 * The region a resource lives in: its own `region` property (AWS provider v7 reports it on every regional
 * resource), else the region of the provider that manages it, else undefined.
 */
export function regionOf(resource: PolicyResource): string | undefined {
    return stringProp(resource.props, "region") ?? (resource.provider ? stringProp(resource.provider.props, "region") : undefined);
}

/** What a StackReference to the peer says about its bucket, as the stack outputs contract (stacks/outputs.ts) names it. */
export interface PeerFacts {
    readonly stack: string;
    readonly bucketArn: string;
    readonly region?: string;
    readonly accountId?: string;
}

/** The peers this stack reads, from every StackReference whose outputs carry a `bucketArn`. */
export function peersOf(resources: readonly PolicyResource[]): PeerFacts[] {
    const peers: PeerFacts[] = [];
    for (const reference of ofType(resources, types.stackReference)) {
        const outputs = reference.props.outputs as Record<string, unknown> | undefined;
        const arn = outputs && typeof outputs.bucketArn === "string" ? outputs.bucketArn : undefined;
        if (outputs && arn) {
            peers.push({
                stack: stringProp(reference.props, "name") ?? reference.name,
                bucketArn: arn,
                region: typeof outputs.region === "string" ? outputs.region : undefined,
                accountId: typeof outputs.accountId === "string" ? outputs.accountId : undefined,
            });
        }
    }
    return peers;
}

/** A statement of an IAM or resource policy document, as JSON has it. */
export interface Statement {
    readonly Sid?: string;
    readonly Effect?: string;
    readonly Principal?: unknown;
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: string | string[];
    readonly NotResource?: string | string[];
    readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document given as a JSON string or an object; undefined when it is neither. */
export function statementsOf(document: unknown): Statement[] | undefined {
    let parsed: unknown = document;
    if (typeof document === "string") {
        try {
            parsed = JSON.parse(document);
        } catch {
            return undefined;
        }
    }
    if (typeof parsed !== "object" || parsed === null) {
        return undefined;
    }
    const statement = (parsed as { Statement?: unknown }).Statement;
    if (Array.isArray(statement)) {
        return statement as Statement[];
    }
    return typeof statement === "object" && statement !== null ? [statement as Statement] : undefined;
}

export function asList<T>(value: T | T[] | undefined): T[] {
    if (value === undefined) {
        return [];
    }
    return Array.isArray(value) ? value : [value];
}

/** A human handle for a resource in a violation message: its logical name and, when known, its physical name. */
export function describe(resource: PolicyResource): string {
    const physical = resource.type === types.bucket ? bucketName(resource) : undefined;
    return physical && physical !== resource.name ? `${resource.name} (${physical})` : resource.name;
}
