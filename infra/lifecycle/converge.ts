/**
 * The replication handshake loop (README.md, "The replication handshake"), shared by `deploy` and `failback`: update primary, dr, primary, dr,
 * reading each side's `replicationStatus` after its update, until both sides report `active`.
 *
 * From nothing this takes four updates (each side must see the other's grant before it may configure replication);
 * when already converged, two updates without changes. `peerStack` is set here, and only once the peer stack exists:
 * a StackReference to a stack that does not exist fails the update.
 */
import * as fs from "fs";
import * as path from "path";
import type { Stack, UpResult } from "@pulumi/pulumi/automation";
import { readStackConfigFile } from "../../stacks/stackConfigFile";
import { UsageError } from "../output";
import type { ReplicationStatus } from "../../stacks/outputs";
import type { SideRole } from "../aws/sides";
import type { Output } from "../output";
import { outputValues, parseSiteOutputs } from "../pulumi/stackOutputs";
import type { LustreDrWorkspace } from "../pulumi/workspace";
import { engineErrorDetail } from "../pulumi/engineError";

export const peerStackKey = "lustre-dr:peerStack";
export const peerAccountIdKey = "lustre-dr:peerAccountId";

/** The account each side lives in, as the operator states it (`--primary-account-id`, `--dr-account-id`). */
export type AccountIds = Partial<Record<SideRole, string>>;

/** Updates never exceed this: enough to converge from nothing. */
export const maxUpdates = 4;

/** primary, dr, primary, dr: or starting with the dr side, when that is the side that changed (failback). */
export function updateOrder(first: SideRole = "primary"): SideRole[] {
    const second: SideRole = first === "primary" ? "dr" : "primary";
    return [first, second, first, second];
}

export type StackNames = Readonly<Record<SideRole, string>>;

export type Verdict = "continue" | "converged" | "detached" | "exhausted";

/**
 * What to do after an update, from the statuses of the sides updated so far in this run. Converged means both
 * sides were updated in this run and both report `active`; a detached side can never become active, so the loop
 * stops instead of spending updates on it.
 */
export function convergenceVerdict(statuses: Partial<Record<SideRole, ReplicationStatus>>, updates: number): Verdict {
    if (statuses.primary === "detached" || statuses.dr === "detached") {
        return "detached";
    }
    if (statuses.primary === "active" && statuses.dr === "active") {
        return "converged";
    }
    return updates >= maxUpdates ? "exhausted" : "continue";
}

/** One update as the loop ran it. */
export interface UpdateRecord {
    readonly step: number;
    readonly role: SideRole;
    readonly stack: string;
    /** `peerStack` the update ran with; absent while the peer stack did not exist. */
    readonly peerStack?: string;
    readonly replicationStatus: ReplicationStatus;
    /** Resource operation counts from the update summary, e.g. `{create: 12}` or `{same: 12}`. */
    readonly changes: Record<string, number>;
}

export interface ConvergeResult {
    readonly verdict: Exclude<Verdict, "continue">;
    readonly updates: UpdateRecord[];
}

/** A failed update: names the stack and the step, and says that re-running continues. */
export class UpdateFailedError extends Error {
    constructor(
        readonly step: number,
        readonly stack: string,
        detail: string,
        readonly command = "lustre-dr deploy",
    ) {
        super(
            `update ${step} of at most ${maxUpdates} (stack ${stack}) failed; the updates after it did not run.\n${detail}\n` +
                `Fix the cause and run \`${command}\` again: it continues from the state the stacks are in now.`,
        );
        this.name = "UpdateFailedError";
    }
}


export interface ConvergeOptions {
    readonly output: Output;
    /** Stream the engine's output (stdout of `pulumi up`) to stderr. */
    readonly verbose?: boolean;
    /** Command to name in the re-run hint of a failure. @default "lustre-dr deploy" */
    readonly rerunCommand?: string;
    /** The side to update first. @default "primary" */
    readonly first?: SideRole;
    /**
     * Accounts to pin each stack's peer to (`lustre-dr:peerAccountId`): the dr stack is pinned to the primary's
     * account and the other way round. A side not given here must already have its pin in its config.
     */
    readonly accountIds?: AccountIds;
}

const otherSide = (role: SideRole): SideRole => (role === "primary" ? "dr" : "primary");

/** `lustre-dr:peerAccountId` as a stack has it: from the backend when it exists, else from its Pulumi.<stack>.yaml. */
async function configuredPin(workspace: LustreDrWorkspace, stackName: string): Promise<string | undefined> {
    if (await workspace.stackExists(stackName)) {
        const stack = await workspace.selectStack(stackName);
        return (await stack.getAllConfig())[peerAccountIdKey]?.value;
    }
    const file = path.join(workspace.workspace.workDir, `Pulumi.${stackName.split("/").pop()}.yaml`);
    const value = fs.existsSync(file) ? readStackConfigFile(file).peerAccountId : undefined;
    return typeof value === "string" ? value : undefined;
}

/**
 * The pins to write before the loop starts, per stack. Checked before any update: each stack the loop will point
 * at its peer must end up pinned to the peer's account, or nothing runs. The pin never comes from the peer's own
 * outputs: those are what it protects against.
 */
export async function peerPinsToWrite(workspace: LustreDrWorkspace, names: StackNames, accountIds: AccountIds): Promise<AccountIds> {
    const toWrite: AccountIds = {};
    const missing: string[] = [];
    for (const role of ["primary", "dr"] as const) {
        const peer = otherSide(role);
        const given = accountIds[peer];
        const current = await configuredPin(workspace, names[role]);
        if (given !== undefined && given !== current) {
            toWrite[role] = given;
        } else if (given === undefined && current === undefined) {
            missing.push(
                `stack ${names[role]} has no ${peerAccountIdKey} (the ${peer} side's account): pass --${peer}-account-id <12 digits> ` +
                    `or run \`pulumi config set ${peerAccountIdKey} <12 digits> --stack ${names[role]}\``,
            );
        }
    }
    if (missing.length > 0) {
        throw new UsageError(
            `each stack must be pinned to its peer's account before the stacks are pointed at each other; nothing was changed:\n  - ${missing.join("\n  - ")}`,
        );
    }
    return toWrite;
}

/** Points the stack at its peer, or removes a pointer to a peer that does not exist yet. Returns what is set. */
async function wirePeer(workspace: LustreDrWorkspace, stack: Stack, peerName: string, pin?: string): Promise<string | undefined> {
    const config = await stack.getAllConfig();
    if (pin !== undefined && config[peerAccountIdKey]?.value !== pin) {
        // Written before peerStack: the program refuses a peerStack without its pin.
        await stack.setConfig(peerAccountIdKey, { value: pin });
    }
    const current = config[peerStackKey]?.value;
    if (!(await workspace.stackExists(peerName))) {
        if (current !== undefined) {
            await stack.removeConfig(peerStackKey);
        }
        return undefined;
    }
    const peerStack = await workspace.fullyQualifiedName(peerName);
    if (current !== peerStack) {
        await stack.setConfig(peerStackKey, { value: peerStack });
    }
    return peerStack;
}

export async function converge(workspace: LustreDrWorkspace, names: StackNames, options: ConvergeOptions): Promise<ConvergeResult> {
    const { output } = options;
    const statuses: Partial<Record<SideRole, ReplicationStatus>> = {};
    const updates: UpdateRecord[] = [];
    const pins = await peerPinsToWrite(workspace, names, options.accountIds ?? {});
    for (const [index, role] of updateOrder(options.first).entries()) {
        const step = index + 1;
        const stackName = names[role];
        const peerRole: SideRole = role === "primary" ? "dr" : "primary";
        workspace.actAs(role);
        const stack = await workspace.createOrSelectStack(stackName);
        const peerStack = await wirePeer(workspace, stack, names[peerRole], pins[role]);
        output.progress(`[${step}/${maxUpdates}] ${role} stack ${stackName}: updating (peerStack ${peerStack ?? "not set: the peer stack does not exist yet"})`);

        let result: UpResult;
        try {
            result = await stack.up(workspace.engineOptions(options.verbose));
        } catch (error) {
            throw new UpdateFailedError(step, stackName, engineErrorDetail(error), options.rerunCommand);
        }
        const outputs = parseSiteOutputs(stackName, outputValues(result.outputs));
        const changes = { ...(result.summary?.resourceChanges ?? {}) } as Record<string, number>;
        statuses[role] = outputs.replicationStatus;
        updates.push({ step, role, stack: stackName, ...(peerStack ? { peerStack } : {}), replicationStatus: outputs.replicationStatus, changes });
        output.progress(`[${step}/${maxUpdates}] ${role} stack ${stackName}: ${describeChanges(changes)}; replicationStatus ${outputs.replicationStatus}`);

        const verdict = convergenceVerdict(statuses, step);
        if (verdict !== "continue") {
            return { verdict, updates };
        }
    }
    return { verdict: "exhausted", updates };
}

/** `3 created, 1 updated` or `no changes`. */
export function describeChanges(changes: Record<string, number>): string {
    const words: Record<string, string> = { create: "created", update: "updated", delete: "deleted", replace: "replaced" };
    const parts = Object.entries(words)
        .filter(([op]) => (changes[op] ?? 0) > 0)
        .map(([op, word]) => `${changes[op]} ${word}`);
    return parts.length > 0 ? parts.join(", ") : "no changes";
}
