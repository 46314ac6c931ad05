/**
 * The component package other Pulumi languages use (PulumiPlugin.yaml): the provider started the way the Pulumi
 * CLI starts a Node.js plugin (Pulumi's run-plugin runner on PulumiPlugin.yaml's `main`, from the repository root,
 * ts-node type-checking it), then asked over the provider gRPC protocol for the schema `pulumi package add` generates
 * SDKs from. Slow (the boot type-checks the components, the schema analyzes their sources), hence one boot per file.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { parse } from "yaml";
import { ServingPlugin, startPlugin } from "../support/pulumiPlugin";

const root = path.join(__dirname, "..", "..");

interface SchemaProperty {
    readonly type?: string;
    readonly $ref?: string;
    readonly description?: string;
    readonly plain?: boolean;
    readonly items?: SchemaProperty;
}
interface SchemaResource {
    readonly isComponent: boolean;
    readonly description?: string;
    readonly inputProperties: Record<string, SchemaProperty>;
    readonly requiredInputs: string[];
    readonly properties: Record<string, SchemaProperty>;
    readonly required: string[];
}
interface SchemaType {
    readonly type: string;
    readonly enum?: { readonly name: string; readonly value: string; readonly description?: string }[];
    readonly properties?: Record<string, SchemaProperty>;
}
interface PackageSchema {
    readonly name: string;
    readonly version: string;
    readonly resources: Record<string, SchemaResource>;
    readonly types: Record<string, SchemaType>;
    readonly dependencies: { readonly name: string; readonly version: string }[];
}

/**
 * The name Pulumi's Python code generator gives a property (its PyName state machine): a word starts at each
 * lower-to-upper change, and an acronym's last capital starts the next word when a lowercase letter follows it.
 */
function pythonName(name: string): string {
    const words: string[] = [];
    let word = "";
    let state: "first" | "upper" | "acronym" | "lower" = "first";
    for (const ch of name) {
        const upper = ch >= "A" && ch <= "Z";
        const lower = ch >= "a" && ch <= "z";
        if (state === "first") {
            word = ch.toLowerCase();
            state = upper ? "upper" : "lower";
        } else if (state === "upper") {
            word += ch.toLowerCase();
            state = upper ? "acronym" : "lower";
        } else if (state === "acronym") {
            if (lower) {
                words.push(word.slice(0, -1));
                word = word.slice(-1) + ch;
                state = "lower";
            } else {
                word += ch.toLowerCase();
                state = upper ? "acronym" : "lower";
            }
        } else if (upper) {
            words.push(word);
            word = ch.toLowerCase();
            state = "upper";
        } else {
            word += ch;
        }
    }
    return [...words, word].filter((w) => w !== "").join("_");
}

/** Starts the provider as the Pulumi CLI does: run-plugin on PulumiPlugin.yaml's `main`, from the repository root. */
function startProvider(): ServingPlugin {
    const manifest = parse(fs.readFileSync(path.join(root, "PulumiPlugin.yaml"), "utf8")) as { runtime: string; main: string };
    expect(manifest.runtime).to.equal("nodejs");
    return startPlugin("@pulumi/pulumi/cmd/run-plugin", [manifest.main], root, "the provider");
}

const expectedInputs = {
    ReplicatedBucket: [
        "accountId", "partition", "region", "bucketName", "encryption", "noncurrentVersionRetentionDays", "objectLock", "importExisting", "forceDestroy",
        "replicationRoleName", "batchReplicationRoleName", "restoreBatchRoleName", "acceptReplicasFrom", "replicateTo", "replicationTimeControl",
        "protect", "tags",
    ],
    LustreWithRepository: [
        "vpcId", "subnetId", "clientCidrs", "clientSecurityGroupIds", "bucketName", "repositoryPrefix", "fileSystemPath", "repositories",
        "rootSquash", "importFileSystemId", "importSecurityGroupId", "deploymentType",
        "storageType", "storageCapacityGib", "perUnitStorageThroughput", "driveCacheType", "dataCompression", "kmsKeyId",
        "weeklyMaintenanceStartTime", "logLevel", "logRetentionDays", "mountPoint", "protect", "tags",
    ],
    LustreClient: [
        "kind", "fileSystem", "mountPoint", "tags", "os", "instanceType", "vpcId", "subnetId", "httpsEgressCidrs", "partition",
        "host", "user", "privateKey", "port",
    ],
};

describe("the component package served over the provider protocol (GetSchema)", function () {
    this.timeout(300_000);
    let provider: ReturnType<typeof startProvider>;
    let schema: PackageSchema;

    before(async () => {
        provider = startProvider();
        const client = new ResourceProviderClient(`127.0.0.1:${await provider.port}`, grpc.credentials.createInsecure());
        try {
            const response = await new Promise<string>((resolve, reject) =>
                client.getSchema(new GetSchemaRequest().setVersion(0), (error, reply) => (error ? reject(error) : resolve(reply.getSchema()))),
            );
            schema = JSON.parse(response) as PackageSchema;
        } finally {
            client.close();
        }
    });

    after(() => {
        provider?.process.kill();
    });

    const resource = (name: keyof typeof expectedInputs) => schema.resources[`lustre-dr:index:${name}`];

    it("names the package lustre-dr at package.json's version and offers exactly the three components", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
        expect(schema.name).to.equal("lustre-dr");
        expect(schema.version).to.equal(manifest.version);
        expect(Object.keys(schema.resources)).to.have.members(Object.keys(expectedInputs).map((name) => `lustre-dr:index:${name}`));
        for (const name of Object.keys(expectedInputs) as (keyof typeof expectedInputs)[]) {
            expect(resource(name).isComponent, name).to.equal(true);
            expect(resource(name).description, name).to.be.a("string").and.not.equal("");
        }
        // outputs that are AWS resources refer to the aws package's schema at the version this one is built with
        const awsVersion = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/aws/package.json"), "utf8")) as { version: string }).version;
        expect(schema.dependencies).to.deep.equal([{ name: "aws", version: awsVersion }]);
    });

    it("takes each component's arguments, with the required ones required", () => {
        for (const [name, inputs] of Object.entries(expectedInputs) as [keyof typeof expectedInputs, string[]][]) {
            expect(Object.keys(resource(name).inputProperties), name).to.have.members(inputs);
        }
        expect(resource("ReplicatedBucket").requiredInputs).to.deep.equal(["accountId", "batchReplicationRoleName", "partition", "region", "replicationRoleName"]);
        expect(resource("LustreWithRepository").requiredInputs).to.deep.equal(["bucketName", "subnetId", "vpcId"]);
        // the kind decides which of the other fields are required; the component checks that before declaring anything
        expect(resource("LustreClient").requiredInputs).to.deep.equal(["fileSystem", "kind"]);
        // ids that usually come from other resources take outputs; settings the components decide on are plain values
        expect(resource("LustreWithRepository").inputProperties.vpcId.plain).to.equal(undefined);
        expect(resource("LustreWithRepository").inputProperties.deploymentType.plain).to.equal(true);
        expect(resource("LustreClient").inputProperties.privateKey.plain).to.equal(undefined);
    });

    it("offers the enumerations as enums and the nested arguments as object types", () => {
        const enumValues = (name: string) => schema.types[`lustre-dr:index:${name}`]?.enum?.map((member) => member.value);
        expect(enumValues("BucketEncryption")).to.have.members(["SSE_KMS", "SSE_S3"]);
        expect(enumValues("LustreClientKind")).to.have.members(["instance", "ssh"]);
        expect(enumValues("ClientOs")).to.have.members(["al2023", "al2", "ubuntu2204"]);
        expect(enumValues("LustreDeploymentType")).to.have.members(["PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2"]);
        expect(enumValues("LustreLogLevel")).to.have.members(["WARN_ERROR", "WARN_ONLY", "ERROR_ONLY", "DISABLED"]);
        expect(resource("ReplicatedBucket").inputProperties.encryption.$ref).to.equal("#/types/lustre-dr:index:BucketEncryption");
        expect(Object.keys(schema.types["lustre-dr:index:ReplicationDestination"].properties ?? {})).to.have.members(["bucketArn", "accountId", "region", "kmsKeyArn"]);
        expect(Object.keys(schema.types["lustre-dr:index:ObjectLockRetention"].properties ?? {})).to.have.members(["mode", "days"]);
        expect(Object.keys(schema.types["lustre-dr:index:MountedFileSystem"].properties ?? {})).to.have.members(["id", "dnsName", "mountName", "securityGroupId"]);
        expect(Object.keys(schema.types["lustre-dr:index:LustreRepositoryArgs"].properties ?? {})).to.have.members(["fileSystemPath", "repositoryPrefix", "importAssociationId"]);
        expect(resource("LustreWithRepository").inputProperties.repositories.items?.$ref).to.equal("#/types/lustre-dr:index:LustreRepositoryArgs");
        expect(Object.keys(schema.types["lustre-dr:index:LustreRootSquashArgs"].properties ?? {})).to.have.members(["uidGid", "noSquashNids"]);
    });

    it("returns the outputs a program wires on: names, ARNs, ids, the mount command, the child resources", () => {
        expect(Object.keys(resource("ReplicatedBucket").properties)).to.have.members([
            "bucket", "bucketName", "bucketArn", "kmsKey", "replicationRole", "batchReplicationRole", "restoreBatchRole", "versioning",
            "replicationConfig",
        ]);
        expect(resource("ReplicatedBucket").properties.bucket.$ref).to.match(/^\/aws\/v[\d.]+\/schema\.json#\/resources\/aws:s3%2Fbucket:Bucket$/);
        expect(Object.keys(resource("LustreWithRepository").properties)).to.have.members([
            "securityGroup", "logGroup", "fileSystem", "dataRepositoryAssociations", "dataRepositoryAssociation", "fileSystemId", "dnsName",
            "mountName", "dataRepositoryAssociationId", "dataRepositoryAssociationIds", "securityGroupId", "mountCommand", "storageCapacityGib",
            "repositories",
        ]);
        expect(Object.keys(resource("LustreClient").properties)).to.have.members(["kind", "mountCommand", "instanceId", "securityGroupId"]);
        expect(resource("LustreClient").required).to.deep.equal(["kind", "mountCommand"]);
    });

    describe("read from Python", () => {
        const everyName = () =>
            Object.entries(schema.resources).flatMap(([type, r]) => [
                ...Object.keys(r.inputProperties).map((name) => `${type} input ${name}`),
                ...Object.keys(r.properties).map((name) => `${type} output ${name}`),
            ]).concat(
                Object.entries(schema.types).flatMap(([type, t]) => Object.keys(t.properties ?? {}).map((name) => `${type} field ${name}`)),
            );

        it("derives snake_case names without stray one-letter words", () => {
            expect(pythonName("storageCapacityGiB"), "the check itself").to.equal("storage_capacity_gi_b");
            expect(pythonName("storageCapacityGib")).to.equal("storage_capacity_gib");
            expect(pythonName("noncurrentVersionRetentionDays")).to.equal("noncurrent_version_retention_days");
            const awkward = everyName().filter((label) => pythonName(label.split(" ").pop()!).split("_").some((word) => word.length < 2));
            expect(awkward).to.deep.equal([]);
        });

        it("documents every input and output in words that hold in any language", () => {
            const described = Object.entries(schema.resources).flatMap(([type, r]) =>
                Object.entries({ ...r.inputProperties, ...r.properties }).map(([name, p]) => ({ label: `${type} ${name}`, text: p.description ?? "" })),
            );
            expect(described.filter((d) => d.text.trim() === "").map((d) => d.label)).to.deep.equal([]);
            // camelCase argument names in backticks would not match the Python or Go names; nor do TypeScript types
            const typeScriptish = /`[a-z]+[A-Z][A-Za-z]*`|\b(?:Record|Input|Output|Promise)<|\bundefined\b|=>/;
            expect(described.filter((d) => typeScriptish.test(d.text)).map((d) => `${d.label}: ${d.text}`)).to.deep.equal([]);
        });
    });
});
