/**
 * `status --sample`: LIST requests per drawn key, and the sampling bias, on models of 10^8-key buckets.
 *
 *   npx ts-node --transpile-only bench/sample.ts [--write]   # --write puts the table into BENCHMARKS.md
 *
 * The buckets are computed key spaces behind an in-memory ListObjectsV2 (tests/infra/status/memoryLister.ts): no key
 * is stored, so 10^8 keys cost nothing, and the request counts are exactly what S3 would be asked (the same
 * prefix/delimiter/start-after semantics, in S3's UTF-8 order). Time is not measured: against S3 it is the request
 * count times S3's latency.
 */
import * as os from "os";
import { drawKey, maxListsPerDraw, seededRandom } from "../infra/status/sampleKeys";
import { KeySpace, memoryLister } from "../tests/infra/status/memoryLister";
import { writeBenchmarkSection } from "./benchmarksFile";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

interface Model {
    readonly name: string;
    readonly space: KeySpace;
    /** A part of the bucket whose share of draws is compared with its share of keys. */
    readonly part?: { readonly label: string; readonly keys: number; readonly test: (key: string) => boolean };
}

const models: Model[] = [
    {
        name: "tree: projects/p<100>/run<1,000>/file<1,000>",
        space: {
            count: 1e8,
            keyAt: (i) => `projects/p${pad(Math.floor(i / 1e6), 2)}/run${pad(Math.floor(i / 1000) % 1000, 3)}/file${pad(i % 1000, 4)}.dat`,
        },
    },
    {
        name: "1,000 directories of 100,000 keys: data/d<1,000>/<9 digits>",
        space: { count: 1e8, keyAt: (i) => `data/d${pad(Math.floor(i / 1e5), 4)}/${pad(i, 9)}` },
    },
    {
        name: "one flat directory: data/<9 digits>",
        space: { count: 1e8, keyAt: (i) => `data/${pad(i, 9)}` },
    },
    {
        name: "skewed: big/<9e7 keys, flat> + small/s<10,000>/f<1,000>",
        space: {
            count: 1e8,
            keyAt: (i) => (i < 9e7 ? `big/${pad(i, 8)}` : `small/s${pad(Math.floor((i - 9e7) / 1000), 4)}/f${pad((i - 9e7) % 1000, 3)}`),
        },
        part: { label: "big/", keys: 9e7, test: (key) => key.startsWith("big/") },
    },
    {
        name: "uneven flat directory: data/<000000000 .. 149999999>",
        space: { count: 1.5e8, keyAt: (i) => `data/${pad(i, 9)}` },
        part: { label: "data/0*", keys: 1e8, test: (key) => key.startsWith("data/0") },
    },
];

interface Row {
    readonly model: string;
    readonly keys: number;
    readonly draws: number;
    readonly mean: number;
    readonly median: number;
    readonly max: number;
    readonly part?: string;
}

async function measure(model: Model, draws: number): Promise<Row> {
    const lister = memoryLister(model.space, { record: false });
    const random = seededRandom(20261202);
    const counts: number[] = [];
    let inPart = 0;
    for (let i = 0; i < draws; i++) {
        const draw = await drawKey(lister.list, "", random);
        counts.push(draw.lists);
        if (draw.key && model.part?.test(draw.key)) inPart++;
    }
    counts.sort((a, b) => a - b);
    const share = (n: number) => `${((100 * n) / draws).toFixed(0)} %`;
    return {
        model: model.name,
        keys: model.space.count,
        draws,
        mean: counts.reduce((a, b) => a + b, 0) / draws,
        median: counts[Math.floor(draws / 2)],
        max: counts[counts.length - 1],
        ...(model.part
            ? { part: `${model.part.label}: ${share(inPart)} of draws, ${((100 * model.part.keys) / model.space.count).toFixed(0)} % of keys` }
            : {}),
    };
}

function machine(): string {
    return `nproc ${os.cpus().length}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

function markdown(rows: readonly Row[]): string {
    return [
        "## `status --sample`: LIST requests per drawn key (`bench/sample.ts`)",
        "",
        `Run ${new Date().toISOString().slice(0, 10)} on: ${machine()}.`,
        "",
        "Models of 10^8-key buckets (computed key spaces behind an in-memory ListObjectsV2 with S3's semantics: nothing",
        "stored, request counts exact). One side, whole bucket, 1,000 entries per page, the per-draw limit at",
        `${maxListsPerDraw} + 1. Comparing a drawn key adds 2 HEAD and 2 GetObjectTagging. Run with`,
        "`npx ts-node --transpile-only bench/sample.ts --write`.",
        "",
        "| bucket | keys | draws | LIST per draw, mean | median | max | share of draws vs share of keys |",
        "|---|---:|---:|---:|---:|---:|---|",
        ...rows.map(
            (r) =>
                `| ${r.model} | ${r.keys.toExponential(1).replace("e+", "e")} | ${r.draws} | ${r.mean.toFixed(1)} | ${r.median} | ${r.max} | ${r.part ?? ""} |`,
        ),
        "",
    ].join("\n");
}

async function main(): Promise<void> {
    const rows: Row[] = [];
    for (const model of models) {
        process.stderr.write(`bench: ${model.name}\n`);
        rows.push(await measure(model, 1000));
    }
    const section = markdown(rows);
    process.stdout.write(`${section}\n`);
    if (process.argv.includes("--write")) {
        writeBenchmarkSection("sample.ts", section);
    }
}

main().catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exitCode = 1;
});
