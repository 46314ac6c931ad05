import { expect } from "chai";
import { ipv4CidrProblem, parseIpv4Cidr } from "../../components/cidr";
import { ConfigError, ConfigProblem, describeProblem } from "../../components/problems";
import { parseSiteConfig, RawSiteConfig, StackIdentity } from "../../stacks/config";
import { configKeyProblems } from "../../stacks/config/namespace";
import { isKnownRegion, partitionOf, regionProblem } from "../../stacks/config/regions";
import { nearest } from "../../stacks/config/suggest";

const primary: StackIdentity = { organization: "organization", project: "lustre-dr", stack: "primary" };
const existing = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] };
const base: RawSiteConfig = { awsRegion: "us-east-1", network: existing };

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

describe("config rules (issue 15)", () => {
    describe("regions", () => {
        it("refuses regions that do not exist, suggesting the nearest real one", () => {
            for (const [region, suggestion] of [
                ["us-est-1", "us-east-1"],
                ["us-west-9", "us-west-1"],
                ["eu-centrl-1", "eu-central-1"],
            ]) {
                const [problem, ...rest] = problemsOf({ ...base, awsRegion: region });
                expect(rest, region).to.be.empty;
                expect(problem).to.include({ key: "aws:region", value: region });
                expect(problem.expected).to.contain(`did you mean ${suggestion}?`).and.contain("known regions as of");
            }
        });

        it("knows every partition's regions", () => {
            expect(partitionOf("us-east-1")).to.equal("aws");
            expect(partitionOf("cn-northwest-1")).to.equal("aws-cn");
            expect(partitionOf("us-gov-west-1")).to.equal("aws-us-gov");
            expect(isKnownRegion("mx-central-1")).to.equal(true);
            expect(regionProblem("ap-southeast-7")).to.equal(undefined);
            expect(regionProblem("mars-1")).to.contain("such as us-east-1");
        });

        it("says how to set a missing region instead of naming a type", () => {
            const [problem] = problemsOf({ network: existing });
            expect(describeProblem(problem)).to.equal(
                "aws:region is missing: expected the AWS region of this side, such as us-east-1 (pulumi config set aws:region us-east-1)",
            );
        });
    });

    describe("CIDRs: one rule for network.cidr and network.clientCidrs", () => {
        it("refuses ranges that are not CIDRs or have host bits set", () => {
            expect(ipv4CidrProblem("10.0.0.0/16")).to.equal(undefined);
            expect(ipv4CidrProblem("0.0.0.0/0")).to.equal(undefined);
            expect(ipv4CidrProblem("10.0.0.300/16")).to.contain("four numbers 0-255");
            expect(ipv4CidrProblem("10.0.5.0/16")).to.contain("has host bits set").and.contain("10.0.0.0/16").and.contain("10.0.5.0/24");
            expect(ipv4CidrProblem("10.0.0.0/33")).to.contain("/0 to /32");
            expect(ipv4CidrProblem("010.0.0.0/16")).to.not.equal(undefined);
            expect(parseIpv4Cidr("10.0.5.0/16")).to.deep.equal({ address: 167773440, prefix: 16 });
        });

        it("names the bad entry of clientCidrs, on existing and created networks alike", () => {
            const problems = problemsOf({ ...base, network: { ...existing, clientCidrs: ["10.0.0.0/16", "10.0.0.300/16", "10.0.5.0/16"] } });
            expect(problems.map((p) => [p.key, p.value])).to.deep.equal([
                ["lustre-dr:network.clientCidrs[1]", "10.0.0.300/16"],
                ["lustre-dr:network.clientCidrs[2]", "10.0.5.0/16"],
            ]);
            const created = problemsOf({ ...base, network: { create: true, cidr: "10.80.5.0/16", clientCidrs: ["10.0.5.0/16"] } });
            expect(created.map((p) => p.key)).to.have.members(["lustre-dr:network.cidr", "lustre-dr:network.clientCidrs[0]"]);
            expect(created.every((p) => p.expected.includes("has host bits set"))).to.equal(true);
        });

        it("names the one bad field of a network, not the whole object", () => {
            const [problem, ...rest] = problemsOf({ ...base, network: { vpcId: "vpc-0a1b2c3d", clientCidrs: [] } });
            expect(rest).to.be.empty;
            expect(problem).to.deep.include({ key: "lustre-dr:network.subnetId", value: undefined });
            const [create] = problemsOf({ ...base, network: { create: "yes" } });
            expect(create).to.deep.include({ key: "lustre-dr:network.create", value: "yes" });
            expect(create.expected).to.contain("true to build a network");
        });
    });

    describe("key names", () => {
        it("refuses a mistyped namespace, naming the intended key and never the value", () => {
            const problems = configKeyProblems(["aws:region", "pulumi:template", "lustre_dr:lustre", "lustredr:bucket", "Lustre-DR:clients", "lustre:network", "lustre_dr:sshPrivateKey", "acme:bucket"]);
            expect(problems.map((p) => [p.key, p.expected.split(":").slice(0, 2).join(":")])).to.deep.equal([
                ["lustre_dr:lustre", "lustre-dr:lustre"],
                ["lustredr:bucket", "lustre-dr:bucket"],
                ["Lustre-DR:clients", "lustre-dr:clients"],
                ["lustre:network", "lustre-dr:network"],
                ["lustre_dr:sshPrivateKey", "lustre-dr:sshPrivateKey"],
            ]);
            expect(problems.every((p) => p.value === undefined && p.given === "is set")).to.equal(true);
            expect(describeProblem(problems[0])).to.match(/^lustre_dr:lustre is set: expected lustre-dr:lustre: the namespace is "lustre-dr"/);
        });

        it("suggests the nearest key for unknown keys of the namespace and flat dotted keys", () => {
            const [typo, dotted, region] = configKeyProblems(["lustre-dr:bukcet", "lustre-dr:lustre.enabled", "aws:regoin"]);
            expect(typo.expected).to.contain("did you mean lustre-dr:bucket?");
            expect(dotted.expected).to.contain("enabled nested under lustre-dr:lustre");
            expect(region.expected).to.contain("aws:region");
        });

        it("names the nearest valid key for an unknown key inside an object", () => {
            const problems = problemsOf({ ...base, bucket: { encyption: "SSE_S3" }, alarms: { emial: "a@example.com" } });
            expect(problems.map((p) => p.key)).to.deep.equal(["lustre-dr:bucket.encyption", "lustre-dr:alarms.emial"]);
            expect(problems[0].expected).to.contain("did you mean encryption?").and.contain("its keys are name, encryption");
            expect(problems[1].expected).to.contain("did you mean email?");
        });

        it("suggests only near words", () => {
            expect(nearest("bukcet", ["bucket", "network"])).to.equal("bucket");
            expect(nearest("zzzzzz", ["bucket", "network"])).to.equal(undefined);
        });
    });

    describe("every independent problem surfaces", () => {
        it("reports a capacity problem next to a misspelt lustre key", () => {
            const problems = problemsOf({ ...base, lustre: { storageCapacityGib: 1200, storageCapacityGiB: 1000, dataCompresion: "LZ4" } });
            expect(problems.map((p) => p.key)).to.have.members([
                "lustre-dr:lustre.storageCapacityGib",
                "lustre-dr:lustre.dataCompresion",
                "lustre-dr:lustre.storageCapacityGiB",
            ]);
        });

        it("reports a capacity problem next to a field of the wrong type", () => {
            const problems = problemsOf({ ...base, lustre: { storageCapacityGiB: 1000, fileSystemPath: 5 } });
            expect(problems.map((p) => p.key)).to.have.members(["lustre-dr:lustre.fileSystemPath", "lustre-dr:lustre.storageCapacityGiB"]);
        });

        it("judges cross-key rules with the keys that parsed", () => {
            const problems = problemsOf({ ...base, role: "secondary", bucket: { name: "Bad_Name" }, clients: [{ name: "a", kind: "instance" }, { name: "a", kind: "instance" }] });
            expect(problems.map((p) => p.key)).to.include.members(["lustre-dr:role", "lustre-dr:bucket.name", "lustre-dr:clients[1].name"]);
        });
    });

    describe("plain words", () => {
        it("names the client kind, not a discriminator", () => {
            const [problem] = problemsOf({ ...base, clients: [{ name: "c1", kind: "lambda" }] });
            expect(describeProblem(problem)).to.equal(
                'lustre-dr:clients[0].kind is "lambda": expected "instance" (an EC2 instance created by the stack) or "ssh" (an existing host reached over SSH)',
            );
        });

        it("explains an email address", () => {
            const [problem] = problemsOf({ ...base, alarms: { email: "oncall" } });
            expect(describeProblem(problem)).to.equal('lustre-dr:alarms.email is "oncall": expected an email address such as storage-oncall@example.com');
        });

        it("names types in words", () => {
            const [problem] = problemsOf({ ...base, recovery: { detached: "yes" } });
            expect(problem.expected).to.match(/^true or false/);
            const [list] = problemsOf({ ...base, clients: "compute-1" });
            expect(list.expected).to.equal("a list of clients");
        });
    });

    describe("clients", () => {
        it("refuses ubuntu2204 on a created network, which has no internet path", () => {
            const [problem, ...rest] = problemsOf({ ...base, network: { create: true }, clients: [{ name: "u", kind: "instance", os: "ubuntu2204" }] });
            expect(rest).to.be.empty;
            expect(problem).to.deep.include({ key: "lustre-dr:clients[0].os", value: "ubuntu2204" });
            expect(problem.expected).to.contain("docs/filesystem.md");
            expect(parseSiteConfig({ ...base, clients: [{ name: "u", kind: "instance", os: "ubuntu2204" }] }, primary).clients).to.have.length(1);
        });

        it("refuses an ssh host that is not a host, or that the file system would not admit", () => {
            const ssh = { name: "login", kind: "ssh", user: "ec2-user" };
            const withKey = { ...base, sshPrivateKey: "key" };
            expect(problemsOf({ ...withKey, clients: [{ ...ssh, host: "ec2-user@10.0.3.17" }] })[0]).to.deep.include({ key: "lustre-dr:clients[0].host" });
            expect(problemsOf({ ...withKey, clients: [{ ...ssh, host: "10.0.3.300" }] })[0].key).to.equal("lustre-dr:clients[0].host");
            const outside = problemsOf({ ...withKey, clients: [{ ...ssh, host: "192.168.1.5" }] })[0];
            expect(outside.expected).to.contain("10.0.0.0/16").and.contain("network.clientCidrs");
            expect(parseSiteConfig({ ...withKey, clients: [{ ...ssh, host: "login-1.example.internal" }] }, primary).clients).to.have.length(1);
            expect(problemsOf({ ...withKey, clients: [{ ...ssh, host: "10.0.3.17", user: "root; rm" }] })[0].key).to.equal("lustre-dr:clients[0].user");
        });
    });

    describe("peerStack", () => {
        it("refuses a peer of another project, and malformed names", () => {
            const [project] = problemsOf({ ...base, peerStack: "organization/other-project/dr" });
            expect(project).to.include({ key: "lustre-dr:peerStack", value: "organization/other-project/dr" });
            expect(project.expected).to.contain("organization/lustre-dr/<stack>");
            for (const bad of ["dr", "organization/lustre-dr/", "organization/lustre-dr/dr/x", "organization/lustre dr/dr"]) {
                expect(problemsOf({ ...base, peerStack: bad })[0].key, bad).to.equal("lustre-dr:peerStack");
            }
        });
    });

    describe("tags", () => {
        it("accepts the operator's own tags", () => {
            const config = parseSiteConfig({ ...base, tags: { "cost-center": "1234", team: "storage", "owner@acme": "a b" } }, primary);
            expect(config.tags).to.deep.equal({ "cost-center": "1234", team: "storage", "owner@acme": "a b" });
            expect(parseSiteConfig(base, primary).tags).to.deep.equal({});
        });

        it("refuses tags AWS would refuse and tags that would override lustre-dr's", () => {
            const problems = problemsOf({
                ...base,
                tags: { "lustre-dr:role": "x", "aws:owner": "x", Name: "x", "bad#key": "x", "cost-center": 1234, long: "v".repeat(257) },
            });
            expect(problems.map((p) => p.key)).to.deep.equal([
                "lustre-dr:tags.lustre-dr:role",
                "lustre-dr:tags.aws:owner",
                "lustre-dr:tags.Name",
                "lustre-dr:tags.bad#key",
                "lustre-dr:tags.cost-center",
                "lustre-dr:tags.long",
            ]);
            expect(problems[4].expected).to.contain("quote it");
            const many = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`t${i}`, "v"]));
            expect(problemsOf({ ...base, tags: many })[0].expected).to.contain("at most 45 tags");
        });
    });
});
