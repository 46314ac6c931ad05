import { expect } from "chai";
import { captureCli, CliRun, runCli } from "../../support/cliRun";
import * as os from "os";
import * as path from "path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
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
