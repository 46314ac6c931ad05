/**
 * `lustre-dr deploy`: converge both stacks with the replication handshake (README.md, "The replication handshake").
 */
import * as path from "path";
import { Output, UsageError } from "../output";
import { accountIdSchema } from "../../stacks/config";
import { AccountIds, converge, ConvergeResult, describeChanges, StackNames } from "./converge";
import { readProjectFile, requireProject } from "../project";
import { LustreDrWorkspace, validateStackName, WorkspaceOptions } from "../pulumi/workspace";
import { checkPairBeforeDeploy } from "../stackFiles";

export interface StackSelectionOptions {
    primary: string;
    dr: string;
    primaryProfile?: string;
    drProfile?: string;
}

export interface DeployOptions extends StackSelectionOptions {
    /** Account of the primary side: the dr stack's `lustre-dr:peerAccountId`. */
    primaryAccountId?: string;
    /** Account of the dr side: the primary stack's `lustre-dr:peerAccountId`. */
    drAccountId?: string;
    verbose?: boolean;
    json?: boolean;
}

/** `--primary-account-id` / `--dr-account-id`, checked with the config's own account-id rule. */
export function accountIdOptions(options: Pick<DeployOptions, "primaryAccountId" | "drAccountId">): AccountIds {
    const ids: AccountIds = {};
    for (const role of ["primary", "dr"] as const) {
        const value = role === "primary" ? options.primaryAccountId : options.drAccountId;
        if (value === undefined) {
            continue;
        }
        if (!accountIdSchema.safeParse(value).success) {
            throw new UsageError(`--${role}-account-id is ${JSON.stringify(value)}: expected a 12-digit AWS account id such as 123456789012`);
        }
        ids[role] = value;
    }
    return ids;
}

/** What every stack command runs with; tests inject a fake Pulumi CLI and a recording output. */
export interface CommandContext {
    readonly output: Output;
    readonly workspace?: WorkspaceOptions;
}

/** Opens the workspace with the profile of each side given on the command line. */
export async function openWorkspace(options: Partial<StackSelectionOptions>, context: CommandContext): Promise<LustreDrWorkspace> {
    const workspace = await LustreDrWorkspace.open(context.workspace);
    workspace.setProfiles({
        ...(options.primaryProfile ? { primary: options.primaryProfile } : {}),
        ...(options.drProfile ? { dr: options.drProfile } : {}),
    });
    return workspace;
}

export function stackNames(options: StackSelectionOptions): StackNames {
    const names = { primary: validateStackName("--primary", options.primary), dr: validateStackName("--dr", options.dr) };
    if (names.primary === names.dr) {
        throw new UsageError(`--primary and --dr are both ${JSON.stringify(names.dr)}: expected two different stacks, one per side`);
    }
    return names;
}

export function convergenceSummary(result: ConvergeResult): string {
    const lines = result.updates.map(
        (update) => `  ${update.step}. ${update.role} (${update.stack}): ${describeChanges(update.changes)}, replicationStatus ${update.replicationStatus}`,
    );
    const verdicts: Record<ConvergeResult["verdict"], string> = {
        converged: `Converged in ${result.updates.length} updates: both sides replicate to each other.`,
        detached: "Stopped: a side is detached (lustre-dr:recovery.detached=true) and cannot replicate. Run `lustre-dr failback` to re-attach it.",
        exhausted: "Not converged after 4 updates: check the replicationStatus of each side and the peerStack settings.",
    };
    return [...lines, verdicts[result.verdict]].join("\n");
}

/** Raised after the result is printed when the stacks did not converge (exit code 1). */
export class NotConvergedError extends Error {
    constructor(result: ConvergeResult) {
        super(`the stacks did not converge (${result.verdict}) after ${result.updates.length} updates`);
        this.name = "NotConvergedError";
    }
}

export async function runDeploy(options: DeployOptions, context: CommandContext): Promise<ConvergeResult> {
    const { output } = context;
    const names = stackNames(options);
    const accountIds = accountIdOptions(options);
    const projectDir = context.workspace?.projectDir;
    checkPairBeforeDeploy(projectDir === undefined ? requireProject() : readProjectFile(path.join(projectDir, "Pulumi.yaml")), names);
    const workspace = await openWorkspace(options, context);
    output.progress(`Deploying ${names.primary} and ${names.dr} (state: ${workspace.backend.url})`);
    const result = await converge(workspace, names, { output, verbose: options.verbose, accountIds });
    output.result({ stacks: names, ...result }, () => convergenceSummary(result));
    return result;
}
