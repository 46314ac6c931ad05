import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ReplicatedBucket, ReplicatedBucketArgs } from "../../components/replicatedBucket";
import { replicationRuleId } from "../../components/replicationRule";
import { MockedRun, runWithMocks } from "../support/pulumiMocks";

const base: ReplicatedBucketArgs = {
    accountId: "111111111111",
    partition: "aws",
    region: "eu-west-1",
    bucketName: "primary-data",
    replicationRoleName: "lustre-dr-primary-replication",
    batchReplicationRoleName: "lustre-dr-primary-batch-replication",
};
const peerRole = "arn:aws:iam::222222222222:role/lustre-dr-dr-replication";
const peerBucket = { bucketArn: "arn:aws:s3:::dr-data", accountId: "222222222222", region: "eu-central-1", kmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/dr" };

interface Built {
    run: MockedRun<ReplicatedBucket>;
    protectedResources: string[];
    dependsOn: Map<string, pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined>;
}

async function build(args: Partial<ReplicatedBucketArgs> = {}): Promise<Built> {
    const protectedResources: string[] = [];
    const dependsOn: Built["dependsOn"] = new Map();
    const run = await runWithMocks(
        () =>
            new ReplicatedBucket(
                "data",
                { ...base, ...args },
                {
                    // Records the protect option each child resource ends up with.
                    transformations: [
                        (t) => {
                            if (t.opts.protect) {
                                protectedResources.push(t.name);
                            }
                            dependsOn.set(t.name, t.opts.dependsOn);
                            return undefined;
                        },
                    ],
                },
            ),
        { stack: "primary" },
    );
    return { run, protectedResources, dependsOn };
}

function policyOf(run: MockedRun<unknown>, type: string, name?: string): { Statement: { Sid: string; Action: string | string[]; Resource?: unknown; Principal?: unknown }[] } {
    const resource = name ? run.ofType(type).find((r) => r.name === name) : run.single(type);
    if (!resource) {
        throw new Error(`no ${type} ${name}`);
    }
    return JSON.parse(resource.inputs.policy as string);
}

describe("ReplicatedBucket", () => {
    describe("with SSE-KMS (default)", () => {
        let built: Built;
        before(async () => {
            built = await build();
        });

        it("creates the named bucket, without force-destroy, protected", () => {
            const bucket = built.run.single("aws:s3/bucket:Bucket");
            expect(bucket.inputs.bucket).to.equal("primary-data");
            expect(bucket.inputs.forceDestroy).to.equal(false);
            expect(built.protectedResources).to.include.members(["data-bucket", "data-key"]);
        });

        it("enables versioning", () => {
            const versioning = built.run.single("aws:s3/bucketVersioning:BucketVersioning");
            expect(versioning.inputs).to.deep.include({ bucket: "primary-data", versioningConfiguration: { status: "Enabled" } });
        });

        it("blocks every kind of public access and enforces bucket-owner ownership", () => {
            expect(built.run.single("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.deep.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(built.run.single("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).to.deep.equal({
                objectOwnership: "BucketOwnerEnforced",
            });
        });

        it("encrypts with a rotating customer-managed key and a bucket key", () => {
            const key = built.run.single("aws:kms/key:Key");
            expect(key.inputs.enableKeyRotation).to.equal(true);
            const rule = built.run.single("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0];
            expect(rule).to.deep.equal({
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:111111111111:key/data-key-key-id" },
                bucketKeyEnabled: true,
            });
        });

        it("expires noncurrent versions after 90 days and aborts incomplete uploads", () => {
            const [rule] = built.run.single("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
            expect(rule).to.deep.include({ status: "Enabled", filter: {} });
            expect(rule.noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: 90 });
            expect(rule.abortIncompleteMultipartUpload).to.deep.equal({ daysAfterInitiation: 7 });
        });

        it("has no Object Lock unless asked", () => {
            expect(built.run.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).to.be.empty;
            expect(built.run.single("aws:s3/bucket:Bucket").inputs.objectLockEnabled).to.equal(undefined);
        });

        it("names the replication roles deterministically", () => {
            const names = built.run.ofType("aws:iam/role:Role").map((r) => r.inputs.name);
            expect(names).to.have.members(["lustre-dr-primary-replication", "lustre-dr-primary-batch-replication"]);
        });

        it("without a peer: no grant, no replication configuration", () => {
            const policy = policyOf(built.run, "aws:s3/bucketPolicy:BucketPolicy");
            expect(policy.Statement.map((s) => s.Sid)).to.deep.equal(["DenyInsecureTransport"]);
            expect(built.run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.be.empty;
            const role = policyOf(built.run, "aws:iam/rolePolicy:RolePolicy", "data-replication-policy");
            expect(role.Statement.map((s) => s.Sid)).to.not.include("WriteReplicas");
        });

        it("never manages S3 event notifications (FSx owns them)", () => {
            expect(built.run.ofType("aws:s3/bucketNotification:BucketNotification")).to.be.empty;
        });
    });

    describe("with SSE-S3", () => {
        it("uses AES256 and creates no key", async () => {
            const { run } = await build({ encryption: "SSE_S3" });
            expect(run.ofType("aws:kms/key:Key")).to.be.empty;
            const rule = run.single("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0];
            expect(rule).to.deep.equal({ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } });
        });

        it("replicates without KMS selection criteria", async () => {
            const { run } = await build({ encryption: "SSE_S3", replicateTo: { ...peerBucket, kmsKeyArn: undefined } });
            const [rule] = run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules;
            expect(rule.sourceSelectionCriteria).to.deep.equal({ replicaModifications: { status: "Enabled" } });
            expect(rule.destination.encryptionConfiguration).to.equal(undefined);
        });
    });

    describe("options", () => {
        describe("with Object Lock (GOVERNANCE, 30 days), replicating both ways", () => {
            let locked: Built;
            before(async () => {
                locked = await build({ objectLock: { mode: "GOVERNANCE", days: 30 }, acceptReplicasFrom: peerRole, replicateTo: peerBucket });
            });

            it("switches Object Lock on with the default retention, after versioning, without replacing an existing bucket", () => {
                const lock = locked.run.single("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
                expect(lock.inputs.bucket).to.equal("primary-data");
                expect(lock.inputs.rule).to.deep.equal({ defaultRetention: { mode: "GOVERNANCE", days: 30 } });
                expect(lock.inputs.objectLockEnabled ?? "Enabled").to.equal("Enabled");
                expect(locked.dependsOn.get("data-object-lock")).to.include(locked.run.result.versioning);
                // objectLockEnabled on the bucket forces a replacement; the lock configuration enables it in place.
                expect(locked.run.single("aws:s3/bucket:Bucket").inputs.objectLockEnabled).to.equal(undefined);
            });

            it("lets replication read each version's retention and legal hold, and still grants the peer nothing that touches them", () => {
                const role = policyOf(locked.run, "aws:iam/rolePolicy:RolePolicy", "data-replication-policy");
                const reads = role.Statement.find((s) => s.Sid === "ReadSourceObjectVersions")!;
                expect(reads.Action).to.include.members(["s3:GetObjectRetention", "s3:GetObjectLegalHold"]);
                expect(reads.Resource).to.equal("arn:aws:s3:::primary-data/*");
                const granted = policyOf(locked.run, "aws:s3/bucketPolicy:BucketPolicy")
                    .Statement.filter((s) => s.Principal !== "*")
                    .flatMap((s) => [s.Action].flat());
                expect(granted).to.include("s3:ReplicateObject");
                expect(granted.filter((a) => /Retention|LegalHold|ObjectLock|\*/.test(a))).to.deep.equal([]);
            });
        });

        it("reads no retention or legal hold without Object Lock", async () => {
            const { run } = await build({ acceptReplicasFrom: peerRole, replicateTo: peerBucket });
            const role = policyOf(run, "aws:iam/rolePolicy:RolePolicy", "data-replication-policy");
            expect(role.Statement.flatMap((s) => [s.Action].flat()).filter((a) => /Retention|LegalHold/.test(a))).to.deep.equal([]);
        });

        it("honours the retention days, force-destroy and protect switches", async () => {
            const { run, protectedResources } = await build({ noncurrentVersionRetentionDays: 7, forceDestroy: true, protect: false });
            const [rule] = run.single("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
            expect(rule.noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: 7 });
            expect(run.single("aws:s3/bucket:Bucket").inputs.forceDestroy).to.equal(true);
            expect(protectedResources).to.be.empty;
        });
    });

    describe("replicating to a peer in another account", () => {
        let run: MockedRun<ReplicatedBucket>;
        before(async () => {
            ({ run } = await build({ acceptReplicasFrom: peerRole, replicateTo: peerBucket }));
        });

        it("configures one fully specified rule to the peer bucket", () => {
            const config = run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
            expect(config.inputs.bucket).to.equal("primary-data");
            expect(config.inputs.role).to.equal("arn:aws:iam::111111111111:role/lustre-dr-primary-replication");
            expect(config.inputs.rules).to.have.length(1);
            const [rule] = config.inputs.rules;
            expect(rule).to.deep.include({ id: replicationRuleId, priority: 1, status: "Enabled", filter: {} });
            expect(rule.deleteMarkerReplication).to.deep.equal({ status: "Enabled" });
            expect(rule.sourceSelectionCriteria).to.deep.equal({
                replicaModifications: { status: "Enabled" },
                sseKmsEncryptedObjects: { status: "Enabled" },
            });
            expect(rule).to.not.have.property("existingObjectReplication");
            expect(rule.destination).to.deep.equal({
                bucket: "arn:aws:s3:::dr-data",
                storageClass: "STANDARD",
                account: "222222222222",
                accessControlTranslation: { owner: "Destination" },
                encryptionConfiguration: { replicaKmsKeyId: peerBucket.kmsKeyArn },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            });
        });

        it("grants the peer's role in the bucket policy and the key policy", () => {
            const bucket = policyOf(run, "aws:s3/bucketPolicy:BucketPolicy");
            expect(bucket.Statement.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ AWS: peerRole })).map((s) => s.Sid)).to.deep.equal([
                "AcceptReplicasFromPeer",
                "LetPeerCheckVersioning",
            ]);
            const key = JSON.parse(run.single("aws:kms/key:Key").inputs.policy as string) as { Statement: { Sid: string }[] };
            expect(key.Statement.map((s) => s.Sid)).to.include("PeerEncryptsReplicas");
        });

        it("lets the role write replicas and encrypt them with the peer's key", () => {
            const role = policyOf(run, "aws:iam/rolePolicy:RolePolicy", "data-replication-policy");
            const write = role.Statement.find((s) => s.Sid === "WriteReplicas");
            expect(write?.Resource).to.equal("arn:aws:s3:::dr-data/*");
            expect(write?.Action).to.include("s3:ObjectOwnerOverrideToBucketOwner");
            expect(role.Statement.find((s) => s.Sid === "EncryptReplicas")?.Resource).to.equal(peerBucket.kmsKeyArn);
        });
    });

    describe("replicating to a peer in the same account", () => {
        it("omits account and owner override, and leaves RTC off (metrics on) when disabled", async () => {
            const { run } = await build({ replicateTo: { ...peerBucket, accountId: "111111111111" }, replicationTimeControl: false });
            const [rule] = run.single("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules;
            expect(rule.destination).to.not.have.any.keys("account", "accessControlTranslation", "replicationTime");
            expect(rule.destination.metrics).to.deep.equal({ status: "Enabled" });
            const role = policyOf(run, "aws:iam/rolePolicy:RolePolicy", "data-replication-policy");
            expect(role.Statement.find((s) => s.Sid === "WriteReplicas")?.Action).to.not.include("s3:ObjectOwnerOverrideToBucketOwner");
        });
    });

    it("orders replication after versioning (S3 refuses it on an unversioned bucket)", async () => {
        const { run, dependsOn } = await build({ replicateTo: peerBucket });
        const deps = dependsOn.get("data-replication");
        expect(deps).to.be.an("array").that.includes(run.result.versioning);
    });
});
