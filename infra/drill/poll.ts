/**
 * When to look again, and what a sighting says about when a replica arrived. Pure, so the trade-off between
 * request rate and precision is tested without a clock.
 */

export interface PollSchedule {
    /** First wait after the write, ms. @default 250 */
    readonly initialMs: number;
    /** Each wait is the previous one times this. @default 2 */
    readonly factor: number;
    /** Waits never grow beyond this, ms; it bounds the measurement error at half of it. @default 1000 */
    readonly maxMs: number;
}

export const defaultPollSchedule: PollSchedule = { initialMs: 250, factor: 2, maxMs: 1000 };

/** The wait before the next poll: the initial wait first, then capped exponential growth. */
export function nextPollDelay(previousMs: number | undefined, schedule: PollSchedule = defaultPollSchedule): number {
    if (previousMs === undefined) {
        return schedule.initialMs;
    }
    return Math.min(schedule.maxMs, Math.max(schedule.initialMs, previousMs * schedule.factor));
}

/**
 * Lag of one canary, in ms. The replica arrived after the last poll that missed it was sent (or after the write,
 * whichever is later) and before the poll that saw it returned; the estimate is the middle of that bracket, so its
 * error is at most half the bracket, itself at most one poll interval plus one request.
 */
export function lagEstimateMs(writtenAt: number, lastMissSentAt: number | undefined, seenAt: number): number {
    const notBefore = Math.max(writtenAt, lastMissSentAt ?? writtenAt);
    return Math.max(0, (notBefore + seenAt) / 2 - writtenAt);
}

/** How far `lagEstimateMs` may be from the true lag: half the bracket it is the middle of. */
export function lagUncertaintyMs(writtenAt: number, lastMissSentAt: number | undefined, seenAt: number): number {
    return Math.max(0, (seenAt - Math.max(writtenAt, lastMissSentAt ?? writtenAt)) / 2);
}

/** Resolves after `ms`, or rejects at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(signal.reason ?? new Error("aborted"));
            return;
        }
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal?.reason ?? new Error("aborted"));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}
