/**
 * `lustre-dr recover`: bring the file system up on the dr side during an incident, in three phases:
 *
 * 1. freeze: one update with `recovery.detached=true` only (lifecycle/freeze.ts): the dr side stops accepting
 *    replicas from the primary and stops replicating to it. Seconds, because no file system is created yet. In one
 *    combined update the replication would only be dropped after the 20-minute file system creation, while a
 *    possibly still-writing primary kept replicating into the bucket being restored.
 * 2. restore (with `--restore-to T`): the dr bucket returns to T (infra/restore: versions written after T are
 *    superseded, never deleted). Nothing replicates into it any more, so nothing undoes the restore.
 * 3. activate: one update with `lustre.enabled=true`: the new file system's data repository association imports
 *    the bucket as it is now, the clean state.
 * 4. verify (with `--restore-to T`): `restore --verify`, read-only: is the bucket the file system serves the same, key
 *    by key (content, metadata, storage class, tags), as at T? Exit 1 when it is not, naming the first differences.
 *
 * Each phase's duration is measured and reported. A run killed at any point can be re-run with the same command: the
 * freeze is skipped once it took effect, the restore resumes (it only adds what is still missing), and the activation
 * is an ordinary update.
 *
 * Touches only the dr stack: the primary account may be unreachable or compromised, so this neither reads nor
 * writes the primary stack. With `recovery.detached=true` the program does not read the peer either.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { mountCommand } from "../../components/clientScript";
import type { SiteOutputs } from "../../stacks/outputs";
import type { SideLocation } from "../aws/clients";
import { UsageError } from "../output";
import { describeResult, progressReporter } from "../restore/command";
import { expectedEncryption } from "../restore/encryption";
import { RestoreResult, RestoreTarget, restoreToPointInTime } from "../restore/restore";
import { describeVerify, VerifyResult, verifyRestore } from "../restore/verify";
import { describeChanges } from "./converge";
import { engineErrorDetail } from "../pulumi/engineError";
import { CommandContext, openWorkspace } from "./deploy";
import { freezeSide, PhaseRecord, secondsSince } from "./freeze";
import { outputValues, parseSiteOutputs } from "../pulumi/stackOutputs";
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
    /** The point-in-time restore that ran after the freeze, with --restore-to. */
    readonly restore?: RestoreResult;
    /**
     * With --restore-to, the comparison of the dr bucket with its state at T after the activation (restore --verify):
     * `verdict: "differs"` makes the command exit 1 with the file system up, naming the first differing keys.
     */
    readonly verify?: VerifyResult;
    readonly detached: boolean;
    /** The phases as they ran, in order: freeze (unless --no-detach), restore (with --restore-to), activate, verify (with --restore-to). */
    readonly phases: PhaseRecord[];
    /** Resource operation counts of the activation update. */
    readonly changes: Record<string, number>;
    readonly outputs: SiteOutputs;
    readonly mounts: ClientMount[];
}

/** Config the activation sets, as `config set-all --path` keys; the freeze has set `recovery.detached` before. */
export function activationConfig(): Record<string, { value: string }> {
    return { "lustre-dr:lustre.enabled": { value: "true" } };
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
    if (restoreTo && !options.detach) {
        throw new UsageError(
            "--restore-to with --no-detach: live replication from the primary would keep writing into the bucket being restored. " +
                "Drop --no-detach (the dr side is frozen first), or restore without recovering (`lustre-dr restore`)",
        );
    }
    const workspace = await openWorkspace(options, context);
    workspace.actAs("dr");
    const stack = await workspace.selectStack(stackName);
    const phases: PhaseRecord[] = [];

    let dr: SiteOutputs | undefined;
    if (options.detach) {
        const frozen = await freezeSide(workspace, stackName, output, options);
        phases.push(frozen.phase);
        dr = frozen.outputs;
    }

    let restore: RestoreResult | undefined;
    let restoreTarget: { target: RestoreTarget; client?: S3Client } | undefined;
    if (restoreTo) {
        const start = performance.now();
        dr ??= parseSiteOutputs(stackName, outputValues(await stack.outputs()));
        const location: SideLocation = { region: dr.region, ...(options.drProfile ? { profile: options.drProfile } : {}) };
        const encryption = expectedEncryption(dr);
        restoreTarget = {
            target: { ...location, bucketName: dr.bucketName, ...(encryption ? { encryption } : {}) },
            ...(context.restoreClient ? { client: context.restoreClient(location) } : {}),
        };
        output.progress(`Restoring s3://${dr.bucketName}/ to ${restoreTo.toISOString()} (adds versions, deletes none)`);
        restore = await restoreToPointInTime(restoreTarget.target, {
            to: restoreTo,
            onProgress: progressReporter(output),
            ...(restoreTarget.client ? { client: restoreTarget.client } : {}),
        });
        phases.push({ phase: "restore", seconds: secondsSince(start) });
        output.progress(describeResult(restore));
        // Keys the restore cannot judge (plan.unknown) are reported by describeResult; a re-run would not change them.
        if (restore.failures.count > 0) {
            throw new Error(
                `the restore of s3://${dr.bucketName}/ failed for ${restore.failures.count} keys, so the ` +
                    "file system was not created: the dr side stays frozen; run the same `lustre-dr recover` again (the restore resumes where it stopped)",
            );
        }
    }

    const start = performance.now();
    output.progress(`Activating ${stackName}: lustre.enabled=true (creating the file system can take 20 minutes or more)`);
    await stack.setAllConfig(activationConfig(), true);
    let result;
    try {
        result = await stack.up(workspace.engineOptions(options.verbose));
    } catch (error) {
        throw new Error(
            `the update of stack ${stackName} failed; the config change is saved, so \`lustre-dr recover\` can be run again.\n${engineErrorDetail(error)}`,
        );
    }
    const changes = { ...(result.summary?.resourceChanges ?? {}) } as Record<string, number>;
    phases.push({ phase: "activate", seconds: secondsSince(start), changes });
    const outputs = parseSiteOutputs(stackName, outputValues(result.outputs));
    const config = await stack.getAllConfig();
    const mounts = clientMounts(outputs, config["lustre-dr:clients"]?.value);

    // Last, so the verdict is about the bucket the file system now serves: still as it was at T?
    let verify: VerifyResult | undefined;
    if (restoreTo && restoreTarget) {
        const verifyStart = performance.now();
        output.progress(`Verifying s3://${restoreTarget.target.bucketName}/ against ${restoreTo.toISOString()} (reads only)`);
        verify = await verifyRestore(restoreTarget.target, { to: restoreTo, ...(restoreTarget.client ? { client: restoreTarget.client } : {}) });
        phases.push({ phase: "verify", seconds: secondsSince(verifyStart) });
    }
    const recovered: RecoverResult = {
        stack: stackName,
        ...(restore ? { restore } : {}),
        ...(verify ? { verify } : {}),
        detached: options.detach,
        phases,
        changes,
        outputs,
        mounts,
    };
    output.result(recovered, () =>
        [
            `Recovered on ${stackName} (${outputs.region}, account ${outputs.accountId}): ${describeChanges(changes)}; replicationStatus ${outputs.replicationStatus}.`,
            `Phases: ${phases.map(describePhase).join(", ")}.`,
            ...(verify ? [describeVerify(verify)] : []),
            outputs.fileSystemId ? `File system ${outputs.fileSystemId}. Mount it on each client:` : "No file system in the outputs: check lustre-dr:lustre in the dr stack config.",
            ...mounts.map((mount) => `  ${mount.client}: ${mount.command}`),
        ].join("\n"),
    );
    return recovered;
}

/** "freeze 4.2 s", "freeze skipped (already frozen)"; failback's phases read the same. */
export function describePhase(phase: Pick<PhaseRecord, "seconds" | "skipped"> & { readonly phase: string }): string {
    return phase.skipped ? `${phase.phase} skipped (${phase.skipped})` : `${phase.phase} ${phase.seconds} s`;
}
