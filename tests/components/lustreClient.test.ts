import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { ClientOs, fstabLine } from "../../components/clientScript";
import {
    amiParameterName,
    instanceArchitecture,
    LustreClient,
    LustreClientArgs,
    lustreClientArgsProblems,
    MountedFileSystem,
} from "../../components/lustreClient";
import { MockedRun, runWithMocks, valueOf } from "../support/pulumiMocks";

const fileSystem: MountedFileSystem = {
    id: "fs-0123456789abcdef0",
    dnsName: "fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com",
    mountName: "abcdefgh",
    securityGroupId: "sg-0f5000000000000fs",
};
const network = { vpcId: "vpc-0123456789abcdef0", subnetId: "subnet-0123456789abcdef0" };

interface Built {
    readonly run: MockedRun<LustreClient>;
    /** SSM parameter names the component asked for. */
    readonly amiLookups: string[];
    /** Resource options and raw (still-wrapped) inputs as each child was declared. */
    readonly declared: Map<string, { props: Record<string, unknown>; opts: pulumi.CustomResourceOptions }>;
}

async function build(args: LustreClientArgs): Promise<Built> {
    const amiLookups: string[] = [];
    const declared: Built["declared"] = new Map();
    const run = await runWithMocks(
        () =>
            new LustreClient("analytics", args, {
                transformations: [
                    (t) => {
                        declared.set(t.name, { props: t.props, opts: t.opts as pulumi.CustomResourceOptions });
                        return undefined;
                    },
                ],
            }),
        {
            stack: "primary",
            world: {
                invokes: {
                    "aws:ssm/getParameter:getParameter": (inputs) => {
                        amiLookups.push(String(inputs.name));
                        return { name: inputs.name, value: "ami-0abc", insecureValue: "ami-0abc", type: "String", arn: "arn", id: inputs.name, version: 1 };
                    },
                },
            },
        },
    );
    return { run, amiLookups, declared };
}

function instanceArgs(overrides: Partial<LustreClientArgs> = {}): LustreClientArgs {
    return { kind: "instance", fileSystem, ...network, tags: { "lustre-dr:stack": "primary" }, ...overrides };
}

describe("LustreClient", () => {
    describe("plain decisions", () => {
        it("picks arm64 for Graviton instance types and x86_64 otherwise", () => {
            for (const arm of ["m7g.large", "c6gn.xlarge", "x2gd.medium", "t4g.micro", "g5g.xlarge", "hpc7g.4xlarge", "a1.large", "im4gn.large"]) {
                expect(instanceArchitecture(arm), arm).to.equal("arm64");
            }
            for (const x86 of ["m6i.large", "g5.xlarge", "c5n.18xlarge", "inf2.xlarge", "r7iz.large", "mac2-m2pro.metal"]) {
                expect(instanceArchitecture(x86), x86).to.equal("x86_64");
            }
        });

        it("names the SSM public parameter of each OS and architecture", () => {
            expect(amiParameterName("al2023", "x86_64")).to.equal("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
            expect(amiParameterName("al2023", "arm64")).to.equal("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
            expect(amiParameterName("al2", "x86_64")).to.equal("/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2");
            expect(amiParameterName("ubuntu2204", "x86_64")).to.equal("/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id");
            expect(amiParameterName("ubuntu2204", "arm64")).to.equal("/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id");
        });

        it("refuses a bad mount point, instance type or port before declaring anything", () => {
            expect(lustreClientArgsProblems(instanceArgs())).to.deep.equal([]);
            expect(lustreClientArgsProblems(instanceArgs({ mountPoint: "fsx", instanceType: "large" }))).to.have.length(2);
            expect(lustreClientArgsProblems({ kind: "ssh", fileSystem, host: "h", user: "u", privateKey: "k", port: 70000 })).to.deep.equal([
                "args.port 70000 is not a TCP port (1-65535)",
            ]);
        });

        it("requires the fields of the chosen kind and refuses the other kind's, naming each", () => {
            expect(lustreClientArgsProblems({ kind: "instance", fileSystem, host: "10.0.3.17" })).to.deep.equal([
                'args.vpcId is required with kind "instance"',
                'args.subnetId is required with kind "instance"',
                'args.host is only for ssh clients, not with kind "instance"',
            ]);
            expect(lustreClientArgsProblems({ kind: "ssh", fileSystem, host: "h", user: "u", privateKey: "k", ...network })).to.deep.equal([
                'args.vpcId is only for instance clients, not with kind "ssh"',
                'args.subnetId is only for instance clients, not with kind "ssh"',
            ]);
            expect(lustreClientArgsProblems({ kind: "ssh", fileSystem })).to.have.length(3);
            // other languages pass the kind as a string, so a wrong one is reported rather than typed away
            expect(lustreClientArgsProblems({ kind: "Instance" as LustreClientArgs["kind"], fileSystem })).to.deep.equal([
                'args.kind "Instance" is not one of "instance", "ssh"',
            ]);
        });
    });

    describe("instance", () => {
        let built: Built;
        before(async () => {
            built = await build(instanceArgs());
        });

        it("launches the latest Amazon Linux 2023 AMI by default, with IMDSv2 required and an encrypted root volume", () => {
            expect(built.amiLookups).to.deep.equal(["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"]);
            const instance = built.run.single("aws:ec2/instance:Instance").inputs;
            expect(instance.ami).to.equal("ami-0abc");
            expect(instance.instanceType).to.equal("m6i.large");
            expect(instance.subnetId).to.equal(network.subnetId);
            expect(instance.metadataOptions).to.deep.include({ httpTokens: "required", httpEndpoint: "enabled" });
            expect(instance.associatePublicIpAddress, "never a public address, whatever the subnet maps").to.equal(false);
            expect(instance.rootBlockDevice).to.deep.include({ encrypted: true });
            expect(instance.tags).to.deep.include({ Name: "analytics", "lustre-dr:stack": "primary" });
        });

        it("does not replace a running client when AWS publishes a new AMI, but does when the user data changes", () => {
            expect(built.declared.get("analytics-instance")?.opts.ignoreChanges).to.deep.equal(["ami"]);
            expect(built.run.single("aws:ec2/instance:Instance").inputs.userDataReplaceOnChange).to.equal(true);
        });

        it("runs the install-and-mount script as user data", () => {
            const userData = String(built.run.single("aws:ec2/instance:Instance").inputs.userData);
            expect(userData.startsWith("#!/bin/bash\n")).to.equal(true);
            expect(userData).to.include("set -euo pipefail");
            expect(userData).to.include("dnf install -y lustre-client");
            expect(userData).to.include(fstabLine({ dnsName: String(fileSystem.dnsName), mountName: "abcdefgh", mountPoint: "/fsx" }));
        });

        it("gives the instance a profile whose role EC2 assumes, with only AmazonSSMManagedInstanceCore", () => {
            const role = built.run.single("aws:iam/role:Role").inputs;
            expect(JSON.parse(role.assumeRolePolicy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [{ Sid: "Ec2AssumesForInstanceProfile", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            });
            const attachment = built.run.single("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs;
            expect(attachment.policyArn).to.equal("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
            expect(built.run.ofType("aws:iam/rolePolicy:RolePolicy")).to.have.length(0);
            expect(attachment.role).to.equal("analytics-role");
            const profile = built.run.single("aws:iam/instanceProfile:InstanceProfile");
            expect(profile.inputs.role).to.equal("analytics-role");
            expect(built.run.single("aws:ec2/instance:Instance").inputs.iamInstanceProfile).to.equal("analytics-instance-profile");
        });

        it("opens Lustre's ports both ways between the client and the file system, rule by rule", () => {
            const group = built.run.single("aws:ec2/securityGroup:SecurityGroup");
            expect(group.inputs.vpcId).to.equal(network.vpcId);
            expect(group.inputs.ingress ?? []).to.have.length(0);
            expect(group.inputs.egress ?? []).to.have.length(0);
            const clientGroupId = "analytics-sg-id";
            const rule = (r: { inputs: Record<string, unknown> }) =>
                `${r.inputs.securityGroupId} ${r.inputs.ipProtocol} ${r.inputs.fromPort}-${r.inputs.toPort} ${r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4}`;
            expect(built.run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(rule)).to.have.members([
                `${clientGroupId} tcp 988-988 ${fileSystem.securityGroupId}`,
                `${clientGroupId} tcp 1018-1023 ${fileSystem.securityGroupId}`,
                `${fileSystem.securityGroupId} tcp 988-988 ${clientGroupId}`,
                `${fileSystem.securityGroupId} tcp 1018-1023 ${clientGroupId}`,
            ]);
            expect(built.run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map(rule)).to.have.members([
                `${clientGroupId} tcp 988-988 ${fileSystem.securityGroupId}`,
                `${clientGroupId} tcp 1018-1023 ${fileSystem.securityGroupId}`,
                `${clientGroupId} tcp 443-443 0.0.0.0/0`,
                `${clientGroupId} tcp 80-80 0.0.0.0/0`,
                `${fileSystem.securityGroupId} tcp 988-988 ${clientGroupId}`,
                `${fileSystem.securityGroupId} tcp 1018-1023 ${clientGroupId}`,
            ]);
            expect(built.run.single("aws:ec2/instance:Instance").inputs.vpcSecurityGroupIds).to.deep.equal([clientGroupId]);
        });

        it("boots only after the Lustre rules exist, so the first-boot mount can reach the file system", async () => {
            const dependsOn = built.declared.get("analytics-instance")?.opts.dependsOn as pulumi.Resource[];
            const names = await Promise.all(dependsOn.map((r) => valueOf(r.urn)));
            expect(names.filter((urn) => urn.includes("fs-from-client"))).to.have.length(2);
            expect(names.filter((urn) => urn.includes("to-fs"))).to.have.length(2);
            expect(names.filter((urn) => urn.includes("fs-to-client"))).to.have.length(2);
        });

        it("outputs the instance id and a mount command", async () => {
            expect(await valueOf(built.run.result.instanceId as pulumi.Output<string>)).to.equal("analytics-instance-id");
            expect(await valueOf(built.run.result.mountCommand)).to.equal(
                "sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com@tcp:/abcdefgh /fsx",
            );
        });

        const installLine: Record<ClientOs, string> = {
            al2023: "dnf install -y lustre-client",
            al2: "amazon-linux-extras install -y lustre",
            ubuntu2204: `apt-get -o DPkg::Lock::Timeout=600 install -y "lustre-client-modules-$(uname -r)"`,
        };
        for (const os of ["al2", "ubuntu2204"] as const) {
            it(`${os}: resolves that OS's AMI and installs the client its way`, async () => {
                const other = await build(instanceArgs({ os, instanceType: "m7g.large", mountPoint: "/shared" }));
                expect(other.amiLookups).to.deep.equal([amiParameterName(os, "arm64")]);
                const userData = String(other.run.single("aws:ec2/instance:Instance").inputs.userData);
                expect(userData).to.include(installLine[os]);
                for (const [otherOs, line] of Object.entries(installLine)) {
                    if (otherOs !== os) {
                        expect(userData).to.not.include(line);
                    }
                }
                expect(userData).to.include(" /shared lustre ");
            });
        }

        it("limits HTTP(S) egress to the given CIDRs", async () => {
            const limited = await build(instanceArgs({ httpsEgressCidrs: ["10.0.0.0/16"] }));
            const cidrs = limited.run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs.cidrIpv4).filter(Boolean);
            expect(cidrs).to.deep.equal(["10.0.0.0/16", "10.0.0.0/16"]);
        });

        it("throws before declaring anything, itself included, when an argument is invalid", async () => {
            const run = await runWithMocks(
                () => {
                    try {
                        new LustreClient("analytics", instanceArgs({ mountPoint: "/my data" }));
                        return "declared";
                    } catch (error) {
                        return String(error);
                    }
                },
                { stack: "primary" },
            );
            expect(run.result).to.include(`LustreClient analytics: args.mountPoint "/my data" is not an absolute directory`);
            expect(run.resources).to.deep.equal([]);
        });
    });

    describe("ssh", () => {
        let built: Built;
        const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
        before(async () => {
            built = await build({ kind: "ssh", fileSystem, host: "10.0.3.17", user: "ec2-user", privateKey, mountPoint: "/data" });
        });

        it("declares only the remote command: no instance, no security group, no AMI lookup", () => {
            expect(built.run.resources.map((r) => r.type).filter((t) => t !== "lustre-dr:filesystem:LustreClient")).to.deep.equal(["command:remote:Command"]);
            expect(built.amiLookups).to.deep.equal([]);
            expect(built.run.result.instanceId).to.equal(undefined);
        });

        it("connects with the private key as a secret and logs nothing", async () => {
            const command = built.run.single("command:remote:Command").inputs;
            // What reaches the engine: the whole connection, key included, wrapped as a secret.
            expect(command.connection[specialSigKey]).to.equal(specialSecretSig);
            expect(command.connection.value).to.deep.include({ host: "10.0.3.17", user: "ec2-user", port: 22, privateKey });
            expect(command.logging).to.equal("none");
            const declared = built.declared.get("analytics-mount")?.props.connection as { privateKey: pulumi.Output<string> };
            expect(await pulumi.isSecret(declared.privateKey)).to.equal(true);
            expect(await valueOf(declared.privateKey)).to.equal(privateKey);
        });

        it("creates by running the OS-detecting install-and-mount script through sudo", () => {
            const create = String(built.run.single("command:remote:Command").inputs.create);
            expect(create.startsWith("sudo -n bash -c '#!/bin/bash\n")).to.equal(true);
            expect(create).to.include(`case "$detected" in`);
            expect(create).to.include(" /data lustre ");
        });

        it("deletes by unmounting and removing the fstab line", () => {
            const remove = String(built.run.single("command:remote:Command").inputs.delete);
            expect(remove.startsWith("sudo -n bash -c ")).to.equal(true);
            expect(remove).to.include(`umount "$mount_point"`);
            expect(remove).to.include("fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com@tcp:/abcdefgh /data lustre");
            expect(remove).to.not.include("modprobe");
        });

        it("is replaced (old unmounted first) when the file system or mount point changes", () => {
            expect(built.run.single("command:remote:Command").inputs.triggers).to.deep.equal([fileSystem.id, "/data"]);
            expect(built.declared.get("analytics-mount")?.opts.deleteBeforeReplace).to.equal(true);
        });

        it("runs as root without sudo when the user is root", async () => {
            const asRoot = await build({ kind: "ssh", fileSystem, host: "h.example.com", user: "root", privateKey, port: 2222 });
            const command = asRoot.run.single("command:remote:Command").inputs;
            expect(String(command.create).startsWith("bash -c '#!/bin/bash")).to.equal(true);
            expect(command.connection.value).to.deep.include({ port: 2222 });
        });
    });
});
