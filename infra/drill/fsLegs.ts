/**
 * File-system legs (`--fs`): through SSM Run Command on one client instance per side, write a file under the
 * primary mount and time each hop to the file being readable on the other side:
 *
 *   file written (instance clock) -> object in the writer's bucket (fs-export)
 *   -> object in the other bucket (fs-replication) -> file readable with the same sha256 (fs-import, instance clock)
 *
 * plus the end-to-end figure, in both directions. The file sits under the data repository association's path, at
 * the key `.lustre-dr/drill/<run-id>/fs-<from>-to-<to>`, so the S3 cleanup of the run covers it (auto-import of
 * DELETED then removes the files). File times come from the instances' clocks and bucket sightings from this
 * machine's: both are assumed NTP-synchronised (EC2 uses the Amazon Time Sync Service).
 */
import { createHash, randomBytes } from "crypto";
import { CancelCommandCommand, GetCommandInvocationCommand, GetCommandInvocationCommandOutput, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { SideRole } from "../aws/sides";
import { DrillBucket, DrillSideError, listVersions } from "./buckets";
import { fsCanaryKey } from "./canaries";
import { lagEstimateMs, lagUncertaintyMs, nextPollDelay, PollSchedule, sleep } from "./poll";
import { CheckResult, LegKind, legResult, LegResult } from "./result";

/** One client instance that mounts a side's file system. */
export interface FileSystemClient {
    /** SSM client with that side's credentials and region. */
    readonly ssm: SSMClient;
    /** EC2 instance id, managed by SSM, e.g. `i-0123456789abcdef0`. */
    readonly instanceId: string;
    /** Where the instance mounts the file system. @example "/fsx" */
    readonly mountPoint: string;
}

/** One data repository association the legs go through; both sides link the same path to the same prefix. */
export interface FileSystemRepository {
    /** The association's path inside the file system. @example "/s3" */
    readonly fileSystemPath: string;
    /** The bucket prefix it links: "" (the whole bucket) or ending in "/". @example "projects/" */
    readonly repositoryPrefix: string;
}

/** The one-repository default (`lustre.fileSystemPath` and `repositoryPrefix` left at their defaults). */
export const defaultRepository: FileSystemRepository = { fileSystemPath: "/s3", repositoryPrefix: "" };

/** The directory on a client that a repository maps to: mount point plus the association's path. */
export function repositoryDirectory(mountPoint: string, fileSystemPath: string): string {
    return `${mountPoint.replace(/\/+$/, "")}/${fileSystemPath.replace(/^\/+/, "")}`.replace(/(.)\/+$/, "$1");
}

export interface FileSystemContext {
    readonly runId: string;
    readonly sides: Record<SideRole, DrillBucket>;
    readonly objectiveMs: number;
    readonly poll: PollSchedule;
    readonly signal?: AbortSignal;
    readonly progress: (message: string) => void;
}

export interface FileSystemLegsResult {
    readonly legs: LegResult[];
    readonly checks: CheckResult[];
}

export interface FileSystemDrill {
    /** The bucket prefixes the legs write canaries under ("" for the bucket's root), for the run's cleanup. */
    readonly repositoryPrefixes: readonly string[];
    run(context: FileSystemContext): Promise<FileSystemLegsResult>;
}

/** How often the watcher script looks for the file (its `sleep 0.2`). */
const watcherIntervalMs = 200;

const terminalStatuses = new Set(["Success", "Cancelled", "TimedOut", "Failed", "Cancelling"]);

const instanceIdPattern = /^(i|mi)-[0-9a-f]{8,17}$/;
const directoryPattern = /^\/[A-Za-z0-9._/-]*$/;

/** Problems with a given `--<role>-instance`, one message each; empty when fine or not given. */
export function instanceProblems(role: SideRole, instanceId: string | undefined): string[] {
    if (instanceId === undefined || instanceIdPattern.test(instanceId)) {
        return [];
    }
    return [`--${role}-instance is ${JSON.stringify(instanceId)}: expected an instance id such as i-0123456789abcdef0`];
}

/** The client instance a side's file-system legs run on; `client` names the stack's client it came from. */
export interface ClientInstance {
    readonly instanceId: string;
    /** Set when the id came from the stack's `clientInstanceIds`, not from `--<role>-instance`. */
    readonly client?: string;
}

/**
 * Each side's `--<role>-instance` when given; otherwise the side's exported `clientInstanceIds` (every instance
 * client mounts every repository, so any one will do: the first by client name, so repeated drills use the same
 * one). Either every side has an instance, or the problems say what to give.
 */
export function chooseClientInstances(
    flags: Readonly<Record<SideRole, string | undefined>>,
    exported: Readonly<Record<SideRole, Readonly<Record<string, string>> | undefined>>,
): { readonly instances: Record<SideRole, ClientInstance> } | { readonly problems: string[] } {
    const problems: string[] = [];
    const choose = (role: SideRole): ClientInstance => {
        const flag = flags[role];
        if (flag !== undefined) {
            return { instanceId: flag };
        }
        const ids = exported[role] ?? {};
        const client = Object.keys(ids).sort()[0];
        if (client === undefined) {
            problems.push(
                `--fs needs --${role}-instance: the ${role} stack exports no clientInstanceIds (no instance client, or the bucket was named by flags); ` +
                    `give the id of an SSM-managed instance that mounts the ${role} file system`,
            );
            return { instanceId: "" };
        }
        // stack outputs are checked like flags: what is not an instance id is refused, not sent to SSM
        problems.push(...instanceProblems(role, ids[client]).map((problem) => `${problem} (the stack's clientInstanceIds.${client})`));
        return { instanceId: ids[client], client };
    };
    const instances = { primary: choose("primary"), dr: choose("dr") };
    return problems.length > 0 ? { problems } : { instances };
}

/** The directory goes into a shell script: only plain absolute paths are accepted. */
export function repositoryDirectoryProblems(directory: string): string[] {
    return directoryPattern.test(directory) && !directory.split("/").includes("..")
        ? []
        : [
              `--mount-point/--fs-path give ${JSON.stringify(directory)}: expected an absolute path of letters, digits, '.', '_', '-' and '/'`,
          ];
}

// AWS-RunShellScript runs the commands with sh (dash on Ubuntu), not bash: the scripts below stay POSIX, and the
// tests run them under dash.
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** Where the canary of `relativeKey` (its key below the repository's prefix) is on a client. */
export function filePath(client: FileSystemClient, repository: FileSystemRepository, relativeKey: string): string {
    return `${repositoryDirectory(client.mountPoint, repository.fileSystemPath).replace(/\/+$/, "")}/${relativeKey}`;
}

/** Writes the canary file and prints the instance time, in epoch ms, at which it was closed. */
export function writerScript(path: string, content: string): string {
    return [
        "set -eu",
        `f=${shellQuote(path)}`,
        'mkdir -p "$(dirname "$f")"',
        `printf '%s' ${shellQuote(content)} > "$f"`,
        'echo "written $(date +%s%3N)"',
    ].join("\n");
}

/** Waits on the instance until the file is readable with the expected sha256; prints the instance time it was. */
export function watcherScript(path: string, sha256: string, timeoutSeconds: number): string {
    return [
        "set -u",
        `f=${shellQuote(path)}`,
        `end=$(( $(date +%s) + ${timeoutSeconds} ))`,
        'while [ "$(date +%s)" -lt "$end" ]; do',
        `  if [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = ${shellQuote(sha256)} ]; then echo "seen $(date +%s%3N)"; exit 0; fi`,
        "  sleep 0.2",
        "done",
        `echo "not readable with the expected content within ${timeoutSeconds} s" >&2`,
        "exit 1",
    ].join("\n");
}

async function sendScript(client: FileSystemClient, script: string, timeoutSeconds: number, comment: string, signal?: AbortSignal): Promise<string> {
    const sent = await client.ssm.send(
        new SendCommandCommand({
            InstanceIds: [client.instanceId],
            DocumentName: "AWS-RunShellScript",
            Comment: comment.slice(0, 100),
            Parameters: { commands: [script], executionTimeout: [String(timeoutSeconds)] },
        }),
        { abortSignal: signal },
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) {
        throw new Error(`SSM SendCommand to ${client.instanceId} returned no command id`);
    }
    return commandId;
}

/** Polls GetCommandInvocation until the command ends or the deadline passes; undefined when it did not end. */
async function waitForCommand(
    client: FileSystemClient,
    commandId: string,
    deadline: number,
    poll: PollSchedule,
    signal?: AbortSignal,
): Promise<GetCommandInvocationCommandOutput | undefined> {
    let delay: number | undefined;
    while (Date.now() < deadline) {
        delay = nextPollDelay(delay, poll);
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
        try {
            const invocation = await client.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: client.instanceId }), {
                abortSignal: signal,
            });
            if (invocation.Status && terminalStatuses.has(invocation.Status)) {
                return invocation;
            }
        } catch (error) {
            // right after SendCommand the invocation may not exist yet
            if ((error as Error).name !== "InvocationDoesNotExist") {
                throw error;
            }
        }
    }
    return undefined;
}

function stampFrom(output: string | undefined, word: string): number | undefined {
    const match = new RegExp(`^${word} (\\d{10,})$`, "m").exec(output ?? "");
    return match ? Number(match[1]) : undefined;
}

/** Polls a bucket until the key has a version; returns the lag estimate's bracket end points. */
async function waitForObject(
    side: DrillBucket,
    key: string,
    deadline: number,
    poll: PollSchedule,
    signal?: AbortSignal,
): Promise<{ seenAt: number; lastMissSentAt?: number } | undefined> {
    let delay: number | undefined;
    let lastSentAt: number | undefined;
    while (Date.now() < deadline) {
        delay = nextPollDelay(delay, poll);
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
        const sentAt = Date.now();
        const listing = await listVersions(side, key, signal);
        if ((listing.keys.get(key)?.versions.length ?? 0) > 0) {
            return { seenAt: Date.now(), lastMissSentAt: lastSentAt };
        }
        lastSentAt = sentAt;
    }
    return undefined;
}

/**
 * The SSM implementation of the file-system legs: both directions through every repository. With several
 * repositories each leg and check names the repository's path.
 */
export function ssmFileSystemDrill(
    clients: Readonly<Record<SideRole, FileSystemClient>>,
    repositories: readonly FileSystemRepository[] = [defaultRepository],
): FileSystemDrill {
    return {
        repositoryPrefixes: repositories.map((repository) => repository.repositoryPrefix),
        async run(ctx) {
            const legs: LegResult[] = [];
            const checks: CheckResult[] = [];
            const objectiveSeconds = ctx.objectiveMs / 1000;
            const timeoutSeconds = Math.ceil(objectiveSeconds);
            const named = repositories.length > 1;

            // an SSM failure names the side, its instance and region, as a bucket failure names the bucket
            const onInstance = async <T>(role: SideRole, action: string, call: () => Promise<T>): Promise<T> => {
                try {
                    return await call();
                } catch (error) {
                    if (ctx.signal?.aborted || error instanceof DrillSideError) {
                        throw error;
                    }
                    const where = `${role} instance ${clients[role].instanceId} (${ctx.sides[role].region})`;
                    throw new DrillSideError(role, where, action, error, { region: ctx.sides[role].region });
                }
            };
            const direction = async (repository: FileSystemRepository, from: SideRole, to: SideRole) => {
                const suffix = named ? ` ${repository.fileSystemPath}` : "";
                const leg = (kind: LegKind, samples: number[], uncertaintyMs?: number) =>
                    legs.push(
                        legResult(
                            { kind, from, to, ...(named ? { repository: repository.fileSystemPath } : {}) },
                            1,
                            samples,
                            objectiveSeconds,
                            samples.length > 0 && uncertaintyMs !== undefined ? [uncertaintyMs] : [],
                        ),
                    );
                const relativeKey = fsCanaryKey(ctx.runId, from, to);
                const key = fsCanaryKey(ctx.runId, from, to, repository.repositoryPrefix);
                const path = (role: SideRole) => filePath(clients[role], repository, relativeKey);
                const content = randomBytes(32).toString("hex");
                const sha256 = createHash("sha256").update(content).digest("hex");
                const deadline = Date.now() + ctx.objectiveMs;
                ctx.progress(`fs ${from}->${to}: writing ${path(from)} on ${clients[from].instanceId}`);
                // the watcher goes first so that it cannot miss the file
                const watcher = await onInstance(to, "ssm:SendCommand", () =>
                    sendScript(
                        clients[to],
                        watcherScript(path(to), sha256, timeoutSeconds),
                        timeoutSeconds + 60,
                        `lustre-dr drill ${ctx.runId}: wait for ${from} file`,
                        ctx.signal,
                    ),
                );
                const writer = await onInstance(from, "ssm:SendCommand", () =>
                    sendScript(clients[from], writerScript(path(from), content), 120, `lustre-dr drill ${ctx.runId}: write`, ctx.signal),
                );
                const written = await onInstance(from, "ssm:GetCommandInvocation", () => waitForCommand(clients[from], writer, deadline, ctx.poll, ctx.signal));
                const writtenAt = stampFrom(written?.StandardOutputContent, "written");
                if (written?.Status !== "Success" || writtenAt === undefined) {
                    checks.push({
                        name: `fs-write ${from}${suffix}`,
                        status: "failed",
                        detail: `writing the canary file on ${clients[from].instanceId} ended ${written?.Status ?? "without an answer"}: ${(written?.StandardErrorContent ?? "").trim().slice(0, 200)}`,
                    });
                    // the watcher would otherwise wait on the other client until its timeout
                    await clients[to].ssm
                        .send(new CancelCommandCommand({ CommandId: watcher, InstanceIds: [clients[to].instanceId] }))
                        .catch(() => undefined);
                    for (const kind of ["fs-export", "fs-replication", "fs-import", "fs-end-to-end"] as const) {
                        leg(kind, []);
                    }
                    return;
                }
                const exported = await waitForObject(ctx.sides[from], key, deadline, ctx.poll, ctx.signal);
                const exportMs = exported ? lagEstimateMs(writtenAt, exported.lastMissSentAt, exported.seenAt) : undefined;
                const replicated = exported ? await waitForObject(ctx.sides[to], key, deadline, ctx.poll, ctx.signal) : undefined;
                const exportedAt = exportMs === undefined ? undefined : writtenAt + exportMs;
                const replicationMs =
                    exportedAt !== undefined && replicated ? lagEstimateMs(exportedAt, replicated.lastMissSentAt, replicated.seenAt) : undefined;
                const watched = await onInstance(to, "ssm:GetCommandInvocation", () =>
                    waitForCommand(clients[to], watcher, deadline + 60_000, ctx.poll, ctx.signal),
                );
                const readableAt = stampFrom(watched?.StandardOutputContent, "seen");
                const replicatedAt = exportedAt !== undefined && replicationMs !== undefined ? exportedAt + replicationMs : undefined;
                // each hop starts where the previous estimate ended, so uncertainties add up; the watcher looks every 200 ms
                const exportUncertainty = exported ? lagUncertaintyMs(writtenAt, exported.lastMissSentAt, exported.seenAt) : 0;
                const replicationUncertainty =
                    exportUncertainty + (replicated && exportedAt !== undefined ? lagUncertaintyMs(exportedAt, replicated.lastMissSentAt, replicated.seenAt) : 0);
                leg("fs-export", exportMs === undefined ? [] : [exportMs], exportUncertainty);
                leg("fs-replication", replicationMs === undefined ? [] : [replicationMs], replicationUncertainty);
                leg(
                    "fs-import",
                    readableAt !== undefined && replicatedAt !== undefined ? [Math.max(0, readableAt - replicatedAt)] : [],
                    replicationUncertainty + watcherIntervalMs,
                );
                leg("fs-end-to-end", readableAt !== undefined ? [Math.max(0, readableAt - writtenAt)] : [], watcherIntervalMs);
                checks.push(
                    readableAt !== undefined
                        ? { name: `fs-content ${from}->${to}${suffix}`, status: "passed", detail: `file readable on ${clients[to].instanceId} with the written sha256` }
                        : {
                              name: `fs-content ${from}->${to}${suffix}`,
                              status: "failed",
                              detail: `file not readable with the written sha256 on ${clients[to].instanceId} (${watched?.Status ?? "no answer"})`,
                          },
                );
            };
            await Promise.all(repositories.flatMap((repository) => [direction(repository, "primary", "dr"), direction(repository, "dr", "primary")]));
            return { legs, checks };
        },
    };
}
