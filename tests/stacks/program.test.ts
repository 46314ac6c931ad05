import { expect } from "chai";
import { ConfigError } from "../../components/problems";
import { RawSiteConfig } from "../../stacks/config";
import { SiteOutputs } from "../../stacks/outputs";
import { lustreDrProgram } from "../../stacks/program";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { MockedRun, publicAmiInvokes, resolveAll, runWithMocks } from "../support/pulumiMocks";

const accounts = { primary: "111111111111", dr: "222222222222" } as const;
const fullName = (stack: string) => `organization/lustre-dr/${stack}`;

/** Stack outputs as the state backend would hold them after each update. */
type Backend = Record<string, Record<string, unknown>>;

async function up(
    stack: "primary" | "dr",
    raw: RawSiteConfig,
    backend: Backend,
    accountId: string = accounts[stack],
): Promise<{ run: MockedRun<unknown>; outputs: SiteOutputs }> {
    const run = await runWithMocks(() => lustreDrProgram(raw), { stack, world: { accountId, region: String(raw.awsRegion), stacks: backend, invokes: publicAmiInvokes } });
    const outputs = (await resolveAll(run.result as object)) as unknown as SiteOutputs;
    backend[fullName(stack)] = outputs as unknown as Record<string, unknown>;
    return { run, outputs };
}

const primaryConfig: RawSiteConfig = { awsRegion: "us-east-1", lustre: { enabled: false } };
const drConfig: RawSiteConfig = { awsRegion: "us-west-2" };
const withPeer = (raw: RawSiteConfig, peer: "primary" | "dr"): RawSiteConfig => ({ ...raw, peerStack: fullName(peer), peerAccountId: accounts[peer] });

describe("the program", () => {
    it("deploys alone without a peer: outputs per the contract, status no-peer", async () => {
        const { run, outputs } = await up("primary", primaryConfig, {});
        expect(outputs).to.deep.equal({
            accountId: accounts.primary,
            region: "us-east-1",
            role: "primary",
            bucketName: "data-bucket-0123abc",
            bucketArn: "arn:aws:s3:::data-bucket-0123abc",
            kmsKeyArn: `arn:aws:kms:us-east-1:${accounts.primary}:key/data-key-key-id`,
            replicationRoleArn: `arn:aws:iam::${accounts.primary}:role/lustre-dr-primary-replication`,
            batchReplicationRoleArn: `arn:aws:iam::${accounts.primary}:role/lustre-dr-primary-batch-replication`,
            restoreBatchRoleArn: `arn:aws:iam::${accounts.primary}:role/lustre-dr-primary-restore-batch`,
            replicationGrantedTo: [],
            replicationStatus: "no-peer",
            objectLockEnabled: false,
            alarmTopicArn: `arn:aws:sns:us-east-1:${accounts.primary}:alarms-topic`,
        });
        expect(run.ofType("pulumi:pulumi:StackReference")).to.be.empty;
        expect(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.be.empty;
    });

    it("omits kmsKeyArn with SSE_S3", async () => {
        const { outputs } = await up("primary", { ...primaryConfig, bucket: { encryption: "SSE_S3" } }, {});
        expect(outputs).to.not.have.property("kmsKeyArn");
    });

    it("tags every taggable resource with its stack and role", async () => {
        const { run } = await up("dr", drConfig, {});
        const taggable = run.resources.filter((r) => r.type.startsWith("aws:") && r.type !== "aws:s3/bucketPolicy:BucketPolicy" && "tags" in r.inputs);
        expect(taggable.map((r) => r.type)).to.include.members(["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:iam/role:Role"]);
        for (const resource of taggable) {
            expect(resource.inputs.tags, resource.name).to.deep.equal({ "lustre-dr:stack": "dr", "lustre-dr:role": "dr" });
        }
    });

    it("converges two accounts in four updates: primary, dr, primary, dr", async () => {
        const backend: Backend = {};
        const statuses: string[] = [];

        const first = await up("primary", primaryConfig, backend);
        statuses.push(first.outputs.replicationStatus);

        const second = await up("dr", withPeer(drConfig, "primary"), backend);
        statuses.push(second.outputs.replicationStatus);
        expect(second.outputs.replicationGrantedTo).to.deep.equal([first.outputs.replicationRoleArn]);
        expect(second.run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.be.empty;

        const third = await up("primary", withPeer(primaryConfig, "dr"), backend);
        statuses.push(third.outputs.replicationStatus);
        const toDr = third.run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules[0].destination;
        expect(toDr).to.include({ bucket: second.outputs.bucketArn, account: accounts.dr });
        expect(toDr.encryptionConfiguration).to.deep.equal({ replicaKmsKeyId: second.outputs.kmsKeyArn });
        const watched = third.run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.dimensions?.DestinationBucket);
        expect(watched).to.include(second.outputs.bucketName);
        const replicationAlarms = (run: MockedRun<unknown>) => run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.dimensions?.RuleId !== undefined);
        expect(replicationAlarms(second.run), "no replication alarms before replication exists").to.be.empty;

        const fourth = await up("dr", withPeer(drConfig, "primary"), backend);
        statuses.push(fourth.outputs.replicationStatus);
        const toPrimary = fourth.run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules[0].destination;
        expect(toPrimary).to.include({ bucket: first.outputs.bucketArn, account: accounts.primary });

        expect(statuses).to.deep.equal(["no-peer", "awaiting-peer-grant", "active", "active"]);

        // A second deploy changes nothing: both sides stay active with the same grants.
        const again = await up("primary", withPeer(primaryConfig, "dr"), backend);
        expect(again.outputs).to.deep.equal(third.outputs);
    });

    it("switches Object Lock on one side after the other: the locked side waits to send until its peer reports Object Lock", async () => {
        const backend: Backend = {};
        const locked = (raw: RawSiteConfig): RawSiteConfig => ({ ...raw, bucket: { objectLock: { mode: "GOVERNANCE", days: 30 } } });
        await up("primary", primaryConfig, backend);
        await up("dr", withPeer(drConfig, "primary"), backend);
        await up("primary", withPeer(primaryConfig, "dr"), backend);
        await up("dr", withPeer(drConfig, "primary"), backend);

        // dr first: it keeps accepting replicas, but S3 would not replicate its locked versions into an unlocked primary.
        const dr = await up("dr", locked(withPeer(drConfig, "primary")), backend);
        expect(dr.outputs).to.include({ objectLockEnabled: true, replicationStatus: "awaiting-peer-grant" });
        expect(dr.outputs.replicationGrantedTo).to.have.length(1);
        expect(dr.run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.be.empty;
        const primaryStill = await up("primary", withPeer(primaryConfig, "dr"), backend);
        expect(primaryStill.outputs.replicationStatus, "an unlocked primary keeps replicating into the locked dr").to.equal("active");

        // Then the primary: both have Object Lock, both replicate.
        const primary = await up("primary", locked(withPeer(primaryConfig, "dr")), backend);
        expect(primary.outputs).to.include({ objectLockEnabled: true, replicationStatus: "active" });
        const drAgain = await up("dr", locked(withPeer(drConfig, "primary")), backend);
        expect(drAgain.outputs.replicationStatus).to.equal("active");
        expect(drAgain.run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules[0].destination.bucket).to.equal(primary.outputs.bucketArn);
    });

    it("reads the peer through exactly one StackReference", async () => {
        const backend: Backend = {};
        await up("primary", primaryConfig, backend);
        const { run } = await up("dr", withPeer(drConfig, "primary"), backend);
        expect(run.single("pulumi:pulumi:StackReference").inputs.name).to.equal(fullName("primary"));
    });

    it("when detached: does not read the peer, grants nothing, replicates nothing", async () => {
        const backend: Backend = {};
        await up("primary", primaryConfig, backend);
        await up("dr", withPeer(drConfig, "primary"), backend);
        await up("primary", withPeer(primaryConfig, "dr"), backend);
        // The primary's backend is gone in this incident: the detached dr stack must not need it.
        const unreachable: Backend = {};
        const { run, outputs } = await up("dr", { ...withPeer(drConfig, "primary"), recovery: { detached: true } }, unreachable);
        expect(outputs.replicationStatus).to.equal("detached");
        expect(outputs.replicationGrantedTo).to.deep.equal([]);
        expect(run.ofType("pulumi:pulumi:StackReference")).to.be.empty;
        expect(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.be.empty;
        const policy = JSON.parse(run.single("aws:s3/bucketPolicy:BucketPolicy").inputs.policy) as { Statement: { Sid: string }[] };
        expect(policy.Statement.map((s) => s.Sid)).to.deep.equal(["DenyInsecureTransport"]);
    });

    it("refuses a peer in the same region before declaring any resource", async () => {
        const backend: Backend = {};
        await up("primary", primaryConfig, backend);
        let error: unknown;
        let declared: string[] = [];
        try {
            const run = await runWithMocks(() => lustreDrProgram(withPeer({ awsRegion: "us-east-1" }, "primary")), {
                stack: "dr",
                world: { accountId: accounts.dr, stacks: backend },
            });
            declared = run.resources.map((r) => r.type);
        } catch (caught) {
            error = caught;
        }
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).message).to.contain("lustre-dr:peerStack").and.contain("another region");
        expect(declared.filter((t) => t.startsWith("aws:"))).to.be.empty;
    });

    describe("a peer whose outputs do not fit lustre-dr:peerAccountId (forged by whoever holds the peer's state)", () => {
        const attacker = "666666666666";
        const forgeries: [string, (genuine: SiteOutputs) => Partial<SiteOutputs>, string][] = [
            [
                "its replication role in the attacker's account",
                (g) => ({ replicationRoleArn: g.replicationRoleArn.replace(accounts.primary, attacker), replicationGrantedTo: [] }),
                `a role in account ${attacker}, not the pinned ${accounts.primary}`,
            ],
            [
                "a differently named role in the pinned account",
                () => ({ replicationRoleArn: `arn:aws:iam::${accounts.primary}:role/break-glass-admin` }),
                "a role named break-glass-admin, not the deterministic lustre-dr-primary-replication",
            ],
            [
                "its key in the attacker's account",
                (g) => ({ kmsKeyArn: String(g.kmsKeyArn).replace(accounts.primary, attacker) }),
                `a key in account ${attacker}, not the pinned ${accounts.primary}`,
            ],
            [
                "an accountId that is not the pinned one, with everything else moved along",
                (g) => ({
                    accountId: attacker,
                    replicationRoleArn: g.replicationRoleArn.replace(accounts.primary, attacker),
                    batchReplicationRoleArn: g.batchReplicationRoleArn.replace(accounts.primary, attacker),
                    kmsKeyArn: String(g.kmsKeyArn).replace(accounts.primary, attacker),
                }),
                `its accountId output is ${attacker}, not the pinned ${accounts.primary}`,
            ],
            [
                "a bucket ARN that is not its bucket's",
                () => ({ bucketArn: "arn:aws:s3:::attacker-exfiltration" }),
                "does not name its bucketName",
            ],
        ];
        for (const [what, forge, message] of forgeries) {
            it(`refuses ${what} before declaring anything, saying why`, async () => {
                const backend: Backend = {};
                const genuine = await up("primary", primaryConfig, backend);
                backend[fullName("primary")] = { ...backend[fullName("primary")], ...forge(genuine.outputs) };
                let error: unknown;
                const run = await runWithMocks(
                    async () => {
                        try {
                            return await lustreDrProgram(withPeer(drConfig, "primary"));
                        } catch (caught) {
                            error = caught;
                            return {};
                        }
                    },
                    { stack: "dr", world: { accountId: accounts.dr, region: "us-west-2", stacks: backend } },
                );
                expect(error).to.be.instanceOf(ConfigError);
                const text = (error as ConfigError).message;
                expect(text).to.contain("lustre-dr:peerAccountId").and.contain(message).and.contain("organization/lustre-dr/primary is refused");
                expect(run.resources.map((r) => r.type).filter((t) => t.startsWith("aws:") || t.startsWith("lustre-dr:"))).to.deep.equal([]);
            });
        }

        it("grants and replicates to the pinned account's deterministic role, never to a string the outputs supply", async () => {
            const backend: Backend = {};
            const primary = await up("primary", primaryConfig, backend);
            const dr = await up("dr", withPeer(drConfig, "primary"), backend);
            const policy = JSON.parse(dr.run.single("aws:s3/bucketPolicy:BucketPolicy").inputs.policy) as {
                Statement: { Sid: string; Principal?: { AWS?: string } }[];
            };
            const granted = policy.Statement.filter((s) => s.Principal?.AWS !== undefined).map((s) => s.Principal?.AWS);
            expect(granted).to.deep.equal([
                `arn:aws:iam::${accounts.primary}:role/lustre-dr-primary-replication`,
                `arn:aws:iam::${accounts.primary}:role/lustre-dr-primary-replication`,
            ]);
            const third = await up("primary", withPeer(primaryConfig, "dr"), backend);
            const rule = third.run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules[0];
            expect(rule.destination.account).to.equal(accounts.dr);
            const rolePolicy = JSON.parse(
                third.run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "data-replication-policy")?.inputs.policy,
            ) as { Statement: { Sid: string; Condition?: unknown }[] };
            expect(rolePolicy.Statement.find((s) => s.Sid === "WriteReplicas")?.Condition).to.deep.equal({
                StringEquals: { "s3:ResourceAccount": accounts.dr },
            });
            expect(primary.outputs.accountId).to.equal(accounts.primary);
        });
    });

    it("watches each bucket for mass deletes and overwrites by default, on the alarm topic, and not when alarms.writeActivity is false", async () => {
        for (const [stack, raw] of [["primary", primaryConfig], ["dr", drConfig]] as const) {
            const { run, outputs } = await up(stack, raw, {});
            expect(run.single("aws:s3/bucketMetric:BucketMetric").inputs).to.deep.equal({ bucket: outputs.bucketName, name: "lustre-dr-entire-bucket" });
            const topic = run.single("aws:sns/topic:Topic");
            const watching = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.dimensions?.FilterId === "lustre-dr-entire-bucket");
            expect(watching.map((a) => [a.inputs.metricName, a.inputs.dimensions.BucketName, a.inputs.threshold])).to.have.deep.members([
                ["DeleteRequests", outputs.bucketName, 1000],
                ["PutRequests", outputs.bucketName, 50000],
            ]);
            for (const alarm of watching) {
                expect(alarm.inputs.alarmActions).to.deep.equal([`arn:aws:sns:us-east-1:${accounts[stack]}:${topic.name}`]);
            }
            expect(run.ofType("aws:s3/bucketNotification:BucketNotification"), "FSx owns the notifications").to.be.empty;
        }
        const quiet = await up("primary", { ...primaryConfig, alarms: { writeActivity: false, deleteRequestsPer5Minutes: 5 } }, {});
        expect(quiet.run.ofType("aws:s3/bucketMetric:BucketMetric")).to.be.empty;
        expect(quiet.run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.dimensions?.FilterId !== undefined)).to.be.empty;
    });

    it("builds both example stack files as shipped", async () => {
        const backend: Backend = {};
        const primary = await up("primary", readStackConfigFile(stackConfigPath("primary")), backend);
        expect(primary.outputs).to.include({ role: "primary", region: "us-east-1", replicationStatus: "no-peer" });
        const dr = await up("dr", readStackConfigFile(stackConfigPath("dr")), backend);
        expect(dr.outputs).to.include({ role: "dr", region: "us-west-2", replicationStatus: "no-peer" });
    });
});
