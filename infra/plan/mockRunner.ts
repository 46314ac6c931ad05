/**
 * Runs Pulumi code in-process against `pulumi.runtime.setMocks` (the way Pulumi tests its own SDK) and records
 * every resource it declares: type, name, parent and inputs. The tests use it to assert on exactly what would
 * be sent to AWS; `lustre-dr plan` uses it to show what a stack would declare, without cloud, CLI or credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";

/** A resource by its type token and logical name. */
export interface ResourceRef {
    readonly type: string;
    readonly name: string;
}

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    // Resource inputs are arbitrary JSON-shaped values by nature; in a preview run unknown leaves are `pulumi.unknown`.
    readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    /** The explicit provider reference, when one was given. */
    readonly provider?: string;
    /** The parent resource (absent for top-level resources). */
    readonly parent?: ResourceRef;
    /** False for component resources, which AWS never sees. */
    readonly custom: boolean;
    /** The id of the existing resource this one adopts (the `import` resource option). */
    readonly importId?: string;
}

export interface MockWorld {
    /** Account the deploying credentials belong to. @default "111111111111" */
    readonly accountId?: string;
    /** Region of the stack's provider, for regional ARNs the mocks compute (KMS keys). @default "us-east-1" */
    readonly region?: string;
    /** Stack outputs of other stacks, by fully qualified name, as a StackReference sees them. */
    readonly stacks?: Record<string, Record<string, unknown>>;
    /** Answers for invokes other than getCallerIdentity, by token. Unknown tokens throw. */
    readonly invokes?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
}

/** Attributes the provider would compute for a new resource (ARNs, ids), derived from its inputs. */
export type ComputedState = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    accountId: string,
    region: string,
) => Record<string, unknown>;

export interface MockRunOptions {
    readonly stack: string;
    /** @default "lustre-dr" */
    readonly project?: string;
    /** @default "organization" */
    readonly organization?: string;
    readonly world?: MockWorld;
    /**
     * Run as a preview: attributes the mocks do not compute stay unknown, as `pulumi preview` shows them.
     * @default false
     */
    readonly preview?: boolean;
    /** @default nothing computed */
    readonly computedState?: ComputedState;
    /**
     * The physical id of a new resource; undefined leaves it unknown in a preview.
     * @default `${name}-id`
     */
    readonly idOf?: (type: string, name: string, state: Record<string, unknown>) => string | undefined;
}

export interface MockedRun<T> {
    readonly result: T;
    readonly resources: RecordedResource[];
    /** Resources of one type, e.g. `aws:s3/bucket:Bucket`. */
    ofType(type: string): RecordedResource[];
    /** The one resource of a type; fails when there is not exactly one. */
    single(type: string): RecordedResource;
}

/** `urn:pulumi:stack::project::parent$type::name` -> its type and name. */
export function refFromUrn(urn: string): ResourceRef {
    const [, , qualifiedType, ...name] = urn.split("::");
    return { type: qualifiedType.split("$").pop() ?? qualifiedType, name: name.join("::") };
}

/** The slice of the mock monitor this runner observes: which parent each registration names. */
interface RegistrationRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
}
interface Monitor {
    registerResource(request: RegistrationRequest, callback: (...args: unknown[]) => void): void;
}

let preserved: Promise<void> = Promise.resolve();

/**
 * Runs `program` with mocks and waits until every resource registration has been answered.
 * Runs are serialised: the Pulumi runtime is process-global.
 */
export function runWithMocks<T>(program: () => T | Promise<T>, options: MockRunOptions): Promise<MockedRun<T>> {
    const run = preserved.then(() => runOnce(program, options));
    preserved = run.then(
        () => undefined,
        () => undefined,
    );
    return run;
}

async function runOnce<T>(program: () => T | Promise<T>, options: MockRunOptions): Promise<MockedRun<T>> {
    const world = options.world ?? {};
    const accountId = world.accountId ?? "111111111111";
    const computedState = options.computedState ?? (() => ({}));
    const idOf = options.idOf ?? ((_type: string, name: string) => `${name}-id`);
    const resources: RecordedResource[] = [];
    // Parent URNs by `${type}::${name}`, captured from the registration request (MockResourceArgs carries none).
    const parents = new Map<string, string[]>();
    // An invoke the world cannot answer fails the run at once: thrown inside the runtime, an Output-form invoke
    // only leaves the resources that use it waiting, and the run would hang until the test times out.
    let failRun: (error: Error) => void = () => undefined;
    const runFailed = new Promise<never>((_, reject) => {
        failRun = reject;
    });
    runFailed.catch(() => undefined);
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const parentUrn = parents.get(`${args.type}::${args.name}`)?.shift();
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                    ...(parentUrn ? { parent: refFromUrn(parentUrn) } : {}),
                    custom: args.custom !== false,
                    // A StackReference arrives with the referenced stack as its id: a read, not an adoption.
                    ...(args.id && args.type !== "pulumi:pulumi:StackReference" ? { importId: args.id } : {}),
                });
                if (args.type === "pulumi:pulumi:StackReference") {
                    const stackName = args.inputs.name as string;
                    const outputs = world.stacks?.[stackName];
                    if (outputs === undefined) {
                        throw new Error(`unknown stack ${stackName}`);
                    }
                    return { id: args.name, state: { ...args.inputs, outputs, secretOutputNames: [] } };
                }
                const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs, accountId, world.region ?? "us-east-1") };
                return { id: idOf(args.type, args.name, state), state };
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
                    const error = new Error(`unexpected invoke ${args.token} (answer it in world.invokes)`);
                    failRun(error);
                    throw error;
                }
                return answer(args.inputs);
            },
        },
        options.project ?? "lustre-dr",
        options.stack,
        options.preview ?? false,
        options.organization ?? "organization",
    );
    const monitor = settings.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
        const parent = request.getParent();
        if (parent) {
            const key = `${request.getType()}::${request.getName()}`;
            parents.set(key, [...(parents.get(key) ?? []), parent]);
        }
        register(request, callback);
    };
    const result = await Promise.race([Promise.resolve(program()), runFailed]);
    await Promise.race([(settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), runFailed]);
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

/** The plain value of an Output (or any input), for assertions. Never settles for an unknown value: use `planValueOf`. */
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

/** The value of an input in a preview run, with unknown parts left as `pulumi.unknown` (see `pulumi.isUnknown`). */
export async function planValueOf(input: pulumi.Input<unknown>): Promise<unknown> {
    const output = pulumi.output(input) as unknown as { promise(withUnknowns: boolean): Promise<unknown> };
    return output.promise(true);
}
