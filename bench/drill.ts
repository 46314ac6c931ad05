/**
 * The drill's own overhead against the emulator, for 1, 10 and 100 canaries per direction and two replication
 * delays: API calls per canary, lag measured against the copier's true lag, and polling requests per second per
 * canary. Not part of `npm test`.
 *
 *   npx ts-node --transpile-only bench/drill.ts           # print the results
 *   npx ts-node --transpile-only bench/drill.ts --write   # and put them with the machine into BENCHMARKS.md
 *
 * Targets (issue 5): lag within 0.5 s of the true delay; no more than 1 request/s/canary on average while polling.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { S3Client } from "@aws-sdk/client-s3";
import { DrillBucket } from "../infra/drill/buckets";
import { runDrill } from "../infra/drill/drill";
import { percentile } from "../infra/drill/result";
import { emulatorCredentials, emulatorPair, ensureMotoInstalled, stopEmulators } from "../tests/emulator/moto";
import { emulatedBucketPair, ReplicationCopier } from "../tests/emulator/replicationCopier";
import { writeBenchmarkSection } from "./benchmarksFile";

const canaryCounts = [1, 10, 100];
const delaysMs = [500, 3000];
const settleMs = 1000;

interface Row {
    canaries: number;
    delayMs: number;
    passed: boolean;
    wallSeconds: number;
    overheadSeconds: number;
    callsPerCanary: number;
    callsByCommand: Record<string, number>;
    trueLagMedianSeconds: number;
    measuredLagMedianSeconds: number;
    meanAbsErrorSeconds: number;
    maxAbsErrorSeconds: number;
    /** Distance from the estimate to the copier's write window (0 inside it). */
    meanWindowErrorSeconds: number;
    maxWindowErrorSeconds: number;
    meanWriteWindowSeconds: number;
    meanBracketSeconds: number;
    pollRateMean: number;
    pollRateMax: number;
}

/** A client of its own for the drill, counting every command it sends (retries are not counted twice). */
function countingClient(endpoint: string, region: string, counts: Map<string, number>): S3Client {
    const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: emulatorCredentials });
    client.middlewareStack.add(
        (next, context) => async (args) => {
            const name = String(context.commandName ?? "unknown").replace(/Command$/, "");
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return next(args);
        },
        { step: "initialize", name: "benchCountCalls" },
    );
    return client;
}

async function runCase(canaries: number, delayMs: number): Promise<Row> {
    ensureMotoInstalled((line) => console.error(line));
    const buckets = await emulatedBucketPair(await emulatorPair(), "bench");
    const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs });
    await copier.start();
    const counts = new Map<string, number>();
    const side = (role: "primary" | "dr"): DrillBucket => ({
        role,
        client: countingClient(buckets[role].endpoint, buckets[role].region, counts),
        bucket: buckets[role].bucket,
        region: buckets[role].region,
    });
    const started = Date.now();
    // the default ReplicationStatus reader (HeadObject), so the calls counted are the calls made against AWS
    const run = await runDrill({ primary: side("primary"), dr: side("dr"), canaries, objectiveSeconds: 120, loopSettleMs: settleMs, cleanupSettleMs: settleMs });
    const wallSeconds = (Date.now() - started) / 1000;
    await copier.stop();

    const records = copier.replications();
    const errors: number[] = [];
    const windowErrors: number[] = [];
    const windows: number[] = [];
    const brackets: number[] = [];
    const trueLags: number[] = [];
    const measured: number[] = [];
    for (const trace of run.canaries) {
        const record = records.find((r) => r.key === trace.key && r.from === trace.from && r.deleteMarker === (trace.kind === "s3-delete-marker"));
        if (!record || trace.lagMs === undefined) {
            continue;
        }
        const trueLag = record.replicatedAt - trace.writtenAt;
        trueLags.push(trueLag);
        measured.push(trace.lagMs);
        errors.push(Math.abs(trace.lagMs - trueLag));
        // the replica became visible somewhere inside the copier's destination write
        const estimate = trace.writtenAt + trace.lagMs;
        windowErrors.push(Math.max(0, record.writeStartedAt - estimate, estimate - record.replicatedAt));
        windows.push(record.replicatedAt - record.writeStartedAt);
        brackets.push(trace.seenAt! - Math.max(trace.writtenAt, trace.lastMissSentAt ?? trace.writtenAt));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const rates = run.polls.map((p) => p.requests / (p.durationMs / 1000) / p.canaries);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return {
        canaries,
        delayMs,
        passed: run.result.passed,
        wallSeconds,
        // two legs per direction wait for the copier; the loop check and cleanup wait their settle times
        overheadSeconds: wallSeconds - (2 * delayMs + 2 * settleMs) / 1000,
        callsPerCanary: total / (2 * canaries),
        callsByCommand: Object.fromEntries([...counts].map(([name, n]) => [name, n / (2 * canaries)])),
        trueLagMedianSeconds: percentile(sorted(trueLags), 50) / 1000,
        measuredLagMedianSeconds: percentile(sorted(measured), 50) / 1000,
        meanAbsErrorSeconds: errors.reduce((a, b) => a + b, 0) / errors.length / 1000,
        maxAbsErrorSeconds: Math.max(...errors) / 1000,
        meanWindowErrorSeconds: mean(windowErrors) / 1000,
        maxWindowErrorSeconds: Math.max(...windowErrors) / 1000,
        meanWriteWindowSeconds: mean(windows) / 1000,
        meanBracketSeconds: mean(brackets) / 1000,
        pollRateMean: rates.reduce((a, b) => a + b, 0) / rates.length,
        pollRateMax: Math.max(...rates),
    };
}

function machine(): string {
    const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
    const nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
    let moto = "unknown";
    try {
        moto = execFileSync(path.join(__dirname, "..", ".venv", "bin", "python"), ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" }).trim();
    } catch {
        // the emulator still ran; only its version is unknown
    }
    return `nproc ${nproc}, CPU ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, moto ${moto}, ${os.platform()} ${os.release()}`;
}

const f = (value: number, digits = 2) => value.toFixed(digits);

function markdown(rows: readonly Row[], when: string): string {
    const lines = [
        "## Drill overhead (`bench/drill.ts`)",
        "",
        `Run ${when} on: ${machine()}.`,
        "",
        `Both moto servers on 127.0.0.1; the replication copier scans every 50 ms and copies after the delay shown. Drill`,
        `with default polling (250 ms doubling to 1 s), objective 120 s, loop-check and cleanup settle ${settleMs / 1000} s each,`,
        `ReplicationStatus read with HeadObject (moto reports none). Run with \`npx ts-node --transpile-only bench/drill.ts --write\`.`,
        "",
        "| canaries/direction | copier delay | drill passed | wall | overhead | API calls/canary | true lag (median) | measured lag (median) | error vs write end, mean / max | error vs write window, mean / max | copier write window (mean) | poll bracket (mean) | poll req/s/canary mean / max |",
        "|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...rows.map(
            (r) =>
                `| ${r.canaries} | ${f(r.delayMs / 1000, 1)} s | ${r.passed ? "yes" : "no"} | ${f(r.wallSeconds, 1)} s | ${f(r.overheadSeconds, 1)} s | ${f(r.callsPerCanary, 1)} | ${f(r.trueLagMedianSeconds)} s | ${f(r.measuredLagMedianSeconds)} s | ${f(r.meanAbsErrorSeconds)} / ${f(r.maxAbsErrorSeconds)} s | ${f(r.meanWindowErrorSeconds)} / ${f(r.maxWindowErrorSeconds)} s | ${f(r.meanWriteWindowSeconds)} s | ${f(r.meanBracketSeconds)} s | ${f(r.pollRateMean)} / ${f(r.pollRateMax)} |`,
        ),
        "",
        "API calls per canary by command (canaries/direction, delay: calls):",
        "",
        ...rows.map(
            (r) =>
                `- ${r.canaries}, ${f(r.delayMs / 1000, 1)} s: ` +
                Object.entries(r.callsByCommand)
                    .sort()
                    .map(([name, n]) => `${name} ${f(n, 2)}`)
                    .join(", "),
        ),
        "",
    ];
    return lines.join("\n");
}

async function main(): Promise<void> {
    const rows: Row[] = [];
    try {
        for (const delayMs of delaysMs) {
            for (const canaries of canaryCounts) {
                process.stderr.write(`bench: ${canaries} canaries/direction, copier delay ${delayMs} ms\n`);
                rows.push(await runCase(canaries, delayMs));
            }
        }
    } finally {
        await stopEmulators();
    }
    const section = markdown(rows, new Date().toISOString().slice(0, 10));
    process.stdout.write(`${section}\n`);
    if (process.argv.includes("--write")) {
        writeBenchmarkSection("drill.ts", section);
    }
}

main().catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exitCode = 1;
});
