import { expect } from "chai";
import {
    clientCidrProblems,
    createdNetworkCidrProblems,
    LustreNetwork,
    LustreNetworkArgs,
    mountingCidrs,
    privateSubnetCidr,
} from "../../components/lustreNetwork";
import { ConfigError } from "../../components/problems";
import { MockedRun, resolveAll, runWithMocks } from "../support/pulumiMocks";

const endpointType = "aws:ec2/vpcEndpoint:VpcEndpoint";
const tags = { "lustre-dr:stack": "dr", "lustre-dr:role": "dr" };

function build(args: LustreNetworkArgs): Promise<MockedRun<LustreNetwork>> {
    return runWithMocks(() => new LustreNetwork("network", args), { stack: "dr" });
}

describe("LustreNetwork", () => {
    describe("an existing network", () => {
        it("passes the VPC, subnet and client ranges through and creates nothing", async () => {
            const run = await build({ kind: "existing", vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d", clientCidrs: ["10.0.0.0/16"] });
            expect(run.resources.map((r) => r.type)).to.deep.equal(["lustre-dr:network:LustreNetwork"]);
            expect(await resolveAll({ vpcId: run.result.vpcId, subnetId: run.result.subnetId })).to.deep.equal({
                vpcId: "vpc-0a1b2c3d",
                subnetId: "subnet-0a1b2c3d",
            });
            expect(run.result.clientCidrs).to.deep.equal(["10.0.0.0/16"]);
        });
    });

    describe("a created network", () => {
        let run: MockedRun<LustreNetwork>;
        before(async () => {
            run = await build({ kind: "create", region: "us-west-2", cidr: "10.80.0.0/16", clientCidrs: ["192.168.0.0/24"], tags });
        });

        it("is one VPC with DNS support and hostnames (needed for the endpoints' private DNS)", () => {
            expect(run.single("aws:ec2/vpc:Vpc").inputs).to.deep.include({ cidrBlock: "10.80.0.0/16", enableDnsSupport: true, enableDnsHostnames: true });
        });

        it("has exactly one subnet, private, in the first half of the range", () => {
            expect(run.single("aws:ec2/subnet:Subnet").inputs).to.deep.include({
                vpcId: "network-vpc-id",
                cidrBlock: "10.80.0.0/17",
                mapPublicIpOnLaunch: false,
            });
        });

        it("has no way to the internet: no internet gateway, no NAT, no routes besides the S3 endpoint", () => {
            expect(run.ofType("aws:ec2/internetGateway:InternetGateway")).to.be.empty;
            expect(run.ofType("aws:ec2/natGateway:NatGateway")).to.be.empty;
            expect(run.ofType("aws:ec2/route:Route")).to.be.empty;
            expect(run.single("aws:ec2/routeTable:RouteTable").inputs).not.to.have.property("routes");
            expect(run.single("aws:ec2/routeTableAssociation:RouteTableAssociation").inputs).to.deep.equal({
                subnetId: "network-private-id",
                routeTableId: "network-private-id",
            });
        });

        it("reaches S3 through a gateway endpoint on the private route table", () => {
            const s3 = run.ofType(endpointType).find((r) => r.inputs.vpcEndpointType === "Gateway");
            expect(s3?.inputs).to.deep.include({ serviceName: "com.amazonaws.us-west-2.s3", routeTableIds: ["network-private-id"] });
        });

        it("reaches Systems Manager through ssm, ssmmessages and ec2messages interface endpoints with private DNS", () => {
            const interfaces = run.ofType(endpointType).filter((r) => r.inputs.vpcEndpointType === "Interface");
            expect(interfaces.map((r) => r.inputs.serviceName)).to.deep.equal([
                "com.amazonaws.us-west-2.ssm",
                "com.amazonaws.us-west-2.ssmmessages",
                "com.amazonaws.us-west-2.ec2messages",
            ]);
            for (const endpoint of interfaces) {
                expect(endpoint.inputs, endpoint.name).to.deep.include({
                    privateDnsEnabled: true,
                    subnetIds: ["network-private-id"],
                    securityGroupIds: ["network-endpoints-id"],
                });
            }
        });

        it("opens the endpoints to HTTPS from the VPC only", () => {
            const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
            expect(rules.map((r) => r.inputs)).to.deep.equal([
                {
                    securityGroupId: "network-endpoints-id",
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "10.80.0.0/16",
                    description: "HTTPS from the VPC",
                    tags,
                },
            ]);
            expect(run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).to.be.empty;
        });

        it("takes the rules away from the VPC's default security group", () => {
            const group = run.single("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
            expect(group.inputs).not.to.have.property("ingress");
            expect(group.inputs).not.to.have.property("egress");
        });

        it("lets the VPC's own range mount, besides the given client ranges", () => {
            expect(run.result.clientCidrs).to.deep.equal(["10.80.0.0/16", "192.168.0.0/24"]);
        });

        it("tags every resource that takes tags", () => {
            for (const resource of run.resources.filter((r) => r.type.startsWith("aws:") && r.type !== "aws:ec2/routeTableAssociation:RouteTableAssociation")) {
                expect(resource.inputs.tags, resource.name).to.deep.include(tags);
            }
        });

        it("defaults to 10.80.0.0/16", async () => {
            const defaulted = await build({ kind: "create", region: "eu-west-1" });
            expect(defaulted.single("aws:ec2/vpc:Vpc").inputs.cidrBlock).to.equal("10.80.0.0/16");
        });

        it("refuses a range AWS would refuse before creating anything", async () => {
            const refused = await runWithMocks(
                () => {
                    try {
                        new LustreNetwork("network", { kind: "create", region: "us-west-2", cidr: "10.0.0.0/8" });
                    } catch (error) {
                        return error;
                    }
                    return undefined;
                },
                { stack: "dr" },
            );
            expect(refused.resources).to.deep.equal([]);
            expect(refused.result).to.be.instanceOf(ConfigError);
            expect((refused.result as ConfigError).problems[0].key).to.equal("CreatedNetworkArgs.cidr");
        });
    });

    describe("plain rules", () => {
        it("puts the subnet in the first half of the VPC, or all of a /28", () => {
            expect(privateSubnetCidr("10.80.0.0/16")).to.equal("10.80.0.0/17");
            expect(privateSubnetCidr("172.16.4.0/24")).to.equal("172.16.4.0/25");
            expect(privateSubnetCidr("192.168.1.16/28")).to.equal("192.168.1.16/28");
        });

        it("accepts /16 to /28 ranges on their boundary", () => {
            for (const cidr of ["10.80.0.0/16", "10.80.4.0/22", "192.168.1.16/28"]) {
                expect(createdNetworkCidrProblems(cidr, "k"), cidr).to.deep.equal([]);
            }
        });

        it("refuses other ranges, naming the key, the value and what is valid", () => {
            expect(createdNetworkCidrProblems("10.0.0.0/8", "lustre-dr:network.cidr")).to.deep.equal([
                {
                    key: "lustre-dr:network.cidr",
                    value: "10.0.0.0/8",
                    expected: "a VPC range from /16 to /28 (AWS refuses others), such as 10.80.0.0/16",
                },
            ]);
            expect(createdNetworkCidrProblems("10.80.1.0/16", "k")[0].expected).to.contain("has host bits set").and.contain("10.80.0.0/16");
            expect(createdNetworkCidrProblems("10.80.0.0/29", "k")).to.have.length(1);
            expect(createdNetworkCidrProblems("10.300.0.0/16", "k")[0].expected).to.contain("four numbers 0-255");
        });

        it("holds client ranges to the same CIDR rule as the created range", () => {
            expect(clientCidrProblems(["10.0.0.0/16", "10.0.0.300/16", "10.0.5.0/16"], (i) => `c[${i}]`).map((p) => [p.key, p.value])).to.deep.equal([
                ["c[1]", "10.0.0.300/16"],
                ["c[2]", "10.0.5.0/16"],
            ]);
            expect(() => new LustreNetwork("n", { kind: "existing", vpcId: "vpc-1", subnetId: "subnet-1", clientCidrs: ["10.0.5.0/16"] })).to.throw(
                "LustreNetworkArgs.clientCidrs[0]",
            );
        });

        it("allows the created VPC's range once", () => {
            expect(mountingCidrs({ kind: "create", region: "r", cidr: "10.1.0.0/16", clientCidrs: ["10.1.0.0/16"] })).to.deep.equal(["10.1.0.0/16"]);
            expect(mountingCidrs({ kind: "existing", vpcId: "v", subnetId: "s" })).to.deep.equal([]);
        });
    });
});
