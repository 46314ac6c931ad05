/**
 * Choosing the keys of `status --sample`: plain tests over an in-memory ListObjectsV2 (memoryLister.ts) with a
 * seeded random source, so every draw is reproducible.
 */
import { expect } from "chai";
import { UsageError } from "../../../infra/output";
import { isReservedKey } from "../../../infra/restore/plan";
import {
    drawKey,
    listBudget,
    maxListsPerDraw,
    maxSampleSize,
    branchesOf,
    parseSampleRequest,
    pickIndex,
    seededRandom,
    selectSample,
    sharedPrefix,
} from "../../../infra/status/sampleKeys";
import { keySpaceOf, memoryLister, KeySpace } from "./memoryLister";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** A tree like an FSx export: projects/p<i>/run<j>/file<k> (small directories), plus a directory object per run. */
function tree(projects: number, runs: number, files: number): string[] {
    const keys: string[] = [];
    for (let p = 0; p < projects; p++)
        for (let r = 0; r < runs; r++) {
            keys.push(`projects/p${p}/run${r}/`);
            for (let f = 0; f < files; f++) keys.push(`projects/p${p}/run${r}/file${f}.dat`);
        }
    return keys;
}

/** One flat directory of `count` numbered keys (more than a listing page). */
function flat(dir: string, count: number): KeySpace {
    return { count, keyAt: (i) => `${dir}sample-${pad(i, 6)}.bam` };
}

const drillKeys = [
    ".lustre-dr/drill-history.jsonl",
    ".lustre-dr/drill/20261125t092400z-3f9a1c/primary-to-dr/canary-0000",
    ".lustre-dr/batch-reports/job-1/report.csv",
    "projects/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr",
];

function usageMessage(run: () => unknown): string {
    try {
        run();
    } catch (error) {
        expect(error).to.be.instanceOf(UsageError);
        return (error as Error).message;
    }
    throw new Error("expected a UsageError");
}

describe("infra/status/sampleKeys: validating --sample and --sample-prefix", () => {
    it("takes a whole number of keys from 1 to the maximum, and a prefix", () => {
        expect(parseSampleRequest(undefined, undefined)).to.equal(undefined);
        expect(parseSampleRequest("200", undefined)).to.deep.equal({ size: 200, prefix: "" });
        expect(parseSampleRequest("1", "projects/")).to.deep.equal({ size: 1, prefix: "projects/" });
        expect(parseSampleRequest(String(maxSampleSize), "")).to.deep.equal({ size: maxSampleSize, prefix: "" });
    });

    for (const bad of ["0", "-5", "abc", "1.5", "1e3", "", String(maxSampleSize + 1), "99999999999999999999"]) {
        it(`refuses --sample ${JSON.stringify(bad)}, naming the flag, the value and what is valid`, () => {
            expect(usageMessage(() => parseSampleRequest(bad, undefined))).to.equal(
                `--sample is ${JSON.stringify(bad)}: expected a whole number of keys from 1 to ${maxSampleSize}, e.g. 200 (to compare every key, use lustre-dr compare)`,
            );
        });
    }

    it("refuses --sample-prefix without --sample instead of ignoring it", () => {
        expect(usageMessage(() => parseSampleRequest(undefined, "projects/"))).to.equal(
            '--sample-prefix is "projects/" but --sample is missing: give --sample <n> to sample keys under it',
        );
    });

    it("refuses the reserved prefix and the drill's canaries as a prefix", () => {
        expect(usageMessage(() => parseSampleRequest("10", ".lustre-dr/drill/"))).to.match(/^--sample-prefix is "\.lustre-dr\/drill\/": \.lustre-dr\/ is reserved/);
        expect(usageMessage(() => parseSampleRequest("10", "projects/.lustre-dr/drill/x"))).to.match(/reserved/);
        expect(usageMessage(() => parseSampleRequest("10", "a\u0001b"))).to.match(/control characters/);
    });
});

describe("infra/status/sampleKeys: pure parts", () => {
    it("knows lustre-dr's own keys: the reserved prefix and prefixed file-system canaries", () => {
        for (const key of [...drillKeys, "projects/.lustre-dr/", "projects/.lustre-dr/drill/"]) expect(isReservedKey(key), key).to.equal(true);
        for (const key of ["projects/p0/run0/file0.dat", ".lustre-drx", "x.lustre-dr/drill/y", "projects/lustre-dr/x"]) {
            expect(isReservedKey(key), key).to.equal(false);
        }
    });

    it("a seeded random source repeats itself and stays in [0, 1); pickIndex stays in range", () => {
        const a = seededRandom(42);
        const b = seededRandom(42);
        const xs = Array.from({ length: 1000 }, () => a());
        expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b()));
        expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
        expect(new Set(xs.map((x) => Math.floor(x * 10))).size).to.equal(10);
        expect(pickIndex(3, () => 0.9999999999)).to.equal(2);
        expect(pickIndex(3, () => 0)).to.equal(0);
    });

    it("shares prefixes by whole characters, never half a surrogate pair", () => {
        expect(sharedPrefix("data/abc", "data/abd")).to.equal("data/ab");
        expect(sharedPrefix("a😀x", "a😁x")).to.equal("a");
        expect(sharedPrefix("same", "same")).to.equal("same");
    });

    it("branches on the next characters known to exist, those the names use above the first page, and the node itself", () => {
        // First page of a directory larger than a page: names f00..f19 under "d/"; the node is also a key.
        const page = ["d/", ...Array.from({ length: 20 }, (_, i) => `d/f${pad(i, 2)}`)];
        expect(branchesOf("d/", page)).to.deep.equal({ known: ["f"], maybe: [], top: "f", self: true });
        const fPage = Array.from({ length: 20 }, (_, i) => `d/f${pad(i, 2)}`);
        // At "d/f" the page shows 0 and 1 as next characters: 2..9 (used by the names) may follow beyond the page.
        expect(branchesOf("d/f", fPage)).to.deep.equal({ known: ["0", "1"], maybe: ["2", "3", "4", "5", "6", "7", "8", "9"], top: "9", self: false });
        // A seek found "d/f7...": 7 is known now.
        expect(branchesOf("d/f", fPage, ["d/f70"]).known).to.deep.equal(["0", "1", "7"]);
    });

    it("drops a branch whose entries the page shows are all reserved, keeps the last one (it may continue)", () => {
        expect(branchesOf("", [".lustre-dr/", "a/", "b"]).known).to.deep.equal(["a", "b"]);
        expect(branchesOf("", [".lustre-dr/", "a/"]).known).to.deep.equal(["a"]);
        expect(branchesOf("", [".lustre-dr/"]).known).to.deep.equal(["."]);
        expect(branchesOf("x/", ["x/e2", "x/é1"]).known).to.deep.equal(["e", "é"]);
    });

    it("budgets the LIST requests of a selection", () => {
        expect(listBudget(1)).to.equal(2 + 3 * (maxListsPerDraw + 1));
        expect(listBudget(200)).to.equal(2 + 600 * (maxListsPerDraw + 1));
    });
});

describe("infra/status/sampleKeys: one draw", () => {
    it("descends small directories with one listing per level, to a key under the prefix", async () => {
        const lister = memoryLister(keySpaceOf([...tree(5, 4, 20), ...drillKeys]));
        const random = seededRandom(7);
        for (let i = 0; i < 50; i++) {
            lister.requests.length = 0;
            const draw = await drawKey(lister.list, "", random);
            expect(draw.key).to.match(/^projects\/p\d\/run\d\/(file\d+\.dat)?$/);
            // projects/, p<i>/, run<j>/, then the key: one page each.
            expect(draw.lists).to.equal(4);
            expect(lister.requests.every((r) => r.delimiter === "/" && r.startAfter === undefined)).to.equal(true);
        }
    });

    it("reaches keys all over a flat directory larger than a page, within the per-draw budget", async () => {
        const lister = memoryLister(flat("big/", 25_000));
        const random = seededRandom(11);
        const thousands = new Set<number>();
        let most = 0;
        for (let i = 0; i < 200; i++) {
            const draw = await drawKey(lister.list, "big/", random);
            expect(draw.key).to.match(/^big\/sample-\d{6}\.bam$/);
            thousands.add(Math.floor(Number(draw.key!.slice(11, 17)) / 1000));
            most = Math.max(most, draw.lists);
        }
        expect(most).to.be.at.most(maxListsPerDraw + 1);
        // 25 blocks of 1,000 keys: the draws are not stuck in the first page.
        expect(thousands.size).to.be.at.least(20);
    });

    it("returns no key for an empty or reserved-only prefix", async () => {
        const lister = memoryLister(keySpaceOf(drillKeys));
        expect((await drawKey(lister.list, "", seededRandom(1))).key).to.equal(undefined);
        expect((await drawKey(lister.list, "nothing/", seededRandom(1))).key).to.equal(undefined);
    });

    it("handles keys beyond the Basic Multilingual Plane and a node that is itself a key", async () => {
        const keys = Array.from({ length: 1500 }, (_, i) => `u/${i % 2 ? "😀" : "é"}${pad(i, 4)}`);
        const lister = memoryLister(keySpaceOf(["u/", ...keys]));
        const seen = new Set<string>();
        const random = seededRandom(3);
        for (let i = 0; i < 60; i++) seen.add((await drawKey(lister.list, "u/", random)).key!);
        expect([...seen].some((k) => k.startsWith("u/😀"))).to.equal(true);
        expect([...seen].some((k) => k.startsWith("u/é"))).to.equal(true);
        expect([...seen].every((k) => k === "u/" || keys.includes(k))).to.equal(true);
    });
});

describe("infra/status/sampleKeys: draws over random buckets with small pages", () => {
    // Random key sets over an alphabet with the delimiter, multi-byte and astral characters and the reserved
    // directory, listed in pages of 3 to 7 entries: every branch of the descent (narrowing, seeks above and below the
    // page, "above the alphabet", settling) runs many times.
    const alphabet = ["a", "b", "z", "/", "0", "9", ".", "é", "😀", "-"];
    it("only ever draws keys that exist, never lustre-dr's own, within the per-draw budget", async function () {
        this.timeout(60_000);
        const make = seededRandom(1234);
        let draws = 0;
        let drawn = 0;
        for (let set = 0; set < 25; set++) {
            const keys = new Set<string>();
            const size = 50 + Math.floor(make() * 400);
            while (keys.size < size) {
                const length = 1 + Math.floor(make() * 8);
                let key = make() < 0.1 ? ".lustre-dr/" : make() < 0.1 ? "p/.lustre-dr/drill/" : "";
                for (let i = 0; i < length; i++) key += alphabet[pickIndex(alphabet.length, make)];
                keys.add(key);
            }
            const usable = [...keys].filter((k) => !isReservedKey(k));
            const lister = memoryLister(keySpaceOf([...keys]), { record: false });
            const pageSize = 3 + Math.floor(make() * 5);
            const random = seededRandom(set);
            for (let i = 0; i < 40; i++) {
                const draw = await drawKey(lister.list, "", random, pageSize);
                draws++;
                expect(draw.lists).to.be.at.most(maxListsPerDraw + 1);
                if (draw.key === undefined) continue;
                drawn++;
                expect(usable, `set ${set}`).to.include(draw.key);
            }
        }
        // A draw may end on a node holding only reserved keys; nearly all find a key.
        expect(drawn / draws).to.be.greaterThan(0.9);
    });
});

describe("infra/status/sampleKeys: selecting from both sides", () => {
    const primaryKeys = [...tree(6, 5, 40), ...drillKeys];
    const onlyDr = Array.from({ length: 300 }, (_, i) => `restored/r${pad(i, 3)}`);
    const drKeys = [...tree(6, 5, 40), ...onlyDr, ...drillKeys];

    function sides() {
        return { primary: memoryLister(keySpaceOf(primaryKeys)), dr: memoryLister(keySpaceOf(drKeys)) };
    }

    it("is reproducible: the same seed gives the same keys whatever the concurrency; another seed others", async () => {
        const run = async (seed: number, concurrency: number) => {
            const s = sides();
            return selectSample({ primary: s.primary.list, dr: s.dr.list }, { size: 60, prefix: "" }, { random: seededRandom(seed), concurrency });
        };
        const a = await run(5, 8);
        const b = await run(5, 1);
        const c = await run(6, 8);
        expect(a.keys).to.have.length(60);
        expect(b.keys).to.deep.equal(a.keys);
        expect(c.keys).to.not.deep.equal(a.keys);
    });

    it("draws from both sides, so keys that exist only on the dr side are found; never a reserved key; within budget", async () => {
        const s = sides();
        const selection = await selectSample({ primary: s.primary.list, dr: s.dr.list }, { size: 100, prefix: "" }, { random: seededRandom(9) });
        expect(selection.keys).to.have.length(100);
        expect(new Set(selection.keys.map((k) => k.key)).size).to.equal(100);
        expect(selection.keys.filter((k) => k.drawnFrom === "dr").length).to.be.at.least(30);
        expect(selection.keys.filter((k) => k.drawnFrom === "primary").length).to.be.at.least(30);
        expect(selection.keys.some((k) => onlyDr.includes(k.key))).to.equal(true);
        expect(selection.keys.some((k) => isReservedKey(k.key))).to.equal(false);
        expect(selection.exhaustive).to.equal(false);
        expect(selection.lists.primary).to.equal(s.primary.requests.length);
        expect(selection.lists.primary + selection.lists.dr).to.be.at.most(listBudget(100));
    });

    it("keeps to the prefix", async () => {
        const s = sides();
        const selection = await selectSample({ primary: s.primary.list, dr: s.dr.list }, { size: 30, prefix: "projects/p3/" }, { random: seededRandom(2) });
        expect(selection.keys).to.have.length(30);
        expect(selection.keys.every((k) => k.key.startsWith("projects/p3/"))).to.equal(true);
        expect([...s.primary.requests, ...s.dr.requests].every((r) => r.prefix.startsWith("projects/p3/"))).to.equal(true);
    });

    it("takes every key of a small bucket when N exceeds them (one listing per side), reserved keys excepted", async () => {
        const primary = memoryLister(keySpaceOf(["a", "b", "c", ...drillKeys]));
        const dr = memoryLister(keySpaceOf(["a", "b", "d", ...drillKeys]));
        const selection = await selectSample({ primary: primary.list, dr: dr.list }, { size: 50, prefix: "" }, { random: seededRandom(1) });
        expect(selection.exhaustive).to.equal(true);
        expect(selection.keys.map((k) => k.key).sort()).to.deep.equal(["a", "b", "c", "d"]);
        expect(selection.keys.find((k) => k.key === "d")?.drawnFrom).to.equal("dr");
        expect(selection.lists).to.deep.equal({ primary: 1, dr: 1 });
    });

    it("samples a small bucket without replacement when N is smaller than its keys", async () => {
        const keys = Array.from({ length: 40 }, (_, i) => `k${pad(i, 2)}`);
        const primary = memoryLister(keySpaceOf(keys));
        const dr = memoryLister(keySpaceOf(keys));
        const selection = await selectSample({ primary: primary.list, dr: dr.list }, { size: 25, prefix: "" }, { random: seededRandom(4) });
        expect(selection.keys).to.have.length(25);
        expect(selection.exhaustive).to.equal(false);
        expect(selection.lists).to.deep.equal({ primary: 1, dr: 1 });
    });

    it("stops after its draw budget on a prefix with fewer keys than asked that spans more than a page", async function () {
        this.timeout(30_000);
        // 1,200 keys on each side (more than a page), 1,000 requested: draws land on keys already taken, and the
        // selection ends after drawsPerKey draws per key instead of looping.
        const space = flat("f/", 1200);
        const primary = memoryLister(space, { record: false });
        const dr = memoryLister(space, { record: false });
        const selection = await selectSample({ primary: primary.list, dr: dr.list }, { size: 1000, prefix: "f/" }, { random: seededRandom(8) });
        expect(selection.draws).to.be.at.most(3000);
        expect(selection.keys.length).to.be.at.most(1000);
        expect(selection.keys.length).to.be.at.least(500);
    });
});
