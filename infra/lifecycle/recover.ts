/**
 * `lustre-dr recover`: bring the file system up on the dr side during an incident (design.md §6).
 *
 * With `--restore-to`, the dr bucket is first returned to that point in time (infra/restore: versions written after it
 * are superseded, never deleted), so the new file system imports the data as it was before the incident.
 *
 * Touches only the dr stack: the primary account may be unreachable or compromised, so this neither reads nor
 * writes the primary stack. With `recovery.detached=true` the program does not read the peer either, and drops the
 * inbound grant to the primary's role and the outbound replication to it.
 */
import { Command } from "commander";
import type { S3Client } from "@aws-sdk/client-s3";
import { mountCommand } from "../../components/clientScript";
import type { SiteOutputs } from "../../stacks/outputs";
import type { SideLocation } from "../aws/clients";
import { createOutput } from "../output";
import { describeResult, progressReporter } from "../restore/command";
import { RestoreResult, restoreToPointInTime } from "../restore/restore";
import { describeChanges, engineErrorDetail } from "./converge";
import { addStackOptions, CommandContext, openWorkspace } from "./deploy";
import { outputValues, parseSiteOutputs, readOutputsOf } from "../pulumi/stackOutputs";
import { validateStackName } from "../pulumi/workspace";
import { parseIsoTime } from "../time";

export interface RecoverOptions {
    dr: string;
    drProfile?: string;
    restoreTo?: string;
    /** False with `--no-detach`. */
    detach: boolean;
    verbose?: boolean;
    json?: boolean;
}

export interface ClientMount {
    readonly client: string;
    readonly command: string;
}

export interface RecoverContext extends CommandContext {
    /** S3 client for the restore of the dr bucket; tests point it at the emulator. @default one from the dr outputs and --dr-profile */
    readonly restoreClient?: (location: SideLocation) => S3Client;
}

export interface RecoverResult {
    readonly stack: string;
    /** The point-in-time restore that ran first, with --restore-to. */
    readonly restore?: RestoreResult;
    readonly detached: boolean;
    readonly changes: Record<string, number>;
    readonly outputs: SiteOutputs;
    readonly mounts: ClientMount[];
}

/** Config the recovery sets, as `config set-all --path` keys. */
export function recoveryConfig(detach: boolean): Record<string, { value: string }> {
    return {
        "lustre-dr:lustre.enabled": { value: "true" },
        ...(detach ? { "lustre-dr:recovery.detached": { value: "true" } } : {}),
    };
}

interface ConfiguredClient {
    readonly name: string;
    readonly mountPoint?: string;
}

/** The mount command per configured client (or one for `/fsx` when none is configured). */
export function clientMounts(outputs: SiteOutputs, clientsJson: string | undefined): ClientMount[] {
    if (!outputs.fileSystemDnsName || !outputs.fileSystemMountName) {
        return [];
    }
    const parsed: unknown = clientsJson ? JSON.parse(clientsJson) : [];
    const clients = (Array.isArray(parsed) ? parsed : []) as ConfiguredClient[];
    const targets = clients.length > 0 ? clients : [{ name: "any client", mountPoint: "/fsx" }];
    return targets.map((client) => ({
        client: client.name,
        command: mountCommand({ dnsName: outputs.fileSystemDnsName!, mountName: outputs.fileSystemMountName!, mountPoint: client.mountPoint ?? "/fsx" }),
    }));
}

/** `--restore-to` as a Date: the shared time parser, refusing the future. */
export function parseRestoreTo(value: string | undefined, now: Date = new Date()): Date | undefined {
    if (value === undefined) {
        return undefined;
    }
    return parseIsoTime("--restore-to", value, { notAfter: now, futureHint: "give the last good time before the incident" });
}

export async function runRecover(options: RecoverOptions, context: RecoverContext): Promise<RecoverResult> {
    const { output } = context;
    const stackName = validateStackName("--dr", options.dr);
    const restoreTo = parseRestoreTo(options.restoreTo);
    const workspace = await openWorkspace(options, context);
    workspace.actAs("dr");
    const stack = await workspace.selectStack(stackName);

    // Restore before the file system exists: its data repository association imports the bucket as it is at creation.
    let restore: RestoreResult | undefined;
    if (restoreTo) {
        const dr = await readOutputsOf(workspace, stackName);
        const location: SideLocation = { region: dr.region, ...(options.drProfile ? { profile: options.drProfile } : {}) };
        output.progress(`Restoring s3://${dr.bucketName}/ to ${restoreTo.toISOString()} (adds versions, deletes none)`);
        restore = await restoreToPointInTime(
            { ...location, bucketName: dr.bucketName },
            { to: restoreTo, onProgress: progressReporter(output), ...(context.restoreClient ? { client: context.restoreClient(location) } : {}) },
        );
        output.progress(describeResult(restore));
        if (restore.failures.count > 0) {
            throw new Error(
                `the restore of s3://${dr.bucketName}/ failed for ${restore.failures.count} keys, so the dr stack was not changed: ` +
                    "run the same `lustre-dr recover` again (the restore resumes where it stopped)",
            );
        }
    }
    output.progress(
        `Recovering on ${stackName}: lustre.enabled=true${options.detach ? ", recovery.detached=true (stops replication with the primary)" : ""}`,
    );
    await stack.setAllConfig(recoveryConfig(options.detach), true);
    output.progress(`Updating ${stackName} (creating the file system can take 20 minutes or more)`);
    let result;
    try {
        result = await stack.up({
            ...(workspace.policyPacks.length > 0 ? { policyPacks: workspace.policyPacks } : {}),
            ...(options.verbose ? { onOutput: (text: string) => process.stderr.write(text) } : {}),
        });
    } catch (error) {
        throw new Error(
            `the update of stack ${stackName} failed; the config change is saved, so \`lustre-dr recover\` can be run again.\n${engineErrorDetail(error)}`,
        );
    }
    const outputs = parseSiteOutputs(stackName, outputValues(result.outputs));
    const config = await stack.getAllConfig();
    const mounts = clientMounts(outputs, config["lustre-dr:clients"]?.value);
    const changes = { ...(result.summary?.resourceChanges ?? {}) } as Record<string, number>;
    const recovered: RecoverResult = { stack: stackName, ...(restore ? { restore } : {}), detached: options.detach, changes, outputs, mounts };
    output.result(recovered, () =>
        [
            `Recovered on ${stackName} (${outputs.region}, account ${outputs.accountId}): ${describeChanges(changes)}; replicationStatus ${outputs.replicationStatus}.`,
            outputs.fileSystemId ? `File system ${outputs.fileSystemId}. Mount it on each client:` : "No file system in the outputs: check lustre-dr:lustre in the dr stack config.",
            ...mounts.map((mount) => `  ${mount.client}: ${mount.command}`),
        ].join("\n"),
    );
    return recovered;
}

export function registerRecoverCommand(program: Command): void {
    addStackOptions(
        program
            .command("recover")
            .description("Bring up the file system on the dr side from its replicated bucket; touches only the dr stack"),
        ["dr"],
    )
        .option("--restore-to <time>", "first return the dr bucket to this ISO 8601 time (e.g. 2026-11-25T08:00:00Z); adds versions, deletes none")
        .option("--no-detach", "keep replicating with the primary (default: detach the dr side from it)")
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: RecoverOptions) => {
            await runRecover(options, { output: createOutput(options) });
        });
}
