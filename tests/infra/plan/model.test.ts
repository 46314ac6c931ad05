import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { computed, formatPlanTable, inlineValue, plannedResource, StackPlan, toPlanValue, treeOrder } from "../../../infra/plan/model";

describe("infra/plan/model", () => {
    it("turns unknown leaves into <computed> and keeps the rest", () => {
        expect(toPlanValue({ a: pulumi.unknown, b: [1, "x", pulumi.unknown], c: { d: true, e: null } })).to.deep.equal({
            a: computed,
            b: [1, "x", computed],
            c: { d: true, e: null },
        });
    });

    it("never prints a secret, but shows the plain fields of an object marked secret as a whole", () => {
        const wrapped = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
        expect(toPlanValue({ key: wrapped("-----BEGIN KEY-----") })).to.deep.equal({ key: "[secret]" });
        const command = plannedResource({
            type: "command:remote:Command",
            name: "c",
            custom: true,
            inputs: { connection: wrapped({ host: "10.0.0.5", user: "ec2-user", privateKey: "-----BEGIN KEY-----" }) },
        });
        expect(command.properties).to.deep.equal({ "connection.host": "10.0.0.5", "connection.user": "ec2-user" });
    });

    it("keeps the key inputs of a type: DRA paths and events", () => {
        const dra = plannedResource({
            type: "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
            name: "fs-dra",
            custom: true,
            parent: { type: "lustre-dr:filesystem:LustreWithRepository", name: "fs" },
            inputs: {
                fileSystemId: pulumi.unknown,
                fileSystemPath: "/s3",
                dataRepositoryPath: pulumi.unknown,
                batchImportMetaDataOnCreate: true,
                s3: { autoImportPolicy: { events: ["NEW", "CHANGED", "DELETED"] }, autoExportPolicy: { events: ["NEW"] } },
                tags: { a: "b" },
            },
        });
        expect(dra.properties).to.deep.equal({
            fileSystemPath: "/s3",
            dataRepositoryPath: computed,
            batchImportMetaDataOnCreate: true,
            "s3.autoImportPolicy.events": ["NEW", "CHANGED", "DELETED"],
            "s3.autoExportPolicy.events": ["NEW"],
        });
    });

    it("shows an autonamed bucket's name as <computed>, and no properties for types without key inputs", () => {
        expect(plannedResource({ type: "aws:s3/bucket:Bucket", name: "b", custom: true, inputs: { forceDestroy: false } }).properties).to.deep.equal({
            bucket: computed,
            forceDestroy: false,
        });
        expect(plannedResource({ type: "aws:sns/topic:Topic", name: "t", custom: true, inputs: { tags: {} } }).properties).to.deep.equal({});
    });

    it("orders resources as a tree: each parent followed by its children", () => {
        const r = (name: string, parent?: string) => ({
            type: "t:t:T",
            name,
            custom: true,
            properties: {},
            ...(parent ? { parent: { type: "t:t:T", name: parent } } : {}),
        });
        const ordered = treeOrder([r("a"), r("b"), r("a1", "a"), r("b1", "b"), r("a11", "a1")]);
        expect(ordered.map((o) => `${o.depth}:${o.resource.name}`)).to.deep.equal(["0:a", "1:a1", "2:a11", "0:b", "1:b1"]);
    });

    it("prints a table with type, name, parent, key properties and outputs", () => {
        const plan: StackPlan = {
            stack: "dr",
            role: "dr",
            region: "us-west-2",
            accountId: "222222222222",
            assumptions: ["account 222222222222 (a placeholder)"],
            resources: [
                { type: "lustre-dr:storage:ReplicatedBucket", name: "data", custom: false, properties: {} },
                {
                    type: "aws:s3/bucket:Bucket",
                    name: "data-bucket",
                    custom: true,
                    parent: { type: "lustre-dr:storage:ReplicatedBucket", name: "data" },
                    properties: { bucket: computed },
                },
            ],
            outputs: { replicationStatus: "active", replicationGrantedTo: ["arn:r"] },
        };
        expect(formatPlanTable([plan])).to.equal(
            [
                "Stack dr (dr, us-west-2): 2 resources",
                "  assumed: account 222222222222 (a placeholder)",
                "",
                "name           type                                parent",
                "data           lustre-dr:storage:ReplicatedBucket  -",
                "  data-bucket  aws:s3/bucket:Bucket                data",
                "      bucket = <computed>",
                "",
                "Outputs:",
                "  replicationStatus = active",
                "  replicationGrantedTo = [arn:r]",
            ].join("\n"),
        );
        expect(inlineValue({ a: [1, { b: "c" }] })).to.equal("{a: [1, {b: c}]}");
    });
});
