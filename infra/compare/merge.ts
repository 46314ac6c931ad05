/**
 * The two listings `compare` walks side by side, in constant memory: each side's `ListObjectVersions` stream reduced
 * to one entry per key (its latest), read ahead a few pages so that both sides list at the same time, and merged
 * by key in S3's order (UTF-8 bytes, plan.ts `compareKeys`). No side's listing is ever held: at most
 * `readAheadPages + 1` pages per side are in memory, whatever the bucket's size. With several key ranges listed at
 * once ({@link mergeRanges}), that holds per range.
 */
import { forEachBounded } from "../restore/apply";
import { BatchQueue } from "../restore/partitions";
import { compareKeys, isReservedKey, VersionEntry, VersionStreamOrderError } from "../restore/plan";

/**
 * The latest entry of each key, keys ascending. S3 lists a key's versions newest first, the latest one first, so the
 * first entry of each key is its latest; the rest of the key's history is skipped as it streams by. lustre-dr's own
 * keys (`isReservedKey`: drill canaries, batch reports) are dropped.
 */
export async function* latestEntries(entries: AsyncIterable<VersionEntry>): AsyncGenerator<VersionEntry> {
    let previous: string | undefined;
    for await (const entry of entries) {
        if (entry.key === previous) {
            continue;
        }
        if (previous !== undefined && compareKeys(entry.key, previous) < 0) {
            throw new VersionStreamOrderError(`version stream out of order: ${JSON.stringify(entry.key)} after ${JSON.stringify(previous)}`);
        }
        previous = entry.key;
        if (!entry.isLatest) {
            throw new VersionStreamOrderError(`the first entry listed for ${JSON.stringify(entry.key)} is not its latest`);
        }
        if (!isReservedKey(entry.key)) {
            yield entry;
        }
    }
}

/**
 * Pulls `source` in the background into a queue of at most `pages` batches of `batchSize`, so that the listing of one
 * side keeps going while the merge waits on the other. Stopping the consumer early stops the producer.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, batchSize: number, pages: number): AsyncGenerator<T> {
    const queue = new BatchQueue<T>(Math.max(1, pages));
    yield* drainWhileFilled(queue, fill(queue, source, batchSize));
}

/**
 * Pushes `source` into `queue` in batches of `batchSize`, waiting while the queue is full. Stops pulling once the
 * queue is closed: the consumer stopped, or another producer failed.
 */
async function fill<T>(queue: BatchQueue<T>, source: AsyncIterable<T>, batchSize: number): Promise<void> {
    let batch: T[] = [];
    for await (const item of source) {
        if (queue.isClosed) return;
        batch.push(item);
        if (batch.length >= batchSize) {
            await queue.push(batch);
            batch = [];
        }
    }
    if (batch.length > 0) await queue.push(batch);
}

/** Yields what the producers put into `queue` until they are done (or one fails); a consumer that stops stops them. */
async function* drainWhileFilled<T>(queue: BatchQueue<T>, producers: Promise<void>): AsyncGenerator<T> {
    const done = producers.then(
        () => queue.close(),
        (error: unknown) => queue.close({ error }),
    );
    try {
        yield* queue.drain();
    } finally {
        queue.close();
        await done;
    }
}

/** One key and each side's latest entry for it (`undefined`: not listed on that side). */
export interface MergedKey {
    readonly key: string;
    readonly primary?: VersionEntry;
    readonly dr?: VersionEntry;
}

/** Merges two streams of latest entries, each keys ascending, into one stream of keys ascending. */
export async function* mergeByKey(primary: AsyncIterable<VersionEntry>, dr: AsyncIterable<VersionEntry>): AsyncGenerator<MergedKey> {
    const a = primary[Symbol.asyncIterator]();
    const b = dr[Symbol.asyncIterator]();
    try {
        let [nextA, nextB] = await Promise.all([a.next(), b.next()]);
        while (!nextA.done || !nextB.done) {
            const order = nextA.done ? 1 : nextB.done ? -1 : compareKeys(nextA.value.key, nextB.value.key);
            if (order === 0 && !nextA.done && !nextB.done) {
                yield { key: nextA.value.key, primary: nextA.value, dr: nextB.value };
                [nextA, nextB] = await Promise.all([a.next(), b.next()]);
            } else if (order < 0 && !nextA.done) {
                yield { key: nextA.value.key, primary: nextA.value };
                nextA = await a.next();
            } else if (!nextB.done) {
                yield { key: nextB.value.key, dr: nextB.value };
                nextB = await b.next();
            }
        }
    } finally {
        await Promise.all([a.return?.(), b.return?.()]);
    }
}

/** A key range `(after, upTo]`; absent ends are open. */
export interface KeyRange {
    readonly after?: string;
    readonly upTo?: string;
}

/**
 * The entries of `entries` inside `range`: listing starts with `key-marker = after` (S3 lists the keys after it; moto
 * also returns the marker key's older versions, dropped here) and stops at the first key beyond `upTo`, which ends
 * (returns) the listing underneath.
 */
export async function* withinRange(entries: AsyncIterable<VersionEntry>, range: KeyRange): AsyncGenerator<VersionEntry> {
    for await (const entry of entries) {
        if (range.after !== undefined && compareKeys(entry.key, range.after) <= 0) {
            continue;
        }
        if (range.upTo !== undefined && compareKeys(entry.key, range.upTo) > 0) {
            return;
        }
        yield entry;
    }
}

/** Ranges `(undefined, s1], (s1, s2], ..., (sn, undefined)` from split points in S3's order. */
export function rangesBetween(splits: readonly string[]): KeyRange[] {
    const ranges: KeyRange[] = [];
    let after: string | undefined;
    for (const split of splits) {
        ranges.push({ ...(after !== undefined ? { after } : {}), upTo: split });
        after = split;
    }
    ranges.push(after !== undefined ? { after } : {});
    return ranges;
}

/**
 * Merges several key ranges at once: `mergeRange` gives one range's merged keys, `concurrency` ranges are listed at
 * the same time, and their keys come out in batches as they are ready (keys of one range in order, ranges
 * interleaved). At most `concurrency` batches wait; a full queue makes the ranges' listers wait, so memory stays
 * bounded by the ranges in flight, not by the bucket.
 */
export async function* mergeRanges(
    ranges: readonly KeyRange[],
    concurrency: number,
    batchSize: number,
    mergeRange: (range: KeyRange) => AsyncIterable<MergedKey>,
): AsyncGenerator<MergedKey> {
    const queue = new BatchQueue<MergedKey>(Math.max(1, concurrency));
    const listers = forEachBounded(ranges, concurrency, async (range) => {
        try {
            await fill(queue, mergeRange(range), batchSize);
        } catch (error) {
            // At once, not after the other ranges have listed to their ends.
            queue.close({ error });
            throw error;
        }
    });
    yield* drainWhileFilled(queue, listers);
}
