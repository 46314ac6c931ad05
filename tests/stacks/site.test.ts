import { expect } from "chai";
import { RawSiteConfig } from "../../stacks/config";
import { SiteOutputs } from "../../stacks/outputs";
import { lustreDrProgram } from "../../stacks/program";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { MockedRun, publicAmiInvokes, RecordedResource, resolveAll, runWithMocks } from "../support/pulumiMocks";

const fileSystemType = "aws:fsx/lustreFileSystem:LustreFileSystem";
const associationType = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation";
const lustreOutputs = ["fileSystemId", "fileSystemDnsName", "fileSystemMountName", "dataRepositoryAssociationId", "mountCommand"];

async function deploy(stack: "primary" | "dr", raw: RawSiteConfig): Promise<{ run: MockedRun<unknown>; outputs: SiteOutputs }> {
    const run = await runWithMocks(() => lustreDrProgram(raw), {
        stack,
        world: { accountId: stack === "primary" ? "111111111111" : "222222222222", invokes: publicAmiInvokes },
    });
    return { run, outputs: (await resolveAll(run.result as object)) as unknown as SiteOutputs };
}

function capacityAlarm(run: MockedRun<unknown>): RecordedResource | undefined {
    return run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((r) => r.inputs.namespace === "AWS/FSx");
}

describe("the site's file system", () => {
    describe("primary example config (Lustre on, existing network)", () => {
        let run: MockedRun<unknown>;
        let outputs: SiteOutputs;
        before(async () => {
            ({ run, outputs } = await deploy("primary", readStackConfigFile(stackConfigPath("primary"))));
        });

        it("builds one file system in the configured subnet, encrypted with the bucket's key", () => {
            const fs = run.single(fileSystemType);
            expect(fs.inputs).to.deep.include({
                subnetIds: "subnet-0a1b2c3d4e5f60718",
                deploymentType: "PERSISTENT_2",
                storageCapacity: 1200,
                perUnitStorageThroughput: 125,
                automaticBackupRetentionDays: 0,
                kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/data-key-key-id",
            });
            expect(fs.inputs.tags).to.deep.equal({ "lustre-dr:stack": "primary", "lustre-dr:role": "primary" });
        });

        it("links the side's own bucket at /s3, importing and exporting both ways", () => {
            expect(run.single(associationType).inputs).to.deep.include({
                fileSystemPath: "/s3",
                dataRepositoryPath: "s3://data-bucket-0123abc/",
                batchImportMetaDataOnCreate: true,
                deleteDataInFilesystem: false,
            });
        });

        it("uses the existing VPC: creates no network, lets in the configured client range", () => {
            expect(run.ofType("aws:ec2/vpc:Vpc")).to.be.empty;
            expect(run.ofType("aws:ec2/securityGroup:SecurityGroup").find((r) => r.name === "lustre-sg")?.inputs.vpcId).to.equal("vpc-0a1b2c3d4e5f60718");
            const peers = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("lustre-"));
            expect(peers.map((r) => r.inputs.cidrIpv4).filter(Boolean)).to.deep.equal(["10.0.0.0/16", "10.0.0.0/16"]);
        });

        it("alarms on the file system's free capacity", () => {
            const alarm = capacityAlarm(run);
            expect(alarm?.inputs.dimensions).to.deep.equal({ FileSystemId: "lustre-fs-id" });
            expect(alarm?.inputs.threshold).to.equal(Math.floor(1200 * 0.1 * 2 ** 30));
        });

        it("outputs the file system per the contract", () => {
            expect(outputs).to.deep.include({
                fileSystemId: "lustre-fs-id",
                fileSystemDnsName: "lustre-fs-id.fsx.us-east-1.amazonaws.com",
                fileSystemMountName: "abcdefgh",
                dataRepositoryAssociationId: "lustre-dra-id",
                mountCommand: "sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock lustre-fs-id.fsx.us-east-1.amazonaws.com@tcp:/abcdefgh /fsx",
            });
        });
    });

    describe("dr example config (pilot light)", () => {
        let run: MockedRun<unknown>;
        let outputs: SiteOutputs;
        before(async () => {
            ({ run, outputs } = await deploy("dr", readStackConfigFile(stackConfigPath("dr"))));
        });

        it("has no FSx resources, no network and no capacity alarm", () => {
            expect(run.resources.filter((r) => r.type.startsWith("aws:fsx/"))).to.be.empty;
            expect(run.resources.filter((r) => r.type.startsWith("aws:ec2/"))).to.be.empty;
            expect(run.resources.filter((r) => r.type.startsWith("lustre-dr:filesystem:") || r.type.startsWith("lustre-dr:network:"))).to.be.empty;
            expect(capacityAlarm(run)).to.equal(undefined);
        });

        it("has no file system outputs", () => {
            for (const key of lustreOutputs) {
                expect(outputs, key).not.to.have.property(key);
            }
        });
    });

    describe("dr during a recovery (Lustre switched on, created network)", () => {
        let run: MockedRun<unknown>;
        let outputs: SiteOutputs;
        before(async () => {
            const raw = readStackConfigFile(stackConfigPath("dr"));
            ({ run, outputs } = await deploy("dr", { ...raw, lustre: { ...(raw.lustre as object), enabled: true }, recovery: { detached: true } }));
        });

        it("builds the private network and puts the file system in its subnet", () => {
            expect(run.single("aws:ec2/vpc:Vpc").inputs.cidrBlock).to.equal("10.80.0.0/16");
            expect(run.single(fileSystemType).inputs.subnetIds).to.equal("network-private-id");
            const lustreGroup = run.ofType("aws:ec2/securityGroup:SecurityGroup").find((r) => r.name === "lustre-sg");
            expect(lustreGroup?.inputs.vpcId).to.equal("network-vpc-id");
            const lustreRules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("lustre-"));
            expect(lustreRules.map((r) => r.inputs.cidrIpv4).filter(Boolean)).to.deep.equal(["10.80.0.0/16", "10.80.0.0/16"]);
        });

        it("places the subnet in the configured availability zone", async () => {
            const raw = readStackConfigFile(stackConfigPath("dr"));
            const { run: zoned } = await deploy("dr", {
                ...raw,
                network: { create: true, availabilityZone: "us-west-2b" },
                lustre: { ...(raw.lustre as object), enabled: true },
            });
            expect(zoned.single("aws:ec2/subnet:Subnet").inputs.availabilityZone).to.equal("us-west-2b");
            expect(run.single("aws:ec2/subnet:Subnet").inputs).not.to.have.property("availabilityZone");
        });

        it("imports what replication already brought into the dr bucket", () => {
            expect(run.single(associationType).inputs).to.deep.include({ dataRepositoryPath: "s3://data-bucket-0123abc/", batchImportMetaDataOnCreate: true });
        });

        it("outputs every file system key", () => {
            for (const key of lustreOutputs) {
                expect(outputs, key).to.have.property(key).that.is.a("string");
            }
        });
    });

    describe("encryption choices", () => {
        const network = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d" };

        it("SSE_S3 bucket: the file system uses an FSx-managed key", async () => {
            const { run } = await deploy("primary", { awsRegion: "us-east-1", network, bucket: { encryption: "SSE_S3" } });
            expect(run.single(fileSystemType).inputs).not.to.have.property("kmsKeyId");
        });

        it("SCRATCH_2 on an SSE_KMS bucket: the bucket keeps its key, the file system takes none", async () => {
            const { run } = await deploy("primary", { awsRegion: "us-east-1", network, lustre: { deploymentType: "SCRATCH_2" } });
            expect(run.single(fileSystemType).inputs).to.deep.include({ deploymentType: "SCRATCH_2" });
            expect(run.single(fileSystemType).inputs).not.to.have.property("kmsKeyId");
            expect(run.single(fileSystemType).inputs).not.to.have.property("perUnitStorageThroughput");
        });
    });

    it("passes every configured Lustre setting to the file system and the association", async () => {
        const { run } = await deploy("primary", {
            awsRegion: "us-east-1",
            network: { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d" },
            lustre: {
                deploymentType: "PERSISTENT_1",
                storageType: "HDD",
                storageCapacityGiB: 3600,
                perUnitStorageThroughput: 40,
                driveCacheType: "READ",
                dataCompression: "NONE",
                fileSystemPath: "/data",
                repositoryPrefix: "shared/",
                weeklyMaintenanceStartTime: "6:02:30",
                logLevel: "ERROR_ONLY",
            },
        });
        expect(run.single(fileSystemType).inputs).to.deep.include({
            deploymentType: "PERSISTENT_1",
            storageType: "HDD",
            storageCapacity: 3600,
            perUnitStorageThroughput: 40,
            driveCacheType: "READ",
            dataCompressionType: "NONE",
            weeklyMaintenanceStartTime: "6:02:30",
        });
        expect(run.single(fileSystemType).inputs.logConfiguration.level).to.equal("ERROR_ONLY");
        expect(run.single(associationType).inputs).to.deep.include({ fileSystemPath: "/data", dataRepositoryPath: "s3://data-bucket-0123abc/shared/" });
    });
});
