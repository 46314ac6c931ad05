import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { runCli } from "../../support/cliRun";

const bin = path.resolve(__dirname, "..", "..", "..", "bin", "lustre-dr.js");

/** Runs the CLI in-process with exactly the given environment. */
async function lustreDr(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
    const run = await runCli(args, { env });
    return { status: run.exitCode, stdout: run.stdout, stderr: run.stderr };
}

describe("lustre-dr stack commands (command line)", () => {
    // A PATH without pulumi, whatever the machine running the tests has installed.
    const noPulumi = fs.mkdtempSync(path.join(os.tmpdir(), "path-without-pulumi-"));
    after(() => fs.rmSync(noPulumi, { recursive: true, force: true }));

    it("the installed binary lists every stack command in --help and exits 0", () => {
        const run = spawnSync(process.execPath, [bin, "--help"], { env: { PATH: noPulumi }, encoding: "utf8", timeout: 30_000 });
        expect(run.status).to.equal(0);
        for (const command of ["deploy", "preview", "recover", "failback", "destroy"]) {
            expect(run.stdout).to.match(new RegExp(`^  ${command} \\[options\\]`, "m"));
        }
    });

    it("exits 2 naming the passphrase when the local backend has none", async () => {
        const run = await lustreDr(["deploy"], { PATH: noPulumi });
        expect(run.status).to.equal(2);
        expect(run.stderr).to.match(/^lustre-dr: PULUMI_CONFIG_PASSPHRASE is not set/);
        expect(run.stdout).to.equal("");
    });

    it("exits 2 saying how to install Pulumi when the CLI is missing", async () => {
        const run = await lustreDr(["preview", "--json"], { PATH: noPulumi, PULUMI_BACKEND_URL: "file:///nonexistent-state" });
        expect(run.status).to.equal(2);
        expect(run.stderr).to.match(/^lustre-dr: the Pulumi CLI \(`pulumi`\) is not on PATH: install it/);
    });

    it("exits 2 on a bad flag value before anything runs", async () => {
        const run = await lustreDr(["destroy", "--only", "both"], { PATH: noPulumi });
        expect(run.status).to.equal(2);
        expect(run.stderr).to.match(/--only <side>' argument 'both' is invalid/);
    });
});
