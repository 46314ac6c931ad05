/**
 * The AWS API emulator for tests of infra/: moto server on 127.0.0.1, one process per side of the DR pair.
 *
 * Servers start lazily on the first `emulatorPair()` call, so unit tests that never touch AWS pay nothing,
 * and stop in the root `afterAll` hook (tests/hooks.ts). moto is installed into `.venv/` from
 * `tests/emulator/requirements.txt` when absent, by the suite's global setup before any test runs
 * (tests/globalSetup.ts); `.ci/run` does the same install up front.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

const projectRoot = path.resolve(__dirname, "..", "..");
const venv = path.join(projectRoot, ".venv");
const motoServerBin = path.join(venv, "bin", "moto_server");
const requirements = path.join(__dirname, "requirements.txt");

/** One running moto server. Every request from tests goes to `endpoint` on 127.0.0.1 and nowhere else. */
export interface MotoServer {
    readonly endpoint: string;
    readonly port: number;
    /** Drops every resource the server holds (moto's `/moto-api/reset`). */
    reset(): Promise<void>;
    stop(): Promise<void>;
}

/** The two sides of the DR pair, each with its own emulated account state. */
export interface EmulatorPair {
    readonly primary: MotoServer;
    readonly dr: MotoServer;
}

/** Credentials moto accepts; they never leave this machine. */
export const emulatorCredentials = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** The requirement line(s) of `tests/emulator/requirements.txt`, for messages. */
function pinnedRequirements(): string {
    return fs.readFileSync(requirements, "utf8").split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#")).join(", ");
}

/**
 * Installs moto into `.venv/` when it is not there yet, and returns what it installed (undefined when nothing).
 * Called once per test run by the suite's global setup (tests/globalSetup.ts), outside every test's timeout, and by
 * the benchmarks; `startMoto` never installs, so no test waits on a download.
 */
export function ensureMotoInstalled(report: (line: string) => void = () => undefined): string | undefined {
    if (fs.existsSync(motoServerBin)) {
        return undefined;
    }
    const what = `${pinnedRequirements()} into ${path.relative(process.cwd(), venv) || venv}/`;
    report(`Installing the AWS API emulator for the tests (first run only): ${what}`);
    if (!fs.existsSync(path.join(venv, "bin", "pip"))) {
        execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    }
    execFileSync(path.join(venv, "bin", "pip"), ["install", "--quiet", "-r", requirements], { stdio: "inherit" });
    if (!fs.existsSync(motoServerBin)) {
        throw new Error(`installed ${what} but ${motoServerBin} is missing`);
    }
    return what;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

async function waitUntilServing(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`moto_server exited with code ${child.exitCode} before serving ${endpoint}`);
        }
        try {
            const response = await fetch(`${endpoint}/moto-api/data.json`);
            if (response.ok) {
                return;
            }
        } catch {
            // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`moto_server did not serve ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(): Promise<MotoServer> {
    if (!fs.existsSync(motoServerBin)) {
        throw new Error(
            `${motoServerBin} is missing: the test suite's global setup (tests/globalSetup.ts, run by every mocha ` +
                `invocation through .mocharc.json) installs it; outside mocha, call ensureMotoInstalled() first`,
        );
    }
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(motoServerBin, ["-H", "127.0.0.1", "-p", String(port)], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
    });
    try {
        await waitUntilServing(endpoint, child, 30_000);
    } catch (error) {
        child.kill("SIGKILL");
        throw new Error(`${(error as Error).message}\n${stderr}`);
    }
    return {
        endpoint,
        port,
        async reset() {
            await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
        },
        stop() {
            return new Promise((resolve) => {
                if (child.exitCode !== null) {
                    resolve();
                    return;
                }
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
            });
        },
    };
}

let pair: Promise<EmulatorPair> | undefined;

/** Starts (once per test run) one moto server for each side and returns both. */
export function emulatorPair(): Promise<EmulatorPair> {
    if (!pair) {
        pair = Promise.all([startMoto(), startMoto()]).then(([primary, dr]) => ({ primary, dr }));
    }
    return pair;
}

/** Stops the servers started by `emulatorPair()`, if any. */
export async function stopEmulators(): Promise<void> {
    if (!pair) {
        return;
    }
    const running = await pair;
    pair = undefined;
    await Promise.all([running.primary.stop(), running.dr.stop()]);
}
