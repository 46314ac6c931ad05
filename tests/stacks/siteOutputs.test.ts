import { expect } from "chai";
import { parseSiteOutputs } from "../../infra/pulumi/stackOutputs";
import { RawSiteConfig } from "../../stacks/config";
import { SiteOutputs } from "../../stacks/outputs";
import { lustreDrProgram } from "../../stacks/program";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { MockedRun, publicAmiInvokes, resolveAll, runWithMocks } from "../support/pulumiMocks";

async function deploy(stack: "primary" | "dr", raw: RawSiteConfig): Promise<{ run: MockedRun<unknown>; outputs: SiteOutputs }> {
    const run = await runWithMocks(() => lustreDrProgram(raw, { versioningHistory: async () => "unknown" }), {
        stack,
        world: { accountId: stack === "primary" ? "111111111111" : "222222222222", invokes: publicAmiInvokes },
    });
    return { run, outputs: (await resolveAll(run.result as object)) as unknown as SiteOutputs };
}

const primary = readStackConfigFile(stackConfigPath("primary"));
const dr = readStackConfigFile(stackConfigPath("dr"));

/**
 * Resource types that take tags in the AWS provider and that a site declares. A type missing here that a site starts
 * declaring fails the test below, so every new taggable resource is checked for the operator's tags.
 */
const taggable = new Set([
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/instance:Instance",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
]);

describe("stack outputs and the operator's tags (issue 15)", () => {
    it("exports the network, the file system's security group, the client instance ids and the alarm topic", async () => {
        const { outputs } = await deploy("primary", primary);
        expect(outputs).to.deep.include({
            vpcId: "vpc-0a1b2c3d4e5f60718",
            subnetId: "subnet-0a1b2c3d4e5f60718",
            securityGroupId: "lustre-sg-id",
            clientInstanceIds: { "compute-1": "client-compute-1-instance-id" },
            alarmTopicArn: "arn:aws:sns:us-east-1:111111111111:alarms-topic",
        });
    });

    it("a pilot-light side exports its alarm topic, and nothing of a network it has not built", async () => {
        const { outputs } = await deploy("dr", dr);
        expect(outputs.alarmTopicArn).to.equal("arn:aws:sns:us-east-1:222222222222:alarms-topic");
        expect(outputs).to.not.have.any.keys("vpcId", "subnetId", "securityGroupId", "clientInstanceIds");
    });

    it("the outputs contract checks the new outputs", () => {
        const base = {
            accountId: "111111111111",
            region: "us-east-1",
            role: "primary",
            bucketName: "b",
            bucketArn: "arn:aws:s3:::b",
            replicationRoleArn: "arn:aws:iam::111111111111:role/r",
            batchReplicationRoleArn: "arn:aws:iam::111111111111:role/b",
            replicationGrantedTo: [],
            replicationStatus: "no-peer",
        };
        const good = { ...base, vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", securityGroupId: "sg-0a1b2c3d", clientInstanceIds: { "compute-1": "i-0123abcd" } };
        expect(parseSiteOutputs("primary", good).clientInstanceIds).to.deep.equal({ "compute-1": "i-0123abcd" });
        // ids end up in SSM calls and shell commands: a forged output is refused
        expect(() => parseSiteOutputs("primary", { ...base, clientInstanceIds: { "compute-1": "i-1; rm -rf /" } })).to.throw(/clientInstanceIds/);
    });

    it("puts the operator's tags on every taggable resource, next to lustre-dr's own", async () => {
        const tags = { "cost-center": "1234", team: "storage" };
        const created = { ...primary, tags, network: { create: true } };
        const { run } = await deploy("primary", created);
        const unchecked = run.resources.filter((r) => r.custom && !taggable.has(r.type) && r.inputs.tags !== undefined);
        expect(unchecked.map((r) => r.type), "taggable types this test does not know").to.deep.equal([]);
        const tagged = run.resources.filter((r) => taggable.has(r.type));
        expect(tagged.length).to.be.greaterThan(20);
        for (const resource of tagged) {
            expect(resource.inputs.tags, `${resource.type} ${resource.name}`).to.deep.include({ ...tags, "lustre-dr:stack": "primary", "lustre-dr:role": "primary" });
        }
    });
    it("a config problem met by the program (pulumi up) names the stack file", async () => {
        let failure: unknown;
        await deploy("primary", { ...primary, awsRegion: "us-est-1" }).catch((error: unknown) => (failure = error));
        expect(String(failure)).to.contain('Pulumi.primary.yaml: aws:region is "us-est-1"');
    });
});
