/**
 * `lustre-dr status` end to end: S3 against the moto emulator (one server per side, real HTTP), FSx and the
 * CloudWatch replication metrics with aws-sdk-client-mock (moto has no data repository associations and S3 never
 * publishes metrics into it).
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeDataRepositoryAssociationsCommand, DescribeFileSystemsCommand, FSxClient } from "@aws-sdk/client-fsx";
import {
    CreateBucketCommand,
    DeleteBucketPolicyCommand,
    DeleteBucketReplicationCommand,
    GetBucketPolicyCommand,
    GetBucketReplicationCommand,
    GetObjectTaggingCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutBucketEncryptionCommand,
    PutBucketPolicyCommand,
    PutBucketReplicationCommand,
    PutBucketVersioningCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { SideRole } from "../../../infra/aws/sides";
import { buildProgram } from "../../../infra/cli";
import { appendDrillHistory } from "../../../infra/drill/history";
import { UsageError } from "../../../infra/output";
import { runStatus, StatusOptions } from "../../../infra/status/command";
import type { StatusReport } from "../../../infra/status/report";
import type { SampleResult } from "../../../infra/status/sample";
import { listBudget } from "../../../infra/status/sampleKeys";
import { EmulatorPair, emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { ReplicationCopier } from "../../emulator/replicationCopier";
import { runCli } from "../../support/cliRun";
import { RecordingOutput, recordingOutput } from "../../support/recordingOutput";
import { deployedPolicy, deployedReplication, drillResult, outputs, primaryAssociation, primaryFileSystem } from "./fixtures";

const now = new Date("2026-11-25T09:00:00Z");

function capture(json = false): RecordingOutput<StatusReport> {
    return recordingOutput<StatusReport>(json);
}

function closedPort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

describe("infra/status (emulator)", function () {
    let emulators: EmulatorPair;
    const savedEnv: Record<string, string | undefined> = {};
    // Created in before(): mockClient replaces the client classes' send for the whole process until restored.
    let fsx: AwsClientStub<FSxClient>;
    let cloudWatch: AwsClientStub<CloudWatchClient>;
    let associations: Record<string, typeof primaryAssociation[]>;

    function s3(role: SideRole): S3Client {
        return new S3Client({
            region: outputs[role].region,
            endpoint: emulators[role].endpoint,
            forcePathStyle: true,
            credentials: emulatorCredentials,
        });
    }

    /** Deploys one side into its emulator the way the program does (bucket, versioning, encryption, policy, rule). */
    async function deploy(role: SideRole): Promise<void> {
        const client = s3(role);
        const Bucket = outputs[role].bucketName;
        const region = outputs[role].region;
        await client.send(
            new CreateBucketCommand({ Bucket, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as "us-west-2" } }) }),
        );
        await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
        await client.send(
            new PutBucketEncryptionCommand({
                Bucket,
                ServerSideEncryptionConfiguration: {
                    Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: outputs[role].kmsKeyArn }, BucketKeyEnabled: true }],
                },
            }),
        );
        await client.send(new PutBucketPolicyCommand({ Bucket, Policy: await deployedPolicy(role) }));
        await client.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration: deployedReplication(role) }));
        client.destroy();
    }

    let historyDir: string;
    function options(extra: Partial<StatusOptions> = {}): StatusOptions {
        return {
            primaryEndpoint: emulators.primary.endpoint,
            drEndpoint: emulators.dr.endpoint,
            drillHistory: path.join(historyDir, "drill-history.jsonl"),
            ...extra,
        };
    }

    const sources = { readOutputs: async (stack: string) => outputs[stack as SideRole], now };

    before(async function () {
        this.timeout(60_000);
        emulators = await emulatorPair();
        fsx = mockClient(FSxClient);
        cloudWatch = mockClient(CloudWatchClient);
        for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"]) {
            savedEnv[name] = process.env[name];
        }
        process.env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
        delete process.env.AWS_PROFILE;
        delete process.env.AWS_ENDPOINT_URL;
    });

    afterEach(() => fs.rmSync(historyDir, { recursive: true, force: true }));

    after(() => {
        for (const [name, value] of Object.entries(savedEnv)) {
            if (value === undefined) {
                delete process.env[name];
            } else {
                process.env[name] = value;
            }
        }
        fsx.restore();
        cloudWatch.restore();
    });

    beforeEach(async () => {
        historyDir = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-status-"));
        await appendDrillHistory(path.join(historyDir, "drill-history.jsonl"), drillResult("2026-11-24T03:00:00Z"));
        await Promise.all([emulators.primary.reset(), emulators.dr.reset()]);
        await Promise.all([deploy("primary"), deploy("dr")]);
        // us-east-1 holds the primary's association; us-west-2 only one of an unrelated bucket, which status must ignore.
        associations = {
            "us-east-1": [primaryAssociation],
            "us-west-2": [{ ...primaryAssociation, AssociationId: "dra-0unrelated", DataRepositoryPath: "s3://someone-elses-bucket/" }],
        };
        fsx.reset();
        fsx.on(DescribeDataRepositoryAssociationsCommand).callsFake(async (input, getClient) => {
            const inRegion = associations[await getClient().config.region()] ?? [];
            const ids: string[] | undefined = input.AssociationIds;
            return { Associations: ids ? inRegion.filter((a) => ids.includes(a.AssociationId ?? "")) : inRegion };
        });
        fsx.on(DescribeFileSystemsCommand, { FileSystemIds: [primaryFileSystem.FileSystemId!] }).resolves({ FileSystems: [primaryFileSystem] });
        cloudWatch.reset();
        cloudWatch.on(GetMetricStatisticsCommand).callsFake((input) => {
            const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
            switch (input.MetricName) {
                case "ReplicationLatency":
                    return { Datapoints: [{ Timestamp: at(60), Maximum: 14 }, { Timestamp: at(5), Maximum: 3 }] };
                case "OperationsPendingReplication":
                    return { Datapoints: [{ Timestamp: at(5), Maximum: 1 }, { Timestamp: at(60), Maximum: 6 }] };
                default:
                    return { Datapoints: [{ Timestamp: at(5), Sum: 0 }] };
            }
        });
    });

    /**
     * moto 5.2.5 answers GetBucketReplication with `DeleteMarkerReplication: Disabled`, `Filter: {Prefix: ""}` and no
     * `SourceSelectionCriteria`, whatever was put (moto/s3/responses.py get_bucket_replication). Where a test needs S3's
     * faithful answer, this returns what was put; every other S3 call still goes to moto.
     */
    function answerReplicationAsS3Would(): () => void {
        const s3Stub = mockClient(S3Client);
        s3Stub.send.callThrough();
        s3Stub.on(GetBucketReplicationCommand).callsFake(async (input: { Bucket: string }) => {
            const role = (Object.keys(outputs) as SideRole[]).find((r) => outputs[r].bucketName === input.Bucket)!;
            return { ReplicationConfiguration: deployedReplication(role) };
        });
        return () => s3Stub.restore();
    }

    it("reports a converged pair as healthy, with every facet read from both sides (exit 0)", async () => {
        const restore = answerReplicationAsS3Would();
        try {
            const output = capture();
            const { exitCode, report } = await runStatus(options(), output, sources);
            expect(output.text?.split("\n")[0]).to.equal("healthy");
            expect(exitCode).to.equal(0);
            expect(report.reasons).to.deep.equal([]);
            const line = (side: string, area: string) => report.findings.find((f) => f.side === side && f.area === area)?.message;
            expect(line("primary", "versioning")).to.equal("Enabled");
            expect(line("primary", "replication")).to.equal(
                "lustre-dr-to-peer -> arn:aws:s3:::lustre-dr-dr-data: Enabled, RTC 15 min, delete markers, replica modifications",
            );
            expect(line("dr", "bucket-policy")).to.equal(`TLS required; accepts replicas from ${outputs.primary.replicationRoleArn}`);
            expect(line("primary", "data-repository")).to.match(/dra-0123456789abcdef0 .*AVAILABLE/);
            expect(line("dr", "data-repository")).to.equal("no file system linked to this bucket (pilot light)");
            expect(line("primary", "file-system")).to.equal("fs-0123456789abcdef0 AVAILABLE");
            expect(line("primary", "metrics")).to.equal("last 24 h: latency max 14 s, pending operations 1 now (max 6), failed 0");
            expect(line("pair", "drill")).to.equal("last drill 2026-11-24T03:00:00Z (30 h ago): passed: 2 legs, slowest s3-object primary->dr 14.2 s of 900 s objective");
            // Metrics are read in the source side's region with the dimensions S3 publishes.
            const metricCalls = cloudWatch.commandCalls(GetMetricStatisticsCommand);
            expect(metricCalls).to.have.length(6);
            const fromPrimary = metricCalls.filter((c) => c.args[0].input.Dimensions?.[0]?.Value === "lustre-dr-primary-data");
            expect(fromPrimary.map((c) => c.args[0].input.MetricName)).to.have.members([
                "ReplicationLatency",
                "OperationsPendingReplication",
                "OperationsFailedReplication",
            ]);
            expect(fromPrimary[0].args[0].input.Dimensions).to.deep.equal([
                { Name: "SourceBucket", Value: "lustre-dr-primary-data" },
                { Name: "DestinationBucket", Value: "lustre-dr-dr-data" },
                { Name: "RuleId", Value: "lustre-dr-to-peer" },
            ]);
            expect(await (fromPrimary[0].thisValue as CloudWatchClient).config.region()).to.equal("us-east-1");
            expect(fsx.commandCalls(DescribeDataRepositoryAssociationsCommand).map((c) => c.args[0].input.AssociationIds)).to.deep.include([
                "dra-0123456789abcdef0",
            ]);
        } finally {
            restore();
        }
    });

    it("checks every repository's association of a file system with several, by the ids the stack exports", async () => {
        const second = { ...primaryAssociation, AssociationId: "dra-0fedcba9876543210", FileSystemPath: "/projects", DataRepositoryPath: "s3://lustre-dr-primary-data/projects/", Lifecycle: "MISCONFIGURED" as const };
        associations["us-east-1"] = [{ ...primaryAssociation, DataRepositoryPath: "s3://lustre-dr-primary-data/home/" }, second];
        const withTwo = { ...outputs.primary, dataRepositoryAssociationIds: ["dra-0123456789abcdef0", "dra-0fedcba9876543210"] };
        const restore = answerReplicationAsS3Would();
        try {
            const { report } = await runStatus(options(), capture(), { ...sources, readOutputs: async (stack: string) => (stack === "primary" ? withTwo : outputs[stack as SideRole]) });
            expect(fsx.commandCalls(DescribeDataRepositoryAssociationsCommand).map((c) => c.args[0].input.AssociationIds)).to.deep.include([
                "dra-0123456789abcdef0",
                "dra-0fedcba9876543210",
            ]);
            const lines = report.findings.filter((f) => f.side === "primary" && f.area === "data-repository");
            expect(lines.map((f) => f.message).join("\n")).to.contain("dra-0123456789abcdef0").and.contain("dra-0fedcba9876543210 /projects");
            expect(report.verdict).to.equal("broken");
        } finally {
            restore();
        }
    });

    it("reports a MISCONFIGURED association as broken with AWS's failure message (exit 2)", async () => {
        associations["us-east-1"] = [
            {
                ...primaryAssociation,
                Lifecycle: "MISCONFIGURED",
                FailureDetails: { Message: "Amazon FSx does not have permission to access the S3 bucket." },
            },
        ];
        const restore = answerReplicationAsS3Would();
        try {
            const output = capture(true);
            const { exitCode, report } = await runStatus(options({ json: true }), output, sources);
            expect(exitCode).to.equal(2);
            expect(report.verdict).to.equal("broken");
            expect(report.reasons).to.deep.equal([
                "primary: dra-0123456789abcdef0 /s3 <-> s3://lustre-dr-primary-data/: MISCONFIGURED: Amazon FSx does not have " +
                    "permission to access the S3 bucket.; files written on the file system do not reach the bucket",
            ]);
            expect(JSON.parse(output.text ?? "{}").verdict).to.equal("broken");
        } finally {
            restore();
        }
    });

    it("reports a missing replication rule as broken, from moto's real answer (exit 2)", async () => {
        const client = s3("dr");
        await client.send(new DeleteBucketReplicationCommand({ Bucket: outputs.dr.bucketName }));
        client.destroy();
        const output = capture();
        const { exitCode, report } = await runStatus(options(), output, sources);
        expect(exitCode).to.equal(2);
        expect(report.reasons).to.include("dr: no replication rule lustre-dr-to-peer: writes to this bucket do not reach lustre-dr-primary-data");
        expect(output.text?.split("\n")[0]).to.match(/^broken: dr: no replication rule lustre-dr-to-peer/);
    });

    it("flags the fields moto drops as S3 would flag a rule without delete markers or replica modifications", async () => {
        const { report } = await runStatus(options(), capture(), sources);
        expect(report.verdict).to.equal("degraded");
        expect(report.reasons).to.include.members([
            "primary: rule lustre-dr-to-peer: DeleteMarkerReplication.Status is Disabled (expected Enabled)",
            "primary: rule lustre-dr-to-peer: SourceSelectionCriteria.ReplicaModifications.Status is not set (expected Enabled)",
        ]);
    });

    it("reports a side it cannot reach and still reports the other one in full (exit 2)", async () => {
        const restore = answerReplicationAsS3Would();
        try {
            const output = capture();
            const port = await closedPort();
            const { exitCode, report } = await runStatus(options({ primaryEndpoint: `http://127.0.0.1:${port}` }), output, sources);
            expect(exitCode).to.equal(2);
            expect(report.reasons).to.have.length(1);
            expect(report.reasons[0]).to.match(new RegExp(`^primary: unreachable: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
            const drFindings = report.findings.filter((f) => f.side === "dr");
            expect(drFindings.map((f) => f.area)).to.include.members(["versioning", "replication", "bucket-policy", "data-repository", "metrics"]);
            expect(drFindings.every((f) => f.severity === "ok" || f.severity === "note")).to.equal(true);
            expect(output.text).to.include("\nprimary  s3://lustre-dr-primary-data (us-east-1)\n  side            BROKEN    unreachable:");
        } finally {
            restore();
        }
    });

    it("contacts only the side given with --only", async () => {
        const restore = answerReplicationAsS3Would();
        try {
            const { report } = await runStatus(options({ only: "dr", primaryEndpoint: "http://127.0.0.1:9" }), capture(), sources);
            expect(report.verdict).to.equal("healthy");
            expect(report.findings.filter((f) => f.side === "primary")).to.deep.equal([]);
            expect(report.sides.find((s) => s.role === "primary")?.skipped).to.equal(true);
        } finally {
            restore();
        }
    });

    it("--only dr with --dr-bucket and --dr-region needs no Pulumi CLI (nor backend) for the side it does not contact", async () => {
        const noPulumi = fs.mkdtempSync(path.join(os.tmpdir(), "path-without-pulumi-"));
        const restore = answerReplicationAsS3Would();
        try {
            const run = await runCli(
                [
                    "status", "--only", "dr", "--json",
                    "--dr-bucket", outputs.dr.bucketName, "--dr-region", outputs.dr.region, "--dr-endpoint", emulators.dr.endpoint,
                    "--drill-history", path.join(historyDir, "drill-history.jsonl"),
                ],
                { env: { PATH: noPulumi, HOME: historyDir, AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" } },
            );
            const report = JSON.parse(run.stdout) as StatusReport & { error?: unknown };
            expect(report.error, run.stderr).to.equal(undefined);
            expect(run.stderr).not.to.match(/Pulumi CLI|PULUMI_CONFIG_PASSPHRASE/);
            expect(report.sides.find((s) => s.role === "primary")?.skipped).to.equal(true);
            const dr = report.sides.find((s) => s.role === "dr");
            expect(dr?.skipped).to.not.equal(true);
            // The dr bucket was read and the primary was not contacted.
            expect(report.findings.filter((f) => f.side === "dr" && f.area === "versioning")).to.deep.equal([
                { side: "dr", area: "versioning", severity: "ok", message: "Enabled" },
            ]);
            expect(report.findings.filter((f) => f.side === "primary")).to.deep.equal([]);
        } finally {
            restore();
            fs.rmSync(noPulumi, { recursive: true, force: true });
        }
    });

    it("reads the last drill from --drill-history: none on record degrades the pair (exit 1)", async () => {
        const restore = answerReplicationAsS3Would();
        try {
            const { exitCode, report } = await runStatus(options({ drillHistory: path.join(historyDir, "none.jsonl") }), capture(), sources);
            expect(exitCode).to.equal(1);
            expect(report.reasons).to.deep.equal(["pair: no drill on record: run lustre-dr drill"]);
        } finally {
            restore();
        }
    });

    it("refuses a bad --latency-threshold before calling anything", async () => {
        fsx.resetHistory();
        const error = await runStatus(options({ latencyThreshold: "15m" }), capture(), sources).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.equal('--latency-threshold is "15m": expected a positive whole number of seconds, e.g. 900');
        expect(fsx.calls()).to.have.length(0);
    });

    describe("--sample", () => {
        /**
         * moto serves plain HTTP and enforces the deployed policy's TLS-only statement, so it would refuse every object
         * request. Here the buckets keep no policy in moto; GetBucketPolicy (and GetBucketReplication, see above) answer
         * what S3 holds, and every other S3 call goes to moto. Returns the stub, whose calls tests count.
         */
        function answerAsS3OverTls(): AwsClientStub<S3Client> {
            const s3Stub = mockClient(S3Client);
            s3Stub.send.callThrough();
            const roleOf = (bucket: string) => (Object.keys(outputs) as SideRole[]).find((r) => outputs[r].bucketName === bucket)!;
            s3Stub.on(GetBucketReplicationCommand).callsFake(async (input: { Bucket: string }) => ({ ReplicationConfiguration: deployedReplication(roleOf(input.Bucket)) }));
            s3Stub.on(GetBucketPolicyCommand).callsFake(async (input: { Bucket: string }) => ({ Policy: await deployedPolicy(roleOf(input.Bucket)) }));
            return s3Stub;
        }

        beforeEach(async () => {
            for (const role of ["primary", "dr"] as const) {
                const client = s3(role);
                await client.send(new DeleteBucketPolicyCommand({ Bucket: outputs[role].bucketName }));
                client.destroy();
            }
        });

        async function put(role: SideRole, key: string, body: string, metadata: Record<string, string> = {}): Promise<string> {
            const client = s3(role);
            try {
                // Under the side's own key, named explicitly as the stack's default would apply it: --sample holds each
                // side's versions to its stack's kmsKeyArn (moto stores the key id without looking it up).
                const written = await client.send(
                    new PutObjectCommand({
                        Bucket: outputs[role].bucketName,
                        Key: key,
                        Body: body,
                        Metadata: metadata,
                        ServerSideEncryption: "aws:kms",
                        SSEKMSKeyId: outputs[role].kmsKeyArn,
                    }),
                );
                return written.VersionId ?? "null";
            } finally {
                client.destroy();
            }
        }

        /** What an FSx export writes: the file's POSIX attributes as user metadata. */
        const posix = (permissions: string) => ({ "file-owner": "1000", "file-group": "1000", "file-permissions": permissions, "file-mtime": "1764061200000000000ns" });

        /** The same objects on both sides, as replication leaves them: a small tree plus lustre-dr's own keys. */
        async function converged(keys: readonly string[]): Promise<void> {
            for (const key of keys) {
                await Promise.all((["primary", "dr"] as const).map((role) => put(role, key, `body of ${key}`, posix("0100644"))));
            }
        }

        const tree = [
            ...Array.from({ length: 12 }, (_, i) => `projects/alpha/run${i % 3}/file-${i}.dat`),
            ...Array.from({ length: 8 }, (_, i) => `projects/beta/f${String(i).padStart(2, "0")}`),
            "top.txt",
        ];
        const ownKeys = [".lustre-dr/drill-history.jsonl", ".lustre-dr/drill/20261124t030000z-abcdef/primary-to-dr/canary-0000", "projects/.lustre-dr/drill/20261124t030000z-abcdef/fs-primary-to-dr"];

        it("compares random keys drawn from both sides and reports no drift as healthy (exit 0), in the report and --json", async () => {
            await converged([...tree, ...ownKeys]);
            const s3Stub = answerAsS3OverTls();
            try {
                const output = capture(true);
                // Pages of 4 entries: the descent, the StartAfter seeks and the character branching all run against moto.
                const { exitCode, report } = await runStatus(options({ json: true, sample: "12", sampleSeed: "7" }), output, { ...sources, samplePageSize: 4 });
                expect(report.reasons).to.deep.equal([]);
                expect(exitCode).to.equal(0);
                const json = JSON.parse(output.text ?? "{}") as StatusReport;
                const sample = json.sample as SampleResult;
                expect(sample).to.include({ requested: 12, prefix: "", seed: 7, keysCompared: 12, exhaustive: false, same: 12, pending: 0 });
                expect(sample.differing).to.deep.equal({ onlyPrimary: 0, onlyDr: 0, changed: 0, unknown: 0 });
                expect(sample.first).to.deep.equal([]);
                expect(sample.drawnFrom.primary + sample.drawnFrom.dr).to.equal(12);
                expect(sample.drawnFrom.primary).to.be.greaterThan(0);
                expect(sample.drawnFrom.dr).to.be.greaterThan(0);
                // One HEAD per side per key; the tags of both (moto gives replicas new version ids, so the staged reads run).
                expect(sample.requests.head).to.equal(24);
                expect(sample.requests.tagging).to.equal(24);
                expect(sample.requests.list).to.be.at.most(listBudget(12));
                expect(json.findings).to.deep.include({ side: "pair", area: "sample", severity: "ok", message: "12 keys, 0 differ" });
                // The same seed draws the same keys; the human report has the line in the pair section.
                const human = capture();
                const again = await runStatus(options({ sample: "12", sampleSeed: "7" }), human, { ...sources, samplePageSize: 4 });
                expect((again.report.sample as SampleResult).requests).to.deep.equal(sample.requests);
                expect(human.text?.split("\n")[0]).to.equal("healthy");
                expect(human.text).to.contain("\npair\n").and.contain("\n  sample          ok        12 keys, 0 differ");
            } finally {
                s3Stub.restore();
            }
        });

        it("reports a metadata-only difference (chmod on one side) and a key only on the dr side as drift: degraded, exit 1", async () => {
            await converged(tree.slice(0, 6));
            await put("primary", "projects/alpha/secret.dat", "same bytes", posix("0100600"));
            await put("dr", "projects/alpha/secret.dat", "same bytes", posix("0100777"));
            await put("dr", "projects/only-on-dr.dat", "written during an outage");
            await put("primary", ownKeys[0], "history");
            const s3Stub = answerAsS3OverTls();
            try {
                const output = capture();
                const { exitCode, report } = await runStatus(options({ sample: "50" }), output, sources);
                expect(exitCode).to.equal(1);
                expect(report.verdict).to.equal("degraded");
                const sample = report.sample as SampleResult;
                // Fewer keys than asked: every key of both sides was compared, lustre-dr's own excepted.
                expect(sample).to.include({ keysCompared: 8, exhaustive: true, same: 6 });
                expect(sample.differing).to.deep.equal({ onlyPrimary: 0, onlyDr: 1, changed: 1, unknown: 0 });
                expect(sample.first).to.have.length(2);
                const changed = sample.first.find((d) => d.kind === "changed");
                expect(changed).to.deep.include({ key: "projects/alpha/secret.dat" });
                expect(changed && "differences" in changed ? changed.differences : []).to.deep.equal([
                    { aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100600", now: "0100777" },
                ]);
                expect(sample.first.find((d) => d.kind === "only-dr")?.key).to.equal("projects/only-on-dr.dat");
                expect(report.reasons).to.deep.equal([
                    "pair: 8 keys (all there are, fewer than --sample 50), 2 differ (1 changed, 1 only on the dr side): run lustre-dr compare for the whole bucket",
                ]);
                const text = output.text ?? "";
                expect(text.split("\n")[0]).to.equal(`degraded: ${report.reasons[0]}`);
                expect(text).to.contain('\n                            "projects/alpha/secret.dat": x-amz-meta-file-permissions: primary "0100600", dr "0100777"');
                expect(text).to.match(/\n {28}"projects\/only-on-dr\.dat": only on the dr side \(version [^)]+\)/);
            } finally {
                s3Stub.restore();
            }
        });

        it("counts a key still replicating (PENDING, from the emulated replication) as in flight, not drift: healthy, exit 0", async function () {
            this.timeout(20_000);
            await converged(tree.slice(0, 4));
            const primary = s3("primary");
            const dr = s3("dr");
            const copier = new ReplicationCopier({
                primary: { client: primary, bucket: outputs.primary.bucketName },
                dr: { client: dr, bucket: outputs.dr.bucketName },
                delayMs: 60_000,
            });
            await copier.start();
            const s3Stub = answerAsS3OverTls();
            try {
                const versionId = await put("primary", "projects/new.dat", "just written");
                for (let i = 0; i < 200 && copier.replicationStatus("primary", "projects/new.dat", versionId) !== "PENDING"; i++) {
                    await new Promise((resolve) => setTimeout(resolve, 25));
                }
                expect(copier.replicationStatus("primary", "projects/new.dat", versionId)).to.equal("PENDING");
                const { exitCode, report } = await runStatus(options({ sample: "10" }), capture(), {
                    ...sources,
                    replicationStatus: async (side, key, version) => copier.replicationStatus(side.side, key, version),
                });
                expect(exitCode).to.equal(0);
                const sample = report.sample as SampleResult;
                expect(sample).to.include({ keysCompared: 5, same: 4, pending: 1 });
                expect(sample.pendingKeys).to.deep.equal(["projects/new.dat"]);
                expect(report.findings).to.deep.include({
                    side: "pair",
                    area: "sample",
                    severity: "ok",
                    message: "5 keys (all there are, fewer than --sample 10), 0 differ; 1 still replicating (in flight, not drift)",
                });
            } finally {
                s3Stub.restore();
                await copier.stop();
                primary.destroy();
                dr.destroy();
            }
        });

        it("makes no listing or object request without --sample, and prints no sample", async () => {
            await converged(tree.slice(0, 2));
            const s3Stub = answerAsS3OverTls();
            try {
                const output = capture(true);
                await runStatus(options({ json: true }), output, sources);
                expect(s3Stub.commandCalls(ListObjectsV2Command)).to.have.length(0);
                expect(s3Stub.commandCalls(HeadObjectCommand)).to.have.length(0);
                expect(s3Stub.commandCalls(GetObjectTaggingCommand)).to.have.length(0);
                expect(JSON.parse(output.text ?? "{}")).to.not.have.property("sample");
                expect(output.progressLines.join("\n")).to.not.contain("sample");
            } finally {
                s3Stub.restore();
            }
        });

        it("reports a sample it could not take (a side whose listing is refused) as degraded, with the reason", async () => {
            const s3Stub = answerAsS3OverTls();
            s3Stub.on(ListObjectsV2Command, { Bucket: outputs.dr.bucketName }).rejects(
                Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
            );
            try {
                const { exitCode, report } = await runStatus(options({ sample: "5" }), capture(), sources);
                expect(exitCode).to.equal(1);
                expect(report.reasons).to.deep.equal(["pair: sample not taken: AccessDenied: Access Denied"]);
                expect(report.sample).to.deep.equal({ error: "AccessDenied: Access Denied" });
            } finally {
                s3Stub.restore();
            }
        });

        it("takes no sample when a side does not answer, and says so (the pair is broken by the unreachable side)", async () => {
            const s3Stub = answerAsS3OverTls();
            try {
                const port = await closedPort();
                const { exitCode, report } = await runStatus(options({ sample: "5", primaryEndpoint: `http://127.0.0.1:${port}` }), capture(), sources);
                expect(exitCode).to.equal(2);
                expect(report.sample).to.deep.equal({ error: "the primary side is unreachable" });
                expect(report.findings).to.deep.include({ side: "pair", area: "sample", severity: "degraded", message: "sample not taken: the primary side is unreachable" });
                expect(s3Stub.commandCalls(ListObjectsV2Command)).to.have.length(0);
            } finally {
                s3Stub.restore();
            }
        });

        for (const [flags, message] of [
            [{ sample: "0" }, '--sample is "0": expected a whole number of keys from 1 to 1000, e.g. 200 (to compare every key, use lustre-dr compare)'],
            [{ sample: "5000" }, '--sample is "5000": expected a whole number of keys from 1 to 1000, e.g. 200 (to compare every key, use lustre-dr compare)'],
            [{ samplePrefix: "projects/" }, '--sample-prefix is "projects/" but --sample is missing: give --sample <n> to sample keys under it'],
            [{ sample: "10", samplePrefix: ".lustre-dr/" }, '--sample-prefix is ".lustre-dr/": .lustre-dr/ is reserved for lustre-dr\'s own objects and never sampled'],
            [{ sample: "10", only: "dr" as const }, "--sample compares the two sides, so it cannot be combined with --only dr: drop one of them"],
            [{ sample: "10", sampleSeed: "-1" }, '--sample-seed is "-1": expected a whole number from 0 to 4294967295 (the seed a previous report printed)'],
            [{ sampleSeed: "3" }, '--sample-seed is "3" but --sample is missing: give --sample <n> too'],
        ] as const) {
            it(`refuses ${JSON.stringify(flags)} before calling anything`, async () => {
                fsx.resetHistory();
                const readOutputs = async (stack: string) => {
                    throw new Error(`read the outputs of ${stack}`);
                };
                const error = await runStatus(options(flags), capture(), { ...sources, readOutputs }).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                expect(error).to.be.instanceOf(UsageError);
                expect((error as Error).message).to.equal(message);
                expect(fsx.calls()).to.have.length(0);
            });
        }

        it("exits 2 with a usage error document for a bad --sample on the command line", async () => {
            const run = await runCli(["status", "--json", "--sample", "lots", "--primary-bucket", "b1", "--primary-region", "us-east-1", "--dr-bucket", "b2", "--dr-region", "us-west-2"], {
                env: { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
            });
            expect(run.exitCode).to.equal(2);
            expect(JSON.parse(run.stdout)).to.deep.equal({
                error: {
                    message: '--sample is "lots": expected a whole number of keys from 1 to 1000, e.g. 200 (to compare every key, use lustre-dr compare)',
                    code: "usage",
                    exitCode: 2,
                },
            });
        });
    });

    it("is registered on the CLI with --json, --only and the side options", async () => {
        const status = (await buildProgram()).commands.find((c) => c.name() === "status");
        const flags = status?.options.map((o) => o.long);
        expect(flags).to.include.members([
            "--json", "--only", "--latency-threshold", "--drill-history", "--sample", "--sample-prefix", "--sample-seed",
            "--primary-endpoint", "--dr-profile", "--dr-stack",
        ]);
    });
});
