/**
 * Point-in-time restore of a versioned bucket (or a prefix of it): list versions, plan key by key, apply.
 *
 * One pass: the plan streams straight into a bounded pool of writers, so memory stays flat however many keys the
 * bucket holds, and the run costs one list request per 1,000 versions plus one write per changed key. Every write
 * adds a version (a copy of the version from T, or a delete marker); no version is ever deleted, so a restore can
 * itself be undone by restoring to a time before it. Re-running converges: completed keys plan no action.
 */
import * as fs from "fs";
import { once } from "events";
import { GetBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { sideClientConfig, SideLocation } from "../aws/clients";
import { UsageError } from "../output";
import { applyAction, ApplyOptions, forEachBounded, RestoreAction } from "./apply";
import type { ExpectedEncryption } from "./encryption";
import { describeDifference, IdentityAspect, IdentityDifference } from "./identity";
import { PartitionProgress, planPartitioned } from "./partitions";
import { CopyPlan, isReservedKey, planRestore, reservedPrefix } from "./plan";
import { compareVersions, IdentityReads, ListedVersion } from "./readIdentity";
import { SignalFanOut } from "./signals";
import { listVersions } from "./versions";

/** The bucket to restore and how to reach it; a resolved `Side` (infra/aws/sides.ts) fits. */
export interface RestoreTarget extends SideLocation {
    readonly bucketName: string;
    /**
     * The side's own encryption, from its stack outputs (`expectedEncryption` in encryption.ts). Copies are written
     * under it, never under the bucket's current default or the source's key, and a current version under it is not
     * an encryption difference. @default unknown: copies take the bucket's default encryption, and only T's
     * encryption is accepted
     */
    readonly encryption?: ExpectedEncryption;
}

export interface RestoreProgress {
    readonly phase: "checking" | "restoring";
    readonly versionsListed: number;
    readonly keysPlanned: number;
    readonly actionsPlanned: number;
    readonly actionsDone: number;
    readonly bytesCopied: number;
    readonly failures: number;
}

export interface RestoreOptions {
    /** The point in time to return to; must be in the past. */
    readonly to: Date;
    /** Restore only keys under this prefix. @default "" (the whole bucket) */
    readonly prefix?: string;
    /** Writes in flight at once. @default 32 */
    readonly concurrency?: number;
    /** Plan and report only; write nothing to the bucket. @default false */
    readonly dryRun?: boolean;
    /** Also write every planned action to this file as one JSON document. */
    readonly planFile?: string;
    /** Called as listing and writing advance; throwing from it stops the run (it can be resumed by re-running). */
    readonly onProgress?: (progress: RestoreProgress) => void;
    /** Stops the run: no new writes start, in-flight ones are awaited or aborted. Re-running resumes. */
    readonly signal?: AbortSignal;
    /** Keys listed per action kind in the result. @default 10 */
    readonly firstKeys?: number;
    /** The S3 client to use (tests, benchmarks). @default one built from the target's region, profile, endpoint */
    readonly client?: S3Client;
    /** The clock, for tests. @default () => new Date() */
    readonly now?: () => Date;
    /** Entries per list request (S3's maximum is 1,000); smaller pages are for tests. @default 1000 */
    readonly pageSize?: number;
    /**
     * Key ranges listed at once by the partitioned planner (infra/restore/partitions.ts); 1 lists the bucket with
     * one sequential listing. @default 1
     */
    readonly listConcurrency?: number;
    /** Called as each key range of the partitioned planner is queued, listed page by page, and done. */
    readonly onPartition?: (partition: PartitionProgress) => void;
    /** Hands the writes to this sink (the batch engine) instead of the local writers. */
    readonly sink?: ActionSink;
    /** Passed to the writer (multipart threshold and part size). */
    readonly apply?: Pick<ApplyOptions, "multipartThresholdBytes" | "partSizeBytes">;
}

export interface RestoreFailure {
    readonly key: string;
    readonly action: RestoreAction["action"];
    readonly message: string;
}

export interface RestoreResult {
    readonly bucket: string;
    readonly region: string;
    readonly to: string;
    readonly prefix: string;
    readonly dryRun: boolean;
    readonly versionsListed: number;
    readonly keys: number;
    readonly plan: {
        readonly copy: {
            readonly count: number;
            readonly bytes: number;
            readonly firstKeys: string[];
            /**
             * Why keys are copied back: `deleted` (no current version), or the aspects in which the current version
             * differs from T's (identity.ts). A key with several differing aspects counts under each.
             */
            readonly why: Record<CopyReason, number>;
            /** The first keys copied back over a current version, with what differs (one line each). */
            readonly firstDifferences: Array<{ key: string; differences: string[] }>;
        };
        readonly deleteMarker: { readonly count: number; readonly firstKeys: string[] };
        /** Keys whose current version is the version from T, or is shown to be the same object (see below). */
        readonly unchanged: number;
        /**
         * Of `unchanged`: keys whose current version is another version than T's (typically a copy from an earlier
         * run) and was shown to be the same object: same content, metadata, content headers, storage class, tags.
         */
        readonly verifiedByReads: number;
        /** Of `verifiedByReads`: keys whose ETag differs from T's but whose stored checksum proves the same bytes. */
        readonly verifiedByChecksum: number;
        readonly absent: number;
        readonly reserved: number;
        /** Keys whose state at T S3 never recorded (written without versioning after T); left alone. */
        readonly unknown: { readonly count: number; readonly first: Array<{ key: string; reason: string }> };
    };
    /** Reads spent comparing current versions with T's (HeadObject, GetObjectTagging); never a write. */
    readonly identityReads: IdentityReads;
    readonly applied: { readonly copies: number; readonly deleteMarkers: number; readonly bytesCopied: number };
    readonly failures: { readonly count: number; readonly first: RestoreFailure[] };
    readonly planFile?: string;
    /** What the sink reported (the batch engine: run id, jobs, manifests); absent for the local writers. */
    readonly engine?: SinkOutcome["engine"];
}

/**
 * Where planned writes go instead of the local writers: the batch engine (infra/restore/batch/engine.ts). It
 * receives every action that needs a write, in a dry run too (it then writes nothing to the bucket), and carries
 * them out in `finish`, after planning.
 */
export interface ActionSink {
    add(action: RestoreAction): Promise<void>;
    finish(): Promise<SinkOutcome>;
    /** Planning failed or was stopped: drop what was collected. */
    discard(): void;
}

export interface SinkOutcome {
    readonly copies: number;
    readonly bytesCopied: number;
    readonly deleteMarkers: number;
    readonly failureCount: number;
    readonly failures: readonly RestoreFailure[];
    readonly engine: { readonly name: string } & Record<string, unknown>;
}

/** The point in time cannot be restored to; nothing was written. */
export class RestoreRefusedError extends UsageError {
    constructor(message: string) {
        super(message);
        this.name = "RestoreRefusedError";
    }
}

/** Why a key is copied back: it is deleted now, or its current version differs in these aspects. */
export type CopyReason = "deleted" | IdentityAspect;

const maxFailuresKept = 100;

/**
 * S3 serves at least 5,500 GET/HEAD requests per second per partitioned prefix, and a listing page of 1,000 versions
 * takes tens of milliseconds to serve and several to parse here: 16 listers use a few hundred requests per second, far
 * below S3's limit and about what one process can parse. More only helps a client with more cores.
 */
export const defaultListConcurrency = 16;
export const maxListConcurrency = 256;

/** Checks that need no AWS call: T is a real, past time; the prefix is not the drill's; concurrency is sane. */
export function validateRestoreOptions(options: RestoreOptions, now: Date): void {
    if (Number.isNaN(options.to.getTime())) {
        throw new UsageError(`--to is not a valid time: expected an ISO 8601 time such as 2026-11-25T08:00:00Z`);
    }
    if (options.to.getTime() > now.getTime()) {
        throw new RestoreRefusedError(
            `--to is ${options.to.toISOString()}, which is in the future (now ${now.toISOString()}): give a past time`,
        );
    }
    const prefix = options.prefix ?? "";
    if (isReservedKey(prefix)) {
        throw new UsageError(`--prefix is ${JSON.stringify(prefix)}: ${reservedPrefix} (at the root or in any directory) is reserved for drills and never restored`);
    }
    const concurrency = options.concurrency ?? 32;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
        throw new UsageError(`--concurrency is ${concurrency}: expected a whole number from 1 to 1000`);
    }
    const listConcurrency = options.listConcurrency ?? 1;
    if (!Number.isInteger(listConcurrency) || listConcurrency < 1 || listConcurrency > maxListConcurrency) {
        throw new UsageError(`--list-concurrency is ${listConcurrency}: expected a whole number from 1 to ${maxListConcurrency}`);
    }
}

/**
 * Refuses a bucket whose versioning is not Enabled (never enabled: S3 kept no history; suspended: a restore would
 * overwrite the null version in place, losing data).
 */
export async function checkVersioning(client: S3Client, bucket: string): Promise<void> {
    const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (versioning.Status !== "Enabled") {
        throw new RestoreRefusedError(
            `bucket ${bucket} has versioning ${versioning.Status ?? "never enabled"}: point-in-time restore needs versioning ` +
                `Enabled (without it S3 keeps no history, and while suspended a restore would overwrite objects in place)`,
        );
    }
}

/**
 * S3 does not record when versioning was enabled. What it does record: every version and delete marker with its
 * time. A T before anything the bucket recorded is almost certainly a wrong --to (restoring would put a delete
 * marker on every key), so it is refused. The bucket's history decides, not the prefix's: a prefix whose keys were
 * all created after T (an attacker's) is restored by hiding them, as long as the bucket shows that S3 was recording
 * at T. Any entry at or before T counts, the drill's canaries under `.lustre-dr/` included: a versioned canary
 * written then proves versioning was on. The prefix is asked first (usually its first page answers), the whole
 * bucket only when the prefix has nothing that old.
 */
export async function checkHistoryReachesBack(
    client: S3Client,
    bucket: string,
    to: Date,
    options: { prefix: string; pageSize?: number; signal?: AbortSignal },
): Promise<void> {
    const listOptions = { ...(options.pageSize ? { pageSize: options.pageSize } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    let earliest: Date | undefined;
    const scan = async (prefix: string): Promise<boolean> => {
        for await (const entry of listVersions(client, bucket, { ...listOptions, prefix })) {
            if (entry.lastModified.getTime() <= to.getTime()) {
                return true;
            }
            if (earliest === undefined || entry.lastModified < earliest) {
                earliest = entry.lastModified;
            }
        }
        return false;
    };
    if ((await scan(options.prefix)) || earliest === undefined) {
        return;
    }
    if (options.prefix !== "" && (await scan(""))) {
        return;
    }
    throw new RestoreRefusedError(
        `--to is ${to.toISOString()}, before anything S3 recorded in bucket ${bucket} (earliest version or delete marker ` +
            `seen: ${earliest.toISOString()}). Either versioning was enabled after that time or nothing existed yet; ` +
            `restoring would hide every key behind a delete marker. Give a later --to.`,
    );
}

/** Writes the plan as one JSON document, action by action, without holding it in memory. */
class PlanFileWriter {
    private readonly stream: fs.WriteStream;
    private first = true;
    /** Shared by every writer waiting for the buffer to drain: one `drain` listener however many wait. */
    private drained: Promise<void> | undefined;

    constructor(readonly path: string, header: Record<string, unknown>) {
        this.stream = fs.createWriteStream(path, { encoding: "utf8" });
        const head = JSON.stringify(header, null, 2);
        this.stream.write(`${head.slice(0, -2)},\n  "actions": [`);
    }

    async add(entry: unknown): Promise<void> {
        const line = `${this.first ? "" : ","}\n    ${JSON.stringify(entry)}`;
        this.first = false;
        if (!this.stream.write(line)) {
            this.drained ??= once(this.stream, "drain").then(() => {
                this.drained = undefined;
            });
        }
        await this.drained;
    }

    async close(summary: unknown): Promise<void> {
        await this.drained;
        this.stream.end(`\n  ],\n  "summary": ${JSON.stringify(summary)}\n}\n`);
        await once(this.stream, "finish");
    }

    destroy(): void {
        this.stream.destroy();
    }
}

/** The two sides of a copy plan whose key has a current version, as identity.ts compares them. */
export function copySides(action: CopyPlan): { atT: ListedVersion; now: ListedVersion } | undefined {
    if (action.currentVersionId === undefined) {
        return undefined;
    }
    return {
        atT: {
            versionId: action.versionId,
            size: action.size,
            ...(action.eTag !== undefined ? { eTag: action.eTag } : {}),
            ...(action.storageClass !== undefined ? { storageClass: action.storageClass } : {}),
        },
        now: {
            versionId: action.currentVersionId,
            size: action.currentSize ?? 0,
            ...(action.currentETag !== undefined ? { eTag: action.currentETag } : {}),
            ...(action.currentStorageClass !== undefined ? { storageClass: action.currentStorageClass } : {}),
        },
    };
}

/**
 * Returns `target`'s bucket (or `prefix` in it) to its state at `options.to`. Called by `lustre-dr restore` and by
 * `lustre-dr recover --restore-to`.
 */
export async function restoreToPointInTime(target: RestoreTarget, options: RestoreOptions): Promise<RestoreResult> {
    const now = (options.now ?? (() => new Date()))();
    validateRestoreOptions(options, now);
    const bucket = target.bucketName;
    const prefix = options.prefix ?? "";
    const client = options.client ?? new S3Client(sideClientConfig(target));
    const listOptions = { prefix, ...(options.pageSize ? { pageSize: options.pageSize } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const firstKeysLimit = options.firstKeys ?? 10;

    const progress = {
        phase: "checking" as RestoreProgress["phase"],
        versionsListed: 0,
        keysPlanned: 0,
        actionsPlanned: 0,
        actionsDone: 0,
        bytesCopied: 0,
        failures: 0,
    };
    const report = (): void => options.onProgress?.({ ...progress });
    report();
    await checkVersioning(client, bucket);
    await checkHistoryReachesBack(client, bucket, options.to, listOptions);

    progress.phase = "restoring";
    const why: Record<CopyReason, number> = { deleted: 0, content: 0, "storage-class": 0, metadata: 0, "content-headers": 0, encryption: 0, tags: 0 };
    const copy = { count: 0, bytes: 0, firstKeys: [] as string[], why, firstDifferences: [] as Array<{ key: string; differences: string[] }> };
    const deleteMarker = { count: 0, firstKeys: [] as string[] };
    const unknown = { count: 0, first: [] as Array<{ key: string; reason: string }> };
    let unchanged = 0;
    let verifiedByReads = 0;
    let verifiedByChecksum = 0;
    let absent = 0;
    let reserved = 0;
    const identityReads: IdentityReads = { head: 0, tagging: 0 };
    const applied = { copies: 0, deleteMarkers: 0, bytesCopied: 0 };
    const failures = { count: 0, first: [] as RestoreFailure[] };

    const planFile = options.planFile
        ? new PlanFileWriter(options.planFile, { bucket, region: target.region, to: options.to.toISOString(), prefix, dryRun: options.dryRun === true })
        : undefined;

    const onPage = (entries: number): void => {
        progress.versionsListed += entries;
        report();
    };
    const listConcurrency = options.listConcurrency ?? 1;
    const plans =
        listConcurrency > 1
            ? planPartitioned(client, bucket, { ...listOptions, to: options.to, concurrency: listConcurrency, onPage, ...(options.onPartition ? { onPartition: options.onPartition } : {}) })
            : planRestore(listVersions(client, bucket, { ...listOptions, onPage }), { to: options.to });

    /** Tallies each key's plan and passes on only the ones that need a write. */
    async function* actions(): AsyncGenerator<RestoreAction> {
        for await (const plan of plans) {
            progress.keysPlanned++;
            if (plan.action === "none") {
                if (plan.reason === "unchanged") unchanged++;
                else if (plan.reason === "absent") absent++;
                else reserved++;
            } else if (plan.action === "unknown") {
                unknown.count++;
                if (unknown.first.length < firstKeysLimit) unknown.first.push({ key: plan.key, reason: plan.reason });
            } else {
                progress.actionsPlanned++;
                yield plan;
            }
        }
    }

    /** Counts an action that will be (or, in a dry run, would be) written, and adds it to the plan file. */
    async function tally(action: RestoreAction, differences: readonly IdentityDifference[]): Promise<void> {
        if (action.action === "copy") {
            copy.count++;
            copy.bytes += action.size;
            if (copy.firstKeys.length < firstKeysLimit) copy.firstKeys.push(action.key);
            if (action.currentVersionId === undefined) {
                why.deleted++;
            } else {
                for (const aspect of new Set(differences.map((difference) => difference.aspect))) why[aspect]++;
                if (copy.firstDifferences.length < firstKeysLimit) {
                    copy.firstDifferences.push({ key: action.key, differences: differences.map(describeDifference) });
                }
            }
            await planFile?.add(action.currentVersionId === undefined ? action : { ...action, differences });
        } else {
            deleteMarker.count++;
            if (deleteMarker.firstKeys.length < firstKeysLimit) deleteMarker.firstKeys.push(action.key);
            await planFile?.add(action);
        }
    }

    /**
     * A copy plan over a current version that is not T's: write only if it is not the same object. Reads stop at
     * the first stage that shows a difference, so a key whose bytes changed costs no read at all.
     */
    async function differencesOf(action: RestoreAction, signal: AbortSignal | undefined): Promise<readonly IdentityDifference[] | "same"> {
        const sides = action.action === "copy" ? copySides(action) : undefined;
        if (!sides) {
            return [];
        }
        const { differences } = await compareVersions(client, bucket, action.key, sides.atT, sides.now, {
            reads: identityReads,
            ...(target.encryption ? { identity: { expected: target.encryption } } : {}),
            ...(signal ? { signal } : {}),
        });
        if (differences.length > 0) {
            return differences;
        }
        verifiedByReads++;
        if (sides.atT.eTag !== sides.now.eTag) verifiedByChecksum++;
        return "same";
    }

    const signals = new SignalFanOut(options.signal);
    try {
        await forEachBounded(actions(), options.concurrency ?? 32, (action) =>
            signals.run(async (signal) => {
                try {
                    const differences = await differencesOf(action, signal);
                    if (differences === "same") {
                        unchanged++;
                        progress.actionsPlanned--;
                        report();
                        return;
                    }
                    await tally(action, differences);
                    if (options.sink) {
                        await options.sink.add(action);
                    } else if (!options.dryRun) {
                        await applyAction(client, bucket, action, { ...options.apply, ...(target.encryption ? { encryption: target.encryption } : {}), ...(signal ? { signal } : {}) });
                        if (action.action === "copy") {
                            applied.copies++;
                            applied.bytesCopied += action.size;
                            progress.bytesCopied += action.size;
                        } else {
                            applied.deleteMarkers++;
                        }
                    }
                } catch (error) {
                    if (options.signal?.aborted) {
                        throw error;
                    }
                    failures.count++;
                    progress.failures++;
                    if (failures.first.length < maxFailuresKept) {
                        failures.first.push({ key: action.key, action: action.action, message: (error as Error).message });
                    }
                }
                progress.actionsDone++;
                report();
            }),
        );
    } catch (error) {
        planFile?.destroy();
        options.sink?.discard();
        throw error;
    } finally {
        signals.dispose();
    }

    const outcome = options.sink ? await options.sink.finish() : undefined;
    if (outcome) {
        applied.copies += outcome.copies;
        applied.bytesCopied += outcome.bytesCopied;
        applied.deleteMarkers += outcome.deleteMarkers;
        failures.count += outcome.failureCount;
        failures.first.push(...outcome.failures.slice(0, Math.max(0, maxFailuresKept - failures.first.length)));
    }
    const result: RestoreResult = {
        bucket,
        region: target.region,
        to: options.to.toISOString(),
        prefix,
        dryRun: options.dryRun === true,
        versionsListed: progress.versionsListed,
        keys: progress.keysPlanned,
        plan: { copy, deleteMarker, unchanged, verifiedByReads, verifiedByChecksum, absent, reserved, unknown },
        identityReads,
        applied,
        failures,
        ...(planFile ? { planFile: planFile.path } : {}),
        ...(outcome ? { engine: outcome.engine } : {}),
    };
    if (planFile) {
        const { planFile: _path, ...summary } = result;
        await planFile.close(summary);
    }
    report();
    return result;
}
