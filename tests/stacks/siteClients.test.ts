import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { ConfigError } from "../../components/problems";
import { RawSiteConfig } from "../../stacks/config";
import { lustreDrProgram } from "../../stacks/program";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { MockedRun, publicAmiInvokes, runWithMocks } from "../support/pulumiMocks";

const instanceType = "aws:ec2/instance:Instance";
const remoteCommandType = "command:remote:Command";
const clientType = "lustre-dr:filesystem:LustreClient";

async function deploy(stack: "primary" | "dr", raw: RawSiteConfig): Promise<MockedRun<unknown>> {
    return runWithMocks(() => lustreDrProgram(raw), { stack, world: { invokes: publicAmiInvokes } });
}

describe("the site's clients", () => {
    describe("primary example config", () => {
        let run: MockedRun<unknown>;
        before(async () => {
            run = await deploy("primary", readStackConfigFile(stackConfigPath("primary")));
        });

        it("builds its one instance client in the configured subnet, mounting this side's file system", () => {
            expect(run.ofType(clientType).map((r) => r.name)).to.deep.equal(["client-compute-1"]);
            const instance = run.single(instanceType).inputs;
            expect(instance.subnetId).to.equal("subnet-0a1b2c3d4e5f60718");
            expect(instance.instanceType).to.equal("m6i.large");
            expect(instance.tags).to.deep.equal({ "lustre-dr:stack": "primary", "lustre-dr:role": "primary", Name: "client-compute-1" });
            expect(String(instance.userData)).to.include(
                "lustre-fs-id.fsx.us-east-1.amazonaws.com@tcp:/abcdefgh /fsx lustre defaults,relatime,flock,_netdev,x-systemd.automount,x-systemd.requires=network.service 0 0",
            );
            expect(String(instance.userData)).to.include("dnf install -y lustre-client");
        });

        it("admits the client into the file system's security group on Lustre's ports", () => {
            const intoFileSystem = run
                .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                .filter((r) => r.inputs.securityGroupId === "lustre-sg-id" && r.inputs.referencedSecurityGroupId === "client-compute-1-sg-id");
            expect(intoFileSystem.map((r) => `${r.inputs.fromPort}-${r.inputs.toPort}`)).to.have.members(["988-988", "1018-1023"]);
            const clientGroup = run.ofType("aws:ec2/securityGroup:SecurityGroup").find((r) => r.name === "client-compute-1-sg");
            expect(clientGroup?.inputs.vpcId).to.equal("vpc-0a1b2c3d4e5f60718");
        });
    });

    it("the pilot-light dr example builds no client", async () => {
        const run = await deploy("dr", readStackConfigFile(stackConfigPath("dr")));
        expect(run.ofType(clientType)).to.be.empty;
        expect(run.ofType(instanceType)).to.be.empty;
    });

    it("puts instance clients in the created subnet when the side creates its network", async () => {
        const run = await deploy("dr", {
            awsRegion: "us-west-2",
            lustre: { enabled: true },
            network: { create: true },
            clients: [{ name: "recovery-1", kind: "instance", os: "al2" }],
        });
        expect(run.single(instanceType).inputs.subnetId).to.equal("network-private-id");
        expect(String(run.single(instanceType).inputs.userData)).to.include("amazon-linux-extras install -y lustre");
    });

    describe("an ssh client", () => {
        const network = { vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] };
        const ssh = { name: "login-1", kind: "ssh", host: "10.0.3.17", user: "ubuntu", mountPoint: "/data" };

        it("logs in with the secret sshPrivateKey, passed down as a secret", async () => {
            const run = await deploy("primary", {
                awsRegion: "us-east-1",
                network,
                clients: [ssh],
                sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n"),
            });
            const command = run.single(remoteCommandType).inputs;
            expect(command.connection[specialSigKey]).to.equal(specialSecretSig);
            expect(command.connection.value).to.deep.include({ host: "10.0.3.17", user: "ubuntu", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n" });
            expect(command.triggers).to.deep.equal(["lustre-fs-id", "/data"]);
            expect(run.ofType(instanceType)).to.be.empty;
        });

        it("without the secret is a config problem, found before anything is declared", async () => {
            const run = await runWithMocks(
                async () => {
                    try {
                        await lustreDrProgram({ awsRegion: "us-east-1", network, clients: [ssh] });
                        return undefined;
                    } catch (error) {
                        return error;
                    }
                },
                { stack: "primary", world: { invokes: publicAmiInvokes } },
            );
            expect(run.result).to.be.instanceOf(ConfigError);
            expect((run.result as ConfigError).problems.map((p) => p.key)).to.deep.equal(["lustre-dr:sshPrivateKey"]);
            expect(run.resources).to.be.empty;
        });
    });
});
