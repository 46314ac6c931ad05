/**
 * Chooses random keys of a bucket pair for `status --sample`, without listing either bucket in full (a bucket may
 * hold 10^8 keys; S3 can only list forwards from a point, and cannot say how many keys lie under a prefix).
 *
 * One draw is a random descent from the prefix, on one side's listing:
 * - list the current node with delimiter `/` (one page of up to 1,000 entries; a sub-directory is one entry);
 * - when that page is complete, pick one entry uniformly: a key ends the draw, a sub-directory is the next node;
 * - when the node holds more than a page (a large flat directory), branch on characters instead: narrow the node to
 *   the longest prefix all its entries share (binary search with `StartAfter` seeks), then pick the next character
 *   among those the page shows, those the names use that may follow beyond the page, and "anything above": one
 *   `StartAfter` seek lands on the first entry whose next character is the pick or greater.
 * Draws alternate between the two sides, so a key present on only one side (either one) can be drawn. A side whose
 * prefix fits in one page is listed once and drawn from without replacement. Every draw is bounded by
 * {@link maxListsPerDraw} LIST requests (then it takes a key of the node it reached from one flat page).
 *
 * The sample is not uniform over keys: at every node each branch is about equally likely, whatever its size, so keys
 * in small directories and sparse regions are drawn more often than keys in large ones (bench/sample.ts measures
 * it: a flat directory of 90 % of the keys beside many small ones gets about half the draws). In a large directory a
 * character that follows a gap in the names' alphabet also takes the gap's share. It finds drift spread over the
 * tree; drift confined to one large directory is found less often than its share of keys (sample that prefix).
 *
 * Decisions (`pickIndex`, `branchesOf`, `sharedPrefix`, `isReservedKey`, validation, budget) are plain functions;
 * the descent takes an injectable lister and random source, so tests are deterministic.
 */
import { UsageError } from "../output";
import { compareKeys, isReservedKey, reservedPrefix } from "../restore/plan";
import type { SideRole } from "../aws/sides";

/** The flag names, as the CLI spells them (messages name them). */
export const sampleFlag = "--sample";
export const samplePrefixFlag = "--sample-prefix";

/** More than this is a comparison, not a health check: `lustre-dr compare` reads every key. */
export const maxSampleSize = 1000;
/** Entries per listing page (S3's maximum). */
export const defaultPageSize = 1000;
/** `StartAfter` seeks one node may spend choosing its next character (a seek past every name rules candidates out). */
export const maxSeeksPerNode = 16;
/** LIST requests one draw may make before it settles for a key of the node it reached (one more request). */
export const maxListsPerDraw = 40;
/** Draw attempts per requested key: draws can land on a key already drawn, or on an empty or reserved node. */
export const drawsPerKey = 3;
/** Draws in flight at once (each is a sequence of LIST requests). */
export const drawConcurrency = 8;

/**
 * Greater, in S3's UTF-8 byte order, than every character: `p + aboveAll` sorts after every key that starts with
 * `p` (except keys continuing with U+10FFFF itself, which no sane name holds).
 */
export const aboveAll = "\u{10FFFF}";

export interface SampleRequest {
    /** How many distinct keys to compare. */
    readonly size: number;
    /** Only keys under this prefix; "" for the whole bucket. */
    readonly prefix: string;
}

/**
 * Validates `--sample` and `--sample-prefix` before any AWS call. `size` is the raw flag value (undefined: no
 * sample); a prefix without a size is a mistake worth stopping for, not a silent no-op.
 */
export function parseSampleRequest(size: string | undefined, prefix: string | undefined): SampleRequest | undefined {
    if (size === undefined) {
        if (prefix !== undefined) {
            throw new UsageError(`${samplePrefixFlag} is ${JSON.stringify(prefix)} but ${sampleFlag} is missing: give ${sampleFlag} <n> to sample keys under it`);
        }
        return undefined;
    }
    const n = /^[0-9]+$/.test(size.trim()) ? Number(size.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > maxSampleSize) {
        throw new UsageError(
            `${sampleFlag} is ${JSON.stringify(size)}: expected a whole number of keys from 1 to ${maxSampleSize}, e.g. 200 ` +
                `(to compare every key, use lustre-dr compare)`,
        );
    }
    const p = prefix ?? "";
    if (isReservedKey(p)) {
        throw new UsageError(`${samplePrefixFlag} is ${JSON.stringify(p)}: ${reservedPrefix} is reserved for lustre-dr's own objects and never sampled`);
    }
    if (Buffer.byteLength(p, "utf8") > 1024 || /[\u0000-\u001f]/.test(p)) {
        throw new UsageError(`${samplePrefixFlag} is ${JSON.stringify(p)}: expected a key prefix of at most 1024 bytes without control characters, e.g. projects/`);
    }
    return { size: n, prefix: p };
}


/** A random source: numbers in [0, 1), like Math.random. */
export type Random = () => number;

/** A small seeded generator (mulberry32): the same seed gives the same sample, which tests rely on. */
export function seededRandom(seed: number): Random {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A uniform index below `length` (> 0). */
export function pickIndex(length: number, random: Random): number {
    return Math.min(length - 1, Math.floor(random() * length));
}

/** The longest prefix of both strings, never ending inside a surrogate pair. */
export function sharedPrefix(a: string, b: string): string {
    let i = 0;
    while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
    if (i > 0 && i < a.length && isHighSurrogate(a.charCodeAt(i - 1))) i--;
    return a.slice(0, i);
}

function isHighSurrogate(code: number): boolean {
    return code >= 0xd800 && code <= 0xdbff;
}

/** `length`, or one less when `text.slice(0, length)` would end inside a surrogate pair. */
function wholeCharacters(text: string, length: number): number {
    return length > 0 && length < text.length && isHighSurrogate(text.charCodeAt(length - 1)) ? length - 1 : length;
}

/** The character (code point) of `entry` right after `node`, which it starts with; undefined when it is `node`. */
export function nextCharacter(node: string, entry: string): string | undefined {
    const code = entry.codePointAt(node.length);
    return code === undefined ? undefined : String.fromCodePoint(code);
}

/** What a node larger than a page can branch into, from what its listings showed (see {@link branchesOf}). */
export interface Branches {
    /** Next characters known to exist (seen on the first page or in a seek), sorted. */
    readonly known: readonly string[];
    /**
     * Characters the node's names use, above the last next character of the first page, not seen there: they may
     * exist (a seek finds out). Below it the first page is complete, so nothing unseen exists there.
     */
    readonly maybe: readonly string[];
    /** The greatest character of the alphabet: a seek above it finds next characters the names never showed. */
    readonly top?: string;
    /** The node is itself a key (not a reserved one). */
    readonly self: boolean;
}

/**
 * The branches of a node: `page` is its first page (sorted, more than a page under the node), `found` entries seen
 * by seeks. A known character whose entries are all reserved is dropped when the page shows all of its entries.
 */
export function branchesOf(node: string, page: readonly string[], found: readonly string[] = []): Branches {
    const usable = new Map<string, boolean>();
    let self = false;
    for (const entry of [...page, ...found]) {
        const c = nextCharacter(node, entry);
        if (c === undefined) {
            self = self || !isReservedKey(entry);
            continue;
        }
        usable.set(c, (usable.get(c) ?? false) || !isReservedKey(entry));
    }
    const pageLast = page.length > 0 ? nextCharacter(node, page[page.length - 1]) : undefined;
    const below = (c: string) => pageLast !== undefined && compareKeys(c, pageLast) < 0;
    const known = [...usable.keys()].sort(compareKeys).filter((c) => usable.get(c) || !below(c));
    const alphabet = new Set<string>();
    for (const entry of page) {
        for (const c of entry.slice(node.length)) alphabet.add(c);
    }
    const maybe = [...alphabet].filter((c) => !usable.has(c) && pageLast !== undefined && compareKeys(c, pageLast) > 0).sort(compareKeys);
    const top = [...alphabet, ...usable.keys()].sort(compareKeys).pop();
    return { known, maybe, ...(top !== undefined ? { top } : {}), self };
}

/** `node + before(c) + aboveAll` sorts just below every entry whose next character is `c` or greater. */
function before(c: string): string {
    const code = c.codePointAt(0) ?? 0;
    const previous = code - 1;
    if (previous < 0) return "";
    return String.fromCodePoint(previous >= 0xd800 && previous <= 0xdfff ? 0xd7ff : previous) + aboveAll;
}

export interface ListRequest {
    readonly prefix: string;
    readonly delimiter?: string;
    readonly startAfter?: string;
    readonly maxKeys: number;
}

/** One ListObjectsV2 page: keys and common prefixes, each in S3's order. */
export interface ListPage {
    readonly keys: readonly string[];
    readonly prefixes: readonly string[];
    readonly truncated: boolean;
}

/** ListObjectsV2 on one side's bucket. */
export type Lister = (request: ListRequest) => Promise<ListPage>;

/** Keys and common prefixes of a page as one sorted list (S3 returns them in two lists). */
export function pageEntries(page: ListPage): string[] {
    return [...page.keys, ...page.prefixes].sort(compareKeys);
}

/** One draw's outcome: the key (or none: an empty or reserved node) and the LIST requests it made. */
export interface Draw {
    readonly key?: string;
    readonly lists: number;
}

/**
 * One random descent (see the module comment). `list` is one side's bucket; `random` is this draw's own generator.
 */
export async function drawKey(list: Lister, prefix: string, random: Random, pageSize = defaultPageSize): Promise<Draw> {
    let lists = 0;
    const send = (request: ListRequest) => {
        lists++;
        return list(request);
    };
    const firstAfter = async (node: string, startAfter: string): Promise<string | undefined> =>
        pageEntries(await send({ prefix: node, delimiter: "/", startAfter, maxKeys: 1 }))[0];
    const settle = async (node: string): Promise<Draw> => {
        const keys = (await send({ prefix: node, maxKeys: pageSize })).keys.filter((k) => !isReservedKey(k));
        return keys.length === 0 ? { lists } : { key: keys[pickIndex(keys.length, random)], lists };
    };

    let node = prefix;
    for (;;) {
        if (lists >= maxListsPerDraw) return settle(node);
        const page = await send({ prefix: node, delimiter: "/", maxKeys: pageSize });
        const entries = pageEntries(page);
        if (!page.truncated) {
            const candidates = entries.filter((e) => !isReservedKey(e));
            if (candidates.length === 0) return { lists };
            const chosen = candidates[pickIndex(candidates.length, random)];
            // A common prefix (ends with the delimiter, and is not the node itself) is the next node; else a key.
            if (chosen !== node && chosen.endsWith("/") && page.prefixes.includes(chosen)) {
                node = chosen;
                continue;
            }
            return { key: chosen, lists };
        }

        // More than a page under the node. Narrow it to the longest prefix every entry under it shares: the page's
        // shared prefix is the most it can be; a length holds when nothing sorts after `prefix + aboveAll`, and an
        // entry found there bounds it. Binary search: the full length first (it usually holds), then halves.
        const found: string[] = [];
        const pageShared = entries.reduce((acc, e) => sharedPrefix(acc, e));
        let holds = node.length;
        let fails = pageShared.length + 1;
        for (let probe = pageShared.length; fails - holds > 1 && lists < maxListsPerDraw; probe = wholeCharacters(pageShared, (holds + fails) >> 1)) {
            if (probe <= holds) break;
            const beyond = await firstAfter(node, pageShared.slice(0, probe) + aboveAll);
            if (beyond === undefined) {
                holds = probe;
            } else {
                found.push(beyond);
                fails = Math.min(probe, sharedPrefix(pageShared, beyond).length + 1);
            }
        }
        node = pageShared.slice(0, holds);

        // Choose the next character by random seeks: pick among the characters known to exist, those the names use
        // that may exist, and "above the alphabet"; a seek for a candidate lands on the first entry whose next
        // character is that one or greater. A seek that finds nothing rules out every candidate from there up.
        const branches = branchesOf(node, entries, found);
        let maybe = [...branches.maybe];
        let aboveAlphabet = branches.top !== undefined;
        for (let seeks = 0; ; ) {
            type Branch = { readonly known: string } | { readonly maybe: string } | "above" | "self";
            const options: Branch[] = [
                ...branches.known.map((c) => ({ known: c })),
                ...maybe.map((c) => ({ maybe: c })),
                ...(aboveAlphabet ? ["above" as const] : []),
                ...(branches.self ? ["self" as const] : []),
            ];
            if (options.length === 0) return { lists };
            const branch = options[pickIndex(options.length, random)];
            if (branch === "self") return { key: node, lists };
            if (typeof branch === "object" && "known" in branch) {
                node += branch.known;
                break;
            }
            if (seeks >= maxSeeksPerNode || lists >= maxListsPerDraw) {
                // Out of seeks for this node: go on with what is known to exist.
                if (branches.known.length === 0) return settle(node);
                node += branches.known[pickIndex(branches.known.length, random)];
                break;
            }
            seeks++;
            const from = branch === "above" ? `${branches.top}${aboveAll}` : before(branch.maybe);
            const landed = await firstAfter(node, node + from);
            const next = landed === undefined ? undefined : nextCharacter(node, landed);
            if (next !== undefined) {
                node += next;
                break;
            }
            aboveAlphabet = false;
            if (branch !== "above") maybe = maybe.filter((c) => compareKeys(c, branch.maybe) < 0);
        }
    }
}

/** Where a sampled key was drawn from. */
export interface SampledKey {
    readonly key: string;
    readonly drawnFrom: SideRole;
}

export interface SampleSelection {
    /** Distinct keys in the order they were drawn. */
    readonly keys: readonly SampledKey[];
    /** True when both sides' keys under the prefix were few enough to list in one page each: the sample is all of them. */
    readonly exhaustive: boolean;
    /** Draws made (each on one side), and LIST requests per side. */
    readonly draws: number;
    readonly lists: Readonly<Record<SideRole, number>>;
}

export interface SelectOptions {
    readonly random: Random;
    /** Draws in flight. @default drawConcurrency */
    readonly concurrency?: number;
    /** Entries per listing page; smaller pages are for tests. @default defaultPageSize */
    readonly pageSize?: number;
    readonly onProgress?: (selected: number, draws: number) => void;
}

/**
 * The most LIST requests a selection of `size` keys may make: one census page per side, then at most
 * {@link drawsPerKey} draws per key of at most {@link maxListsPerDraw} + 1 requests each.
 */
export function listBudget(size: number): number {
    return 2 + size * drawsPerKey * (maxListsPerDraw + 1);
}

/**
 * Draws `request.size` distinct keys from the two sides, alternating, starting with a random side. Each draw gets
 * its own generator seeded from `random` in draw order and results are taken in draw order, so the sample depends
 * only on the seed and the buckets, not on which request answered first.
 */
export async function selectSample(lists: Readonly<Record<SideRole, Lister>>, request: SampleRequest, options: SelectOptions): Promise<SampleSelection> {
    const counts: Record<SideRole, number> = { primary: 0, dr: 0 };
    const listOn = (side: SideRole): Lister => (r) => {
        counts[side]++;
        return lists[side](r);
    };
    // A side whose prefix fits in one flat page is known in full: draw from it without replacement.
    const pageSize = options.pageSize ?? defaultPageSize;
    const census = async (side: SideRole): Promise<string[] | undefined> => {
        const page = await listOn(side)({ prefix: request.prefix, maxKeys: pageSize });
        return page.truncated ? undefined : page.keys.filter((k) => !isReservedKey(k));
    };
    const known: Record<SideRole, string[] | undefined> = { primary: undefined, dr: undefined };
    [known.primary, known.dr] = await Promise.all([census("primary"), census("dr")]);

    const chosen = new Map<string, SideRole>();
    const take = (key: string, side: SideRole) => {
        if (!chosen.has(key) && chosen.size < request.size) chosen.set(key, side);
    };
    const bothListed = known.primary !== undefined && known.dr !== undefined;
    if (bothListed && new Set([...known.primary!, ...known.dr!]).size <= request.size) {
        for (const side of ["primary", "dr"] as const) for (const key of known[side]!) take(key, side);
        return { keys: order(chosen), exhaustive: true, draws: 0, lists: counts };
    }

    const sides: SideRole[] = options.random() < 0.5 ? ["primary", "dr"] : ["dr", "primary"];
    const remaining: Record<SideRole, string[] | undefined> = { primary: known.primary && [...known.primary], dr: known.dr && [...known.dr] };
    const maxDraws = request.size * drawsPerKey;
    const concurrency = options.concurrency ?? drawConcurrency;
    let draws = 0;
    while (chosen.size < request.size && draws < maxDraws) {
        const batch: Promise<Draw & { side: SideRole }>[] = [];
        const want = Math.min(concurrency, request.size - chosen.size, maxDraws - draws);
        for (let i = 0; i < want; i++, draws++) {
            const side = sides[draws % 2];
            const seed = Math.floor(options.random() * 4294967296);
            const pool = remaining[side];
            if (pool !== undefined) {
                // Without replacement from the side's full list; an exhausted side yields nothing.
                const key = pool.length > 0 ? pool.splice(pickIndex(pool.length, seededRandom(seed)), 1)[0] : undefined;
                batch.push(Promise.resolve({ side, lists: 0, ...(key !== undefined ? { key } : {}) }));
            } else {
                batch.push(drawKey(listOn(side), request.prefix, seededRandom(seed), pageSize).then((d) => ({ ...d, side })));
            }
        }
        for (const draw of await Promise.all(batch)) {
            if (draw.key !== undefined) take(draw.key, draw.side);
        }
        options.onProgress?.(chosen.size, draws);
        if (remaining.primary?.length === 0 && remaining.dr?.length === 0) break;
    }
    return { keys: order(chosen), exhaustive: false, draws, lists: counts };
}

function order(chosen: Map<string, SideRole>): SampledKey[] {
    return [...chosen].map(([key, drawnFrom]) => ({ key, drawnFrom }));
}
