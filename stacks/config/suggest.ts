/** "Did you mean ...?": the candidate closest to a mistyped word, when one is close enough to be the intent. */

/** Edit distance (insertions, deletions, substitutions, and swaps of neighbours: `bukcet` is one edit from `bucket`). */
export function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.length][b.length];
}

/**
 * The candidate nearest to `word` (case and `-`/`_` ignored), or undefined when none is within a third of the
 * word's length (at least 2 edits): a suggestion that is far off misleads more than it helps.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
    const normal = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(normal(word), normal(candidate));
        if (best === undefined || distance < best.distance) {
            best = { candidate, distance };
        }
    }
    const limit = Math.max(2, Math.floor(word.length / 3));
    return best !== undefined && best.distance <= limit ? best.candidate : undefined;
}
