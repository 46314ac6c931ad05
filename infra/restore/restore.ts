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
import { applyAction, ApplyOptions, forEachBounded, RestoreAction, sameContentByChecksum } from "./apply";
import { KeyPlan, planRestore, reservedPrefix, VersionEntry } from "./plan";
import { listVersions } from "./versions";

/** The bucket to restore and how to reach it; a resolved `Side` (infra/aws/sides.ts) fits. */
export interface RestoreTarget extends SideLocation {
    readonly bucketName: string;
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
        readonly copy: { readonly count: number; readonly bytes: number; readonly firstKeys: string[] };
        readonly deleteMarker: { readonly count: number; readonly firstKeys: string[] };
        readonly unchanged: number;
        /** Of `unchanged`: keys whose ETag differs from T's but whose stored checksum proves the same bytes. */
        readonly verifiedByChecksum: number;
        readonly absent: number;
        readonly reserved: number;
        /** Keys whose state at T S3 never recorded (written without versioning after T); left alone. */
        readonly unknown: { readonly count: number; readonly first: Array<{ key: string; reason: string }> };
    };
    readonly applied: { readonly copies: number; readonly deleteMarkers: number; readonly bytesCopied: number };
    readonly failures: { readonly count: number; readonly first: RestoreFailure[] };
    readonly planFile?: string;
}

/** The point in time cannot be restored to; nothing was written. */
export class RestoreRefusedError extends UsageError {
    constructor(message: string) {
        super(message);
        this.name = "RestoreRefusedError";
    }
}

const maxFailuresKept = 100;

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
    if (prefix.startsWith(reservedPrefix)) {
        throw new UsageError(`--prefix is ${JSON.stringify(prefix)}: ${reservedPrefix} is reserved for drills and never restored`);
    }
    const concurrency = options.concurrency ?? 32;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
        throw new UsageError(`--concurrency is ${concurrency}: expected a whole number from 1 to 1000`);
    }
}

/**
 * Refuses a bucket whose versioning is not Enabled (never enabled: S3 kept no history; suspended: a restore would
 * overwrite the null version in place, losing data).
 */
async function checkVersioning(client: S3Client, bucket: string): Promise<void> {
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
 * time. If nothing under the prefix was written at or before T although keys exist now, T is before the bucket's
 * recorded history (before versioning was enabled, or before any data): restoring would put a delete marker on
 * every key, which is almost certainly a wrong --to. Usually the first page answers this.
 */
async function checkHistoryReachesBack(versions: AsyncIterable<VersionEntry>, to: Date, bucket: string, prefix: string): Promise<void> {
    let earliest: Date | undefined;
    for await (const entry of versions) {
        if (entry.key.startsWith(reservedPrefix)) {
            continue;
        }
        if (entry.lastModified.getTime() <= to.getTime()) {
            return;
        }
        if (earliest === undefined || entry.lastModified < earliest) {
            earliest = entry.lastModified;
        }
    }
    if (earliest !== undefined) {
        throw new RestoreRefusedError(
            `--to is ${to.toISOString()}, before anything S3 recorded in ${bucket}${prefix ? ` under ${prefix}` : ""} ` +
                `(earliest version or delete marker: ${earliest.toISOString()}). Either versioning was enabled after that ` +
                `time or nothing existed yet; restoring would hide every key behind a delete marker. Give a later --to.`,
        );
    }
}

/** Writes the plan as one JSON document, action by action, without holding it in memory. */
class PlanFileWriter {
    private readonly stream: fs.WriteStream;
    private first = true;

    constructor(readonly path: string, header: Record<string, unknown>) {
        this.stream = fs.createWriteStream(path, { encoding: "utf8" });
        const head = JSON.stringify(header, null, 2);
        this.stream.write(`${head.slice(0, -2)},\n  "actions": [`);
    }

    async add(action: KeyPlan): Promise<void> {
        const line = `${this.first ? "" : ","}\n    ${JSON.stringify(action)}`;
        this.first = false;
        if (!this.stream.write(line)) {
            await once(this.stream, "drain");
        }
    }

    async close(summary: unknown): Promise<void> {
        this.stream.end(`\n  ],\n  "summary": ${JSON.stringify(summary)}\n}\n`);
        await once(this.stream, "finish");
    }

    destroy(): void {
        this.stream.destroy();
    }
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
    await checkHistoryReachesBack(listVersions(client, bucket, listOptions), options.to, bucket, prefix);

    progress.phase = "restoring";
    const copy = { count: 0, bytes: 0, firstKeys: [] as string[] };
    const deleteMarker = { count: 0, firstKeys: [] as string[] };
    const unknown = { count: 0, first: [] as Array<{ key: string; reason: string }> };
    let unchanged = 0;
    let verifiedByChecksum = 0;
    let absent = 0;
    let reserved = 0;
    const applied = { copies: 0, deleteMarkers: 0, bytesCopied: 0 };
    const failures = { count: 0, first: [] as RestoreFailure[] };

    const planFile = options.planFile
        ? new PlanFileWriter(options.planFile, { bucket, region: target.region, to: options.to.toISOString(), prefix, dryRun: options.dryRun === true })
        : undefined;

    const versions = listVersions(client, bucket, {
        ...listOptions,
        onPage: (entries) => {
            progress.versionsListed += entries;
            report();
        },
    });

    /** Tallies each key's plan and passes on only the ones that need a write. */
    async function* actions(): AsyncGenerator<RestoreAction> {
        for await (const plan of planRestore(versions, { to: options.to })) {
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
    async function tally(action: RestoreAction): Promise<void> {
        if (action.action === "copy") {
            copy.count++;
            copy.bytes += action.size;
            if (copy.firstKeys.length < firstKeysLimit) copy.firstKeys.push(action.key);
        } else {
            deleteMarker.count++;
            if (deleteMarker.firstKeys.length < firstKeysLimit) deleteMarker.firstKeys.push(action.key);
        }
        await planFile?.add(action);
    }

    const applyOptions: ApplyOptions = { ...options.apply, ...(options.signal ? { signal: options.signal } : {}) };
    try {
        await forEachBounded(actions(), options.concurrency ?? 32, async (action) => {
            options.signal?.throwIfAborted();
            try {
                // A copy from an earlier run whose ETag is not a content hash: two reads instead of a needless write.
                if (action.action === "copy" && (await sameContentByChecksum(client, bucket, action, options.signal))) {
                    unchanged++;
                    verifiedByChecksum++;
                    progress.actionsPlanned--;
                    report();
                    return;
                }
                await tally(action);
                if (!options.dryRun) {
                    await applyAction(client, bucket, action, applyOptions);
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
        });
    } catch (error) {
        planFile?.destroy();
        throw error;
    }

    const result: RestoreResult = {
        bucket,
        region: target.region,
        to: options.to.toISOString(),
        prefix,
        dryRun: options.dryRun === true,
        versionsListed: progress.versionsListed,
        keys: progress.keysPlanned,
        plan: { copy, deleteMarker, unchanged, verifiedByChecksum, absent, reserved, unknown },
        applied,
        failures,
        ...(planFile ? { planFile: planFile.path } : {}),
    };
    if (planFile) {
        const { planFile: _path, ...summary } = result;
        await planFile.close(summary);
    }
    report();
    return result;
}
