import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ListObjectVersionsCommand, PutBucketVersioningCommand, ReplicationRule, S3Client } from "@aws-sdk/client-s3";
import { DescribeInstanceInformationCommand, DescribeInstanceInformationCommandInput, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { classifyAwsError } from "../../../infra/aws/errors";
import { replicationProblem, ruleCoversKey } from "../../../infra/drill/preflight";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { startRejectingEndpoint } from "../../emulator/rejectingEndpoint";
import { EmulatedBucketPair, emulatedBucketPair } from "../../emulator/replicationCopier";
import { runCli } from "../../support/cliRun";

const rule = (fields: Partial<ReplicationRule>): ReplicationRule => ({
    ID: "lustre-dr",
    Status: "Enabled",
    Destination: { Bucket: "arn:aws:s3:::other" },
    ...fields,
});

describe("infra/drill/preflight", () => {
    describe("replication rules", () => {
        it("accepts an enabled rule towards the other bucket for all objects or the drill's prefix", () => {
            expect(replicationProblem([rule({ Filter: {} })], "other")).to.equal(undefined);
            expect(replicationProblem([rule({ Filter: { Prefix: "" } })], "other")).to.equal(undefined);
            expect(replicationProblem([rule({ Filter: { Prefix: ".lustre-dr/" } })], "other")).to.equal(undefined);
            expect(replicationProblem([rule({ Prefix: "" })], "other")).to.equal(undefined);
        });

        it("names the destination when no rule goes there, a rule is disabled, or a filter leaves the canaries out", () => {
            expect(replicationProblem([rule({ Destination: { Bucket: "arn:aws:s3:::elsewhere" } })], "other")).to.equal(
                "no replication rule towards arn:aws:s3:::other (its rules replicate to arn:aws:s3:::elsewhere)",
            );
            expect(replicationProblem([], "other")).to.equal("no replication rule towards arn:aws:s3:::other (its rules replicate to nothing)");
            expect(replicationProblem([rule({ Status: "Disabled" })], "other")).to.equal(
                "the replication rule towards arn:aws:s3:::other is Disabled, not Enabled",
            );
            expect(replicationProblem([rule({ Filter: { Prefix: "data/" } })], "other")).to.match(/filtered \(prefix or tag\) and does not replicate the drill's keys/);
            expect(ruleCoversKey(rule({ Filter: { Tag: { Key: "a", Value: "b" } } }), ".lustre-dr/drill/x")).to.equal(false);
            expect(ruleCoversKey(rule({ Filter: { And: { Prefix: "", Tags: [{ Key: "a", Value: "b" }] } } }), ".lustre-dr/drill/x")).to.equal(false);
        });
    });

    describe("AWS errors", () => {
        it("tells a refused connection, missing and rejected credentials, a missing bucket, a wrong region and a denial apart", () => {
            const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED", $metadata: {} });
            expect(classifyAwsError(refused, { endpoint: "http://127.0.0.1:9" })).to.deep.equal({
                kind: "unreachable",
                text: "cannot reach http://127.0.0.1:9: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9",
            });
            const missing = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
            expect(classifyAwsError(missing).kind).to.equal("no-credentials");
            const service = (name: string, status: number, message = "from the service") =>
                Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
            expect(classifyAwsError(service("InvalidAccessKeyId", 403)).kind).to.equal("credentials-rejected");
            expect(classifyAwsError(service("ExpiredToken", 400)).kind).to.equal("credentials-rejected");
            expect(classifyAwsError(service("NoSuchBucket", 404)).kind).to.equal("no-such-bucket");
            expect(classifyAwsError(service("PermanentRedirect", 301, "use the specified endpoint"), { region: "us-east-1" }).text).to.equal(
                "PermanentRedirect: use the specified endpoint (the bucket is not in us-east-1)",
            );
            expect(classifyAwsError(service("AccessDenied", 403, "Access Denied"), { action: "s3:PutObject" }).text).to.equal(
                "AccessDenied: Access Denied (the credentials lack s3:PutObject)",
            );
            expect(classifyAwsError(service("SlowDown", 503, "Please reduce your request rate")).kind).to.equal("other");
        });
    });

    describe("a side not ready stops the drill before any write (exit 2, no history)", function () {
        this.timeout(60_000);
        let dir: string;
        let buckets: EmulatedBucketPair;
        const baseEnv = (): NodeJS.ProcessEnv => {
            const env: NodeJS.ProcessEnv = {
                ...process.env,
                AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
                AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
                // no request may leave 127.0.0.1: no instance metadata, no shared config of the machine
                AWS_EC2_METADATA_DISABLED: "true",
                AWS_CONFIG_FILE: path.join(dir, "aws-config"),
                AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "aws-credentials"),
            };
            for (const name of ["AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]) {
                delete env[name];
            }
            return env;
        };
        const sideFlags = (overrides: Record<string, string> = {}) => {
            const flags: Record<string, string> = {
                "--primary-bucket": buckets.primary.bucket,
                "--primary-region": buckets.primary.region,
                "--primary-endpoint": buckets.primary.endpoint,
                "--dr-bucket": buckets.dr.bucket,
                "--dr-region": buckets.dr.region,
                "--dr-endpoint": buckets.dr.endpoint,
                ...overrides,
            };
            return Object.entries(flags).flatMap(([flag, value]) => [flag, value]);
        };
        const history = () => path.join(dir, "history.jsonl");
        const drill = (overrides: Record<string, string> = {}, env: NodeJS.ProcessEnv = baseEnv()) =>
            runCli(["drill", ...sideFlags(overrides), "--canaries", "1", "--objective", "2", "--history", history()], { env });
        const versionsIn = async (client: S3Client, bucket: string) => {
            const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
            return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => v.Key);
        };
        /** Nothing written on either side, no history file. */
        const expectUntouched = async () => {
            expect(await versionsIn(buckets.primary.client, buckets.primary.bucket)).to.deep.equal([]);
            expect(await versionsIn(buckets.dr.client, buckets.dr.bucket)).to.deep.equal([]);
            expect(fs.existsSync(history())).to.equal(false);
        };

        beforeEach(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-preflight-"));
            fs.writeFileSync(path.join(dir, "aws-config"), "[default]\nregion = us-east-1\n");
            fs.writeFileSync(path.join(dir, "aws-credentials"), "");
            buckets = await emulatedBucketPair(await emulatorPair(), "preflight");
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("a missing bucket: names the side, bucket and region", async () => {
            const run = await drill({ "--dr-bucket": "preflight-no-such-bucket" });
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.include("drill not started, nothing was written and no history entry was made");
            expect(run.stderr).to.include(
                "dr bucket preflight-no-such-bucket (us-west-2): s3:GetBucketVersioning: NoSuchBucket: The specified bucket does not exist",
            );
            expect(run.stderr).to.not.match(/--clean-up/);
            await expectUntouched();
        });

        it("an endpoint refusing connections", async () => {
            const closed = await new Promise<number>((resolve) => {
                const server = net.createServer().listen(0, "127.0.0.1", () => {
                    const port = (server.address() as net.AddressInfo).port;
                    server.close(() => resolve(port));
                });
            });
            const run = await drill({ "--primary-endpoint": `http://127.0.0.1:${closed}` });
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.include(
                `primary bucket ${buckets.primary.bucket} (us-east-1): s3:GetBucketVersioning: cannot reach http://127.0.0.1:${closed}: ECONNREFUSED`,
            );
            await expectUntouched();
        });

        it("credentials the service rejects (403 InvalidAccessKeyId)", async () => {
            const rejecting = await startRejectingEndpoint();
            try {
                const run = await drill({ "--dr-endpoint": rejecting.endpoint });
                expect(run.exitCode).to.equal(2);
                expect(run.stderr).to.include(
                    `dr bucket ${buckets.dr.bucket} (us-west-2): s3:GetBucketVersioning: credentials rejected: InvalidAccessKeyId: The AWS Access Key Id`,
                );
                expect(rejecting.requests.every((request) => /^GET /.test(request))).to.equal(true);
                await expectUntouched();
            } finally {
                await rejecting.stop();
            }
        });

        it("no credentials at all (a profile that does not exist)", async () => {
            const run = await drill({ "--dr-profile": "typo-dr" });
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.match(new RegExp(`dr bucket ${buckets.dr.bucket} \\(us-west-2\\): s3:GetBucketVersioning: no AWS credentials: .*check the profile`));
            expect(run.stderr).to.not.include("- primary bucket");
            await expectUntouched();
        });

        it("versioning suspended on one side", async () => {
            await buckets.dr.client.send(new PutBucketVersioningCommand({ Bucket: buckets.dr.bucket, VersioningConfiguration: { Status: "Suspended" } }));
            const run = await drill();
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.include(`dr bucket ${buckets.dr.bucket} (us-west-2): versioning is Suspended, expected Enabled`);
            await expectUntouched();
        });

        it("with --json: one error document on stdout, code environment", async () => {
            const run = await runCli(["drill", ...sideFlags({ "--dr-bucket": "preflight-no-such-bucket" }), "--history", history(), "--json"], { env: baseEnv() });
            expect(run.exitCode).to.equal(2);
            const document = JSON.parse(run.stdout) as { error: { code: string; exitCode: number; message: string } };
            expect(document.error).to.include({ code: "environment", exitCode: 2 });
            expect(document.error.message).to.include("dr bucket preflight-no-such-bucket (us-west-2): s3:GetBucketVersioning: NoSuchBucket");
            await expectUntouched();
        });

        it("with --fs: a client instance SSM does not manage, or whose agent is offline", async () => {
            const ssm = mockClient(SSMClient);
            ssm.on(DescribeInstanceInformationCommand).callsFake(async (input: DescribeInstanceInformationCommandInput) => {
                const id = input.Filters?.[0]?.Values?.[0];
                return { InstanceInformationList: id === "i-0123456789abcdef0" ? [{ InstanceId: id, PingStatus: "ConnectionLost" }] : [] };
            });
            try {
                const run = await runCli(
                    ["drill", ...sideFlags(), "--fs", "--primary-instance", "i-0123456789abcdef0", "--dr-instance", "i-0fedcba9876543210", "--history", history()],
                    { env: baseEnv() },
                );
                expect(run.exitCode).to.equal(2);
                expect(run.stderr).to.include("primary instance i-0123456789abcdef0 (us-east-1): its SSM agent is ConnectionLost, not Online");
                expect(run.stderr).to.include("dr instance i-0fedcba9876543210 (us-west-2): not managed by SSM in us-west-2");
                expect(ssm.commandCalls(SendCommandCommand)).to.have.length(0);
                await expectUntouched();
            } finally {
                ssm.restore();
            }
        });

        it("no replication configured: both sides reported at once", async () => {
            buckets = await emulatedBucketPair(await emulatorPair(), "preflight", { replication: false });
            const run = await drill();
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.include(
                `primary bucket ${buckets.primary.bucket} (us-east-1): no replication configuration, so nothing replicates to the dr bucket ${buckets.dr.bucket}`,
            );
            expect(run.stderr).to.include(
                `dr bucket ${buckets.dr.bucket} (us-west-2): no replication configuration, so nothing replicates to the primary bucket ${buckets.primary.bucket}`,
            );
            await expectUntouched();
        });
    });
});
