import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { LustreWithRepository, LustreWithRepositoryArgs } from "../../components/lustreWithRepository";
import { ConfigError } from "../../components/problems";
import { MockedRun, RecordedResource, resolveAll, runWithMocks, valueOf } from "../support/pulumiMocks";

const fileSystemType = "aws:fsx/lustreFileSystem:LustreFileSystem";
const associationType = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation";
const ingressType = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const egressType = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

const baseArgs: LustreWithRepositoryArgs = {
    vpcId: "vpc-0a1b2c3d",
    subnetId: "subnet-0a1b2c3d",
    bucketName: "primary-data",
    tags: { "lustre-dr:stack": "primary", "lustre-dr:role": "primary" },
};

interface Built {
    readonly run: MockedRun<LustreWithRepository>;
    /** Resource options each child was declared with, by name (mocks do not see options). */
    readonly options: Map<string, pulumi.CustomResourceOptions>;
}

async function build(args: LustreWithRepositoryArgs): Promise<Built> {
    const options = new Map<string, pulumi.CustomResourceOptions>();
    const capture: pulumi.ResourceTransformation = ({ name, opts }) => {
        options.set(name, opts);
        return undefined;
    };
    const run = await runWithMocks(() => new LustreWithRepository("lustre", args, { transformations: [capture] }), { stack: "primary" });
    return { run, options };
}

function fileSystem(built: Built): RecordedResource {
    return built.run.single(fileSystemType);
}

describe("LustreWithRepository", () => {
    let built: Built;
    before(async () => {
        built = await build({ ...baseArgs, clientCidrs: ["10.0.0.0/16"], clientSecurityGroupIds: ["sg-client"], kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" });
    });

    describe("file system", () => {
        it("is Lustre 2.15, PERSISTENT_2 SSD 1200 GiB at 125 MB/s/TiB with LZ4, in the given subnet and its own group", () => {
            expect(fileSystem(built).inputs).to.deep.include({
                fileSystemTypeVersion: "2.15",
                deploymentType: "PERSISTENT_2",
                storageType: "SSD",
                storageCapacity: 1200,
                perUnitStorageThroughput: 125,
                dataCompressionType: "LZ4",
                subnetIds: "subnet-0a1b2c3d",
                securityGroupIds: ["lustre-sg-id"],
            });
            expect(fileSystem(built).inputs).not.to.have.property("driveCacheType");
        });

        it("has no backups: retention 0 and no copyTagsToBackups (FSx cannot back up S3-linked file systems)", () => {
            expect(fileSystem(built).inputs.automaticBackupRetentionDays).to.equal(0);
            expect(fileSystem(built).inputs).not.to.have.property("copyTagsToBackups");
            expect(fileSystem(built).inputs).not.to.have.property("dailyAutomaticBackupStartTime");
        });

        it("encrypts with the given key on a persistent type", () => {
            expect(fileSystem(built).inputs.kmsKeyId).to.equal("arn:aws:kms:us-east-1:111111111111:key/k");
        });

        it("logs data repository events to its own log group under /aws/fsx/", () => {
            const logGroup = built.run.single("aws:cloudwatch/logGroup:LogGroup");
            expect(logGroup.inputs).to.deep.include({ namePrefix: "/aws/fsx/lustre-", retentionInDays: 90 });
            expect(fileSystem(built).inputs.logConfiguration).to.deep.equal({
                level: "WARN_ERROR",
                destination: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/fsx/lustre-0123abc",
            });
        });

        it("is protected by default", () => {
            expect(built.options.get("lustre-fs")?.protect).to.equal(true);
        });

        it("carries the tags", () => {
            expect(fileSystem(built).inputs.tags).to.deep.equal(baseArgs.tags);
        });
    });

    describe("data repository association", () => {
        it("links /s3 to the whole bucket with a trailing slash", () => {
            expect(built.run.single(associationType).inputs).to.deep.include({
                fileSystemId: "lustre-fs-id",
                fileSystemPath: "/s3",
                dataRepositoryPath: "s3://primary-data/",
            });
        });

        it("imports and exports new, changed and deleted files", () => {
            expect(built.run.single(associationType).inputs.s3).to.deep.equal({
                autoImportPolicy: { events: ["NEW", "CHANGED", "DELETED"] },
                autoExportPolicy: { events: ["NEW", "CHANGED", "DELETED"] },
            });
        });

        it("imports the bucket's existing metadata on creation and never deletes file system data", () => {
            expect(built.run.single(associationType).inputs).to.deep.include({ batchImportMetaDataOnCreate: true, deleteDataInFilesystem: false });
        });

        it("waits up to 30 minutes for creation", () => {
            expect(built.options.get("lustre-dra")?.customTimeouts?.create).to.equal("30m");
        });

        it("links a prefix and another file system path", async () => {
            const prefixed = await build({ ...baseArgs, repositoryPrefix: "projects/shared/", fileSystemPath: "/data" });
            expect(prefixed.run.single(associationType).inputs).to.deep.include({
                fileSystemPath: "/data",
                dataRepositoryPath: "s3://primary-data/projects/shared/",
            });
        });
    });

    describe("security group", () => {
        const rules = (type: string) =>
            built.run
                .ofType(type)
                .map((r) => ({
                    ports: `${r.inputs.fromPort}-${r.inputs.toPort}`,
                    protocol: r.inputs.ipProtocol,
                    peer: r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId,
                    group: r.inputs.securityGroupId,
                }))
                .sort((a, b) => `${a.ports}${a.peer}`.localeCompare(`${b.ports}${b.peer}`));

        const expected = [
            { ports: "1018-1023", protocol: "tcp", peer: "10.0.0.0/16", group: "lustre-sg-id" },
            { ports: "1018-1023", protocol: "tcp", peer: "lustre-sg-id", group: "lustre-sg-id" },
            { ports: "1018-1023", protocol: "tcp", peer: "sg-client", group: "lustre-sg-id" },
            { ports: "988-988", protocol: "tcp", peer: "10.0.0.0/16", group: "lustre-sg-id" },
            { ports: "988-988", protocol: "tcp", peer: "lustre-sg-id", group: "lustre-sg-id" },
            { ports: "988-988", protocol: "tcp", peer: "sg-client", group: "lustre-sg-id" },
        ];

        it("is created in the given VPC without inline rules", () => {
            const group = built.run.single("aws:ec2/securityGroup:SecurityGroup");
            expect(group.inputs.vpcId).to.equal("vpc-0a1b2c3d");
            expect(group.inputs).not.to.have.property("ingress");
            expect(group.inputs).not.to.have.property("egress");
        });

        it("lets in TCP 988 and 1018-1023 from itself, each client CIDR and each client group, and nothing else", () => {
            expect(rules(ingressType)).to.deep.equal(expected);
        });

        it("lets out TCP 988 and 1018-1023 to the same peers, and nothing else", () => {
            expect(rules(egressType)).to.deep.equal(expected);
        });

        it("with no clients, only the group itself", async () => {
            const alone = await build(baseArgs);
            expect(alone.run.ofType(ingressType).map((r) => r.inputs.referencedSecurityGroupId)).to.deep.equal(["lustre-sg-id", "lustre-sg-id"]);
            expect(alone.run.ofType(egressType)).to.have.length(2);
        });
    });

    it("outputs the ids, names and the mount command", async () => {
        const component = built.run.result;
        const outputs = await resolveAll({
            fileSystemId: component.fileSystemId,
            dnsName: component.dnsName,
            mountName: component.mountName,
            dataRepositoryAssociationId: component.dataRepositoryAssociationId,
            securityGroupId: component.securityGroupId,
            mountCommand: component.mountCommand,
        });
        expect(outputs).to.deep.equal({
            fileSystemId: "lustre-fs-id",
            dnsName: "lustre-fs-id.fsx.us-east-1.amazonaws.com",
            mountName: "abcdefgh",
            dataRepositoryAssociationId: "lustre-dra-id",
            securityGroupId: "lustre-sg-id",
            mountCommand: "sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock lustre-fs-id.fsx.us-east-1.amazonaws.com@tcp:/abcdefgh /fsx",
        });
    });

    describe("other deployment choices", () => {
        it("PERSISTENT_1 HDD: drive cache, 12 MB/s/TiB, 6000 GiB", async () => {
            const hdd = await build({ ...baseArgs, deploymentType: "PERSISTENT_1", storageType: "HDD", storageCapacityGib: 6000, driveCacheType: "READ" });
            expect(fileSystem(hdd).inputs).to.deep.include({
                deploymentType: "PERSISTENT_1",
                storageType: "HDD",
                storageCapacity: 6000,
                perUnitStorageThroughput: 12,
                driveCacheType: "READ",
            });
        });

        it("SCRATCH_2: no throughput, no key, and still no backups", async () => {
            const scratch = await build({ ...baseArgs, deploymentType: "SCRATCH_2", storageCapacityGib: 2400 });
            expect(fileSystem(scratch).inputs).to.deep.include({ deploymentType: "SCRATCH_2", storageCapacity: 2400, automaticBackupRetentionDays: 0 });
            expect(fileSystem(scratch).inputs).not.to.have.property("perUnitStorageThroughput");
            expect(fileSystem(scratch).inputs).not.to.have.property("kmsKeyId");
        });

        it("maintenance window, compression off, another mount point and no protection when asked", async () => {
            const custom = await build({
                ...baseArgs,
                weeklyMaintenanceStartTime: "7:03:00",
                dataCompression: "NONE",
                mountPoint: "/mnt/lustre",
                protect: false,
            });
            expect(fileSystem(custom).inputs).to.deep.include({ weeklyMaintenanceStartTime: "7:03:00", dataCompressionType: "NONE" });
            expect(custom.options.get("lustre-fs")?.protect).to.equal(false);
            expect(await valueOf(custom.run.result.mountCommand)).to.match(/ \/mnt\/lustre$/);
        });

        it("logging disabled: no log group and level DISABLED", async () => {
            const quiet = await build({ ...baseArgs, logLevel: "DISABLED" });
            expect(quiet.run.ofType("aws:cloudwatch/logGroup:LogGroup")).to.be.empty;
            expect(fileSystem(quiet).inputs.logConfiguration).to.deep.equal({ level: "DISABLED" });
        });
    });

    describe("refuses invalid args before registering anything", () => {
        it("names the args field, the value and what is valid", async () => {
            const run = await runWithMocks(
                () => {
                    try {
                        new LustreWithRepository("lustre", {
                            ...baseArgs,
                            storageCapacityGib: 1000,
                            deploymentType: "SCRATCH_2",
                            kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k",
                        });
                    } catch (error) {
                        return error;
                    }
                    return undefined;
                },
                { stack: "primary" },
            );
            expect(run.resources, "registered resources").to.deep.equal([]);
            expect(run.result).to.be.instanceOf(ConfigError);
            const problems = (run.result as ConfigError).problems;
            expect(problems.map((p) => p.key)).to.have.members(["LustreWithRepositoryArgs.storageCapacityGib", "LustreWithRepositoryArgs.kmsKeyId"]);
            expect((run.result as ConfigError).message).to.contain('LustreWithRepositoryArgs.kmsKeyId is "(set)": expected no KMS key on SCRATCH_2');
        });

        it("refuses a log retention CloudWatch Logs would refuse", async () => {
            const run = await runWithMocks(
                () => {
                    try {
                        new LustreWithRepository("lustre", { ...baseArgs, logRetentionDays: 45 });
                    } catch (error) {
                        return error;
                    }
                    return undefined;
                },
                { stack: "primary" },
            );
            expect(run.resources).to.deep.equal([]);
            const [problem] = (run.result as ConfigError).problems;
            expect(problem).to.deep.include({ key: "LustreWithRepositoryArgs.logRetentionDays", value: 45 });
            expect(problem.expected).to.match(/^one of 1, 3, 5, 7, 14, 30, 60, 90, /);
        });

        it("refuses a mount point the client script would refuse", async () => {
            const run = await runWithMocks(
                () => {
                    try {
                        new LustreWithRepository("lustre", { ...baseArgs, mountPoint: "fsx" });
                    } catch (error) {
                        return error;
                    }
                    return undefined;
                },
                { stack: "primary" },
            );
            expect(run.resources).to.deep.equal([]);
            expect((run.result as ConfigError).problems.map((p) => p.key)).to.deep.equal(["LustreWithRepositoryArgs.mountPoint"]);
        });
    });

    describe("several repositories", () => {
        it("declares one association per repository, the first under the single association's name", async () => {
            const several = await build({
                ...baseArgs,
                repositories: [
                    { fileSystemPath: "/projects", repositoryPrefix: "projects/" },
                    { fileSystemPath: "/scratch/team-a", repositoryPrefix: "scratch/team-a/" },
                ],
            });
            const associations = several.run.ofType(associationType);
            expect(associations.map((a) => a.name)).to.deep.equal(["lustre-dra", "lustre-dra-scratch-team-a"]);
            expect(associations.map((a) => [a.inputs.fileSystemPath, a.inputs.dataRepositoryPath])).to.deep.equal([
                ["/projects", "s3://primary-data/projects/"],
                ["/scratch/team-a", "s3://primary-data/scratch/team-a/"],
            ]);
            for (const association of associations) {
                expect(association.inputs).to.deep.include({ batchImportMetaDataOnCreate: true, deleteDataInFilesystem: false });
                expect(association.inputs.s3.autoImportPolicy.events).to.deep.equal(["NEW", "CHANGED", "DELETED"]);
                expect(association.inputs.s3.autoExportPolicy.events).to.deep.equal(["NEW", "CHANGED", "DELETED"]);
                expect(several.options.get(association.name)?.customTimeouts).to.deep.equal({ create: "30m", delete: "30m" });
            }
            expect(await valueOf(several.run.result.dataRepositoryAssociationIds)).to.deep.equal(["lustre-dra-id", "lustre-dra-scratch-team-a-id"]);
        });

        it("declares eight, and refuses nine or both forms before registering anything", async () => {
            const eight = Array.from({ length: 8 }, (_, i) => ({ fileSystemPath: `/r${i}`, repositoryPrefix: `r${i}/` }));
            expect((await build({ ...baseArgs, repositories: eight })).run.ofType(associationType)).to.have.length(8);
            for (const args of [
                { ...baseArgs, repositories: [...eight, { fileSystemPath: "/r8", repositoryPrefix: "r8/" }] },
                { ...baseArgs, fileSystemPath: "/s3", repositories: eight.slice(0, 1) },
                { ...baseArgs, repositories: [{ fileSystemPath: "/a", repositoryPrefix: "a/" }, { fileSystemPath: "/a/b", repositoryPrefix: "b/" }] },
            ]) {
                let registered = -1;
                try {
                    await runWithMocks(() => new LustreWithRepository("lustre", args), { stack: "primary" });
                } catch (error) {
                    expect(error).to.be.instanceOf(ConfigError);
                    expect((error as Error).message).to.contain("LustreWithRepositoryArgs.repositories");
                    registered = 0;
                }
                expect(registered, JSON.stringify(args.repositories)).to.equal(0);
            }
        });
    });

    describe("root squash", () => {
        it("maps uidGid and the exempt NIDs to the file system's root squash configuration", async () => {
            const squashed = await build({ ...baseArgs, rootSquash: { uidGid: "65534:65534", noSquashNids: ["10.0.1.10@tcp"] } });
            expect(fileSystem(squashed).inputs.rootSquashConfiguration).to.deep.equal({ rootSquash: "65534:65534", noSquashNids: ["10.0.1.10@tcp"] });
            expect(fileSystem(built).inputs).not.to.have.property("rootSquashConfiguration");
        });
    });

    describe("adopting an existing file system", () => {
        let adopted: Built;
        before(async () => {
            adopted = await build({
                ...baseArgs,
                clientCidrs: ["10.0.0.0/16"],
                importFileSystemId: "fs-0123456789abcdef0",
                importSecurityGroupId: "sg-0123456789abcdef0",
                repositories: [
                    { fileSystemPath: "/data", repositoryPrefix: "data/", importAssociationId: "dra-0123456789abcdef0" },
                    { fileSystemPath: "/new", repositoryPrefix: "new/" },
                ],
            });
        });

        it("imports the file system and the adopted association by id, and creates the new association", () => {
            expect(fileSystem(adopted).importId).to.equal("fs-0123456789abcdef0");
            const [kept, created] = adopted.run.ofType(associationType);
            expect(kept.importId).to.equal("dra-0123456789abcdef0");
            expect(created.importId).to.equal(undefined);
        });

        it("keeps what cannot change in place, and releases rather than deletes what it adopted", () => {
            const fs = adopted.options.get("lustre-fs");
            expect(fs?.ignoreChanges).to.deep.equal(["securityGroupIds", "subnetIds", "kmsKeyId", "fileSystemTypeVersion"]);
            expect(fs).to.deep.include({ protect: true, retainOnDelete: true });
            expect(adopted.options.get("lustre-dra")).to.deep.include({ retainOnDelete: true, ignoreChanges: ["batchImportMetaDataOnCreate"] });
            expect(adopted.options.get("lustre-dra-new")).not.to.have.property("retainOnDelete");
        });

        it("creates no security group of its own and puts client rules into the given one, without a self rule", async () => {
            expect(adopted.run.ofType("aws:ec2/securityGroup:SecurityGroup")).to.deep.equal([]);
            expect(fileSystem(adopted).inputs.securityGroupIds).to.deep.equal(["sg-0123456789abcdef0"]);
            const rules = [...adopted.run.ofType(ingressType), ...adopted.run.ofType(egressType)];
            expect(rules).to.have.length(4);
            expect(rules.every((rule) => rule.inputs.securityGroupId === "sg-0123456789abcdef0" && rule.inputs.cidrIpv4 === "10.0.0.0/16")).to.equal(true);
            expect(await valueOf(adopted.run.result.securityGroupId)).to.equal("sg-0123456789abcdef0");
        });
    });
});
