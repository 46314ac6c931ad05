import { expect } from "chai";
import { captureCli, CliRun, runCli } from "../../support/cliRun";
import * as os from "os";
import * as path from "path";
import * as fs from "fs";
import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { UsageError } from "../../../infra/output";
import { FakeBatchOperations } from "../../support/fakeBatchOperations";
import { Command } from "commander";
import { registerRestoreCommand } from "../../../infra/restore/command";
import type { SiteOutputs } from "../../../stacks/outputs";
import type { RestoreResult } from "../../../infra/restore/restore";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, secondBoundary, snapshot } from "../../support/versionedBucket";

const drOutputs: SiteOutputs = {
    accountId: "222222222222",
    region: "us-west-2",
    role: "dr",
    bucketName: "placeholder",
    bucketArn: "arn:aws:s3:::placeholder",
    replicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-replication",
    batchReplicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
    replicationGrantedTo: [],
    replicationStatus: "detached",
};

/** Runs the CLI in-process, capturing stdout, stderr and the exit code. */
function run(...args: string[]): Promise<CliRun> {
    return runCli(args);
}

describe("lustre-dr restore (command)", function () {
    this.timeout(60_000);
    let client: S3Client;
    let endpoint: string;
    const savedEnv = { ...process.env };

    before(async () => {
        endpoint = (await emulatorPair()).dr.endpoint;
        client = emulatorS3(endpoint);
        // The command takes credentials from the SDK's standard chain, as it would in CI.
        process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
        delete process.env.AWS_PROFILE;
    });
    after(() => {
        process.env = savedEnv;
    });

    it("plans with --dry-run --json, then restores, then finds nothing left to do", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "report.csv", Body: "good" }));
        const T = await secondBoundary();
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "report.csv", Body: "bad" }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "README-ransom.txt", Body: "pay" }));
        const target = ["--bucket", bucket, "--region", "us-east-1", "--endpoint", endpoint, "--to", T.toISOString()];

        const planFile = path.join(os.tmpdir(), `restore-command-${process.pid}.json`);
        const dry = await run("restore", ...target, "--dry-run", "--plan-file", planFile, "--json");
        expect(dry.exitCode, dry.stderr).to.equal(0);
        const plan = JSON.parse(dry.stdout) as RestoreResult;
        expect(plan).to.deep.include({ dryRun: true, planFile });
        expect(plan.plan.copy).to.deep.include({ count: 1, bytes: 4, firstKeys: ["report.csv"] });
        expect(plan.plan.copy.why).to.include({ content: 1, metadata: 0 });
        expect(plan.plan.copy.firstDifferences).to.deep.equal([{ key: "report.csv", differences: ['size: "4" at T, "3" now'] }]);
        expect(plan.plan.deleteMarker.firstKeys).to.deep.equal(["README-ransom.txt"]);

        const real = await run("restore", ...target, "--concurrency", "4");
        expect(real.exitCode, real.stderr).to.equal(0);
        expect(real.stdout).to.match(/Restored: s3:\/\/.* to /).and.match(/written: 1 copies \(4 B\), 1 delete markers/);
        expect([...(await snapshot(client, bucket)).entries()].map(([key, state]) => `${key}=${state.body}`)).to.deep.equal(["report.csv=good"]);

        const again = JSON.parse((await run("restore", ...target, "--json")).stdout) as RestoreResult;
        expect(again.plan.copy.count + again.plan.deleteMarker.count).to.equal(0);
    });

    it("finds the bucket and region through --stack", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
        const stacksRead: string[] = [];
        const program = new Command("lustre-dr").exitOverride();
        registerRestoreCommand(program, async (stack) => {
            stacksRead.push(stack);
            return { ...drOutputs, bucketName: bucket, region: "us-east-1" };
        });
        const result = await captureCli(async () => {
            await program.parseAsync(["node", "lustre-dr", "restore", "--stack", "dr-prod", "--endpoint", endpoint, "--to", new Date().toISOString(), "--json"]);
        });
        expect(stacksRead).to.deep.equal(["dr-prod"]);
        expect(JSON.parse(result.stdout)).to.deep.include({ bucket, region: "us-east-1", keys: 1 });
    });

    it("exits 2 naming the flag for a bad --to, --concurrency, a missing bucket and a T in the future", async () => {
        const cases: Array<[string[], RegExp]> = [
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "yesterday"], /--to is "yesterday": expected an ISO 8601 time with a zone/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00"], /--to is "2026-01-01T00:00:00"/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00Z", "--concurrency", "0"], /--concurrency is "0"/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00Z", "--list-concurrency", "0"], /--list-concurrency is "0": expected a whole number from 1 to 256/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00Z", "--list-concurrency", "300"], /--list-concurrency is "300"/],
            [["--bucket", "b-b-b", "--to", "2026-01-01T00:00:00Z"], /--bucket is "b-b-b" but --region is missing/],
            [["--to", "2026-01-01T00:00:00Z"], /no bucket named: give --stack/],
            [["--stack", "dr", "--bucket", "b-b-b", "--to", "2026-01-01T00:00:00Z"], /--stack dr and --bucket b-b-b both name the bucket/],
            [["--bucket", "b-b-b", "--region", "mars", "--to", "2026-01-01T00:00:00Z"], /--region is "mars": expected an AWS region/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--endpoint", endpoint, "--to", "2999-01-01T00:00:00Z"], /in the future/],
        ];
        const unversioned = await createBucket(client, "none");
        cases.push(
            [["--bucket", unversioned, "--region", "us-east-1", "--endpoint", endpoint, "--to", "2026-01-01T00:00:00Z"], /versioning never enabled/],
            [["--bucket", "b-b-b", "--region", "us-east-1", "--to", "2026-01-01T00:00:00Z", "--verify", "--dry-run"], /--verify compares and writes nothing: it takes no --dry-run/],
        );
        for (const [args, message] of cases) {
            const result = await run("restore", ...args);
            expect(result.exitCode, args.join(" ")).to.equal(2);
            expect(result.stderr, args.join(" ")).to.match(message);
            // Refused before anything is announced.
            expect(result.stderr, args.join(" ")).to.not.match(/Restoring|Planning|Comparing/);
        }
    });

    it("--verify prints a verdict and the first differences, exits 1 until the restore, then 0; --json is one document", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "home/alice/notes.txt", Body: "notes", Metadata: { "file-permissions": "0100644" } }));
        const T = await secondBoundary();
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "home/alice/notes.txt", Body: "notes", Metadata: { "file-permissions": "0100777" } }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "ransom.txt", Body: "pay" }));
        const target = ["--bucket", bucket, "--region", "us-east-1", "--endpoint", endpoint, "--to", T.toISOString()];

        const differs = await run("restore", ...target, "--verify");
        expect(differs.exitCode, differs.stderr).to.equal(1);
        const [verdict, ...details] = differs.stdout.trim().split("\n");
        expect(verdict).to.match(/^DIFFERS from .*: 2 of 2 keys checked differ \(1 created after T, 1 changed\)$/);
        expect(details).to.deep.equal([
            '  "home/alice/notes.txt": x-amz-meta-file-permissions: "0100644" at T, "0100777" now',
            '  "ransom.txt": exists now, did not exist at T',
        ]);
        const json = await run("restore", ...target, "--verify", "--json");
        expect(json.exitCode).to.equal(1);
        expect(JSON.parse(json.stdout)).to.deep.include({ verdict: "differs", differing: { missing: 0, extra: 1, changed: 1, unknown: 0 } });

        expect((await run("restore", ...target)).exitCode).to.equal(0);
        const same = await run("restore", ...target, "--verify");
        expect(same.exitCode, same.stderr).to.equal(0);
        expect(same.stdout).to.match(/^SAME as at .*\(2 keys checked/);
    });

    it("reads --to with the shared time parser: 9-digit fractions accepted, impossible dates refused", async () => {
        const base = ["restore", "--bucket", "b-b-b", "--region", "us-east-1", "--endpoint", endpoint];
        const refused = await run(...base, "--to", "2026-02-30T00:00:00Z");
        expect(refused.exitCode).to.equal(2);
        expect(refused.stderr).to.match(/--to is "2026-02-30T00:00:00Z": February 2026 has 28 days/);
        const zoneless = await run(...base, "--to", "2026-01-31T12:00:00");
        expect(zoneless.stderr).to.match(/--to is "2026-01-31T12:00:00": the time zone is missing/);
    });
});

describe("lustre-dr restore --engine (command)", function () {
    this.timeout(60_000);
    let client: S3Client;
    let endpoint: string;
    const savedEnv = { ...process.env };
    const s3control = mockClient(S3ControlClient);
    const control = new S3ControlClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });

    before(async () => {
        endpoint = (await emulatorPair()).dr.endpoint;
        client = emulatorS3(endpoint);
        process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
        delete process.env.AWS_PROFILE;
    });
    after(() => {
        process.env = savedEnv;
        s3control.restore();
        client.destroy();
    });

    const outputsFor = (bucket: string): SiteOutputs => ({
        ...drOutputs,
        bucketName: bucket,
        bucketArn: `arn:aws:s3:::${bucket}`,
        region: "us-east-1",
        restoreBatchRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-restore-batch",
    });
    /** The CLI with the stack's outputs and S3 Control injected (S3 itself is moto, through --endpoint). */
    async function cli(outputs: SiteOutputs, ...args: string[]): Promise<CliRun> {
        const program = new Command("lustre-dr").exitOverride();
        registerRestoreCommand(program, async () => outputs, () => control);
        return captureCli(async () => {
            try {
                await program.parseAsync(["node", "lustre-dr", "restore", "--stack", "dr", "--endpoint", endpoint, ...args]);
            } catch (error) {
                process.exitCode = error instanceof UsageError || (error as { code?: string }).code?.startsWith("commander.") ? 2 : 1;
                process.stderr.write(`${(error as Error).message}\n`);
            }
        });
    }

    it("runs a batch job as the stack's restore role, waits with progress and exits 1 naming the failed key", async () => {
        const bucket = await createBucket(client);
        for (const key of ["ok.txt", "deny/me.txt"]) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "good" }));
        const T = await secondBoundary();
        for (const key of ["ok.txt", "deny/me.txt"]) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "bad" }));
        const fake = new FakeBatchOperations(client);
        s3control.reset();
        s3control.on(CreateJobCommand).callsFake((input) => fake.createJob(input));
        s3control.on(DescribeJobCommand).callsFake((input: { JobId: string }) => fake.describe(input.JobId));

        const run = await cli(outputsFor(bucket), "--to", T.toISOString(), "--engine", "batch", "--poll-seconds", "1");
        expect(run.exitCode, run.stderr).to.equal(1);
        expect(run.stdout).to.match(/engine: batch \(run [^,]+, attempt 1;/).and.match(/batch job job-1 \(STANDARD\): Complete, 1\/2 copied, 1 failed/);
        expect(run.stdout).to.match(/FAILED 1 keys/).and.match(/"deny\/me.txt" \(copy\): batch job job-1: AccessDenied \(403\): Access Denied/);
        expect(fake.created[0]).to.deep.include({ AccountId: "222222222222", RoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-restore-batch" });
        expect(run.stderr).to.match(/batch job job-1 created: 2 copies/).and.match(/batch job job-1 \(STANDARD\) Active: 0\/2 copied/);
        expect((await snapshot(client, bucket)).get("ok.txt")?.body).to.equal("good");

        // The same command again: attempt 1 is done; the re-plan finds only the failed key, in attempt 2.
        const again = await cli(outputsFor(bucket), "--to", T.toISOString(), "--engine", "batch", "--poll-seconds", "1", "--json");
        const result = JSON.parse(again.stdout) as RestoreResult;
        expect(result.engine).to.deep.include({ name: "batch", attempt: 2 });
        expect(result.failures.first.map((failure) => failure.key)).to.deep.equal(["deny/me.txt"]);
        expect(fake.created.map((request) => request.Description)).to.have.length(2);
        expect(fake.created[1].Description).to.match(/attempt 2 STANDARD: 1 copies/);
    });

    it("writes the manifest locally in a dry run and nothing to the bucket", async () => {
        const bucket = await createBucket(client);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "a b+c.txt", Body: "good" }));
        const T = await secondBoundary();
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "a b+c.txt", Body: "bad" }));
        s3control.reset();
        const manifest = path.join(os.tmpdir(), `restore-manifest-${process.pid}.csv`);
        const run = await cli(outputsFor(bucket), "--to", T.toISOString(), "--engine", "batch", "--dry-run", "--manifest-file", manifest, "--plan-file", `${manifest}.json`);
        expect(run.exitCode, run.stderr).to.equal(0);
        expect(run.stdout).to.match(/engine: batch \(would be used\)/).and.match(/manifest written to /);
        expect(fs.readFileSync(manifest, "utf8")).to.match(new RegExp(`^${bucket},a%20b%2Bc\\.txt,[^,\\n]+\\n$`));
        expect(s3control.calls()).to.have.length(0);
        const listing = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: ".lustre-dr/" }));
        expect(listing.Versions ?? []).to.have.length(0);
        fs.rmSync(manifest, { force: true });
        fs.rmSync(`${manifest}.json`, { force: true });
    });

    it("exits 2 before any call for an engine it cannot run", async () => {
        const bucket = "never-touched-bucket";
        const to = "2026-01-01T00:00:00Z";
        const cases: Array<[SiteOutputs, string[], RegExp]> = [
            [{ ...outputsFor(bucket), restoreBatchRoleArn: undefined }, ["--engine", "batch"], /--engine batch needs the role S3 Batch Operations runs as/],
            [outputsFor(bucket), ["--engine", "local", "--manifest-file", "m.csv"], /--engine local writes no batch manifest/],
            [outputsFor(bucket), ["--engine", "batch", "--batch-role-arn", "arn:aws:iam::999999999999:role/x"], /a role of account 999999999999, but the bucket belongs to 222222222222/],
            [{ ...outputsFor(bucket), restoreBatchRoleArn: "arn:aws:iam::999999999999:role/forged" }, ["--engine", "batch"], /the stack output restoreBatchRoleArn is .*999999999999/],
            [outputsFor(bucket), ["--engine", "batch", "--batch-role-arn", "not-an-arn"], /--batch-role-arn is "not-an-arn": expected an IAM role ARN/],
            [outputsFor(bucket), ["--batch-threshold", "-1"], /--batch-threshold is "-1"/],
            [outputsFor(bucket), ["--engine", "rocket"], /argument 'rocket' is invalid/],
        ];
        s3control.reset();
        for (const [outputs, args, message] of cases) {
            const run = await cli(outputs, "--to", to, ...args);
            expect(run.exitCode, args.join(" ")).to.equal(2);
            expect(run.stderr, args.join(" ")).to.match(message);
        }
        expect(s3control.calls()).to.have.length(0);
    });
});
