/**
 * The DR drill: canaries both ways, per-object lag, replica content and ReplicationStatus, delete-marker
 * propagation, a loop check, optional file-system legs, and cleanup that always runs. Both directions run at the
 * same time; each leg waits at most the objective (the RPO) for its canaries.
 *
 * Cleanup never deletes a version: it puts a delete marker on every canary key still current, on both sides, and
 * looks again after a settle time for replicas that were still in flight. The noncurrent canary versions and the
 * markers expire with the buckets' lifecycle rule (noncurrentVersionRetentionDays, expired delete markers).
 */
import { randomBytes } from "crypto";
import { setMaxListeners } from "events";
import type { SideRole } from "../aws/sides";
import {
    deleteCanary,
    DrillBucket,
    DrillSideError,
    headObjectReplicationStatus,
    KeyVersions,
    listVersions,
    mapLimit,
    readReplica,
    ReplicationStatusReader,
    sha256,
    writeCanary,
    canaryMetadataKey,
} from "./buckets";
import { assertOwnCanaryKey, canaryKey, directionOfCanary, isOwnCanaryKey, legPrefix, newRunId, runPrefix } from "./canaries";
import type { FileSystemDrill, FileSystemLegsResult } from "./fsLegs";
import { defaultPollSchedule, lagEstimateMs, lagUncertaintyMs, nextPollDelay, PollSchedule, sleep } from "./poll";
import {
    CheckResult,
    drillResultSchemaVersion,
    DrillResult,
    failuresOf,
    LegKind,
    legResult,
    LegResult,
} from "./result";

export const defaultCanaries = 5;
export const defaultObjectiveSeconds = 900;
const canaryBytes = 1024;
const writeConcurrency = 16;

export interface DrillOptions {
    readonly primary: DrillBucket;
    readonly dr: DrillBucket;
    /** Canary objects per direction. @default 5 */
    readonly canaries?: number;
    /** The RPO objective: every canary must arrive within it, and no leg waits longer. @default 900 */
    readonly objectiveSeconds?: number;
    /** @default a new sortable id, e.g. `20261125t092400z-3f9a1c` */
    readonly runId?: string;
    /** @default 250 ms, doubling, capped at 1 s */
    readonly poll?: PollSchedule;
    /**
     * Where ReplicationStatus comes from. @default HeadObject's `x-amz-replication-status`. Tests against the
     * emulator pass the replication copier's answer, because moto never sets the header.
     */
    readonly replicationStatus?: ReplicationStatusReader;
    /** File-system legs through SSM, when `--fs` is given. */
    readonly fileSystems?: FileSystemDrill;
    /** How long the loop check watches version counts. @default twice the slowest lag seen, 1 s to 30 s */
    readonly loopSettleMs?: number;
    /** How long cleanup waits before looking for late replicas. @default as loopSettleMs */
    readonly cleanupSettleMs?: number;
    /** Aborting (Ctrl-C) stops the legs; cleanup still runs. */
    readonly signal?: AbortSignal;
    readonly progress?: (message: string) => void;
}

/** One canary's journey over one leg, for benchmarks and debugging; not kept in the history. */
export interface CanaryTrace {
    readonly kind: LegKind;
    readonly key: string;
    readonly from: SideRole;
    readonly to: SideRole;
    readonly writtenAt: number;
    readonly lastMissSentAt?: number;
    readonly seenAt?: number;
    readonly lagMs?: number;
}

/** Polling cost of one leg. */
export interface PollTrace {
    readonly kind: LegKind;
    readonly from: SideRole;
    readonly to: SideRole;
    readonly canaries: number;
    readonly requests: number;
    /** From the first poll's wait starting to the last poll returning, ms. */
    readonly durationMs: number;
}

export interface DrillRun {
    readonly result: DrillResult;
    readonly canaries: readonly CanaryTrace[];
    readonly polls: readonly PollTrace[];
}

interface Context {
    readonly runId: string;
    readonly sides: Record<SideRole, DrillBucket>;
    readonly objectiveMs: number;
    readonly poll: PollSchedule;
    readonly readStatus: ReplicationStatusReader;
    readonly signal?: AbortSignal;
    readonly progress: (message: string) => void;
    readonly legs: LegResult[];
    readonly checks: CheckResult[];
    readonly traces: CanaryTrace[];
    readonly polls: PollTrace[];
}

interface Sighting {
    readonly versionId: string;
    readonly seenAt: number;
    readonly lastMissSentAt?: number;
}

interface WrittenCanary {
    readonly key: string;
    readonly versionId: string;
    readonly sha256: string;
    readonly writtenAt: number;
}

const directions: ReadonlyArray<readonly [SideRole, SideRole]> = [
    ["primary", "dr"],
    ["dr", "primary"],
];

/**
 * Polls `target` under `prefix` until `arrived` finds each expected key or the deadline passes. One listing per
 * poll answers for every canary of the leg, so the request rate per canary falls as canaries grow.
 */
async function waitForArrivals(
    ctx: Context,
    kind: LegKind,
    from: SideRole,
    to: SideRole,
    expected: ReadonlyMap<string, number>,
    arrived: (versions: KeyVersions | undefined) => string | undefined,
    deadline: number,
): Promise<Map<string, Sighting>> {
    const target = ctx.sides[to];
    const prefix = legPrefix(ctx.runId, from, to);
    const pending = new Set(expected.keys());
    const seen = new Map<string, Sighting>();
    const startedAt = Date.now();
    let requests = 0;
    let delay: number | undefined;
    let lastSentAt: number | undefined;
    try {
        while (pending.size > 0) {
            const now = Date.now();
            if (now >= deadline) {
                break;
            }
            delay = nextPollDelay(delay, ctx.poll);
            await sleep(Math.min(delay, deadline - now), ctx.signal);
            const sentAt = Date.now();
            const listing = await listVersions(target, prefix, ctx.signal);
            const receivedAt = Date.now();
            requests += listing.requests;
            for (const key of [...pending]) {
                const versionId = arrived(listing.keys.get(key));
                if (versionId !== undefined) {
                    seen.set(key, { versionId, seenAt: receivedAt, lastMissSentAt: lastSentAt });
                    pending.delete(key);
                }
            }
            lastSentAt = sentAt;
        }
    } finally {
        ctx.polls.push({ kind, from, to, canaries: expected.size, requests, durationMs: Date.now() - startedAt });
        for (const [key, writtenAt] of expected) {
            const sighting = seen.get(key);
            ctx.traces.push({
                kind,
                key,
                from,
                to,
                writtenAt,
                ...(sighting
                    ? {
                          seenAt: sighting.seenAt,
                          lastMissSentAt: sighting.lastMissSentAt,
                          lagMs: lagEstimateMs(writtenAt, sighting.lastMissSentAt, sighting.seenAt),
                      }
                    : {}),
            });
        }
    }
    return seen;
}

function recordLeg(ctx: Context, kind: LegKind, from: SideRole, to: SideRole, expected: ReadonlyMap<string, number>, seen: ReadonlyMap<string, Sighting>) {
    const samples: number[] = [];
    const uncertainties: number[] = [];
    for (const [key, sighting] of seen) {
        const writtenAt = expected.get(key) ?? sighting.seenAt;
        samples.push(lagEstimateMs(writtenAt, sighting.lastMissSentAt, sighting.seenAt));
        uncertainties.push(lagUncertaintyMs(writtenAt, sighting.lastMissSentAt, sighting.seenAt));
    }
    const leg = legResult({ kind, from, to }, expected.size, samples, ctx.objectiveMs / 1000, uncertainties);
    ctx.legs.push(leg);
    ctx.progress(
        `${leg.name}: ${seen.size}/${expected.size} arrived` + (leg.stats ? `, slowest ${leg.stats.maxSeconds} s` : "") + (leg.passed ? "" : " (FAIL)"),
    );
}

/** Content and metadata of every replica that arrived, against what was written. */
async function checkContent(ctx: Context, from: SideRole, to: SideRole, written: readonly WrittenCanary[], seen: ReadonlyMap<string, Sighting>) {
    const name = `content ${from}->${to}`;
    const arrived = written.filter((c) => seen.has(c.key));
    if (arrived.length === 0) {
        ctx.checks.push({ name, status: "skipped", detail: "no replica arrived to compare" });
        return;
    }
    const mismatches: string[] = [];
    await mapLimit(arrived, writeConcurrency, async (canary) => {
        const replica = await readReplica(ctx.sides[to], canary.key, seen.get(canary.key)!.versionId, ctx.signal);
        if (replica.sha256 !== canary.sha256) {
            mismatches.push(`${canary.key}: sha256 ${replica.sha256}, written ${canary.sha256}`);
        } else if (replica.metadata[canaryMetadataKey] !== ctx.runId) {
            mismatches.push(`${canary.key}: metadata ${canaryMetadataKey}=${JSON.stringify(replica.metadata[canaryMetadataKey])} lost in replication`);
        }
    });
    ctx.checks.push(
        mismatches.length === 0
            ? { name, status: "passed", detail: `${arrived.length} of ${arrived.length} replicas match (sha256 and metadata)` }
            : { name, status: "failed", detail: `${mismatches.length} of ${arrived.length} replicas differ: ${mismatches.slice(0, 3).join("; ")}` },
    );
}

/**
 * Source versions must end COMPLETED and replicas read REPLICA. A source may still say PENDING for a moment after
 * its replica is visible, so PENDING is asked again a few times before it counts against the drill.
 */
async function checkReplicationStatus(
    ctx: Context,
    from: SideRole,
    to: SideRole,
    written: readonly WrittenCanary[],
    seen: ReadonlyMap<string, Sighting>,
    deadline: number,
) {
    const name = `replication-status ${from}->${to}`;
    const arrived = written.filter((c) => seen.has(c.key));
    if (arrived.length === 0) {
        ctx.checks.push({ name, status: "skipped", detail: "no replica arrived to check" });
        return;
    }
    const problems: string[] = [];
    let unreported = 0;
    await mapLimit(arrived, writeConcurrency, async (canary) => {
        let source = await ctx.readStatus(ctx.sides[from], canary.key, canary.versionId, ctx.signal);
        for (let delay = ctx.poll.initialMs; source === "PENDING" && Date.now() + delay < deadline && delay <= 4 * ctx.poll.maxMs; delay *= 2) {
            await sleep(delay, ctx.signal);
            source = await ctx.readStatus(ctx.sides[from], canary.key, canary.versionId, ctx.signal);
        }
        const replica = await ctx.readStatus(ctx.sides[to], canary.key, seen.get(canary.key)!.versionId, ctx.signal);
        if (source === undefined && replica === undefined) {
            unreported += 1;
            return;
        }
        if (source !== "COMPLETED") {
            problems.push(`${canary.key} on ${from}: ${source ?? "no status"}, expected COMPLETED`);
        }
        if (replica !== "REPLICA") {
            problems.push(`${canary.key} on ${to}: ${replica ?? "no status"}, expected REPLICA`);
        }
    });
    if (unreported === arrived.length) {
        ctx.checks.push({ name, status: "skipped", detail: "the endpoint reports no ReplicationStatus (an emulator?): not verified" });
    } else if (problems.length > 0 || unreported > 0) {
        const missing = unreported > 0 ? [`${unreported} canaries had no status on either side`] : [];
        ctx.checks.push({ name, status: "failed", detail: [...problems.slice(0, 3), ...missing].join("; ") });
    } else {
        ctx.checks.push({ name, status: "passed", detail: `${arrived.length} sources COMPLETED, ${arrived.length} replicas REPLICA` });
    }
}

async function runDirection(ctx: Context, from: SideRole, to: SideRole, count: number): Promise<void> {
    const source = ctx.sides[from];
    ctx.progress(`${from}->${to}: writing ${count} canaries to ${source.bucket}`);
    const keys = Array.from({ length: count }, (_, i) => canaryKey(ctx.runId, from, to, i));
    const written = await mapLimit(keys, writeConcurrency, async (key): Promise<WrittenCanary> => {
        const body = randomBytes(canaryBytes);
        const { versionId } = await writeCanary(source, ctx.runId, key, body, ctx.signal);
        return { key, versionId, sha256: sha256(body), writtenAt: Date.now() };
    });
    const writtenAt = new Map(written.map((c) => [c.key, c.writtenAt]));
    const objectDeadline = Date.now() + ctx.objectiveMs;
    const seen = await waitForArrivals(ctx, "s3-object", from, to, writtenAt, (v) => v?.versions[0], objectDeadline);
    recordLeg(ctx, "s3-object", from, to, writtenAt, seen);
    await checkContent(ctx, from, to, written, seen);
    await checkReplicationStatus(ctx, from, to, written, seen, objectDeadline);

    // Delete markers: only canaries whose object arrived can show a marker arriving after it.
    const arrived = written.filter((c) => seen.has(c.key));
    if (arrived.length === 0) {
        ctx.legs.push(legResult({ kind: "s3-delete-marker", from, to }, 0, [], ctx.objectiveMs / 1000));
        return;
    }
    ctx.progress(`${from}->${to}: deleting ${arrived.length} canaries (delete markers)`);
    const deletedAt = new Map<string, number>();
    await mapLimit(arrived, writeConcurrency, async (canary) => {
        await deleteCanary(source, ctx.runId, canary.key, ctx.signal);
        deletedAt.set(canary.key, Date.now());
    });
    const markers = await waitForArrivals(
        ctx,
        "s3-delete-marker",
        from,
        to,
        deletedAt,
        (v) => (v?.latest?.deleteMarker ? v.latest.versionId : undefined),
        Date.now() + ctx.objectiveMs,
    );
    recordLeg(ctx, "s3-delete-marker", from, to, deletedAt, markers);
}

async function versionCounts(ctx: Context): Promise<Record<SideRole, number>> {
    const count = async (role: SideRole) => {
        const listing = await listVersions(ctx.sides[role], runPrefix(ctx.runId), ctx.signal);
        let total = 0;
        for (const key of listing.keys.values()) {
            total += key.versions.length + key.deleteMarkers.length;
        }
        return total;
    };
    const [primary, dr] = await Promise.all([count("primary"), count("dr")]);
    return { primary, dr };
}

/** Replication that loops keeps adding versions of the canaries after every leg has settled. */
async function checkLoop(ctx: Context, settleMs: number): Promise<void> {
    const name = "loop";
    if (ctx.legs.some((leg) => leg.missed > 0)) {
        ctx.checks.push({ name, status: "skipped", detail: "not conclusive: some canaries never arrived and may still be in flight" });
        return;
    }
    ctx.progress(`loop check: watching canary version counts for ${(settleMs / 1000).toFixed(1)} s`);
    const before = await versionCounts(ctx);
    await sleep(settleMs, ctx.signal);
    const after = await versionCounts(ctx);
    const growing = (["primary", "dr"] as const).filter((role) => after[role] > before[role]);
    ctx.checks.push(
        growing.length === 0
            ? { name, status: "passed", detail: `version counts stable for ${(settleMs / 1000).toFixed(1)} s (primary ${after.primary}, dr ${after.dr})` }
            : {
                  name,
                  status: "failed",
                  detail:
                      `canary versions still growing after every leg settled: ` +
                      growing.map((role) => `${role} ${before[role]} -> ${after[role]}`).join(", ") +
                      ` in ${(settleMs / 1000).toFixed(1)} s; replicas are being replicated again (replication or export/import loop)`,
              },
    );
}

/** What cleanup did and what it could not finish. */
export interface CleanupOutcome {
    readonly deleteMarkersWritten: number;
    /** `side:key` still current after the last pass, and `cleanup failed on ...` for a side cleanup could not reach. */
    readonly leftover: string[];
    /**
     * `side:key` of canaries written on the other side whose replica had not reached this side when cleanup last
     * looked: if it lands later, the key is current there again until `--clean-up` runs.
     */
    readonly inFlight: string[];
}

/**
 * Puts a delete marker on every canary key of this run that is still current, on both sides, then looks again
 * after `settleMs` for replicas that landed after the first pass. Never touches a key outside the run's prefix.
 */
export async function cleanUpCanaries(
    runId: string,
    sides: Record<SideRole, DrillBucket>,
    settleMs: number,
    progress: (message: string) => void = () => undefined,
    /** Bucket prefixes of the repositories the file-system legs went through: their canaries live under them. */
    repositoryPrefixes: readonly string[] = [],
    passes = 4,
): Promise<CleanupOutcome> {
    // Under a repository prefix only the file-system canaries are the run's: other keys there are the users' (the
    // listing may show them) and are left alone; under the run's own prefix at the root every key is a canary.
    const root = runPrefix(runId);
    const prefixes = [root, ...[...new Set(repositoryPrefixes)].filter((p) => p !== "").map((p) => `${p}${root}fs-`)];
    let deleteMarkersWritten = 0;
    // one side failing (unreachable, denied) must not keep the other side's canaries in place
    const errors = new Map<SideRole, string>();
    const failure = (error: unknown) => (error instanceof DrillSideError ? error.message : `${(error as Error).name}: ${(error as Error).message}`);
    const listings = new Map<SideRole, Map<string, KeyVersions>>();
    const currentKeys = async () => {
        const current: Array<[SideRole, string]> = [];
        for (const role of ["primary", "dr"] as const) {
            try {
                const keys = new Map<string, KeyVersions>();
                for (const prefix of prefixes) {
                    for (const [key, versions] of (await listVersions(sides[role], prefix)).keys) {
                        if (prefix === root || isOwnCanaryKey(runId, key)) {
                            keys.set(key, versions);
                        }
                    }
                }
                errors.delete(role);
                listings.set(role, keys);
                for (const [key, versions] of keys) {
                    if (versions.latest && !versions.latest.deleteMarker) {
                        assertOwnCanaryKey(runId, key);
                        current.push([role, key]);
                    }
                }
            } catch (error) {
                listings.delete(role);
                errors.set(role, failure(error));
            }
        }
        return current;
    };
    const deleteAll = (current: Array<[SideRole, string]>) =>
        mapLimit(current, writeConcurrency, async ([role, key]) => {
            try {
                await deleteCanary(sides[role], runId, key);
                deleteMarkersWritten += 1;
            } catch (error) {
                errors.set(role, failure(error));
            }
        });
    let current = await currentKeys();
    for (let pass = 0; pass < passes && (current.length > 0 || pass === 0); pass += 1) {
        if (current.length > 0) {
            progress(`cleanup: delete markers on ${current.length} canary keys`);
            await deleteAll(current);
        }
        // replicas still in flight may make a canary current again: look once more after they had time to land
        await sleep(settleMs);
        current = await currentKeys();
    }
    const leftover = [
        ...current.map(([role, key]) => `${role}:${key}`),
        ...[...errors].map(([, message]) => `cleanup failed on ${message}`),
    ];
    return { deleteMarkersWritten, leftover, inFlight: replicasInFlight(runId, listings) };
}

/** Canaries with a version on the side that wrote them and none on the side they replicate to (both sides listed). */
function replicasInFlight(runId: string, listings: ReadonlyMap<SideRole, ReadonlyMap<string, KeyVersions>>): string[] {
    const inFlight: string[] = [];
    for (const [role, keys] of listings) {
        for (const [key, versions] of keys) {
            const direction = directionOfCanary(runId, key);
            const destination = direction?.from === role ? listings.get(direction.to) : undefined;
            if (direction && destination && versions.versions.length > 0 && (destination.get(key)?.versions.length ?? 0) === 0) {
                inFlight.push(`${direction.to}:${key}`);
            }
        }
    }
    return inFlight.sort();
}

/** One shell word: plain values as they are, anything else single-quoted. */
function shellWord(value: string): string {
    return /^[A-Za-z0-9_.,:/@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * The command that finishes an unfinished cleanup, naming each side as the drill found it: by its stack (whose
 * outputs also give the repository prefixes of file-system canaries), or by bucket and region (no Pulumi needed);
 * with the profile and endpoint the drill used.
 */
export function cleanUpCommandLine(
    runId: string,
    sides: Record<SideRole, Pick<DrillBucket, "bucket" | "region" | "stack" | "profile" | "endpoint">>,
): string {
    const words = ["lustre-dr", "drill", "--clean-up", runId];
    for (const role of ["primary", "dr"] as const) {
        const side = sides[role];
        words.push(...(side.stack !== undefined ? [`--${role}-stack`, side.stack] : [`--${role}-bucket`, side.bucket, `--${role}-region`, side.region]));
        if (side.profile) {
            words.push(`--${role}-profile`, side.profile);
        }
        if (side.endpoint) {
            words.push(`--${role}-endpoint`, side.endpoint);
        }
    }
    return words.map(shellWord).join(" ");
}

function defaultSettleMs(traces: readonly CanaryTrace[]): number {
    const slowest = Math.max(0, ...traces.map((t) => t.lagMs ?? 0));
    return Math.min(30_000, Math.max(1000, 2 * slowest));
}

/**
 * Runs the whole drill and returns its result. A missed objective, a failed check, an abort or an AWS error all end
 * in a failed result (never a throw), so every run can be recorded; only invalid options throw.
 */
export async function runDrill(options: DrillOptions): Promise<DrillRun> {
    const canaries = options.canaries ?? defaultCanaries;
    const objectiveSeconds = options.objectiveSeconds ?? defaultObjectiveSeconds;
    if (!Number.isInteger(canaries) || canaries < 1) {
        throw new Error(`canaries is ${canaries}: expected a whole number >= 1`);
    }
    if (!(objectiveSeconds > 0)) {
        throw new Error(`objectiveSeconds is ${objectiveSeconds}: expected a number of seconds > 0`);
    }
    const runId = options.runId ?? newRunId();
    // One direction failing stops the other before cleanup starts, so nothing writes canaries behind cleanup's back.
    const stop = new AbortController();
    // Every in-flight request listens on this signal; a drill with many canaries legitimately has more than ten.
    setMaxListeners(0, stop.signal);
    const forwardAbort = () => stop.abort(options.signal?.reason);
    if (options.signal?.aborted) {
        stop.abort(options.signal.reason);
    }
    options.signal?.addEventListener("abort", forwardAbort, { once: true });
    const ctx: Context = {
        runId,
        sides: { primary: options.primary, dr: options.dr },
        objectiveMs: objectiveSeconds * 1000,
        poll: options.poll ?? defaultPollSchedule,
        readStatus: options.replicationStatus ?? headObjectReplicationStatus,
        signal: stop.signal,
        progress: options.progress ?? (() => undefined),
        legs: [],
        checks: [],
        traces: [],
        polls: [],
    };
    const startedAt = new Date();
    ctx.progress(`drill ${runId}: canaries under ${runPrefix(runId)}, objective ${objectiveSeconds} s`);
    let interrupted = false;
    let cleanup: CleanupOutcome = { deleteMarkersWritten: 0, leftover: [], inFlight: [] };
    let fileSystemResult: FileSystemLegsResult | undefined;
    try {
        let firstError: unknown;
        const settled = await Promise.allSettled(
            directions.map(([from, to]) =>
                runDirection(ctx, from, to, canaries).catch((error: unknown) => {
                    firstError ??= error;
                    stop.abort(error);
                    throw error;
                }),
            ),
        );
        if (settled.some((outcome) => outcome.status === "rejected")) {
            throw firstError;
        }
        if (options.fileSystems) {
            fileSystemResult = await options.fileSystems.run({
                runId,
                sides: ctx.sides,
                objectiveMs: ctx.objectiveMs,
                poll: ctx.poll,
                signal: ctx.signal,
                progress: ctx.progress,
            });
            ctx.legs.push(...fileSystemResult.legs);
            ctx.checks.push(...fileSystemResult.checks);
        }
        await checkLoop(ctx, options.loopSettleMs ?? defaultSettleMs(ctx.traces));
    } catch (error) {
        if (options.signal?.aborted) {
            interrupted = true;
            ctx.progress("interrupted: cleaning up this run's canaries");
        } else {
            // an AWS error after the preflight (denied, throttled past the SDK's retries, a bucket removed mid-run) is a
            // failed drill, and goes into the history as one; the message names the side, bucket and region
            const message = error instanceof DrillSideError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
            ctx.checks.push({ name: "run", status: "failed", detail: `stopped by an error: ${message}` });
            ctx.progress(`drill stopped by an error: ${message}`);
        }
    } finally {
        try {
            cleanup = await cleanUpCanaries(
                runId,
                ctx.sides,
                options.cleanupSettleMs ?? defaultSettleMs(ctx.traces),
                ctx.progress,
                options.fileSystems?.repositoryPrefixes ?? [],
            );
        } catch (error) {
            cleanup = { ...cleanup, leftover: [`cleanup failed: ${(error as Error).message}`] };
        }
        if (cleanup.leftover.length > 0) {
            ctx.progress(`cleanup left ${cleanup.leftover.length} canary keys current: ${cleanup.leftover.slice(0, 3).join(", ")}`);
        }
        if (cleanup.inFlight.length > 0) {
            ctx.progress(`cleanup: ${cleanup.inFlight.length} canary replicas had not arrived; when they land, those keys are current again`);
        }
        options.signal?.removeEventListener("abort", forwardAbort);
    }
    const failures = failuresOf(ctx.legs, ctx.checks, objectiveSeconds, interrupted);
    const result: DrillResult = {
        schema: drillResultSchemaVersion,
        runId,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        objectiveSeconds,
        primary: { bucket: options.primary.bucket, region: options.primary.region },
        dr: { bucket: options.dr.bucket, region: options.dr.region },
        legs: ctx.legs,
        checks: ctx.checks,
        interrupted,
        cleanup: {
            ...cleanup,
            ...(cleanup.leftover.length > 0 || cleanup.inFlight.length > 0 ? { command: cleanUpCommandLine(runId, ctx.sides) } : {}),
        },
        failures,
        passed: failures.length === 0,
    };
    return { result, canaries: ctx.traces, polls: ctx.polls };
}
