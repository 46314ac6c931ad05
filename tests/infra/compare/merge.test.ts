/**
 * The merge of the two listings, on its own: whatever keys the sides hold, in whatever page sizes, every key comes out
 * once, in S3's order, with each side's latest entry; a side that fails part-way fails the merge (a truncated
 * listing must never read as "identical").
 */
import { expect } from "chai";
import { KeyRange, latestEntries, MergedKey, mergeByKey, mergeRanges, rangesBetween, readAhead, withinRange } from "../../../infra/compare/merge";
import { compareKeys, VersionEntry, VersionStreamOrderError } from "../../../infra/restore/plan";

/** A small deterministic generator, so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}

// Characters whose UTF-16 and UTF-8 orders disagree (astral vs high BMP), plus ASCII, "/" and the reserved prefix.
const alphabet = ["a", "b", "/", "\u00E9", "\uFF61", "\uFFFD", "\u{1F600}", "\u{10437}", "\u{1D11E}"];

function randomKeys(next: () => number, count: number): string[] {
    const keys = new Set<string>();
    while (keys.size < count) {
        const length = 1 + Math.floor(next() * 4);
        const key = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
        keys.add(next() < 0.05 ? `.lustre-dr/${key}` : key);
    }
    return [...keys];
}

/** A side's listing: each key's versions newest first (the first latest), keys in S3's order. */
function listing(keys: readonly string[], next: () => number, side: string): VersionEntry[] {
    const entries: VersionEntry[] = [];
    for (const key of [...keys].sort(compareKeys)) {
        const versions = 1 + Math.floor(next() * 3);
        for (let v = 0; v < versions; v++) {
            const deleteMarker = v === 0 && next() < 0.2;
            entries.push({ key, versionId: `${side}-${key}-${v}`, isLatest: v === 0, lastModified: new Date(1_000_000 - v * 1000), deleteMarker, size: deleteMarker ? 0 : 10 + v });
        }
    }
    return entries;
}

async function* stream<T>(items: readonly T[], failAfter?: number): AsyncGenerator<T> {
    let given = 0;
    for (const item of items) {
        if (failAfter !== undefined && given === failAfter) {
            throw new Error("SlowDown: the listing failed part-way");
        }
        given++;
        // yield to the event loop now and then, as a network listing does
        if (given % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
        yield item;
    }
}

async function collect(merged: AsyncIterable<MergedKey>): Promise<MergedKey[]> {
    const out: MergedKey[] = [];
    for await (const item of merged) out.push(item);
    return out;
}

describe("infra/compare merge", () => {
    it("merges any two sides into every key once, in S3's order, with each side's latest entry (200 random cases)", async () => {
        for (let seed = 1; seed <= 200; seed++) {
            const next = random(seed);
            const shared = randomKeys(next, Math.floor(next() * 20));
            const onlyPrimary = randomKeys(next, Math.floor(next() * 6)).filter((key) => !shared.includes(key));
            const onlyDr = randomKeys(next, Math.floor(next() * 6)).filter((key) => !shared.includes(key) && !onlyPrimary.includes(key));
            const primary = listing([...shared, ...onlyPrimary], next, "p");
            const dr = listing([...shared, ...onlyDr], next, "d");
            const batch = 1 + Math.floor(next() * 4);
            const merged = await collect(mergeByKey(readAhead(latestEntries(stream(primary)), batch, 2), readAhead(latestEntries(stream(dr)), batch, 1)));

            const visible = (key: string) => !key.startsWith(".lustre-dr/");
            const expected = [...new Set([...shared, ...onlyPrimary, ...onlyDr])].filter(visible).sort(compareKeys);
            expect(merged.map((m) => m.key), `seed ${seed}`).to.deep.equal(expected);
            for (const item of merged) {
                const latest = (entries: VersionEntry[]) => entries.find((entry) => entry.key === item.key && entry.isLatest);
                expect(item.primary, `seed ${seed} ${item.key}`).to.deep.equal(latest(primary));
                expect(item.dr, `seed ${seed} ${item.key}`).to.deep.equal(latest(dr));
            }
        }
    });

    it("merges key ranges listed at once into the same keys, each once, wherever the splits fall (100 random cases)", async () => {
        for (let seed = 1; seed <= 100; seed++) {
            const next = random(seed);
            const keys = randomKeys(next, 5 + Math.floor(next() * 30));
            const primary = listing(keys.filter(() => next() < 0.9), next, "p");
            const dr = listing(keys.filter(() => next() < 0.9), next, "d");
            const splits = [...new Set(keys.filter(() => next() < 0.3))].sort(compareKeys);
            // S3's key-marker: the listing starts after `after`
            const sideIn = (entries: VersionEntry[], range: KeyRange) =>
                latestEntries(withinRange(stream(range.after === undefined ? entries : entries.filter((entry) => compareKeys(entry.key, range.after as string) > 0)), range));
            const ranged = await collect(mergeRanges(rangesBetween(splits), 1 + Math.floor(next() * 4), 1 + Math.floor(next() * 3), (range) => mergeByKey(sideIn(primary, range), sideIn(dr, range))));
            const whole = await collect(mergeByKey(latestEntries(stream(primary)), latestEntries(stream(dr))));
            expect([...ranged].sort((a, b) => compareKeys(a.key, b.key)), `seed ${seed}`).to.deep.equal(whole);
        }
    });

    it("fails the ranged merge as soon as one range fails", async () => {
        const ranges = rangesBetween(["b", "d"]);
        const ok = (range: KeyRange) => stream<MergedKey>([{ key: `${range.after ?? ""}x` }]);
        let error: unknown;
        try {
            await collect(mergeRanges(ranges, 3, 1, (range) => (range.upTo === "d" ? stream<MergedKey>([{ key: "c" }, { key: "c2" }], 1) : ok(range))));
        } catch (caught) {
            error = caught;
        }
        expect((error as Error).message).to.equal("SlowDown: the listing failed part-way");
    });

    it("fails when one side's listing fails part-way, after the keys before the failure", async () => {
        const next = random(7);
        const keys = randomKeys(next, 40);
        const primary = listing(keys, next, "p");
        const dr = listing(keys, next, "d");
        const seen: string[] = [];
        let error: unknown;
        try {
            for await (const item of mergeByKey(readAhead(latestEntries(stream(primary)), 3, 2), readAhead(latestEntries(stream(dr, 25)), 3, 2))) {
                seen.push(item.key);
            }
        } catch (caught) {
            error = caught;
        }
        expect((error as Error).message).to.equal("SlowDown: the listing failed part-way");
        expect(seen.length).to.be.lessThan(keys.length);
    });

    it("refuses a listing out of S3's order rather than pairing the wrong keys", async () => {
        const entry = (key: string): VersionEntry => ({ key, versionId: "v", isLatest: true, lastModified: new Date(0), deleteMarker: false, size: 1 });
        // JavaScript's order: the astral character first; S3 lists U+FF61 first
        let error: unknown;
        try {
            await collect(mergeByKey(latestEntries(stream([entry("\u{1F600}"), entry("\uFF61")])), latestEntries(stream([]))));
        } catch (caught) {
            error = caught;
        }
        expect(error).to.be.instanceOf(VersionStreamOrderError);
    });

    it("stops the read-ahead when the consumer stops early, and keeps at most its pages ahead", async () => {
        let produced = 0;
        async function* endless(): AsyncGenerator<number> {
            for (let i = 0; ; i++) {
                produced++;
                await new Promise((resolve) => setImmediate(resolve));
                yield i;
            }
        }
        const taken: number[] = [];
        for await (const value of readAhead(endless(), 10, 2)) {
            taken.push(value);
            if (taken.length === 5) {
                // let the producer run as far as it may
                for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
                break;
            }
        }
        // two full batches queued, the batch being filled, and the batch the consumer holds
        expect(produced).to.be.at.most(10 * 4 + 1);
        const after = produced;
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        expect(produced, "nothing produced after the consumer stopped").to.equal(after);
    });
});
