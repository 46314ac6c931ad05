/**
 * The failure path every command shares (infra/cli.ts): with --json, stdout holds exactly one JSON document whatever
 * happens, an `error` object {message, code, exitCode} when the command stopped without a result; credentials
 * problems are environment problems (exit 2); the program loads only the command it runs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { buildProgram, invokedCommand, wantsJson } from "../../infra/cli";
import { classifyFailure, EnvironmentError, UsageError } from "../../infra/output";
import { emulatorCredentials, emulatorPair } from "../emulator/moto";
import { CliRun, runCli } from "../support/cliRun";
import { createBucket, emulatorS3 } from "../support/versionedBucket";

const bin = path.resolve(__dirname, "..", "..", "bin", "lustre-dr.js");

interface ErrorDocument {
    error: { message: string; code: string; exitCode: number };
}

/** The one JSON document on stdout; fails the test when stdout holds anything else. */
function onlyDocument(run: CliRun): unknown {
    expect(run.stdout.trim(), `stdout of a --json run (stderr: ${run.stderr})`).to.match(/^\{[\s\S]*\}$/);
    return JSON.parse(run.stdout);
}

function expectError(run: CliRun, code: string, exitCode: number, message: RegExp): void {
    expect(run.exitCode, run.stderr).to.equal(exitCode);
    const document = onlyDocument(run) as ErrorDocument;
    expect(Object.keys(document)).to.deep.equal(["error"]);
    expect(document.error).to.include({ code, exitCode });
    expect(document.error.message).to.match(message);
    // The message still goes to stderr for the person watching.
    expect(run.stderr).to.include(document.error.message.split("\n")[0]);
}

describe("infra/cli", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-cli-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    const noPulumi = path.join(scratch, "empty-bin");
    const brokenPulumi = path.join(scratch, "broken-pulumi-bin");
    fs.mkdirSync(noPulumi);
    fs.mkdirSync(brokenPulumi);
    // A Pulumi CLI whose every state operation fails: the operation ran and failed (exit 1), not a missing prerequisite.
    fs.writeFileSync(
        path.join(brokenPulumi, "pulumi"),
        '#!/bin/sh\nif [ "$1" = "version" ]; then echo "v3.248.0"; exit 0; fi\necho "error: failed to load checkpoint: the backend refused the request" >&2\nexit 255\n',
        { mode: 0o755 },
    );
    /** An environment with no AWS credentials anywhere (and no instance metadata lookups: nothing leaves the machine). */
    const noCredentials = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
        PATH: noPulumi,
        HOME: scratch,
        AWS_CONFIG_FILE: path.join(scratch, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, "no-credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        PULUMI_BACKEND_URL: `file://${path.join(scratch, "state")}`,
        ...extra,
    });

    describe("usage errors, for every command", () => {
        it("an unknown flag: one error document with code usage and exit code 2", async () => {
            const names = (await buildProgram()).commands.map((command) => command.name());
            expect(names).to.include.members(["plan", "cost", "deploy", "preview", "freeze", "recover", "failback", "destroy", "sync-existing", "status", "compare", "drill", "restore"]);
            // What each command requires, so that the unknown flag is the only problem.
            const required: Record<string, string[]> = { "sync-existing": ["--from", "primary", "--to", "dr"], restore: ["--to", "2026-01-01T00:00:00Z"] };
            for (const name of names) {
                const json = name === "plan" ? ["--format", "json"] : ["--json"];
                const run = await runCli([name, ...(required[name] ?? []), ...json, "--no-such-flag"], { env: noCredentials() });
                expectError(run, "usage", 2, /^unknown option '--no-such-flag'/);
            }
        });

        it("a bad flag value, refused by the command itself", async () => {
            const cases: Array<[string[], RegExp]> = [
                [["deploy", "--primary", "a b"], /^--primary is "a b": expected a stack name/],
                [["preview", "--dr", "x/y/z/w"], /^--dr is "x\/y\/z\/w"/],
                [["freeze", "--dr", "no way"], /^--dr is "no way"/],
                [["recover", "--restore-to", "2026-02-30T00:00:00Z"], /^--restore-to is "2026-02-30T00:00:00Z": February 2026 has 28 days/],
                [["failback", "--since", "2026-01-31T12:00:00"], /^--since is "2026-01-31T12:00:00": the time zone is missing/],
                [["destroy", "--only", "both"], /argument 'both' is invalid/],
                [["sync-existing", "--from", "dr", "--to", "dr"], /^--from and --to are both dr/],
                [["status", "--latency-threshold", "15m"], /^--latency-threshold is "15m"/],
                [["drill", "--canaries", "many"], /--canaries/],
                [["restore", "--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00.123456789"], /^--to is .*the time zone is missing/],
                [["cost", "--data-gib", "-3"], /--data-gib/],
            ];
            for (const [args, message] of cases) {
                const run = await runCli([...args, "--json"], { env: noCredentials() });
                expectError(run, "usage", 2, message);
            }
        });

        it("an unknown command, with --json, is a usage error document too", async () => {
            expectError(await runCli(["recovr", "--json"], { env: noCredentials() }), "usage", 2, /unknown command 'recovr'/);
        });
    });

    describe("environment errors", () => {
        it("no Pulumi CLI: every stack command prints code environment, exit 2", async () => {
            for (const args of [["deploy"], ["preview"], ["freeze"], ["recover"], ["failback"], ["destroy"], ["sync-existing", "--from", "primary", "--to", "dr"]]) {
                const run = await runCli([...args, "--json"], { env: noCredentials() });
                expectError(run, "environment", 2, /the Pulumi CLI \(`pulumi`\) is not on PATH/);
            }
        });

        it("no passphrase for the local backend: environment, exit 2", async () => {
            const env = noCredentials();
            delete env.PULUMI_BACKEND_URL;
            expectError(await runCli(["deploy", "--json"], { env }), "environment", 2, /^PULUMI_CONFIG_PASSPHRASE is not set/);
        });

        it("no AWS credentials: restore and cost --refresh-prices are environment problems, exit 2", async () => {
            const { dr } = await emulatorPair();
            const restore = await runCli(["restore", "--bucket", "b-b-b", "--region", "us-east-1", "--endpoint", dr.endpoint, "--to", "2026-01-01T00:00:00Z", "--json"], {
                env: noCredentials(),
            });
            expectError(restore, "environment", 2, /Could not load credentials from any providers/);
            const missingProfile = await runCli(
                ["restore", "--bucket", "b-b-b", "--region", "us-east-1", "--endpoint", dr.endpoint, "--profile", "nobody", "--to", "2026-01-01T00:00:00Z", "--json"],
                { env: noCredentials() },
            );
            expectError(missingProfile, "environment", 2, /credentials/);
            const cost = await runCli(["cost", "--refresh-prices", "--json"], { env: noCredentials() });
            expectError(cost, "environment", 2, /--refresh-prices needs AWS credentials/);
        });

        it("classifies AWS SDK credential errors, also wrapped as a cause, and nothing else, as environment problems", () => {
            const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
            for (const error of [
                sdkError("CredentialsProviderError", "Could not load credentials from any providers"),
                sdkError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
                sdkError("SignatureDoesNotMatch", "The request signature we calculated does not match"),
                sdkError("ExpiredToken", "The provided token has expired."),
                sdkError("InvalidClientTokenId", "The security token included in the request is invalid."),
                new Error("the update failed", { cause: sdkError("ExpiredTokenException", "expired") }),
                new Error("error: configuring AWS provider: no valid credential sources for Terraform AWS Provider found"),
                new EnvironmentError("no passphrase"),
            ]) {
                expect(classifyFailure(error), error.message).to.deep.equal({ code: "environment", exitCode: 2 });
            }
            expect(classifyFailure(sdkError("AccessDenied", "Access Denied"))).to.deep.equal({ code: "failed", exitCode: 1 });
            expect(classifyFailure(sdkError("NoSuchBucket", "The specified bucket does not exist"))).to.deep.equal({ code: "failed", exitCode: 1 });
            expect(classifyFailure(new UsageError("--to is bad"))).to.deep.equal({ code: "usage", exitCode: 2 });
            expect(classifyFailure("a string")).to.deep.equal({ code: "failed", exitCode: 1 });
        });
    });

    describe("operation failures", () => {
        it("a Pulumi CLI that fails: every stack command prints code failed, exit 1", async () => {
            for (const args of [["deploy"], ["preview"], ["freeze"], ["recover"], ["failback"], ["destroy", "--confirm", "primary,dr"], ["sync-existing", "--from", "primary", "--to", "dr"]]) {
                const run = await runCli([...args, "--json"], { env: noCredentials({ PATH: brokenPulumi }) });
                expectError(run, "failed", 1, /^(the Pulumi CLI failed: .*\n)?.*the backend refused the request/);
                const { message } = (JSON.parse(run.stdout) as ErrorDocument).error;
                expect(message, args[0]).not.to.match(/code: -?\d+|stdout:|err\?:/);
            }
        });

        it("restore of a bucket that does not exist: code failed, exit 1, and only that document", async () => {
            const { dr } = await emulatorPair();
            const run = await runCli(["restore", "--bucket", "no-such-bucket-here", "--region", "us-east-1", "--endpoint", dr.endpoint, "--to", "2026-01-01T00:00:00Z", "--json"], {
                env: noCredentials({ AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey }),
            });
            expectError(run, "failed", 1, /bucket does not exist/i);
        });

        it("restore refused (a bucket without versioning): code usage, exit 2, nothing written", async () => {
            const { dr } = await emulatorPair();
            const client: S3Client = emulatorS3(dr.endpoint);
            const bucket = await createBucket(client, "none");
            client.destroy();
            const run = await runCli(["restore", "--bucket", bucket, "--region", "us-east-1", "--endpoint", dr.endpoint, "--to", "2026-01-01T00:00:00Z", "--json"], {
                env: noCredentials({ AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey }),
            });
            expectError(run, "usage", 2, /versioning never enabled/);
        });

        it("a command that prints its result and then exits non-zero prints no second document", async () => {
            const { dr } = await emulatorPair();
            // status with the primary unreachable: the report is the document, the verdict is the exit code.
            const run = await runCli(
                ["status", "--json", "--primary-bucket", "gone", "--primary-region", "us-east-1", "--primary-endpoint", "http://127.0.0.1:9", "--dr-bucket", "absent", "--dr-region", "us-west-2", "--dr-endpoint", dr.endpoint],
                { env: noCredentials({ AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey }) },
            );
            expect(run.exitCode).to.equal(2);
            const report = onlyDocument(run) as { verdict?: string; error?: unknown };
            expect(report.error).to.equal(undefined);
            expect(report.verdict).to.equal("broken");
        });
    });

    describe("the program", () => {
        it("--version prints package.json's version", async () => {
            const run = await runCli(["--version"]);
            const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
            expect(run.exitCode).to.equal(0);
            expect(run.stdout.trim()).to.equal(manifest.version);
        });

        /** Runs the installed binary in a fresh process with `args`; returns its output and how many heavy modules it loaded. */
        function probe(args: string[]): { status: number | null; stdout: string; heavy: number } {
            const script = path.join(scratch, "probe.js");
            fs.writeFileSync(
                script,
                `process.argv = [process.execPath, ${JSON.stringify(bin)}, ...${JSON.stringify(args)}];
                 process.on("exit", () => {
                     const heavy = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](@aws-sdk|@pulumi|zod)[\\\\/]/.test(f));
                     process.stderr.write("HEAVY " + heavy.length + "\\n");
                 });
                 require(${JSON.stringify(bin)});`,
            );
            const run = spawnSync(process.execPath, [script], { env: { PATH: noPulumi }, encoding: "utf8", timeout: 60_000 });
            return { status: run.status, stdout: run.stdout, heavy: Number(/^HEAVY (\d+)$/m.exec(run.stderr)?.[1]) };
        }

        it("--help lists every command without loading the AWS SDK, @pulumi/* or zod (the installed binary, a fresh process)", () => {
            const run = probe(["--help"]);
            expect(run.status).to.equal(0);
            for (const command of ["plan", "cost", "deploy", "preview", "freeze", "recover", "failback", "destroy", "sync-existing", "status", "compare", "drill", "restore"]) {
                expect(run.stdout).to.match(new RegExp(`^  ${command} \\[options\\] +\\S`, "m"));
            }
            expect(run.heavy).to.equal(0);
        });

        it("the stack commands' --help loads none of them either: the Automation API loads when the command runs", () => {
            for (const command of ["deploy", "preview", "freeze", "recover", "failback", "destroy"]) {
                const run = probe([command, "--help"]);
                expect(run.status, command).to.equal(0);
                expect(run.stdout, command).to.match(new RegExp(`^Usage: lustre-dr ${command} \\[options\\]`, "m"));
                expect(run.heavy, command).to.equal(0);
            }
        });

        it("`<command> --help` shows the command's own options", async () => {
            const run = await runCli(["recover", "--help"]);
            expect(run.exitCode).to.equal(0);
            expect(run.stdout).to.include("--restore-to <time>").and.include("--no-detach");
            const help = await runCli(["help", "freeze"]);
            expect(help.stdout).to.match(/^Usage: lustre-dr freeze \[options\]/m);
        });

        it("finds the invoked command and whether JSON was asked for", () => {
            expect(invokedCommand(["--verbose", "status", "--only", "dr"])).to.equal("status");
            expect(invokedCommand(["help", "restore"])).to.equal("restore");
            expect(invokedCommand(["--help"])).to.equal(undefined);
            expect(wantsJson(["status", "--json"])).to.equal(true);
            expect(wantsJson(["plan", "--format", "json"])).to.equal(true);
            expect(wantsJson(["plan", "--format=json"])).to.equal(true);
            expect(wantsJson(["restore", "--prefix", "x", "--", "--json"])).to.equal(false);
        });
    });
});
