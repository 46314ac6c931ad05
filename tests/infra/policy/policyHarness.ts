/**
 * Runs the lustre-dr program under mocks and hands its resources to the policies in the shapes the policy
 * analyzer would: `PolicyResource` (outputs, options, parent and property dependencies) for stack policies,
 * `ResourceValidationArgs` (inputs) for resource policies. The policies' validate functions are then called
 * directly with a collecting `reportViolation`, so no PolicyPack (and no gRPC server) is ever constructed.
 *
 * What the mock runner does not record (URNs, protect, dependencies) is read from the registration requests the
 * SDK sends to the mock monitor, which are the same requests the engine would receive.
 */
import type {
    Policies,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { RawSiteConfig } from "../../../stacks/config";
import { lustreDrProgram } from "../../../stacks/program";
import { publicAmiInvokes, resolveAll, runWithMocks } from "../../support/pulumiMocks";

/** One resource as the engine would know it after the update. Plain data, so a test can clone and break it. */
export interface StackRecord {
    type: string;
    name: string;
    urn: string;
    custom: boolean;
    protect: boolean;
    /** `retainOnDelete` as registered: destroying the stack forgets the resource but leaves it in AWS. */
    retainOnDelete?: boolean;
    parent?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    // Resource inputs and outputs are arbitrary JSON-shaped values by nature.
    inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    outputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** What one stack looks like to the pack, plus the region its default provider is configured with. */
export interface StackUnderPolicy {
    readonly stack: string;
    readonly region: string;
    readonly records: StackRecord[];
}

interface Struct {
    toJavaScript(): unknown;
}
interface UrnList {
    getUrnsList(): string[];
}
interface ProtoMap {
    forEach(callback: (value: UrnList, key: string) => void): void;
}
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): ProtoMap;
    getObject(): Struct | undefined;
}
interface ReadRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getProperties(): Struct | undefined;
}
interface RegisterResponse {
    getUrn(): string;
    getObject(): Struct | undefined;
}
interface ReadResponse {
    getUrn(): string;
    getProperties(): Struct | undefined;
}
type Callback<T> = (error: unknown, response: T | undefined) => void;
interface Monitor {
    registerResource(request: RegisterRequest, callback: Callback<RegisterResponse>): void;
    readResource(request: ReadRequest, callback: Callback<ReadResponse>): void;
}

function plain(struct: Struct | undefined): Record<string, unknown> {
    return struct ? (deserializeProperties(struct as unknown as Parameters<typeof deserializeProperties>[0]) as Record<string, unknown>) : {};
}

/** Wraps the mock monitor so every registration and read is recorded with its options and final state. */
function recordRegistrations(records: StackRecord[]): void {
    const monitor = settings.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    const read = monitor.readResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
        const propertyDependencies: Record<string, string[]> = {};
        request.getPropertydependenciesMap().forEach((urns, key) => {
            propertyDependencies[key] = urns.getUrnsList();
        });
        const inputs = plain(request.getObject());
        register(request, (error, response) => {
            if (response) {
                records.push({
                    type: request.getType(),
                    name: request.getName(),
                    urn: response.getUrn(),
                    custom: request.getCustom(),
                    protect: request.getProtect() ?? false,
                    retainOnDelete: request.getRetainondelete() ?? false,
                    ...(request.getParent() ? { parent: request.getParent() } : {}),
                    dependencies: request.getDependenciesList(),
                    propertyDependencies,
                    inputs,
                    outputs: plain(response.getObject()),
                });
            }
            callback(error, response);
        });
    };
    monitor.readResource = (request, callback) => {
        const inputs = plain(request.getProperties());
        read(request, (error, response) => {
            if (response) {
                records.push({
                    type: request.getType(),
                    name: request.getName(),
                    urn: response.getUrn(),
                    custom: true,
                    protect: false,
                    retainOnDelete: false,
                    ...(request.getParent() ? { parent: request.getParent() } : {}),
                    dependencies: request.getDependenciesList(),
                    propertyDependencies: {},
                    inputs,
                    outputs: plain(response.getProperties()),
                });
            }
            callback(error, response);
        });
    };
}

export const accounts = { primary: "111111111111", dr: "222222222222" } as const;
export const fullName = (stack: string): string => `organization/lustre-dr/${stack}`;

/** Stack outputs as the state backend would hold them after each update. */
export type Backend = Record<string, Record<string, unknown>>;

/** One `pulumi up` of a side under mocks: records what the pack would see and stores the outputs in `backend`. */
export async function upUnderPolicy(
    stack: "primary" | "dr",
    raw: RawSiteConfig,
    backend: Backend,
    accountId: string = accounts[stack],
): Promise<StackUnderPolicy> {
    const records: StackRecord[] = [];
    const run = await runWithMocks(
        () => {
            recordRegistrations(records);
            return lustreDrProgram(raw);
        },
        { stack, world: { accountId, region: String(raw.awsRegion), stacks: backend, invokes: publicAmiInvokes } },
    );
    const outputs = (await resolveAll(run.result as object)) as Record<string, unknown>;
    backend[fullName(stack)] = outputs;
    const region = raw.awsRegion;
    if (typeof region !== "string") {
        throw new Error("the test config must set awsRegion");
    }
    return { stack, region, records };
}

/** The default AWS provider as the engine passes it: its inputs come from the `aws:*` config of the stack. */
function defaultProvider(under: StackUnderPolicy): PolicyProviderResource {
    return {
        type: "pulumi:providers:aws",
        name: "default_7_x",
        urn: `urn:pulumi:${under.stack}::lustre-dr::pulumi:providers:aws::default_7_x`,
        props: { region: under.region },
    };
}

function isTypeOf(type: string): (resourceClass: { __pulumiType?: string }) => boolean {
    return (resourceClass) => resourceClass.__pulumiType === type;
}

/** The resource options and provider the engine sends with every resource, the same for both kinds of policy. */
function policyOptions(record: StackUnderPolicy["records"][number], provider: ReturnType<typeof defaultProvider>) {
    return {
        opts: {
            protect: record.protect,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            ...(record.parent ? { parent: record.parent } : {}),
        },
        ...(record.custom && record.type.startsWith("aws:") ? { provider } : {}),
    };
}

/** Every resource as a stack policy receives it: final outputs, options, parent and dependencies linked. */
export function policyResources(under: StackUnderPolicy): PolicyResource[] {
    const provider = defaultProvider(under);
    const byUrn = new Map<string, PolicyResource>();
    const resources = under.records.map((record) => {
        const resource: PolicyResource = {
            type: record.type,
            name: record.name,
            urn: record.urn,
            props: record.outputs,
            ...policyOptions(record, provider),
            dependencies: [],
            propertyDependencies: {},
            isType: isTypeOf(record.type) as PolicyResource["isType"],
            asType: ((resourceClass: { __pulumiType?: string }) =>
                isTypeOf(record.type)(resourceClass) ? record.outputs : undefined) as unknown as PolicyResource["asType"],
        };
        byUrn.set(record.urn, resource);
        return resource;
    });
    const resolve = (urns: string[]): PolicyResource[] =>
        urns.map((urn) => byUrn.get(urn)).filter((found): found is PolicyResource => found !== undefined);
    under.records.forEach((record, index) => {
        const resource = resources[index];
        resource.parent = record.parent ? byUrn.get(record.parent) : undefined;
        resource.dependencies = resolve(record.dependencies);
        for (const [key, urns] of Object.entries(record.propertyDependencies)) {
            resource.propertyDependencies[key] = resolve(urns);
        }
    });
    return resources;
}

class NotApplicable extends Error {}

/** Every resource as a resource policy receives it before the update: its inputs and options. */
export function resourceValidationArgs(under: StackUnderPolicy): ResourceValidationArgs[] {
    const provider = defaultProvider(under);
    return under.records.map((record) => ({
        type: record.type,
        name: record.name,
        urn: record.urn,
        props: record.inputs,
        ...policyOptions(record, provider),
        stackTags: new Map(),
        isType: isTypeOf(record.type) as ResourceValidationArgs["isType"],
        asType: ((resourceClass: { __pulumiType?: string }) =>
            isTypeOf(record.type)(resourceClass) ? record.inputs : undefined) as unknown as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    }));
}

export interface Violation {
    readonly policy: string;
    readonly message: string;
    /** The resource the violation names (stack policies), or the validated resource (resource policies). */
    readonly urn?: string;
}

function isStackPolicy(policy: Policies[number]): policy is StackValidationPolicy {
    return "validateStack" in policy;
}

/** Runs one policy against a stack the way the analyzer would, and collects its violations. */
export async function check(policy: Policies[number], under: StackUnderPolicy): Promise<Violation[]> {
    const violations: Violation[] = [];
    if (isStackPolicy(policy)) {
        await policy.validateStack(
            {
                resources: policyResources(under),
                stackTags: new Map(),
                getConfig: <T extends object>() => ({}) as T,
                notApplicable: (reason?: string): never => {
                    throw new NotApplicable(reason);
                },
            },
            (message, urn) => violations.push({ policy: policy.name, message, ...(urn ? { urn } : {}) }),
        );
        return violations;
    }
    const validations = (policy as ResourceValidationPolicy).validateResource;
    for (const args of resourceValidationArgs(under)) {
        for (const validate of Array.isArray(validations) ? validations : validations ? [validations] : []) {
            try {
                await validate(args, (message) => violations.push({ policy: policy.name, message, urn: args.urn }));
            } catch (error) {
                if (!(error instanceof NotApplicable)) {
                    throw error;
                }
            }
        }
    }
    return violations;
}

/** Runs every policy of a list. */
export async function checkAll(policies: Policies, under: StackUnderPolicy): Promise<Violation[]> {
    const all: Violation[] = [];
    for (const policy of policies) {
        all.push(...(await check(policy, under)));
    }
    return all;
}

/** A deep copy of a stack whose records `breakage` may change freely. */
export function broken(under: StackUnderPolicy, breakage: (records: StackRecord[]) => void): StackUnderPolicy {
    const records = structuredClone(under.records);
    breakage(records);
    return { ...under, records };
}

/** The one record of a type (and optionally name); fails when there is not exactly one. */
export function recordOf(records: StackRecord[], type: string, name?: string): StackRecord {
    const found = records.filter((record) => record.type === type && (name === undefined || record.name === name));
    if (found.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    }
    return found[0];
}

/** Changes a record's inputs and outputs alike (the program would have declared it that way). */
export function declare(record: StackRecord, change: (props: Record<string, any>) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    change(record.inputs);
    change(record.outputs);
}
