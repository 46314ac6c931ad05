/**
 * `lustre-dr freeze`: the incident's first minute. One update of the dr stack with `recovery.detached=true` and
 * nothing else: the dr bucket stops accepting replicas from the primary (its policy drops the primary's replication
 * role) and stops replicating to it. No file system is created, so the update takes seconds, not the 20 minutes of
 * `recover`. From then on, whatever the attacker does on the primary no longer reaches the dr bucket, and the dr
 * bucket can be restored (`lustre-dr restore --stack dr --to T`) without racing live replication.
 *
 * `recover` runs the same phase first. Like `recover`, it touches only the dr stack: the primary account may be
 * compromised or unreachable.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import type { SiteOutputs } from "../../stacks/outputs";
import type { Output } from "../output";
import { outputValues, parseSiteOutputs } from "../pulumi/stackOutputs";
import { validateStackName } from "../pulumi/workspace";
import type { LustreDrWorkspace } from "../pulumi/workspace";
import { describeChanges } from "./converge";
import { engineErrorDetail } from "../pulumi/engineError";
import { CommandContext, openWorkspace } from "./deploy";

/** The config key the freeze sets; nothing else changes. */
export const detachedKey = "lustre-dr:recovery.detached";

/** One phase of a recovery as it ran: `seconds` is measured by the command. */
export interface PhaseRecord {
    readonly phase: "freeze" | "restore" | "verify" | "activate";
    readonly seconds: number;
    /** Why the phase did nothing, e.g. the side was already frozen by an earlier run. */
    readonly skipped?: string;
    /** Resource operation counts of the phase's update, e.g. `{delete: 3, same: 14}`. */
    readonly changes?: Record<string, number>;
}

export interface FreezeOptions {
    dr: string;
    drProfile?: string;
    verbose?: boolean;
    json?: boolean;
}

export interface FreezeResult {
    readonly stack: string;
    readonly phase: PhaseRecord;
    readonly outputs: SiteOutputs;
}

/** Elapsed seconds since `start` (a `performance.now()` reading), to the millisecond. */
export function secondsSince(start: number): number {
    return Math.round(performance.now() - start) / 1000;
}

/** True when the stack's config already says `recovery.detached: true`. */
export async function configuredDetached(stack: Stack): Promise<boolean> {
    const recovery = (await stack.getAllConfig())["lustre-dr:recovery"]?.value;
    return recovery !== undefined && (JSON.parse(recovery) as { detached?: boolean }).detached === true;
}

/**
 * The freeze phase on an open workspace (of the dr side in an incident; `failback --restore-primary-to` freezes the
 * primary the same way while it restores it, `peer: "dr"`). Skips the update when an earlier run already froze the side (the config
 * says detached and the last successful update reported `replicationStatus: detached`), so a recovery killed after
 * its freeze re-runs without a second update. When the config is detached but the outputs are not (the earlier update
 * was killed or failed), the update runs again.
 */
export async function freezeSide(
    workspace: LustreDrWorkspace,
    stackName: string,
    output: Output,
    options: { verbose?: boolean; peer?: "primary" | "dr" } = {},
): Promise<{ phase: PhaseRecord; outputs: SiteOutputs }> {
    const peer = options.peer ?? "primary";
    const start = performance.now();
    const stack = await workspace.selectStack(stackName);
    const current = outputValues(await stack.outputs());
    if ((await configuredDetached(stack)) && current.replicationStatus === "detached") {
        output.progress(`${stackName} is already frozen (recovery.detached=true, replicationStatus detached): no update needed`);
        return {
            phase: { phase: "freeze", seconds: secondsSince(start), skipped: "already frozen" },
            outputs: parseSiteOutputs(stackName, current),
        };
    }
    output.progress(`Freezing ${stackName}: recovery.detached=true (drops the ${peer === "primary" ? "primary's" : "dr side's"} grant and the replication to it; no file system change)`);
    await stack.setAllConfig({ [detachedKey]: { value: "true" } }, true);
    let result;
    try {
        result = await stack.up(workspace.engineOptions(options.verbose));
    } catch (error) {
        throw new Error(
            `the freeze update of stack ${stackName} failed; recovery.detached=true is saved in its config, so run the same command ` +
                `again.\n${engineErrorDetail(error)}`,
        );
    }
    const outputs = parseSiteOutputs(stackName, outputValues(result.outputs));
    if (outputs.replicationStatus !== "detached") {
        throw new Error(`stack ${stackName} reports replicationStatus ${outputs.replicationStatus} after the freeze, expected detached`);
    }
    const changes = { ...(result.summary?.resourceChanges ?? {}) } as Record<string, number>;
    const phase: PhaseRecord = { phase: "freeze", seconds: secondsSince(start), changes };
    output.progress(`Frozen ${stackName} in ${phase.seconds} s: ${describeChanges(changes)}`);
    return { phase, outputs };
}

export async function runFreeze(options: FreezeOptions, context: CommandContext): Promise<FreezeResult> {
    const stackName = validateStackName("--dr", options.dr);
    const workspace = await openWorkspace(options, context);
    workspace.actAs("dr");
    const { phase, outputs } = await freezeSide(workspace, stackName, context.output, options);
    const result: FreezeResult = { stack: stackName, phase, outputs };
    context.output.result(result, () =>
        [
            phase.skipped
                ? `${stackName} was already frozen: it neither accepts replicas from nor replicates to the primary.`
                : `Froze ${stackName} in ${phase.seconds} s (${describeChanges(phase.changes ?? {})}): it neither accepts replicas from nor replicates to the primary.`,
            `Next: find the last good time T, then \`lustre-dr recover --restore-to T\` (or \`lustre-dr restore --stack ${stackName} --to T --dry-run\` to look first).`,
        ].join("\n"),
    );
    return result;
}
