import { expect } from "chai";
import { computed, PlannedResource, StackPlan } from "../../../infra/plan/model";
import { planStacks } from "../../../infra/plan/run";
import type { RawSiteConfig } from "../../../stacks/config";
import { readStackConfigFile, stackConfigPath } from "../../../stacks/stackConfigFile";
import { examplePlans } from "./examplePlans";

const examples = { primary: readStackConfigFile(stackConfigPath("primary")), dr: readStackConfigFile(stackConfigPath("dr")) };

function count(plan: StackPlan, type: string): number {
    return plan.resources.filter((r) => r.type === type).length;
}

function single(plan: StackPlan, type: string): PlannedResource {
    const found = plan.resources.filter((r) => r.type === type);
    expect(found, `${plan.stack}: ${type}`).to.have.length(1);
    return found[0];
}

describe("infra/plan/run (lustre-dr plan on the example configs)", () => {
    let primary: StackPlan;
    let dr: StackPlan;
    before(async () => {
        [primary, dr] = await examplePlans();
    });

    it("plans one bucket stack per side, replicating both ways once the simulated handshake converged", () => {
        for (const plan of [primary, dr]) {
            expect(count(plan, "aws:s3/bucket:Bucket"), plan.stack).to.equal(1);
            expect(count(plan, "aws:kms/key:Key"), plan.stack).to.equal(1);
            const storageRoles = plan.resources.filter((r) => r.type === "aws:iam/role:Role" && r.parent?.name === "data");
            expect(storageRoles.map((r) => r.properties.name), plan.stack).to.have.members([
                `lustre-dr-${plan.stack}-replication`,
                `lustre-dr-${plan.stack}-batch-replication`,
                `lustre-dr-${plan.stack}-restore-batch`,
            ]);
            expect(count(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"), plan.stack).to.equal(1);
            expect(count(plan, "pulumi:pulumi:StackReference"), plan.stack).to.equal(1);
            expect(plan.outputs.replicationStatus, plan.stack).to.equal("active");
        }
        const rule = (single(primary, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").properties.rules as Record<string, never>[])[0];
        expect(rule).to.deep.include({ id: "lustre-dr-to-peer", status: "Enabled", filter: {}, priority: 1 });
        expect(rule.destination).to.deep.include({
            account: "222222222222",
            bucket: "arn:aws:s3:::<dr bucket>",
            encryptionConfiguration: { replicaKmsKeyId: "arn:aws:kms:us-west-2:222222222222:key/<dr key id>" },
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
        });
        expect(dr.outputs.replicationGrantedTo).to.deep.equal(["arn:aws:iam::111111111111:role/lustre-dr-primary-replication"]);
    });

    it("runs Lustre on the primary as configured: 1200 GiB PERSISTENT_2 at 125 MB/s/TiB, one DRA syncing both ways", () => {
        expect(single(primary, "aws:fsx/lustreFileSystem:LustreFileSystem").properties).to.deep.include({
            deploymentType: "PERSISTENT_2",
            storageType: "SSD",
            storageCapacity: 1200,
            perUnitStorageThroughput: 125,
            fileSystemTypeVersion: "2.15",
            automaticBackupRetentionDays: 0,
        });
        const events = ["NEW", "CHANGED", "DELETED"];
        expect(single(primary, "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation").properties).to.deep.equal({
            fileSystemPath: "/s3",
            dataRepositoryPath: computed,
            batchImportMetaDataOnCreate: true,
            "s3.autoImportPolicy.events": events,
            "s3.autoExportPolicy.events": events,
        });
        expect(primary.outputs.fileSystemId).to.equal(computed);
    });

    it("declares the configured client on the primary: an EC2 instance under its LustreClient", () => {
        const client = single(primary, "lustre-dr:filesystem:LustreClient");
        const instance = single(primary, "aws:ec2/instance:Instance");
        expect(instance.parent).to.deep.equal({ type: client.type, name: client.name });
        expect(instance.properties.instanceType).to.equal("m6i.large");
    });

    it("keeps the dr side a pilot light: no file system, no DRA, no clients", () => {
        expect(count(dr, "aws:fsx/lustreFileSystem:LustreFileSystem")).to.equal(0);
        expect(count(dr, "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation")).to.equal(0);
        expect(count(dr, "lustre-dr:filesystem:LustreClient")).to.equal(0);
        expect(dr.outputs).to.not.have.property("fileSystemId");
    });

    it("shows what AWS generates as <computed> and names every assumption", () => {
        expect(single(dr, "aws:s3/bucket:Bucket").properties.bucket).to.equal(computed);
        expect(primary.outputs.bucketArn).to.equal(computed);
        expect(primary.assumptions.join("\n")).to.include("account 111111111111 (a placeholder");
        expect(primary.assumptions.join("\n")).to.include("lustre-dr:peerStack = organization/lustre-dr/dr, as `lustre-dr deploy` sets it");
        expect(primary.assumptions.join("\n")).to.include("peer organization/lustre-dr/dr: simulated from the planned outputs of Pulumi.dr.yaml");
    });

    it("records every resource's parent: only components and the peer reference are top-level", () => {
        for (const plan of [primary, dr]) {
            const topLevel = plan.resources.filter((r) => r.parent === undefined);
            expect(topLevel.every((r) => !r.custom || r.type === "pulumi:pulumi:StackReference"), plan.stack).to.equal(true);
            expect(single(plan, "aws:s3/bucket:Bucket").parent).to.deep.equal({ type: "lustre-dr:storage:ReplicatedBucket", name: "data" });
        }
    });

    it("with --as-configured plans the files as written: no peer, no replication", async () => {
        const [alone] = await planStacks({ configs: examples, asConfigured: true }, ["dr"]);
        expect(count(alone, "pulumi:pulumi:StackReference")).to.equal(0);
        expect(count(alone, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.equal(0);
        expect(alone.outputs.replicationStatus).to.equal("no-peer");
        expect(alone.assumptions.join("\n")).to.not.include("peerStack");
    });

    it("never reads the peer of a detached side, and the other side then awaits its grant", async () => {
        const detachedDr: RawSiteConfig = { ...examples.dr, recovery: { detached: true } };
        const [primaryPlan, drPlan] = await planStacks({ configs: { primary: examples.primary, dr: detachedDr } }, ["primary", "dr"]);
        expect(count(drPlan, "pulumi:pulumi:StackReference")).to.equal(0);
        expect(drPlan.outputs.replicationStatus).to.equal("detached");
        expect(count(primaryPlan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.equal(0);
        expect(primaryPlan.outputs.replicationStatus).to.equal("awaiting-peer-grant");
    });
});

describe("infra/plan/run (a warm-standby dr side with an SSH client)", () => {
    it("plans the dr file system and the client over SSH, the private key only known to be a secret", async () => {
        const warm: RawSiteConfig = {
            ...examples.dr,
            lustre: { enabled: true, deploymentType: "PERSISTENT_2", storageCapacityGiB: 2400, perUnitStorageThroughput: 250 },
            clients: [{ name: "login", kind: "ssh", host: "10.80.1.5", user: "ec2-user", mountPoint: "/fsx" }],
            // as readStackConfigFile hands over Pulumi.dr.yaml after `pulumi config set --secret`: still encrypted
            sshPrivateKey: { secure: "v1:AAAA" } as unknown as string,
        };
        const [plan] = await planStacks({ configs: { primary: examples.primary, dr: warm } }, ["dr"]);
        expect(single(plan, "aws:fsx/lustreFileSystem:LustreFileSystem").properties).to.deep.include({ storageCapacity: 2400, perUnitStorageThroughput: 250 });
        const client = single(plan, "lustre-dr:filesystem:LustreClient");
        const commands = plan.resources.filter((r) => r.type === "command:remote:Command" && r.parent?.name === client.name);
        expect(commands).to.not.be.empty;
        expect(commands[0].properties).to.deep.equal({ "connection.host": "10.80.1.5", "connection.user": "ec2-user" });
        expect(JSON.stringify(plan)).to.not.include("v1:AAAA");
    });
});
