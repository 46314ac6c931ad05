/**
 * Puts a benchmark's section into BENCHMARKS.md between its markers (`<!-- bench/<name>:begin -->` and `:end`),
 * replacing what a previous run wrote there, or appends it when the markers are not there yet.
 */
import * as fs from "fs";
import * as path from "path";

export function writeBenchmarkSection(bench: string, section: string): void {
    const begin = `<!-- bench/${bench}:begin -->`;
    const end = `<!-- bench/${bench}:end -->`;
    const file = path.join(__dirname, "..", "BENCHMARKS.md");
    const block = `${begin}\n${section}${end}\n`;
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n\n";
    const from = current.indexOf(begin);
    const to = current.indexOf(end);
    const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length + 1) : `${current.trimEnd()}\n\n${block}`;
    fs.writeFileSync(file, next);
}
