// A Pulumi program of someone else's, in plain JavaScript and run by plain `node` (no ts-node), using lustre-dr as
// installed from its tarball. tests/package/pack.test.ts copies it into a temporary project and runs it under the
// Pulumi mock runtime; it prints one JSON document: where lustre-dr came from, what was registered, some outputs.
const pulumi = require("@pulumi/pulumi");

const registered = [];
pulumi.runtime.setMocks(
    {
        newResource: (args) => {
            registered.push({ type: args.type, name: args.name });
            const id = `${args.name}-id`;
            const extra = args.type === "aws:s3/bucket:Bucket" ? { bucket: `${args.name}-physical`, arn: `arn:aws:s3:::${args.name}-physical` } : {};
            const fs = args.type === "aws:fsx/lustreFileSystem:LustreFileSystem" ? { dnsName: `${id}.fsx.eu-west-1.amazonaws.com`, mountName: "abcdefgh" } : {};
            return { id, state: { ...args.inputs, arn: `arn:aws:mock:::${id}`, ...extra, ...fs } };
        },
        call: (args) =>
            args.token === "aws:ssm/getParameter:getParameter" ? { name: args.inputs.name, value: "ami-0abc", insecureValue: "ami-0abc" } : args.inputs,
    },
    "consumer",
    "test",
    false,
);

const { ReplicatedBucket, LustreWithRepository, LustreClient, BucketEncryption } = require("lustre-dr");

const bucket = new ReplicatedBucket("data", {
    accountId: "111111111111",
    partition: "aws",
    region: "eu-west-1",
    encryption: BucketEncryption.SSE_S3,
    replicationRoleName: "data-replication",
    batchReplicationRoleName: "data-batch-replication",
});
const lustre = new LustreWithRepository("fs", {
    vpcId: "vpc-0123456789abcdef0",
    subnetId: "subnet-0123456789abcdef0",
    bucketName: bucket.bucketName,
    storageCapacityGib: 1200,
});
const client = new LustreClient("client", {
    kind: "instance",
    fileSystem: { id: lustre.fileSystemId, dnsName: lustre.dnsName, mountName: lustre.mountName, securityGroupId: lustre.securityGroupId },
    vpcId: "vpc-0123456789abcdef0",
    subnetId: "subnet-0123456789abcdef0",
});

pulumi.all([bucket.bucketName, lustre.mountCommand, client.mountCommand, client.instanceId]).apply(([bucketName, fsMount, clientMount, instanceId]) => {
    // after every registration above has been answered
    setImmediate(() =>
        process.stdout.write(
            JSON.stringify({
                resolved: require.resolve("lustre-dr"),
                typeScriptLoaded: Object.keys(require.cache).some((file) => /[\\/]ts-node[\\/]|\.ts$/.test(file)),
                registered,
                bucketName,
                fsMount,
                clientMount,
                instanceId,
            }),
        ),
    );
});
