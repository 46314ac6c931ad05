/**
 * What the benchmarks share: counting the S3 requests a client sends, sampling peak live heap, and starting the
 * generated bucket of bench/syntheticS3.ts in a process of its own (so its memory never counts as the measured code's).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { fork } from "child_process";
import * as path from "path";
import type { SyntheticBucketModel } from "./syntheticS3";

/** Counts every HTTP attempt by command; sits inside the SDK's retry middleware, so retries count too. */
export function countRequests(client: S3Client): Record<string, number> {
    const counts: Record<string, number> = {};
    client.middlewareStack.add(
        (next, context) => async (args) => {
            const name = (context.commandName ?? "unknown").replace(/Command$/, "");
            counts[name] = (counts[name] ?? 0) + 1;
            return next(args);
        },
        { step: "finalizeRequest", priority: "low", name: "benchRequestCounter" },
    );
    return counts;
}

export const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Samples heap (and RSS) until `stop()`. With --expose-gc it collects before each sample (every 250 ms), so the peak
 * is live data rather than garbage V8 has not collected yet: what shows whether memory grows with the number of keys.
 */
export function sampleMemory(): { stop(): { peakHeapMiB: number; peakRssMiB: number } } {
    global.gc?.();
    let peakRss = 0;
    let peakHeap = 0;
    const liveHeap = typeof global.gc === "function";
    const sample = () => {
        if (liveHeap) global.gc?.();
        const usage = process.memoryUsage();
        peakRss = Math.max(peakRss, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
    };
    const sampler = setInterval(sample, liveHeap ? 250 : 20);
    return {
        stop() {
            clearInterval(sampler);
            sample();
            return { peakHeapMiB: mib(peakHeap), peakRssMiB: mib(peakRss) };
        },
    };
}

/** Starts a generated bucket named `bucket` on 127.0.0.1 in a child process. */
export async function startSyntheticBucket(model: SyntheticBucketModel, bucket: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
    const child = fork(path.join(__dirname, "syntheticS3.ts"), [JSON.stringify(model), bucket], { execArgv: ["-r", "ts-node/register/transpile-only"] });
    const port = await new Promise<number>((resolve, reject) => {
        child.once("message", (message: { port: number }) => resolve(message.port));
        child.once("exit", (code) => reject(new Error(`synthetic S3 exited with ${code}`)));
    });
    return {
        endpoint: `http://127.0.0.1:${port}`,
        stop: async () => {
            child.kill();
        },
    };
}
