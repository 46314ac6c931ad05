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
    const run = await runWithMocks(() => lustreDrProgram(raw), { stack, world: { accountId, stacks: backend, invokes: publicAmiInvokes } });
    const outputs = (await resolveAll(run.result as object)) as unknown as SiteOutputs;
    backend[fullName(stack)] = outputs as unknown as Record<string, unknown>;
    return { run, outputs };
}

const primaryConfig: RawSiteConfig = { awsRegion: "us-east-1", lustre: { enabled: false } };
const drConfig: RawSiteConfig = { awsRegion: "us-west-2" };
const withPeer = (raw: RawSiteConfig, peer: string): RawSiteConfig => ({ ...raw, peerStack: fullName(peer) });

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
            replicationGrantedTo: [],
            replicationStatus: "no-peer",
            objectLockEnabled: false,
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
        expect(second.run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm"), "no alarms before replication exists").to.be.empty;

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

    it("builds both example stack files as shipped", async () => {
        const backend: Backend = {};
        const primary = await up("primary", readStackConfigFile(stackConfigPath("primary")), backend);
        expect(primary.outputs).to.include({ role: "primary", region: "us-east-1", replicationStatus: "no-peer" });
        const dr = await up("dr", readStackConfigFile(stackConfigPath("dr")), backend);
        expect(dr.outputs).to.include({ role: "dr", region: "us-west-2", replicationStatus: "no-peer" });
    });
});
