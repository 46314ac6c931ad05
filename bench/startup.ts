/**
 * Benchmark: how long `lustre-dr` takes to answer `--help`, `--version` and `<command> --help`, cold, in a fresh
 * process each time (the way an operator runs it), and which heavy modules each one loads.
 *
 *   node -r ts-node/register/transpile-only bench/startup.ts [--runs 7] [--root <checkout>]
 *
 * `--root` measures another checkout's bin/lustre-dr.js (e.g. a worktree of an older commit sharing node_modules),
 * for before/after figures. Each invocation runs `--runs` times; the table gives the median and the fastest wall
 * time (spawn to exit), and the number of modules loaded from @aws-sdk, @pulumi and zod (from require.cache at exit).
 * Results go to stdout as Markdown.
 */
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";

const invocations = [
    ["--help"],
    ["--version"],
    ["plan", "--help"],
    ["cost", "--help"],
    ["deploy", "--help"],
    ["recover", "--help"],
    ["status", "--help"],
    ["drill", "--help"],
    ["restore", "--help"],
    ["sync-existing", "--help"],
];

function option(name: string, fallback: string): string {
    const at = process.argv.indexOf(name);
    return at === -1 ? fallback : process.argv[at + 1];
}

const runs = Number(option("--runs", "7"));
const root = path.resolve(option("--root", path.join(__dirname, "..")));
const bin = path.join(root, "bin", "lustre-dr.js");

/** Runs bin with `args` in a fresh node and reports, on stderr at exit, how many heavy modules it loaded. */
const probe = `
const args = JSON.parse(process.env.STARTUP_ARGS);
process.argv = [process.execPath, ${JSON.stringify(bin)}, ...args];
process.on("exit", () => {
    const heavy = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](@aws-sdk|@pulumi|zod)[\\\\/]/.test(f));
    process.stderr.write("HEAVY " + heavy.length + "\\n");
});
require(${JSON.stringify(bin)});
`;

function once(args: string[]): { seconds: number; heavy: number; status: number | null } {
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ["-e", probe], { env: { ...process.env, STARTUP_ARGS: JSON.stringify(args) }, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { seconds, heavy: Number(/HEAVY (\d+)/.exec(run.stderr)?.[1] ?? NaN), status: run.status };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(
    `Run ${new Date().toISOString().slice(0, 10)} on: nproc ${os.cpus().length}, ${os.cpus()[0]?.model.trim()}, ` +
        `${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at start; ${runs} runs each; ${bin}\n`,
);
console.log("| invocation | median | fastest | @aws-sdk, @pulumi, zod modules loaded |");
console.log("|---|---:|---:|---:|");
for (const args of invocations) {
    const samples = Array.from({ length: runs }, () => once(args));
    if (samples[0].status !== 0) {
        // An older checkout without this invocation (e.g. no --version yet).
        console.log(`| \`lustre-dr ${args.join(" ")}\` | exit ${samples[0].status} | | ${samples[0].heavy} |`);
        continue;
    }
    const seconds = samples.map((s) => s.seconds);
    console.log(`| \`lustre-dr ${args.join(" ")}\` | ${median(seconds).toFixed(2)} s | ${Math.min(...seconds).toFixed(2)} s | ${samples[0].heavy} |`);
}
