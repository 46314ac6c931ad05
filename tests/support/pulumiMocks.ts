/**
 * Runs Pulumi code in-process against `pulumi.runtime.setMocks` (the way Pulumi tests its own SDK) and records
 * every resource it declares, with its inputs, so tests can assert on exactly what would be sent to AWS.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    // Resource inputs are arbitrary JSON-shaped values by nature.
    readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    /** The explicit provider reference, when one was given. */
    readonly provider?: string;
}

export interface MockWorld {
    /** Account the deploying credentials belong to. @default "111111111111" */
    readonly accountId?: string;
    /** Stack outputs of other stacks, by fully qualified name, as a StackReference sees them. */
    readonly stacks?: Record<string, Record<string, unknown>>;
    /** Answers for invokes other than getCallerIdentity, by token. Unknown tokens throw. */
    readonly invokes?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
}

export interface MockedRun<T> {
    readonly result: T;
    readonly resources: RecordedResource[];
    /** Resources of one type, e.g. `aws:s3/bucket:Bucket`. */
    ofType(type: string): RecordedResource[];
    /** The one resource of a type; fails when there is not exactly one. */
    single(type: string): RecordedResource;
}

/** Attributes AWS computes that components read back (ARNs), derived from the inputs like AWS would. */
function computedState(type: string, name: string, inputs: Record<string, unknown>, accountId: string): Record<string, unknown> {
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = (inputs.bucket as string | undefined) ?? `${name}-0123abc`;
            return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.amazonaws.com` };
        }
        case "aws:iam/role:Role": {
            const roleName = (inputs.name as string | undefined) ?? name;
            return { name: roleName, arn: `arn:aws:iam::${accountId}:role/${roleName}` };
        }
        case "aws:iam/instanceProfile:InstanceProfile": {
            const profileName = (inputs.name as string | undefined) ?? name;
            return { name: profileName, arn: `arn:aws:iam::${accountId}:instance-profile/${profileName}` };
        }
        case "aws:kms/key:Key":
            return { arn: `arn:aws:kms:us-east-1:${accountId}:key/${name}-key-id`, keyId: `${name}-key-id` };
        case "aws:fsx/lustreFileSystem:LustreFileSystem":
            // The mock id of every resource is `${name}-id`; FSx derives the DNS name from the file system id.
            return { dnsName: `${name}-id.fsx.us-east-1.amazonaws.com`, mountName: "abcdefgh" };
        case "aws:cloudwatch/logGroup:LogGroup": {
            const logGroupName = (inputs.name as string | undefined) ?? `${(inputs.namePrefix as string | undefined) ?? name}0123abc`;
            return { name: logGroupName, arn: `arn:aws:logs:us-east-1:${accountId}:log-group:${logGroupName}` };
        }
        case "aws:sns/topic:Topic":
            return { arn: `arn:aws:sns:us-east-1:${accountId}:${name}` };
        default:
            return {};
    }
}

let preserved: Promise<void> = Promise.resolve();

/**
 * Runs `program` with mocks and waits until every resource registration has been answered.
 * Runs are serialised: the Pulumi runtime is process-global.
 */
export function runWithMocks<T>(
    program: () => T | Promise<T>,
    options: { stack: string; project?: string; organization?: string; world?: MockWorld },
): Promise<MockedRun<T>> {
    const run = preserved.then(() => runOnce(program, options));
    preserved = run.then(
        () => undefined,
        () => undefined,
    );
    return run;
}

async function runOnce<T>(
    program: () => T | Promise<T>,
    options: { stack: string; project?: string; organization?: string; world?: MockWorld },
): Promise<MockedRun<T>> {
    const world = options.world ?? {};
    const accountId = world.accountId ?? "111111111111";
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                });
                if (args.type === "pulumi:pulumi:StackReference") {
                    const stackName = args.inputs.name as string;
                    const outputs = world.stacks?.[stackName];
                    if (outputs === undefined) {
                        throw new Error(`unknown stack ${stackName}`);
                    }
                    return { id: args.name, state: { ...args.inputs, outputs, secretOutputNames: [] } };
                }
                const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs, accountId) };
                // A bucket's id is its name, as in AWS; child resources refer to it by id.
                const id = args.type === "aws:s3/bucket:Bucket" ? String(state.bucket) : `${args.name}-id`;
                return { id, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
                    return {
                        accountId,
                        arn: `arn:aws:sts::${accountId}:assumed-role/deployer/ci`,
                        userId: "AROAEXAMPLE:ci",
                        id: accountId,
                    };
                }
                const answer = world.invokes?.[args.token];
                if (answer === undefined) {
                    throw new Error(`unexpected invoke ${args.token}`);
                }
                return answer(args.inputs);
            },
        },
        options.project ?? "lustre-dr",
        options.stack,
        false,
        options.organization ?? "organization",
    );
    const result = await program();
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    return {
        result,
        resources,
        ofType: (type) => resources.filter((r) => r.type === type),
        single(type) {
            const found = resources.filter((r) => r.type === type);
            if (found.length !== 1) {
                throw new Error(`expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            }
            return found[0];
        },
    };
}

/** The plain value of an Output (or any input), for assertions. */
export function valueOf<T>(input: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(input).apply((value) => resolve(value)));
}

/** Resolves every field of a stack-outputs object. */
export async function resolveAll<T extends object>(outputs: T): Promise<{ [K in keyof T]: pulumi.Unwrap<T[K]> }> {
    const entries = await Promise.all(
        Object.entries(outputs).map(async ([key, value]) => [key, await valueOf(value as pulumi.Input<unknown>)] as const),
    );
    return Object.fromEntries(entries) as unknown as { [K in keyof T]: pulumi.Unwrap<T[K]> };
}
