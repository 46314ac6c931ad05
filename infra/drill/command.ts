/**
 * `lustre-dr drill`: runs the DR drill against both sides, prints the report (or `--json`), appends the result to
 * the drill history, and exits 1 when any leg missed the objective or any check failed. Ctrl-C stops the drill and
 * still cleans up its canaries; a second Ctrl-C leaves at once.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Command } from "commander";
import { sideClientConfig } from "../aws/clients";
import { addSideOptions, resolvePair, resolveSide, Side, SideOptions, SideRole, sideRoles, StackOutputsReader } from "../aws/sides";
import { createOutput, EnvironmentError, ExitCode, Output, UsageError } from "../output";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { DrillBucket, sideLabel } from "./buckets";
import { runIdPattern, runPrefix } from "./canaries";
import { cleanUpCanaries, defaultCanaries, defaultObjectiveSeconds, DrillOptions, runDrill } from "./drill";
import {
    defaultRepository,
    FileSystemRepository,
    chooseClientInstances,
    instanceProblems,
    repositoryDirectory,
    repositoryDirectoryProblems,
    ssmFileSystemDrill,
} from "./fsLegs";
import { appendDrillHistory, defaultDrillHistoryPath, resolveDrillHistoryFile } from "./history";
import { preflightDrill } from "./preflight";
import { renderDrillReport } from "./report";
import type { DrillResult } from "./result";

export interface DrillCommandOptions extends SideOptions {
    canaries?: string;
    objective?: string;
    history?: string;
    json?: boolean;
    fs?: boolean;
    primaryInstance?: string;
    drInstance?: string;
    mountPoint?: string;
    /** Repeatable; empty means every repository the stacks export. */
    fsPath?: string[];
    cleanUp?: string;
}

/** Where the command gets what it does not parse; tests substitute their own. */
export interface DrillCommandDependencies {
    readonly readOutputs?: StackOutputsReader;
    readonly signal?: AbortSignal;
    /** Extra drill options (tests: the emulator's ReplicationStatus, short settle times). */
    readonly drill?: Partial<DrillOptions>;
    readonly cwd?: string;
    /** The checks run before the first write. @default preflightDrill */
    readonly preflight?: typeof preflightDrill;
}

const maxCanaries = 1000;

export interface ParsedDrillArguments {
    readonly canaries: number;
    readonly objectiveSeconds: number;
    /** With `--fs`: where the clients mount, and the repositories' paths asked for (none: every one). */
    readonly fileSystem?: { readonly mountPoint: string; readonly paths: readonly string[] };
}

/** A side's repositories as its stack exports them; absent for stacks without a file system or from before the output. */
type ExportedRepositories = readonly FileSystemRepository[] | undefined;

/**
 * The repositories the file-system legs go through: the `--fs-path`s asked for, or every one the stacks export. The
 * legs write on one side and read on the other through the same path, so both sides must link it to the same prefix.
 * Without exported repositories (buckets named by flags, older stacks) a path is taken as linking the whole bucket.
 */
export function drillRepositories(requested: readonly string[], exported: Readonly<Record<SideRole, ExportedRepositories>>): FileSystemRepository[] {
    const known = exported.primary ?? exported.dr;
    if (known === undefined) {
        if (requested.length > 1) {
            throw new UsageError(
                "several --fs-path need the stacks' outputs to know which bucket prefix each path links: name the stacks (--primary-stack, --dr-stack), not the buckets",
            );
        }
        return [{ ...defaultRepository, ...(requested.length === 1 ? { fileSystemPath: requested[0] } : {}) }];
    }
    const describe = (role: SideRole, path: string) => {
        const found = exported[role]?.find((r) => r.fileSystemPath === path);
        return exported[role] === undefined ? "unknown" : found ? `links ${JSON.stringify(found.repositoryPrefix)}` : "has no such repository";
    };
    const paths = requested.length > 0 ? [...new Set(requested)] : known.map((r) => r.fileSystemPath);
    const problems: string[] = [];
    const repositories = paths.flatMap((path) => {
        const primary = exported.primary?.find((r) => r.fileSystemPath === path);
        const dr = exported.dr?.find((r) => r.fileSystemPath === path);
        const both = [primary, dr].filter((r): r is FileSystemRepository => r !== undefined);
        const agreed = both.length > 0 && both.every((r) => r.repositoryPrefix === both[0].repositoryPrefix);
        const complete = (exported.primary === undefined || primary !== undefined) && (exported.dr === undefined || dr !== undefined);
        if (!agreed || !complete) {
            problems.push(`repository ${path}: primary ${describe("primary", path)}, dr ${describe("dr", path)}; the file-system legs need the same repository on both sides`);
            return [];
        }
        return [both[0]];
    });
    if (problems.length > 0) {
        throw new UsageError(`${problems.join("\n")}\n(choose repositories both sides link the same way with --fs-path)`);
    }
    return repositories;
}

/** Validates every flag before anything talks to AWS; one UsageError naming each bad flag. */
export function parseDrillArguments(options: DrillCommandOptions): ParsedDrillArguments {
    const problems: string[] = [];
    const canaries = Number(options.canaries ?? defaultCanaries);
    if (!Number.isInteger(canaries) || canaries < 1 || canaries > maxCanaries) {
        problems.push(`--canaries is ${JSON.stringify(options.canaries)}: expected a whole number from 1 to ${maxCanaries}`);
    }
    const objectiveSeconds = Number(options.objective ?? defaultObjectiveSeconds);
    if (!Number.isFinite(objectiveSeconds) || objectiveSeconds <= 0 || objectiveSeconds > 86_400) {
        problems.push(`--objective is ${JSON.stringify(options.objective)}: expected seconds above 0 and at most 86400, e.g. 900`);
    }
    let fileSystem: ParsedDrillArguments["fileSystem"];
    if (options.fs) {
        const mountPoint = options.mountPoint ?? "/fsx";
        const paths = options.fsPath ?? [];
        problems.push(
            ...instanceProblems("primary", options.primaryInstance),
            ...instanceProblems("dr", options.drInstance),
            ...[...new Set((paths.length > 0 ? paths : [defaultRepository.fileSystemPath]).map((fsPath) => repositoryDirectory(mountPoint, fsPath)))].flatMap(repositoryDirectoryProblems),
        );
        fileSystem = { mountPoint, paths };
    } else if (options.primaryInstance || options.drInstance || (options.fsPath ?? []).length > 0) {
        problems.push("--primary-instance, --dr-instance and --fs-path are only used with --fs");
    }
    if (problems.length > 0) {
        throw new UsageError(problems.join("\n"));
    }
    return { canaries, objectiveSeconds, ...(fileSystem ? { fileSystem } : {}) };
}

/** Each side's client instance for `--fs`: the flag, else the stack's `clientInstanceIds` (said on stderr). */
function chooseInstances(options: DrillCommandOptions, sides: Record<SideRole, Side>, output: Output): Record<SideRole, string> {
    const chosen = chooseClientInstances(
        { primary: options.primaryInstance, dr: options.drInstance },
        { primary: sides.primary.outputs?.clientInstanceIds, dr: sides.dr.outputs?.clientInstanceIds },
    );
    if ("problems" in chosen) {
        throw new UsageError(chosen.problems.join("\n"));
    }
    for (const role of sideRoles) {
        const { client, instanceId } = chosen.instances[role];
        if (client !== undefined) {
            output.progress(`${role}: file-system legs on client ${client} (${instanceId}), from the stack's clientInstanceIds`);
        }
    }
    return { primary: chosen.instances.primary.instanceId, dr: chosen.instances.dr.instanceId };
}

/** The drill's view of a side; `stack` is kept when the side was found through its stack outputs. */
function bucketOf(side: Side, options: SideOptions): DrillBucket {
    const stack = side.role === "primary" ? options.primaryStack : options.drStack;
    return {
        role: side.role,
        client: new S3Client(sideClientConfig(side)),
        bucket: side.bucketName,
        region: side.region,
        ...(side.outputs ? { stack: stack ?? side.role } : {}),
        ...(side.endpoint ? { endpoint: side.endpoint } : {}),
        ...(side.profile ? { profile: side.profile } : {}),
    };
}

/**
 * Reads both sides before anything is written; any problem stops the command with exit 2, nothing written and no
 * history entry, naming each side's problems.
 */
async function assertSidesReady(sides: Record<SideRole, DrillBucket>, check: typeof preflightDrill, output: Output): Promise<void> {
    output.progress(`checking both sides: ${sideLabel(sides.primary)}, ${sideLabel(sides.dr)}`);
    const problems = await check(sides);
    if (problems.length > 0) {
        // the sides are not ready (unreachable, credentials, bucket, versioning, replication): the environment, not the call
        throw new EnvironmentError(
            `drill not started, nothing was written and no history entry was made: ${problems.length === 1 ? "a side is" : "sides are"} not ready\n` +
                problems.map((problem) => `  - ${problem.message}`).join("\n"),
        );
    }
}

/**
 * `--clean-up <run-id>`: puts delete markers on an earlier run's canaries still current on either side (after a
 * cleanup warning, or a run killed outright), and nothing else. Exit 0 when none is left.
 */
export async function runCleanUpCommand(
    options: DrillCommandOptions & { cleanUp: string },
    output: Output,
    dependencies: Pick<DrillCommandDependencies, "readOutputs"> & { settleMs?: number } = {},
): Promise<{ exitCode: number; deleteMarkersWritten: number; leftover: string[] }> {
    if (!runIdPattern.test(options.cleanUp)) {
        throw new UsageError(`--clean-up is ${JSON.stringify(options.cleanUp)}: expected a drill run id such as 20261125t092400z-3f9a1c`);
    }
    const [primary, dr] = await Promise.all([
        resolveSide("primary", options, dependencies.readOutputs),
        resolveSide("dr", options, dependencies.readOutputs),
    ]);
    const runId = options.cleanUp;
    output.progress(`cleaning up drill ${runId}: delete markers on its canaries still current under ${runPrefix(runId)}`);
    // file-system canaries of prefixed repositories live under those prefixes
    const repositoryPrefixes = [primary, dr].flatMap((side) => side.outputs?.dataRepositories ?? []).map((repository) => repository.repositoryPrefix);
    const cleanup = await cleanUpCanaries(
        runId,
        { primary: bucketOf(primary, options), dr: bucketOf(dr, options) },
        dependencies.settleMs ?? 5000,
        (m) => output.progress(m),
        repositoryPrefixes,
    );
    const exitCode = cleanup.leftover.length === 0 ? ExitCode.Ok : ExitCode.Failed;
    output.result({ runId, ...cleanup }, () =>
        [
            cleanup.leftover.length === 0
                ? `drill ${runId}: ${cleanup.deleteMarkersWritten} delete markers written; no canary left current`
                : `drill ${runId}: still current after cleanup: ${cleanup.leftover.join(", ")}`,
            ...(cleanup.inFlight.length > 0
                ? [`  ${cleanup.inFlight.length} canary replicas have still not arrived (${cleanup.inFlight.slice(0, 3).join(", ")}): run this again once they have`]
                : []),
        ].join("\n"),
    );
    return { exitCode, ...cleanup };
}

/** Runs the drill command end to end; returns the exit code and the result. */
export async function runDrillCommand(
    options: DrillCommandOptions,
    output: Output,
    dependencies: DrillCommandDependencies = {},
): Promise<{ exitCode: number; result: DrillResult }> {
    const parsed = parseDrillArguments(options);
    const historyFile = resolveDrillHistoryFile(options.history, dependencies.cwd);
    const { primary, dr } = await resolvePair(options, dependencies.readOutputs);
    const fs = parsed.fileSystem;
    const instances = fs && chooseInstances(options, { primary, dr }, output);
    const repositories = fs && drillRepositories(fs.paths, { primary: primary.outputs?.dataRepositories, dr: dr.outputs?.dataRepositories });
    const directoryProblems = fs && repositories ? repositories.flatMap((r) => repositoryDirectoryProblems(repositoryDirectory(fs.mountPoint, r.fileSystemPath))) : [];
    if (directoryProblems.length > 0) {
        throw new UsageError(directoryProblems.join("\n"));
    }
    const clients =
        fs !== undefined && instances !== undefined
            ? {
                  primary: { ssm: new SSMClient(sideClientConfig(primary)), instanceId: instances.primary, mountPoint: fs.mountPoint },
                  dr: { ssm: new SSMClient(sideClientConfig(dr)), instanceId: instances.dr, mountPoint: fs.mountPoint },
              }
            : undefined;
    const fileSystems = clients !== undefined ? ssmFileSystemDrill(clients, repositories) : undefined;
    const sides = { primary: bucketOf(primary, options), dr: bucketOf(dr, options) };
    await assertSidesReady(sides, (s) => (dependencies.preflight ?? preflightDrill)(s, clients), output);
    const { result } = await runDrill({
        ...sides,
        canaries: parsed.canaries,
        objectiveSeconds: parsed.objectiveSeconds,
        ...(fileSystems ? { fileSystems } : {}),
        signal: dependencies.signal,
        progress: (message) => output.progress(message),
        ...dependencies.drill,
    });
    await appendDrillHistory(historyFile, result);
    output.result(result, () => renderDrillReport(result, historyFile));
    return { exitCode: result.passed ? ExitCode.Ok : ExitCode.Failed, result };
}

/**
 * First Ctrl-C aborts the drill (which then cleans up); a second one exits at once with 130, leaving canaries
 * for the lifecycle rule. Returns the function that removes the handler.
 */
export function interruptOnSigint(
    controller: AbortController,
    output: Pick<Output, "progress">,
    signals: Pick<NodeJS.Process, "on" | "removeListener"> = process,
    exit: (code: number) => void = (code) => process.exit(code),
): () => void {
    const onSigint = () => {
        if (!controller.signal.aborted) {
            output.progress("interrupted: removing this run's canaries (Ctrl-C again to leave them to the lifecycle rule)");
            controller.abort(new Error("interrupted"));
            return;
        }
        exit(130);
    };
    signals.on("SIGINT", onSigint);
    return () => {
        signals.removeListener("SIGINT", onSigint);
    };
}

export function registerDrillCommand(program: Command): void {
    const command = program
        .command("drill")
        .description(
            "Test disaster recovery: write canaries under .lustre-dr/drill/<run-id>/ in each bucket, time replication " +
                "both ways, check replica content, ReplicationStatus, delete-marker propagation and loops, clean up, and " +
                "append the result to the drill history. Exit 1 when any leg misses the objective or any check fails; exit 2, " +
                "with nothing written, when a side is not ready (unreachable, credentials, bucket, versioning, replication).",
        )
        .option("--canaries <n>", "canary objects per direction", String(defaultCanaries))
        .option("--objective <seconds>", "RPO objective: each canary must arrive within it; also the longest any leg waits", String(defaultObjectiveSeconds))
        .option("--history <file>", `drill history to append to, relative to the project (default: ${defaultDrillHistoryPath})`)
        .option("--json", "print the result as JSON")
        .option("--fs", "also time the file-system legs through SSM Run Command on one client instance per side")
        .option("--primary-instance <id>", "with --fs: SSM-managed instance that mounts the primary file system (default: the stack's first clientInstanceIds entry)")
        .option("--dr-instance <id>", "with --fs: SSM-managed instance that mounts the dr file system (default: the stack's first clientInstanceIds entry)")
        .option("--mount-point <dir>", "with --fs: where the clients mount the file system", "/fsx")
        .option(
            "--fs-path <path>",
            "with --fs: a data repository association's file system path; repeat for several (default: every repository the stacks export, else /s3)",
            (value: string, previous: string[] = []) => [...previous, value],
        )
        .option("--clean-up <run-id>", "only clean up an earlier run's canaries still current (delete markers), then exit");
    addSideOptions(command).action(async (options: DrillCommandOptions) => {
        const output = createOutput(options);
        const controller = new AbortController();
        const removeHandler = interruptOnSigint(controller, output);
        try {
            const readOutputs = createStackOutputsReader();
            const { exitCode } =
                options.cleanUp !== undefined
                    ? await runCleanUpCommand({ ...options, cleanUp: options.cleanUp }, output, { readOutputs })
                    : await runDrillCommand(options, output, { readOutputs, signal: controller.signal });
            process.exitCode = exitCode;
        } finally {
            removeHandler();
        }
    });
}
