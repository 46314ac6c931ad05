/**
 * Plans stacks offline: runs the real program (stacks/program.ts) with each stack's Pulumi.<stack>.yaml against the
 * Pulumi runtime mocks in preview mode. No cloud, no CLI, no credentials; what only AWS can decide stays `<computed>`.
 *
 * The peer is simulated, and every plan says so: the two configs are first converged the way `lustre-dr deploy`
 * does it (primary, dr, primary), each side reading the other's planned outputs through its StackReference.
 * Peer values AWS would generate (bucket names, key ids) appear as placeholders such as `<dr bucket>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { bucketAdoptionChanges, fileSystemAdoptionChanges } from "../../stacks/adoption";
import { configNamespace, parseSiteConfig, RawSiteConfig, SiteRole } from "../../stacks/config";
import { lustreDrProgram } from "../../stacks/program";
import { createdOnRecovery } from "../../stacks/site";
import { ComputedState, MockWorld, planValueOf, runWithMocks } from "./mockRunner";
import { plannedResource, PlanValue, StackPlan, toPlanValue } from "./model";

/** Placeholder accounts: plans never learn the real ones. */
export const placeholderAccounts: Readonly<Record<SiteRole, string>> = { primary: "111111111111", dr: "222222222222" };

const defaultOrganization = "organization";
const defaultProject = "lustre-dr";

export interface PlanInput {
    /** Raw config of each side, as read from its Pulumi.<stack>.yaml. */
    readonly configs: Readonly<Record<SiteRole, RawSiteConfig>>;
    /**
     * Plan each file exactly as written. By default a side without `peerStack` is planned as `lustre-dr deploy`
     * leaves it, pointing at the other side (`organization/lustre-dr/<other>`).
     * @default false
     */
    readonly asConfigured?: boolean;
    /** The project's name (Pulumi.yaml `name`), for stack references and the program's identity. @default lustre-dr */
    readonly project?: string;
    /** The stack name of each side, as `deploy --primary/--dr` takes them. @default primary and dr */
    readonly stackNames?: Readonly<Record<SiteRole, string>>;
}

const other = (role: SiteRole): SiteRole => (role === "primary" ? "dr" : "primary");

function organizationOf(peerStack: unknown): string {
    return typeof peerStack === "string" && peerStack.includes("/") ? peerStack.split("/")[0] : defaultOrganization;
}

/** The config a side is planned with, and what was assumed to get there. */
function effectiveConfig(role: SiteRole, raw: RawSiteConfig, asConfigured: boolean, peerName: string): { raw: RawSiteConfig; assumptions: string[] } {
    const assumptions = [`account ${placeholderAccounts[role]} (a placeholder; the real account is only known to the deploying credentials)`];
    let effective: RawSiteConfig = raw;
    if (raw.peerStack === undefined && !asConfigured) {
        const peerStack = peerName;
        effective = { ...effective, peerStack };
        assumptions.push(`${configNamespace}:peerStack = ${peerStack}, as \`lustre-dr deploy\` sets it (the file leaves it out)`);
    }
    if (effective.peerStack !== undefined && raw.peerAccountId === undefined) {
        const peerAccountId = placeholderAccounts[other(role)];
        effective = { ...effective, peerAccountId };
        assumptions.push(`${configNamespace}:peerAccountId = ${peerAccountId}, the placeholder account of the ${other(role)} side`);
    }
    if (raw.sshPrivateKey !== undefined) {
        // The file holds it encrypted; the plan only needs to know it is there.
        effective = { ...effective, sshPrivateKey: pulumi.secret("<secret>") };
    }
    return { raw: effective, assumptions };
}

/** Values AWS generates, as recognisable placeholders, so the simulated peer's outputs satisfy the contract. */
function placeholderState(role: SiteRole, region: string): ComputedState {
    return (type, name, inputs, accountId) => {
        switch (type) {
            case "aws:s3/bucket:Bucket": {
                const bucket = (inputs.bucket as string | undefined) ?? `<${role} bucket>`;
                return { bucket, arn: `arn:aws:s3:::${bucket}` };
            }
            case "aws:iam/role:Role": {
                const roleName = (inputs.name as string | undefined) ?? `<${role} ${name}>`;
                return { name: roleName, arn: `arn:aws:iam::${accountId}:role/${roleName}` };
            }
            case "aws:kms/key:Key":
                return { arn: `arn:aws:kms:${region}:${accountId}:key/<${role} key id>`, keyId: `<${role} key id>` };
            default:
                return {};
        }
    };
}

/** Invokes a plan can answer offline; anything else is an error naming the invoke. */
const offlineInvokes: MockWorld["invokes"] = {
    "aws:ssm/getParameter:getParameter": (inputs) => ({
        name: inputs.name,
        value: `<resolved at deploy from ${String(inputs.name)}>`,
        insecureValue: `<resolved at deploy from ${String(inputs.name)}>`,
        type: "String",
        arn: `<computed>`,
        id: inputs.name,
        version: 0,
    }),
};

async function resolveOutputs(outputs: object): Promise<Record<string, unknown>> {
    const entries = await Promise.all(Object.entries(outputs).map(async ([key, value]) => [key, await planValueOf(value)] as const));
    return Object.fromEntries(entries);
}

/** Outputs a StackReference can carry: known values only (an unknown output reads as absent). */
function knownOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
    const known = (value: unknown): boolean =>
        !pulumi.isUnknown(value) && (typeof value !== "object" || value === null || Object.values(value).every(known));
    return Object.fromEntries(Object.entries(outputs).filter(([, value]) => known(value)));
}

interface SideRun {
    readonly role: SiteRole;
    /** The stack's name (its file is Pulumi.<stack>.yaml). */
    readonly stack: string;
    readonly raw: RawSiteConfig;
    readonly assumptions: string[];
    /** The fully qualified name the other side uses for this stack. */
    readonly nameForPeer: string;
}

/**
 * From this side's (already validated) config: what adopting its existing bucket changes on it, and what a pilot-light
 * side creates only on recovery (the file system, and the clients declared ahead).
 */
function configNotes(side: SideRun, project: string): { adoption?: string[]; onRecovery?: string[] } {
    const config = parseSiteConfig(side.raw, { organization: organizationOf(side.raw.peerStack), project, stack: side.stack });
    const changes = [...bucketAdoptionChanges(config), ...fileSystemAdoptionChanges(config)];
    const deferred = createdOnRecovery(config);
    return { ...(changes.length > 0 ? { adoption: changes } : {}), ...(deferred.length > 0 ? { onRecovery: deferred } : {}) };
}

/**
 * Plans the requested sides. Both configs are always used: each side's plan depends on what its peer grants.
 */
export async function planStacks(input: PlanInput, stacks: readonly SiteRole[]): Promise<StackPlan[]> {
    const asConfigured = input.asConfigured ?? false;
    const project = input.project ?? defaultProject;
    const names: Readonly<Record<SiteRole, string>> = input.stackNames ?? { primary: "primary", dr: "dr" };
    // what `lustre-dr deploy` sets as peerStack: the other stack, in this project and the backend's organization
    const deployName = (role: SiteRole) => `${defaultOrganization}/${project}/${names[role]}`;
    const sideRun = (role: SiteRole): SideRun => ({
        role,
        stack: names[role],
        ...effectiveConfig(role, input.configs[role], asConfigured, deployName(other(role))),
        nameForPeer: "",
    });
    const sides: Record<SiteRole, SideRun> = { primary: sideRun("primary"), dr: sideRun("dr") };
    for (const role of ["primary", "dr"] as const) {
        const peerStack = sides[other(role)].raw.peerStack;
        sides[role] = { ...sides[role], nameForPeer: typeof peerStack === "string" ? peerStack : deployName(role) };
    }

    // Both stacks exist but export nothing yet, as after `pulumi stack init`.
    const backend: Record<string, Record<string, unknown>> = { [sides.primary.nameForPeer]: {}, [sides.dr.nameForPeer]: {} };
    const runSide = (side: SideRun, computedState?: ComputedState) =>
        // Offline: an adopted bucket's versioning history is only read when deploying.
        runWithMocks(() => lustreDrProgram(side.raw, { versioningHistory: async () => "unknown" }), {
            stack: side.stack,
            project,
            organization: organizationOf(side.raw.peerStack),
            preview: true,
            world: { accountId: placeholderAccounts[side.role], stacks: backend, invokes: offlineInvokes },
            computedState,
            idOf: () => undefined,
        });

    // Converge the pair as `lustre-dr deploy` does (primary, dr, primary, ...), so each side sees the grants the other
    // would have made. Three updates are enough for both to see each other's grant; the plans below are the fourth.
    for (const role of ["primary", "dr", "primary"] as const) {
        const side = sides[role];
        const region = typeof side.raw.awsRegion === "string" ? side.raw.awsRegion : "";
        const run = await runSide(side, placeholderState(role, region));
        backend[side.nameForPeer] = knownOutputs(await resolveOutputs(run.result));
    }

    const plans: StackPlan[] = [];
    for (const role of stacks) {
        const side = sides[role];
        const peer = sides[other(role)];
        const run = await runSide(side);
        const outputs = await resolveOutputs(run.result);
        const peerRead = run.ofType("pulumi:pulumi:StackReference").length > 0;
        plans.push({
            stack: side.stack,
            role: String(outputs.role ?? role),
            region: String(outputs.region ?? side.raw.awsRegion),
            accountId: placeholderAccounts[role],
            assumptions: [
                ...side.assumptions,
                ...(peerRead
                    ? [`peer ${peer.nameForPeer}: simulated from the planned outputs of Pulumi.${peer.stack}.yaml (placeholders such as <${peer.role} bucket> stand for names AWS generates)`]
                    : []),
            ],
            ...configNotes(side, project),
            resources: run.resources.map(plannedResource),
            outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, toPlanValue(value) as PlanValue])),
        });
    }
    return plans;
}
