import { expect } from "chai";
import type { PolicyResource } from "@pulumi/policy";
import {
    accountOfArn,
    associationsOf,
    bucketNameFromArn,
    bucketNameFromS3Url,
    bucketOf,
    linkedBucketOf,
    peersOf,
    regionOf,
    regionOfArn,
    replicationRoleOf,
    statementsOf,
    types,
} from "../../../infra/policy/stackModel";

/** A hand-built resource as a stack policy sees it; only what these helpers read. */
function resource(type: string, name: string, props: Record<string, unknown>, extra: Partial<PolicyResource> = {}): PolicyResource {
    return {
        type,
        name,
        urn: `urn:pulumi:s::p::${type}::${name}`,
        props,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
        ...extra,
    };
}

describe("stackModel", () => {
    const logs = resource(types.bucket, "logs", { bucket: "acme-logs" });
    const data = resource(types.bucket, "data", { bucket: "acme-data", region: "eu-west-1" });
    const buckets = [logs, data];

    it("relates a bucket-scoped resource by property dependency before value", () => {
        const declaredFromData = resource(types.versioning, "v", { bucket: "acme-logs" }, { propertyDependencies: { bucket: [data] } });
        expect(bucketOf(declaredFromData, buckets)).to.equal(data);
        expect(bucketOf(resource(types.versioning, "v", { bucket: "acme-logs" }), buckets)).to.equal(logs);
        expect(bucketOf(resource(types.versioning, "v", { bucket: "elsewhere" }), buckets)).to.equal(undefined);
    });

    it("relates an association to its bucket through its s3:// path, and to its file system by dependency or id", () => {
        const fileSystem = resource(types.lustre, "fs", { id: "fs-0123" });
        const byId = resource(types.dataRepositoryAssociation, "a", { fileSystemId: "fs-0123", dataRepositoryPath: "s3://acme-data/prefix/" });
        const byDependency = resource(types.dataRepositoryAssociation, "b", { fileSystemId: "other" }, { propertyDependencies: { fileSystemId: [fileSystem] } });
        const unrelated = resource(types.dataRepositoryAssociation, "c", { fileSystemId: "fs-9999" });
        expect(linkedBucketOf(byId, buckets)).to.equal(data);
        expect(associationsOf(fileSystem, [fileSystem, byId, byDependency, unrelated])).to.deep.equal([byId, byDependency]);
    });

    it("finds a replication role by dependency or by ARN", () => {
        const role = resource(types.role, "r", { arn: "arn:aws:iam::1:role/rep" });
        expect(replicationRoleOf(resource(types.replication, "x", { role: "arn:aws:iam::1:role/rep" }), [role])).to.equal(role);
        expect(replicationRoleOf(resource(types.replication, "x", { role: "arn:aws:iam::1:role/other" }), [role])).to.equal(undefined);
    });

    it("takes a resource's region from itself, else from its provider", () => {
        expect(regionOf(data)).to.equal("eu-west-1");
        const provider = { type: "pulumi:providers:aws", name: "default", urn: "urn:p", props: { region: "us-east-2" } };
        expect(regionOf(resource(types.bucket, "x", {}, { provider }))).to.equal("us-east-2");
        expect(regionOf(logs)).to.equal(undefined);
    });

    it("reads peers from StackReferences whose outputs follow the contract", () => {
        const peer = resource(types.stackReference, "peer", { name: "org/lustre-dr/dr", outputs: { bucketArn: "arn:aws:s3:::d", region: "us-west-2", accountId: "2" } });
        const other = resource(types.stackReference, "net", { name: "org/net/prod", outputs: { vpcId: "vpc-1" } });
        expect(peersOf([peer, other])).to.deep.equal([{ stack: "org/lustre-dr/dr", bucketArn: "arn:aws:s3:::d", region: "us-west-2", accountId: "2" }]);
    });

    it("parses ARNs, S3 URLs and policy documents", () => {
        expect(bucketNameFromArn("arn:aws-cn:s3:::b")).to.equal("b");
        expect(bucketNameFromArn("arn:aws:s3:::b/*")).to.equal(undefined);
        expect(bucketNameFromS3Url("s3://b/p/")).to.equal("b");
        expect(regionOfArn("arn:aws:kms:eu-west-1:1:key/k")).to.equal("eu-west-1");
        expect(regionOfArn("arn:aws:s3:::b")).to.equal(undefined);
        expect(accountOfArn("arn:aws:iam::123456789012:role/r")).to.equal("123456789012");
        expect(statementsOf('{"Statement":{"Effect":"Deny"}}')).to.deep.equal([{ Effect: "Deny" }]);
        expect(statementsOf({ Statement: [{ Effect: "Allow" }] })).to.deep.equal([{ Effect: "Allow" }]);
        expect(statementsOf("not json")).to.equal(undefined);
    });
});
