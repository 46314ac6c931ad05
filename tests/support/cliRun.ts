/**
 * Runs the `lustre-dr` CLI in-process, the way a user's shell would, and keeps what it printed and its exit code.
 * The process streams, exit code and (when given) environment are restored afterwards, even when the command throws.
 */
import { main } from "../../infra/cli";

export interface CliRun {
    readonly exitCode: number;
    readonly stdout: string;
    readonly stderr: string;
}

export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
    return captureCli(() => main(["node", "lustre-dr", ...args]), options);
}

/** Runs `body` (a CLI entry point, e.g. a program with an injected dependency) with the process output captured. */
export async function captureCli(body: () => Promise<unknown>, options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
    const saved = { env: process.env, exitCode: process.exitCode, out: process.stdout.write, err: process.stderr.write };
    const out: string[] = [];
    const err: string[] = [];
    if (options.env) {
        process.env = options.env;
    }
    process.exitCode = undefined;
    process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
        await body();
        return { exitCode: Number(process.exitCode ?? 0), stdout: out.join(""), stderr: err.join("") };
    } finally {
        process.env = saved.env;
        process.exitCode = saved.exitCode;
        process.stdout.write = saved.out;
        process.stderr.write = saved.err;
    }
}
