import { expect } from "chai";
import { ConfigError, ConfigProblem } from "../../components/problems";
import { bucketNameProblems } from "../../stacks/bucketName";
import { parseSiteConfig, RawSiteConfig, StackIdentity } from "../../stacks/config";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";

const primary: StackIdentity = { organization: "organization", project: "lustre-dr", stack: "primary" };
const minimal: RawSiteConfig = { awsRegion: "us-east-1", lustre: { enabled: false } };

function problemsOf(raw: RawSiteConfig, self: StackIdentity = primary): ConfigProblem[] {
    try {
        parseSiteConfig(raw, self);
    } catch (error) {
        if (error instanceof ConfigError) {
            return [...error.problems];
        }
        throw error;
    }
    throw new Error("expected the configuration to be rejected");
}

describe("config validation", () => {
    it("accepts a minimal config and fills in the documented defaults", () => {
        const config = parseSiteConfig({ awsRegion: "us-east-1", network: { create: true } }, primary);
        expect(config.role).to.equal("primary");
        expect(config.bucket).to.deep.equal({
            encryption: "SSE_KMS",
            replicationTimeControl: true,
            noncurrentVersionRetentionDays: 90,
            forceDestroy: false,
            importExisting: false,
            adoptWithoutHistory: false,
        });
        expect(config.lustre).to.include({
            enabled: true,
            deploymentType: "PERSISTENT_2",
            storageType: "SSD",
            storageCapacityGiB: 1200,
            dataCompression: "LZ4",
            logLevel: "WARN_ERROR",
        });
        expect(config.lustre.repositories).to.deep.equal([{ fileSystemPath: "/s3", repositoryPrefix: "" }]);
        expect(config.detached).to.equal(false);
        expect(config.alarms.replicationLatencySeconds).to.equal(900);
        expect(config.clients).to.deep.equal([]);
    });

    it("defaults Lustre to off on the dr side (pilot light)", () => {
        const config = parseSiteConfig({ awsRegion: "us-west-2" }, { ...primary, stack: "dr" });
        expect(config.role).to.equal("dr");
        expect(config.lustre.enabled).to.equal(false);
    });

    it("rejects an unknown role, naming the key, the value and the valid ones", () => {
        const [problem, ...rest] = problemsOf({ ...minimal, role: "secondary" });
        expect(rest).to.be.empty;
        expect(problem).to.deep.equal({ key: "lustre-dr:role", value: "secondary", expected: 'one of "primary", "dr"' });
        expect(() => parseSiteConfig({ ...minimal, role: "secondary" }, primary)).to.throw(
            'lustre-dr:role is "secondary": expected one of "primary", "dr"',
        );
    });

    it("requires a role when the stack name does not imply one", () => {
        const [problem] = problemsOf(minimal, { ...primary, stack: "prod-east" });
        expect(problem.key).to.equal("lustre-dr:role");
        expect(problem.expected).to.contain('"prod-east" is neither');
    });

    it("rejects a peerStack that points at the stack itself", () => {
        const [problem] = problemsOf({ ...minimal, peerStack: "organization/lustre-dr/primary" });
        expect(problem).to.include({ key: "lustre-dr:peerStack", value: "organization/lustre-dr/primary" });
        expect(problem.expected).to.contain("not this stack");
    });

    describe("lustre-dr:alarms delete/overwrite thresholds", () => {
        it("are on by default: 1000 DELETE and 50000 PUT requests per 5 minutes", () => {
            expect(parseSiteConfig(minimal, primary).alarms).to.deep.include({ writeActivity: true, deleteRequestsPer5Minutes: 1000, putRequestsPer5Minutes: 50000 });
        });

        for (const [key, value] of [
            ["deleteRequestsPer5Minutes", 0],
            ["putRequestsPer5Minutes", 2.5],
            ["deleteRequestsPer5Minutes", "many"],
        ] as const) {
            it(`rejects ${key} ${JSON.stringify(value)}, naming key, value and what is valid`, () => {
                const [problem, ...rest] = problemsOf({ ...minimal, alarms: { [key]: value } });
                expect(rest).to.be.empty;
                expect(problem).to.include({ key: `lustre-dr:alarms.${key}`, value });
                expect(problem.expected).to.match(/whole number of (DELETE|PUT) requests per 5 minutes/);
            });
        }

        it("rejects writeActivity that is not a boolean", () => {
            const [problem] = problemsOf({ ...minimal, alarms: { writeActivity: "yes" } });
            expect(problem).to.include({ key: "lustre-dr:alarms.writeActivity", value: "yes" });
        });
    });

    describe("lustre-dr:peerAccountId", () => {
        const peered: RawSiteConfig = { ...minimal, peerStack: "organization/lustre-dr/dr" };

        it("is required whenever peerStack is set, naming the key and the peer", () => {
            const problems = problemsOf(peered);
            expect(problems).to.have.length(1);
            expect(problems[0]).to.include({ key: "lustre-dr:peerAccountId", value: undefined });
            expect(problems[0].expected).to.contain("12-digit").and.contain("organization/lustre-dr/dr");
        });

        it("accepts exactly 12 digits, as a string", () => {
            expect(parseSiteConfig({ ...peered, peerAccountId: "012345678901" }, primary).peerAccountId).to.equal("012345678901");
        });

        for (const bad of ["12345678901", "1234567890123", "12345678901a", " 123456789012", "arn:aws:iam::123456789012:root"]) {
            it(`rejects ${JSON.stringify(bad)}, naming key, value and what is valid`, () => {
                const [problem, ...rest] = problemsOf({ ...peered, peerAccountId: bad });
                expect(rest).to.be.empty;
                expect(problem).to.include({ key: "lustre-dr:peerAccountId", value: bad });
                expect(problem.expected).to.contain("12-digit AWS account id");
            });
        }

        it("rejects a number (YAML would drop leading zeros) with a hint to quote it", () => {
            const [problem] = problemsOf({ ...peered, peerAccountId: 123456789012 });
            expect(problem).to.include({ key: "lustre-dr:peerAccountId", value: 123456789012 });
            expect(problem.expected).to.contain("quote it");
        });

        it("may be set before the peer exists, and is not needed by a detached side (which never reads its peer)", () => {
            expect(parseSiteConfig({ ...minimal, peerAccountId: "222222222222" }, primary).peerAccountId).to.equal("222222222222");
            expect(parseSiteConfig({ ...peered, recovery: { detached: true } }, primary).peerStack).to.equal("organization/lustre-dr/dr");
        });
    });

    it("rejects a peerStack that is not fully qualified", () => {
        const [problem] = problemsOf({ ...minimal, peerStack: "dr" });
        expect(problem).to.include({ key: "lustre-dr:peerStack", value: "dr" });
        expect(problem.expected).to.contain("<organization>/<project>/<stack>");
    });

    it("rejects bad encryption and Object Lock values", () => {
        const problems = problemsOf({ ...minimal, bucket: { encryption: "AES", objectLock: { mode: "STRICT", days: 0 } } });
        expect(problems).to.deep.include({ key: "lustre-dr:bucket.encryption", value: "AES", expected: 'one of "SSE_KMS", "SSE_S3"' });
        expect(problems).to.deep.include({
            key: "lustre-dr:bucket.objectLock.mode",
            value: "STRICT",
            expected: 'one of "GOVERNANCE", "COMPLIANCE"',
        });
        expect(problems).to.deep.include({ key: "lustre-dr:bucket.objectLock.days", value: 0, expected: "a whole number of days >= 1" });
    });

    it("rejects retention days below 1", () => {
        const [problem] = problemsOf({ ...minimal, bucket: { noncurrentVersionRetentionDays: 0 } });
        expect(problem).to.deep.equal({ key: "lustre-dr:bucket.noncurrentVersionRetentionDays", value: 0, expected: "a whole number of days >= 1" });
    });

    it("rejects a bucket name S3 would reject, with every reason", () => {
        const problems = problemsOf({ ...minimal, bucket: { name: "My_Bucket" } });
        expect(problems.map((p) => p.key)).to.deep.equal(["lustre-dr:bucket.name", "lustre-dr:bucket.name"]);
        expect(problems.map((p) => p.expected)).to.deep.equal([
            "only lowercase letters, digits, dots and hyphens",
            "a name that begins and ends with a lowercase letter or digit",
        ]);
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ awsRegion: "mars-1", role: "x", bucket: { encryption: "none", noncurrentVersionRetentionDays: -3 } });
        expect(problems.map((p) => p.key)).to.have.members([
            "aws:region",
            "lustre-dr:role",
            "lustre-dr:bucket.encryption",
            "lustre-dr:bucket.noncurrentVersionRetentionDays",
        ]);
    });

    it("rejects misspelt keys instead of ignoring them", () => {
        const problems = problemsOf({ ...minimal, bucket: { encyption: "SSE_S3" }, configKeys: ["lustre-dr:buckets"] });
        expect(problems.map((p) => p.key)).to.have.members(["lustre-dr:bucket.encyption", "lustre-dr:buckets"]);
        const topLevel = problemsOf({ ...minimal, configKeys: ["lustre-dr:buckets"] });
        expect(topLevel[0].key).to.equal("lustre-dr:buckets");
    });

    it("requires a network when Lustre is enabled, and when clients are declared ahead of a recovery", () => {
        expect(problemsOf({ awsRegion: "us-east-1" })[0].key).to.equal("lustre-dr:network");
        const [clients, ...rest] = problemsOf({ ...minimal, clients: [{ name: "c1", kind: "instance" }] });
        expect(rest).to.be.empty;
        expect(clients.key).to.equal("lustre-dr:network");
        expect(clients.expected).to.contain("(c1)").and.contain("created on recovery");
    });

    it("rejects duplicate client names and bad client kinds", () => {
        const network = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] };
        const duplicate = problemsOf({ awsRegion: "us-east-1", network, clients: [{ name: "c1", kind: "instance" }, { name: "c1", kind: "instance" }] });
        expect(duplicate).to.deep.equal([{ key: "lustre-dr:clients[1].name", value: "c1", expected: "a name no other client uses" }]);
        const kind = problemsOf({ awsRegion: "us-east-1", network, clients: [{ name: "c1", kind: "lambda" }] });
        expect(kind[0].key).to.equal("lustre-dr:clients[0].kind");
    });

    it("rejects a client mount point or instance type the client component would refuse", () => {
        const network = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] };
        const problems = problemsOf({
            awsRegion: "us-east-1",
            network,
            clients: [
                { name: "c1", kind: "instance", instanceType: "large", mountPoint: "/" },
                { name: "c2", kind: "instance", mountPoint: "/mnt/../etc" },
            ],
        });
        expect(problems.map((p) => [p.key, p.value])).to.have.deep.members([
            ["lustre-dr:clients[0].mountPoint", "/"],
            ["lustre-dr:clients[0].instanceType", "large"],
            ["lustre-dr:clients[1].mountPoint", "/mnt/../etc"],
        ]);
        expect(problems.find((p) => p.key === "lustre-dr:clients[0].instanceType")?.expected).to.include("m6i.large");
    });

    it("requires the secret sshPrivateKey when an ssh client exists, and only then", () => {
        const network = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] };
        const ssh = { name: "login-1", kind: "ssh", host: "10.0.3.17", user: "ec2-user" };
        const [problem, ...rest] = problemsOf({ awsRegion: "us-east-1", network, clients: [ssh] });
        expect(rest).to.be.empty;
        expect(problem.key).to.equal("lustre-dr:sshPrivateKey");
        expect(problem.value).to.equal(undefined);
        expect(problem.expected).to.include("(login-1)").and.include("pulumi config set --secret lustre-dr:sshPrivateKey");
        const withKey = parseSiteConfig({ awsRegion: "us-east-1", network, clients: [ssh], sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }, primary);
        expect(withKey.clients[0]).to.deep.equal({ ...ssh, mountPoint: "/fsx" });
        expect(parseSiteConfig({ awsRegion: "us-east-1", network, clients: [{ name: "c1", kind: "instance" }] }, primary).clients).to.have.length(1);
    });

    it("checks the Lustre settings by docs/filesystem.md, naming the config key", () => {
        const network = { create: true };
        const [problem, ...rest] = problemsOf({ awsRegion: "us-east-1", network, lustre: { storageCapacityGiB: 1000 } });
        expect(rest).to.be.empty;
        expect(problem).to.deep.equal({
            key: "lustre-dr:lustre.storageCapacityGiB",
            value: 1000,
            expected: "1200, 2400 or a multiple of 2400 GiB for PERSISTENT_2 SSD (1200, 2400, 4800, 7200, ...)",
        });
        expect(() => parseSiteConfig({ awsRegion: "us-east-1", network, lustre: { perUnitStorageThroughput: 100 } }, primary)).to.throw(
            "lustre-dr:lustre.perUnitStorageThroughput is 100: expected one of 125, 250, 500, 1000 MB/s/TiB for PERSISTENT_2 SSD",
        );
    });

    it("checks the Lustre settings of a pilot-light side too, before they are needed in a recovery", () => {
        const [problem] = problemsOf({ awsRegion: "us-west-2", lustre: { deploymentType: "SCRATCH_1" } }, { ...primary, stack: "dr" });
        expect(problem.key).to.equal("lustre-dr:lustre.deploymentType");
    });

    it("reports Lustre problems together with the other keys' problems", () => {
        const withSchemaProblem = problemsOf({ awsRegion: "us-east-1", role: "x", network: { create: true }, lustre: { fileSystemPath: "s3" } });
        expect(withSchemaProblem.map((p) => p.key)).to.have.members(["lustre-dr:role", "lustre-dr:lustre.fileSystemPath"]);
        const withCrossKeyProblem = problemsOf({ awsRegion: "us-east-1", lustre: { storageType: "HDD" } });
        expect(withCrossKeyProblem.map((p) => p.key)).to.have.members(["lustre-dr:network", "lustre-dr:lustre.storageType"]);
    });

    it("refuses a created network range AWS would refuse", () => {
        const [problem, ...rest] = problemsOf({ awsRegion: "us-east-1", network: { create: true, cidr: "10.0.0.0/8" } });
        expect(rest).to.be.empty;
        expect(problem).to.deep.include({ key: "lustre-dr:network.cidr", value: "10.0.0.0/8" });
        expect(problem.expected).to.contain("/16 to /28");
    });

    it("accepts an availability zone for a created network only in the stack's region", () => {
        const network = { create: true, availabilityZone: "us-east-1b" };
        expect(parseSiteConfig({ awsRegion: "us-east-1", network }, primary).network).to.deep.include({ availabilityZone: "us-east-1b" });
        expect(problemsOf({ awsRegion: "us-west-2", network })).to.deep.equal([
            { key: "lustre-dr:network.availabilityZone", value: "us-east-1b", expected: "an availability zone of us-west-2, such as us-west-2a" },
        ]);
        expect(problemsOf({ awsRegion: "us-east-1", network: { create: true, availabilityZone: "east" } })[0]).to.deep.include({ key: "lustre-dr:network.availabilityZone", value: "east" });
    });

    it("fills in the throughput default of the deployment type", () => {
        const network = { create: true };
        expect(parseSiteConfig({ awsRegion: "us-east-1", network }, primary).lustre.perUnitStorageThroughput).to.equal(125);
        const persistent1 = parseSiteConfig({ awsRegion: "us-east-1", network, lustre: { deploymentType: "PERSISTENT_1" } }, primary);
        expect(persistent1.lustre.perUnitStorageThroughput).to.equal(50);
    });

    it("accepts both example stack files as shipped", () => {
        const primaryConfig = parseSiteConfig(readStackConfigFile(stackConfigPath("primary")), primary);
        expect(primaryConfig).to.deep.include({ role: "primary", region: "us-east-1" });
        expect(primaryConfig.lustre.enabled).to.equal(true);
        const drConfig = parseSiteConfig(readStackConfigFile(stackConfigPath("dr")), { ...primary, stack: "dr" });
        expect(drConfig).to.deep.include({ role: "dr", region: "us-west-2" });
        expect(drConfig.lustre.enabled).to.equal(false);
    });
});

describe("bucket names", () => {
    for (const [name, expected] of [
        ["ab", "3 to 63 characters (this name has 2)"],
        ["a".repeat(64), "3 to 63 characters (this name has 64)"],
        ["data..lake", "no two adjacent dots"],
        ["192.168.5.4", "a name that is not formatted as an IP address"],
        ["xn--data", 'a name that does not start with the reserved prefix "xn--"'],
        ["data-s3alias", 'a name that does not end with the reserved suffix "-s3alias"'],
        ["-data", "a name that begins and ends with a lowercase letter or digit"],
    ] as const) {
        it(`rejects ${name.length > 20 ? `${name.length} characters` : JSON.stringify(name)}`, () => {
            expect(bucketNameProblems(name)).to.include(expected);
        });
    }

    it("accepts ordinary names", () => {
        expect(bucketNameProblems("acme-lustre-primary.data-1")).to.deep.equal([]);
    });
});
