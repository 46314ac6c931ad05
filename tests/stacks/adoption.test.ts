import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../components/problems";
import { ReplicatedBucket } from "../../components/replicatedBucket";
import { formatPlanTable } from "../../infra/plan/model";
import { planStacks } from "../../infra/plan/run";
import { bucketAdoptionChanges, VersioningHistory, versioningHistoryProblems } from "../../stacks/adoption";
import { parseSiteConfig, RawSiteConfig } from "../../stacks/config";
import { lustreDrProgram } from "../../stacks/program";
import { publicAmiInvokes, runWithMocks } from "../support/pulumiMocks";

const primary = { organization: "organization", project: "lustre-dr", stack: "primary" };
const adoptingBucket: RawSiteConfig = { awsRegion: "us-east-1", lustre: { enabled: false }, bucket: { name: "team-data", importExisting: true } };

function problemsOf(raw: RawSiteConfig): { key: string; value: unknown; expected: string }[] {
    try {
        parseSiteConfig(raw, primary);
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return [...(error as ConfigError).problems];
    }
    return [];
}

function adopt(history: VersioningHistory, raw: RawSiteConfig = adoptingBucket) {
    const asked: string[] = [];
    const run = runWithMocks(
        () =>
            lustreDrProgram(raw, {
                versioningHistory: async (bucket, region) => {
                    asked.push(`${bucket}@${region}`);
                    return history;
                },
            }),
        { stack: "primary", world: { invokes: publicAmiInvokes } },
    );
    return { run, asked };
}

describe("adopting an existing bucket", () => {
    describe("the version-history rule", () => {
        const bucket = parseSiteConfig(adoptingBucket, primary).bucket;

        it("refuses a bucket whose versioning was never enabled, naming the key that accepts it", () => {
            const [problem] = versioningHistoryProblems(bucket, "never");
            expect(problem.key).to.equal("lustre-dr:bucket.importExisting");
            expect(problem.value).to.equal("team-data");
            expect(problem.expected).to.contain("never go back before the adoption").and.contain("lustre-dr:bucket.adoptWithoutHistory: true");
        });

        it("accepts it once the operator accepts the limit, and always accepts a bucket with history", () => {
            expect(versioningHistoryProblems({ ...bucket, adoptWithoutHistory: true }, "never")).to.deep.equal([]);
            for (const history of ["enabled", "suspended", "unknown"] as const) {
                expect(versioningHistoryProblems(bucket, history)).to.deep.equal([]);
            }
        });
    });

    describe("config", () => {
        it("needs the bucket's name", () => {
            const problems = problemsOf({ ...adoptingBucket, bucket: { importExisting: true } });
            expect(problems.map((p) => p.key)).to.deep.equal(["lustre-dr:bucket.name"]);
        });

        it("accepts adoptWithoutHistory only with importExisting", () => {
            expect(problemsOf({ ...adoptingBucket, bucket: { name: "team-data", adoptWithoutHistory: true } }).map((p) => p.key)).to.deep.equal([
                "lustre-dr:bucket.adoptWithoutHistory",
            ]);
        });

        it("keeps an adopted file system in an existing network", () => {
            const problems = problemsOf({
                awsRegion: "us-east-1",
                network: { create: true },
                lustre: {
                    importFileSystemId: "fs-0123456789abcdef0",
                    importSecurityGroupId: "sg-0123456789abcdef0",
                    repositories: [{ fileSystemPath: "/data", repositoryPrefix: "data/", importAssociationId: "dra-0123456789abcdef0" }],
                },
            });
            expect(problems.map((p) => p.key)).to.deep.equal(["lustre-dr:network"]);
            expect(problems[0].expected).to.contain("existing network of the adopted file system fs-0123456789abcdef0");
        });

        it("takes repositories and root squash from lustre-dr:lustre", () => {
            const config = parseSiteConfig(
                {
                    awsRegion: "us-east-1",
                    network: { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d" },
                    lustre: {
                        repositories: [{ fileSystemPath: "/projects", repositoryPrefix: "projects/" }, { fileSystemPath: "/home" , repositoryPrefix: "home/" }],
                        rootSquash: { uidGid: "65534:65534", noSquashNids: ["10.0.1.10@tcp"] },
                    },
                },
                primary,
            );
            expect(config.lustre.repositories.map((r) => r.fileSystemPath)).to.deep.equal(["/projects", "/home"]);
            expect(config.lustre.rootSquash).to.deep.equal({ uidGid: "65534:65534", noSquashNids: ["10.0.1.10@tcp"] });
        });
    });

    describe("the program", () => {
        it("reads the bucket's history before declaring anything, and refuses one without history", async () => {
            const { run, asked } = adopt("never");
            let refused: Error | undefined;
            await run.catch((error: Error) => (refused = error));
            expect(refused).to.be.instanceOf(ConfigError);
            expect(refused?.message).to.contain("lustre-dr:bucket.importExisting");
            expect(asked).to.deep.equal(["team-data@us-east-1"]);
        });

        it("imports the bucket by name when its versioning was enabled", async () => {
            const { run, asked } = adopt("enabled");
            const bucket = (await run).single("aws:s3/bucket:Bucket");
            expect(bucket.importId).to.equal("team-data");
            expect(bucket.inputs.bucket).to.equal("team-data");
            expect(asked).to.have.length(1);
        });

        it("adopts a never-versioned bucket once accepted", async () => {
            const { run } = adopt("never", { ...adoptingBucket, bucket: { name: "team-data", importExisting: true, adoptWithoutHistory: true } });
            expect((await run).single("aws:s3/bucket:Bucket").importId).to.equal("team-data");
        });

        it("never asks about a bucket it creates", async () => {
            const { run, asked } = adopt("never", { awsRegion: "us-east-1", lustre: { enabled: false } });
            expect((await run).single("aws:s3/bucket:Bucket").importId).to.equal(undefined);
            expect(asked).to.deep.equal([]);
        });
    });

    describe("the component", () => {
        it("imports the bucket, keeps its Object Lock flag out of the diff and releases it on destroy", async () => {
            const options = new Map<string, pulumi.CustomResourceOptions>();
            await runWithMocks(
                () =>
                    new ReplicatedBucket(
                        "data",
                        {
                            accountId: "111111111111",
                            partition: "aws",
                            region: "us-east-1",
                            bucketName: "team-data",
                            importExisting: true,
                            replicationRoleName: "r",
                            batchReplicationRoleName: "b",
                        },
                        { transformations: [({ name, opts }) => (options.set(name, opts), undefined)] },
                    ),
                { stack: "primary" },
            );
            expect(options.get("data-bucket")).to.deep.include({ import: "team-data", retainOnDelete: true, protect: true, ignoreChanges: ["objectLockEnabled"] });
        });

        it("refuses to adopt without a name", async () => {
            let refused: Error | undefined;
            await runWithMocks(
                () => new ReplicatedBucket("data", { accountId: "1", partition: "aws", region: "us-east-1", importExisting: true, replicationRoleName: "r", batchReplicationRoleName: "b" }),
                { stack: "primary" },
            ).catch((error: Error) => (refused = error));
            expect(refused?.message).to.contain("ReplicatedBucketArgs.bucketName");
        });
    });

    describe("lustre-dr plan", () => {
        it("says what adoption changes on the bucket and shows what each resource adopts", async () => {
            const changes = bucketAdoptionChanges(parseSiteConfig(adoptingBucket, primary));
            expect(changes.join("\n")).to.contain("bucket policy: replaced").and.contain("lifecycle: replaced").and.contain("versioning: set to Enabled");
            const [plan] = await planStacks(
                { configs: { primary: adoptingBucket, dr: { awsRegion: "us-west-2" } }, asConfigured: true },
                ["primary"],
            );
            expect(plan.adoption).to.deep.equal(changes);
            const table = formatPlanTable([plan]);
            expect(table).to.contain("adoption: bucket team-data is adopted (Pulumi import), not created");
            expect(table).to.match(/data-bucket\s+aws:s3\/bucket:Bucket[^\n]*\n\s+adopts = team-data/);
            // reading the peer's outputs is not adopting anything
            expect(plan.resources.filter((r) => r.type === "pulumi:pulumi:StackReference").every((r) => !("adopts" in r.properties))).to.equal(true);
        });

        it("says what adopting the file system changes, and which associations it adopts or creates", async () => {
            const adoptingAll: RawSiteConfig = {
                ...adoptingBucket,
                network: { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d" },
                lustre: {
                    importFileSystemId: "fs-0123456789abcdef0",
                    importSecurityGroupId: "sg-0123456789abcdef0",
                    storageCapacityGiB: 2400,
                    repositories: [
                        { fileSystemPath: "/data", repositoryPrefix: "data/", importAssociationId: "dra-0123456789abcdef0" },
                        { fileSystemPath: "/new", repositoryPrefix: "new/" },
                    ],
                },
            };
            const [plan] = await planStacks({ configs: { primary: adoptingAll, dr: { awsRegion: "us-west-2" } }, asConfigured: true }, ["primary"]);
            const notes = (plan.adoption ?? []).join("\n");
            expect(notes).to.contain("file system fs-0123456789abcdef0 is adopted");
            expect(notes).to.contain("2400 GiB");
            expect(notes).to.contain("association dra-0123456789abcdef0 at /data is adopted");
            expect(notes).to.contain("association at /new is created on the adopted file system");
            expect(plan.resources.find((r) => r.type === "aws:fsx/lustreFileSystem:LustreFileSystem")?.properties.adopts).to.equal("fs-0123456789abcdef0");
        });
    });
});
