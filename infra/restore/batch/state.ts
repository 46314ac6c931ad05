/**
 * The record of a batch restore run, kept in the bucket at `.lustre-dr/restore/<run-id>/state.json` (not on the
 * operator's machine: a CI runner or a laptop may be gone when the restore is resumed).
 *
 * An attempt is recorded as `creating`, with each job's manifest ETag and idempotency token, *before* CreateJob is
 * sent, then each job id as soon as S3 returns it. A process killed in between leaves a `creating` attempt: the
 * next run re-sends the same CreateJob (same token, same manifest), which returns the job already created.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { runPrefix } from "./manifest";

export interface JobRecord {
    readonly storageClass: string;
    /** Manifest object key under the run prefix, and the ETag CreateJob was (or will be) given. */
    readonly manifestKey: string;
    readonly manifestETag: string;
    readonly copies: number;
    readonly token: string;
    jobId?: string;
    /** Last status seen; terminal ones are Complete, Failed, Cancelled. */
    status?: string;
}

export interface AttemptRecord {
    readonly attempt: number;
    readonly startedAt: string;
    /** `creating`: jobs are being created (some may lack an id); `running`: all created; `done`: all finished and read. */
    status: "creating" | "running" | "done";
    readonly jobs: JobRecord[];
}

export interface RunState {
    readonly version: 1;
    readonly runId: string;
    readonly bucket: string;
    readonly prefix: string;
    readonly to: string;
    readonly attempts: AttemptRecord[];
}

export function stateKey(runId: string): string {
    return `${runPrefix(runId)}state.json`;
}

export async function readRunState(client: S3Client, bucket: string, runId: string, signal?: AbortSignal): Promise<RunState | undefined> {
    try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey(runId) }), signal ? { abortSignal: signal } : {});
        const state = JSON.parse((await object.Body?.transformToString("utf8")) ?? "{}") as RunState;
        if (state.version !== 1 || state.runId !== runId || !Array.isArray(state.attempts)) {
            throw new Error(`s3://${bucket}/${stateKey(runId)} is not a lustre-dr restore state (version 1 of run ${runId})`);
        }
        return state;
    } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") {
            return undefined;
        }
        throw error;
    }
}

export async function writeRunState(client: S3Client, bucket: string, state: RunState): Promise<void> {
    await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: stateKey(state.runId), Body: `${JSON.stringify(state, null, 2)}\n`, ContentType: "application/json" }),
    );
}

/** The attempt a re-run must finish before planning again: the last one, unless it is done. */
export function unfinishedAttempt(state: RunState | undefined): AttemptRecord | undefined {
    const last = state?.attempts[state.attempts.length - 1];
    return last && last.status !== "done" ? last : undefined;
}
