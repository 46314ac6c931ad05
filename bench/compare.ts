/**
 * Benchmark: `compareBuckets` on two generated buckets (bench/syntheticS3.ts, each in its own process on 127.0.0.1).
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/compare.ts <keys> [latencyMs=0] [scenario...] [list=N] [fanout=N]
 *
 * `list=N`: key ranges listed at once (compare's `listConcurrency`, the CLI's `--list-concurrency`), default 1.
 * `fanout=N`: the generated keys spread over N top-level directories (`data/d0000/...`), as a file system tree is
 * (the ranges are split at directories); default 0, one flat directory.
 *
 * Scenarios (default: the first three):
 * - `identical`: both sides generated from the same model, so every key's latest version id is the same on both, as S3
 *   replication leaves them: the listing alone decides.
 * - `differs`: the primary had every 100th key changed after the copy (one in five of those deleted, the others
 *   overwritten), the dr side none: 1% of keys need HEADs and tag reads.
 * - `tags`: identical, with `tags` (what `--tags` costs: two GetObjectTagging per key).
 * - `one-side`: only the primary's listing, reduced to latest entries as compare does, nothing compared: with added
 *   latency, a compare that takes about as long as this lists both sides at the same time (twice as long: one after
 *   the other).
 *
 * Each key has 2 versions (plus the change). `latencyMs` is added to every response, as S3's request latency: it
 * shows whether both sides list at the same time. Records requests per side by command, wall time, keys/s and peak
 * live heap of this process (sampled after a forced GC with --expose-gc). Results go to stdout as Markdown rows.
 */
import { S3Client } from "@aws-sdk/client-s3";
import * as os from "os";
import { CompareResult, compareBuckets, CompareSide } from "../infra/compare/compare";
import { latestEntries } from "../infra/compare/merge";
import { listVersions } from "../infra/restore/versions";
import { emulatorCredentials } from "../tests/emulator/moto";
import { countRequests, sampleMemory, startSyntheticBucket } from "./measure";
import { SyntheticBucketModel } from "./syntheticS3";

type Scenario = "identical" | "differs" | "tags" | "one-side";
const scenarios: readonly Scenario[] = ["identical", "differs", "tags", "one-side"];

const n = (value: number) => value.toLocaleString("en-US");

async function run(keys: number, latencyMs: number, scenario: Scenario, listConcurrency: number, fanout: number): Promise<string> {
    const start = Math.floor(Date.now() / 1000) - 86_400;
    // Key 0 is always "changed" by the generator (0 is a multiple of everything); both sides agree on it.
    const unchanged: SyntheticBucketModel = { keys, versions: 2, changeEvery: Number.MAX_SAFE_INTEGER, start, latencyMs, fanout };
    const primaryModel = scenario === "differs" ? { ...unchanged, changeEvery: 100 } : unchanged;
    const [primaryServer, drServer] = await Promise.all([startSyntheticBucket(primaryModel, "bench-primary"), startSyntheticBucket(unchanged, "bench-dr")]);
    try {
        const side = (role: "primary" | "dr", endpoint: string, bucket: string): CompareSide => ({
            side: role,
            client: new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: emulatorCredentials, maxAttempts: 3 }),
            bucket,
            region: "us-east-1",
        });
        const primary = side("primary", primaryServer.endpoint, "bench-primary");
        const dr = side("dr", drServer.endpoint, "bench-dr");
        const requests = { primary: countRequests(primary.client), dr: countRequests(dr.client) };
        const byCommand = (counts: Record<string, number>) =>
            Object.entries(counts)
                .map(([name, count]) => `${name} ${n(count)}`)
                .join(", ");
        const controller = new AbortController();
        if (scenario === "one-side") {
            const memory = sampleMemory();
            const started = process.hrtime.bigint();
            let listed = 0;
            for await (const entry of latestEntries(listVersions(primary.client, primary.bucket))) {
                if (entry.key) listed++;
            }
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const { peakHeapMiB } = memory.stop();
            return `| ${n(keys)} | one side listed only | ${latencyMs} ms | (${n(listed)} keys listed) | ${byCommand(requests.primary)} | none | ${seconds.toFixed(1)} s | ${n(Math.round(listed / seconds))} | ${peakHeapMiB} MiB |`;
        }
        const memory = sampleMemory();
        const started = process.hrtime.bigint();
        const result: CompareResult = await compareBuckets(primary, dr, { signal: controller.signal, tags: scenario === "tags", listConcurrency });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const { peakHeapMiB } = memory.stop();
        const expectedDiffering = scenario === "differs" ? Math.floor((keys - 1) / 100) : 0;
        const differing = result.differing.onlyDr + result.differing.changed + result.differing.onlyPrimary + result.differing.unknown;
        if (differing !== expectedDiffering || result.keysCompared < keys - 1) {
            throw new Error(`unexpected result: ${JSON.stringify({ ...result, first: result.first.slice(0, 2) })}`);
        }
        return (
            `| ${n(keys)}${fanout ? ` in ${fanout} dirs` : ""} | ${scenario}${listConcurrency > 1 ? `, ${listConcurrency} ranges at once` : ""} | ${latencyMs} ms | ${result.verdict} (${n(result.same)} same, ${n(result.differing.changed)} changed, ${n(result.differing.onlyDr)} only dr) | ` +
            `${byCommand(requests.primary)} | ${byCommand(requests.dr)} | ${seconds.toFixed(1)} s | ${n(Math.round(result.keysCompared / seconds))} | ${peakHeapMiB} MiB |`
        );
    } finally {
        await Promise.all([primaryServer.stop(), drServer.stop()]);
    }
}

async function main(): Promise<void> {
    const keys = Number(process.argv[2] ?? 100_000);
    const latencyMs = Number(process.argv[3] ?? 0);
    const words = process.argv.slice(4);
    const setting = (name: string) => Number(words.find((word) => word.startsWith(`${name}=`))?.slice(name.length + 1) ?? 0);
    const listConcurrency = Math.max(1, setting("list"));
    const fanout = setting("fanout");
    const named = words.filter((word) => !word.includes("="));
    const chosen = named.length > 0 ? (named as Scenario[]) : scenarios.filter((scenario) => scenario !== "one-side");
    const unknown = chosen.filter((scenario) => !scenarios.includes(scenario));
    if (unknown.length > 0) {
        throw new Error(`unknown scenario ${unknown.join(", ")}: expected ${scenarios.join(", ")}`);
    }
    const cpu = os.cpus()[0]?.model ?? "unknown";
    console.log(`Machine: ${os.cpus().length} CPUs (${cpu}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}; each generated bucket in its own process on 127.0.0.1.`);
    console.log("");
    console.log("| keys | scenario | added latency | verdict | primary requests | dr requests | wall | keys/s | peak live heap |");
    console.log("|---:|---|---:|---|---|---|---:|---:|---:|");
    for (const scenario of chosen) {
        console.log(await run(keys, latencyMs, scenario, listConcurrency, fanout));
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
