/**
 * Starts a Pulumi plugin (policy pack, component provider) the way the engine does: a child process that prints
 * the port of its gRPC server on its first line of stdout.
 */
import { ChildProcess, spawn } from "child_process";

export interface ServingPlugin {
    readonly process: ChildProcess;
    /** The port it serves on; rejects with its output when it exits before printing one. */
    readonly port: Promise<number>;
}

/** Runs `node <Pulumi runner> ...args` in `cwd`; `what` names the plugin in errors. */
export function startPlugin(runner: string, args: readonly string[], cwd: string, what: string): ServingPlugin {
    const child = spawn(process.execPath, [require.resolve(runner), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = new Promise<number>((resolve, reject) => {
        let stdout = "";
        child.stdout?.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const line = /^(\d+)\n/.exec(stdout);
            if (line) {
                resolve(Number(line[1]));
            }
        });
        child.on("exit", (code) => reject(new Error(`${what} exited with ${code} before serving:\n${stdout}${stderr}`)));
    });
    return { process: child, port };
}
