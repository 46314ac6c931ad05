/**
 * The IAM documents one side of the program declares, read from a mocked `pulumi up` (tests/infra/policy/pair.ts):
 * every role's trust policy and inline policies, the bucket policy and the key policy, exactly as the resources
 * would send them to AWS. Nothing here is hand-written: the access matrix evaluates what the program declares.
 */
import { roleNames } from "../../stacks/site";
import type { StackRecord, StackUnderPolicy } from "../infra/policy/policyHarness";

/** An IAM policy document as AWS receives it (parsed JSON). */
export interface PolicyJson {
    readonly Version?: string;
    readonly Statement: readonly Record<string, unknown>[] | Record<string, unknown>;
}

/** A document with the name a failing test shows: which stack, which resource, which kind of policy. */
export interface NamedPolicy {
    readonly name: string;
    readonly document: PolicyJson;
}

export interface DeclaredRole {
    readonly arn: string;
    readonly name: string;
    readonly trust: NamedPolicy;
    /** Inline role policies (aws.iam.RolePolicy) and attached policies the stack declares (aws.iam.Policy). */
    readonly identity: readonly NamedPolicy[];
    /** Attached policies the stack does not declare (AWS-managed): the matrix cannot read them. */
    readonly unreadablePolicyArns: readonly string[];
}

/** One side as the access matrix sees it: its resources' ARNs and every document it declares. */
export interface DeclaredSide {
    readonly stack: string;
    readonly accountId: string;
    readonly region: string;
    readonly bucketName: string;
    readonly bucketArn: string;
    /** Absent with SSE_S3. */
    readonly keyArn?: string;
    readonly roles: ReadonlyMap<string, DeclaredRole>;
    readonly bucketPolicy?: NamedPolicy;
    readonly keyPolicy?: NamedPolicy;
    readonly objectLock: boolean;
    readonly fileSystem: boolean;
    readonly replicationRoleArn: string;
    readonly batchReplicationRoleArn: string;
}

function parse(value: unknown, what: string): PolicyJson {
    if (typeof value !== "string") {
        throw new Error(`${what} is not a JSON string: ${JSON.stringify(value)}`);
    }
    return JSON.parse(value) as PolicyJson;
}

function only(records: readonly StackRecord[], type: string, stack: string): StackRecord {
    const found = records.filter((record) => record.type === type);
    if (found.length !== 1) {
        throw new Error(`${stack}: expected one ${type}, found ${found.length}`);
    }
    return found[0];
}

/** Everything `under` declares that IAM, S3 or KMS evaluates, with the account the mocks deployed it in. */
export function declaredSide(under: StackUnderPolicy, accountId: string): DeclaredSide {
    const { records, stack } = under;
    const bucket = only(records, "aws:s3/bucket:Bucket", stack);
    const bucketName = String(bucket.outputs.bucket);
    const bucketArn = String(bucket.outputs.arn);

    const roles = new Map<string, DeclaredRole>();
    const roleByUrn = new Map<string, { arn: string; name: string }>();
    for (const record of records.filter((r) => r.type === "aws:iam/role:Role")) {
        const arn = String(record.outputs.arn);
        const name = String(record.outputs.name);
        roleByUrn.set(record.urn, { arn, name });
        roles.set(arn, {
            arn,
            name,
            trust: { name: `${stack}: trust policy of role ${name}`, document: parse(record.inputs.assumeRolePolicy, `${stack} role ${name} trust policy`) },
            identity: [],
            unreadablePolicyArns: [],
        });
    }
    const attach = (roleUrn: string | undefined, what: string, change: (role: DeclaredRole) => DeclaredRole): void => {
        const role = roleUrn ? roleByUrn.get(roleUrn) : undefined;
        if (!role) {
            throw new Error(`${stack}: ${what} is attached to no role of the stack`);
        }
        roles.set(role.arn, change(roles.get(role.arn)!));
    };
    for (const record of records.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
        attach(record.propertyDependencies.role?.[0], `role policy ${record.name}`, (role) => ({
            ...role,
            identity: [
                ...role.identity,
                { name: `${stack}: policy ${record.name} of role ${role.name}`, document: parse(record.inputs.policy, `${stack} role policy ${record.name}`) },
            ],
        }));
    }
    const policyByUrn = new Map(records.filter((r) => r.type === "aws:iam/policy:Policy").map((r) => [r.urn, r]));
    for (const record of records.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
        const policyUrn = record.propertyDependencies.policyArn?.[0];
        const policy = policyUrn ? policyByUrn.get(policyUrn) : undefined;
        attach(record.propertyDependencies.role?.[0], `policy attachment ${record.name}`, (role) =>
            policy
                ? {
                      ...role,
                      identity: [
                          ...role.identity,
                          { name: `${stack}: policy ${policy.name} attached to role ${role.name}`, document: parse(policy.inputs.policy, `${stack} policy ${policy.name}`) },
                      ],
                  }
                : { ...role, unreadablePolicyArns: [...role.unreadablePolicyArns, String(record.inputs.policyArn)] },
        );
    }

    const bucketPolicies = records.filter((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy");
    const keys = records.filter((r) => r.type === "aws:kms/key:Key");
    if (bucketPolicies.length > 1 || keys.length > 1) {
        throw new Error(`${stack}: expected at most one bucket policy and one key, found ${bucketPolicies.length} and ${keys.length}`);
    }
    const key = keys[0];
    const names = roleNames({ project: "lustre-dr", stack });
    const roleNamed = (name: string): string => {
        const role = [...roles.values()].find((r) => r.name === name);
        if (!role) {
            throw new Error(`${stack}: no role named ${name} (roles: ${[...roles.values()].map((r) => r.name).join(", ")})`);
        }
        return role.arn;
    };
    return {
        stack,
        accountId,
        region: under.region,
        bucketName,
        bucketArn,
        ...(key ? { keyArn: String(key.outputs.arn) } : {}),
        roles,
        ...(bucketPolicies[0]
            ? { bucketPolicy: { name: `${stack}: bucket policy of ${bucketName}`, document: parse(bucketPolicies[0].inputs.policy, `${stack} bucket policy`) } }
            : {}),
        ...(key ? { keyPolicy: { name: `${stack}: key policy of the key of ${bucketName}`, document: parse(key.inputs.policy, `${stack} key policy`) } } : {}),
        objectLock: records.some((r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
        fileSystem: records.some((r) => r.type === "aws:fsx/lustreFileSystem:LustreFileSystem"),
        replicationRoleArn: roleNamed(names.replication),
        batchReplicationRoleArn: roleNamed(names.batchReplication),
    };
}
