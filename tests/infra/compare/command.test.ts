/**
 * `lustre-dr compare` as an operator runs it: flags, both sides named by bucket and endpoint (two moto servers on
 * 127.0.0.1), human output or one JSON document, progress on stderr, exit 0 / 1 / 2.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { compareProgressReporter, parseCompareArguments, runCompareCommand } from "../../../infra/compare/command";
import type { CompareResult } from "../../../infra/compare/compare";
import { classifyFailure, UsageError } from "../../../infra/output";
import type { SiteOutputs } from "../../../stacks/outputs";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { startRejectingEndpoint } from "../../emulator/rejectingEndpoint";
import { EmulatedBucketPair, emulatedBucketPair, ReplicationCopier } from "../../emulator/replicationCopier";
import { runCli } from "../../support/cliRun";
import { recordingOutput } from "../../support/recordingOutput";

const env = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
});

function sideFlags(buckets: EmulatedBucketPair): string[] {
    return [
        "--primary-bucket", buckets.primary.bucket, "--primary-region", buckets.primary.region, "--primary-endpoint", buckets.primary.endpoint,
        "--dr-bucket", buckets.dr.bucket, "--dr-region", buckets.dr.region, "--dr-endpoint", buckets.dr.endpoint,
    ];
}

describe("lustre-dr compare", function () {
    this.timeout(60_000);

    describe("flags", () => {
        it("checks every flag before anything is resolved, naming each bad one", () => {
            expect(() => parseCompareArguments({ concurrency: "0", first: "-1", prefix: ".lustre-dr/drill/" })).to.throw(
                UsageError,
                /--concurrency is "0": expected a whole number from 1 to 1000\n--first is "-1": expected a whole number from 1 to 10000\n--prefix is "\.lustre-dr\/drill\/"/,
            );
            expect(parseCompareArguments({ prefix: "home/", tags: true })).to.deep.equal({ prefix: "home/", concurrency: 32, listConcurrency: 16, firstDifferences: 10, tags: true, encryption: false });
            expect(() => parseCompareArguments({ listConcurrency: "65" })).to.throw(UsageError, /^--list-concurrency is "65": expected a whole number from 1 to 64$/);
        });

        it("reports progress at most once per interval, with each side's listing, the keys compared and how they stand", () => {
            const output = recordingOutput();
            let clock = 0;
            const report = compareProgressReporter(output, 5000, () => clock);
            const progress = { listed: { primary: 2000, dr: 1500 }, keysCompared: 1400, same: 1390, pending: 4, differing: 6 };
            report(progress);
            clock = 4999;
            report(progress);
            expect(output.progressLines).to.deep.equal([]);
            clock = 5000;
            report({ ...progress, keysCompared: 1_234_567 });
            expect(output.progressLines).to.deep.equal(["listed 2,000 primary and 1,500 dr entries; 1,234,567 keys compared: 1,390 same, 4 replicating, 6 differ"]);
        });

        it("exits 2 with one JSON error document on a bad flag, and on a side given without its region", async () => {
            const bad = await runCli(["compare", "--primary-bucket", "a-a-a", "--primary-region", "us-east-1", "--dr-bucket", "b-b-b", "--dr-region", "us-west-2", "--concurrency", "x", "--json"], { env: env() });
            expect(bad.exitCode).to.equal(2);
            expect(JSON.parse(bad.stdout)).to.deep.equal({ error: { message: `--concurrency is "x": expected a whole number from 1 to 1000`, code: "usage", exitCode: 2 } });
            const noRegion = await runCli(["compare", "--primary-bucket", "a-a-a", "--dr-bucket", "b-b-b", "--dr-region", "us-west-2"], { env: env() });
            expect(noRegion.exitCode).to.equal(2);
            expect(noRegion.stderr).to.match(/--primary-bucket is "a-a-a" but --primary-region is missing/);
        });

        it("refuses to compare a bucket with itself", async () => {
            const run = await runCli(["compare", "--primary-bucket", "same", "--primary-region", "us-east-1", "--dr-bucket", "same", "--dr-region", "us-east-1", "--json"], { env: env() });
            expect(run.exitCode).to.equal(2);
            expect(JSON.parse(run.stdout).error.message).to.match(/the primary and dr sides are the same bucket \(same\)/);
        });
    });

    describe("against the emulator", () => {
        let buckets: EmulatedBucketPair;
        const put = (role: "primary" | "dr", key: string, body: string, metadata: Record<string, string> = {}) =>
            buckets[role].client.send(new PutObjectCommand({ Bucket: buckets[role].bucket, Key: key, Body: body, Metadata: metadata }));

        beforeEach(async () => {
            buckets = await emulatedBucketPair(await emulatorPair(), "comparecli", { replication: false });
        });

        it("exits 0 with one JSON document when the buckets are identical", async () => {
            await put("primary", "a", "1");
            await put("dr", "a", "1");
            const run = await runCli(["compare", ...sideFlags(buckets), "--json"], { env: env() });
            expect(run.exitCode, run.stderr).to.equal(0);
            const result = JSON.parse(run.stdout) as CompareResult;
            expect(result).to.include({ verdict: "identical", keysCompared: 1, same: 1 });
            const ranged = await runCli(["compare", ...sideFlags(buckets), "--list-concurrency", "1", "--json"], { env: env() });
            expect(ranged.exitCode, ranged.stderr).to.equal(0);
            expect(JSON.parse(ranged.stdout)).to.include({ verdict: "identical", keysCompared: 1, same: 1 });
            expect(result.primary).to.deep.equal({ bucket: buckets.primary.bucket, region: "us-east-1" });
            // --json keeps stderr free of progress too
            expect(run.stderr).to.equal("");
        });

        it("exits 1 and prints the verdict, the table and the first differing keys when they differ; progress on stderr", async () => {
            await put("primary", "home/u/f", "same", { "file-permissions": "0100644" });
            await put("dr", "home/u/f", "same", { "file-permissions": "0100777" });
            await put("dr", "home/u/extra", "x");
            await put("primary", "elsewhere", "only under another prefix");
            const run = await runCli(["compare", ...sideFlags(buckets), "--prefix", "home/"], { env: env() });
            expect(run.exitCode, run.stderr).to.equal(1);
            const lines = run.stdout.split("\n");
            expect(lines[0]).to.equal("DIFFERS: 2 of 2 keys differ");
            expect(run.stdout).to.match(/only on the dr side\s+1\n/);
            expect(run.stdout).to.match(/on both, different\s+1\n/);
            expect(run.stdout).to.include(`"home/u/f": x-amz-meta-file-permissions: primary "0100644", dr "0100777"`);
            expect(run.stdout).to.include(`"home/u/extra": only on the dr side`);
            expect(run.stderr).to.include(`comparing s3://${buckets.primary.bucket}/home/ (us-east-1) with s3://${buckets.dr.bucket}/home/ (us-west-2)`);
        });

        it("exits 0 and says to re-run when only keys still replicating differ", async () => {
            const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 60_000 });
            await copier.start();
            try {
                await put("primary", "in-flight", "n");
                const output = recordingOutput<CompareResult>();
                const options = {
                    primaryBucket: buckets.primary.bucket, primaryRegion: buckets.primary.region, primaryEndpoint: buckets.primary.endpoint,
                    drBucket: buckets.dr.bucket, drRegion: buckets.dr.region, drEndpoint: buckets.dr.endpoint,
                };
                const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
                process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
                process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
                try {
                    // the copier marks the new version PENDING once its scan has seen it
                    let outcome = await runCompareCommand(options, output, { compare: { replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.side, key, versionId) } });
                    for (let i = 0; i < 50 && outcome.result.verdict !== "in-flight"; i++) {
                        await new Promise((resolve) => setTimeout(resolve, 50));
                        outcome = await runCompareCommand(options, output, { compare: { replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.side, key, versionId) } });
                    }
                    expect(outcome.exitCode).to.equal(0);
                    expect(outcome.result.verdict).to.equal("in-flight");
                    expect(output.text).to.match(/^IN FLIGHT: nothing differs but 1 keys still replicating \(ReplicationStatus PENDING\); run compare again/);
                    expect(output.text).to.match(/still replicating \(the oldest written \d{4}-\d\d-\d\dT[\d:.]+Z\): "in-flight"/);
                } finally {
                    process.env.AWS_ACCESS_KEY_ID = saved.id;
                    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
                    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
                    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
                }
            } finally {
                await copier.stop();
            }
        });

        it("exits 2, as the environment, when a side's bucket does not exist, naming the side", async () => {
            const flags = sideFlags(buckets);
            flags[flags.indexOf("--dr-bucket") + 1] = "no-such-bucket-here";
            const run = await runCli(["compare", ...flags, "--json"], { env: env() });
            expect(run.exitCode).to.equal(2);
            const { error } = JSON.parse(run.stdout) as { error: { message: string; code: string } };
            expect(error.code).to.equal("environment");
            expect(error.message).to.match(/cannot list the dr bucket s3:\/\/no-such-bucket-here \(us-west-2\): NoSuchBucket/);
        });
    });

    describe("sides found through their stacks", () => {
        it("holds each bucket to its stack's account: another owner's bucket of that name is refused, not compared", async () => {
            const rejecting = await startRejectingEndpoint("AccessDenied", "Access Denied");
            const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
            process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
            process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
            try {
                const outputs = (stack: string) =>
                    ({ accountId: stack === "primary" ? "111122223333" : "444455556666", region: stack === "primary" ? "us-east-1" : "us-west-2", bucketName: `acme-${stack}` }) as SiteOutputs;
                let error: unknown;
                try {
                    await runCompareCommand({ primaryEndpoint: rejecting.endpoint, drEndpoint: rejecting.endpoint }, recordingOutput(), { readOutputs: async (stack) => outputs(stack) });
                } catch (caught) {
                    error = caught;
                }
                expect((error as Error).message).to.match(/^compare stopped: listing the (primary|dr) bucket s3:\/\/acme-(primary|dr) \(us-(east-1|west-2)\) failed: AccessDenied: Access Denied .*\(or the bucket is not owned by account (111122223333|444455556666), the stack's\)$/);
                expect(classifyFailure(error).exitCode).to.equal(1);
                expect(rejecting.requests.length).to.be.greaterThan(0);
                expect(rejecting.requests.every((request) => request.startsWith("GET "))).to.equal(true);
            } finally {
                await rejecting.stop();
                process.env.AWS_ACCESS_KEY_ID = saved.id;
                process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
                if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
                if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
            }
        });
    });

    describe("when a side refuses", () => {
        it("exits 2 when the credentials are rejected, 1 when a permission is refused, and writes nothing", async () => {
            const { dr } = await emulatorPair();
            const buckets = await emulatedBucketPair({ primary: dr, dr }, "comparerej", { replication: false });
            for (const [code, exitCode, kind] of [
                ["InvalidAccessKeyId", 2, "environment"],
                ["AccessDenied", 1, "failed"],
            ] as const) {
                const rejecting = await startRejectingEndpoint(code, code === "AccessDenied" ? "Access Denied" : "The AWS Access Key Id you provided does not exist in our records.");
                try {
                    const run = await runCli(
                        [
                            "compare",
                            "--primary-bucket", buckets.primary.bucket, "--primary-region", "us-east-1", "--primary-endpoint", rejecting.endpoint,
                            "--dr-bucket", buckets.dr.bucket, "--dr-region", "us-west-2", "--dr-endpoint", dr.endpoint,
                            "--json",
                        ],
                        { env: env() },
                    );
                    expect(run.exitCode, run.stderr).to.equal(exitCode);
                    expect(JSON.parse(run.stdout).error.code).to.equal(kind);
                    expect(JSON.parse(run.stdout).error.message).to.include("the primary bucket");
                    expect(rejecting.requests.every((request) => request.startsWith("GET "))).to.equal(true);
                } finally {
                    await rejecting.stop();
                }
            }
        });
    });
});
