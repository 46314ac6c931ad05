import { expect } from "chai";
import { architectureDiagram } from "../../../infra/plan/diagram";
import { computed, PlannedResource, StackPlan } from "../../../infra/plan/model";

const child = (type: string, name: string, parent: PlannedResource, properties: PlannedResource["properties"] = {}): PlannedResource => ({
    type,
    name,
    custom: true,
    parent: { type: parent.type, name: parent.name },
    properties,
});
const component = (type: string, name: string): PlannedResource => ({ type, name, custom: false, properties: {} });

const data = component("lustre-dr:storage:ReplicatedBucket", "data");
const fs = component("lustre-dr:filesystem:LustreWithRepository", "fs");
const client = component("lustre-dr:filesystem:LustreClient", "compute-1");
const sshClient = component("lustre-dr:filesystem:LustreClient", "login");

function storage(role: string, replicateTo?: string): PlannedResource[] {
    return [
        data,
        child("aws:s3/bucket:Bucket", "data-bucket", data, { bucket: computed }),
        child("aws:s3/bucketVersioning:BucketVersioning", "data-versioning", data, { "versioningConfiguration.status": "Enabled" }),
        child("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "data-encryption", data, {
            "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": role === "primary" ? "aws:kms" : "AES256",
        }),
        ...(replicateTo
            ? [
                  child("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-replication", data, {
                      role: computed,
                      rules: [
                          {
                              id: "lustre-dr-to-peer",
                              deleteMarkerReplication: { status: "Enabled" },
                              destination: { bucket: replicateTo, replicationTime: { status: "Enabled", time: { minutes: 15 } } },
                          },
                      ],
                  }),
              ]
            : []),
    ];
}

/** A warm primary (file system, DRA, an EC2 and an SSH client) replicating to a dr side that has not granted back yet. */
const primary: StackPlan = {
    stack: "primary",
    role: "primary",
    region: "us-east-1",
    accountId: "111111111111",
    assumptions: ["account 111111111111 (a placeholder)"],
    resources: [
        ...storage("primary", "arn:aws:s3:::<dr bucket>"),
        fs,
        child("aws:fsx/lustreFileSystem:LustreFileSystem", "fs-filesystem", fs, {
            deploymentType: "PERSISTENT_2",
            storageType: "SSD",
            storageCapacity: 2400,
            perUnitStorageThroughput: 250,
        }),
        child("aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation", "fs-dra", fs, {
            fileSystemPath: "/s3",
            dataRepositoryPath: computed,
            batchImportMetaDataOnCreate: true,
            "s3.autoImportPolicy.events": ["NEW", "CHANGED", "DELETED"],
            "s3.autoExportPolicy.events": ["NEW", "CHANGED", "DELETED"],
        }),
        client,
        child("aws:ec2/instance:Instance", "compute-1-instance", client, { instanceType: "m6i.large" }),
        sshClient,
        child("command:remote:Command", "login-mount", sshClient, { "connection.host": "10.0.1.5", "connection.user": "ec2-user" }),
    ],
    outputs: { replicationStatus: "active" },
};

const dr: StackPlan = {
    stack: "dr",
    role: "dr",
    region: "us-west-2",
    accountId: "222222222222",
    assumptions: [],
    resources: storage("dr"),
    outputs: { replicationStatus: "awaiting-peer-grant" },
};

describe("infra/plan/diagram", () => {
    it("draws both sides: buckets, replication with its state, file system, DRA, clients, the pilot light", () => {
        expect(architectureDiagram([primary, dr])).to.equal(
            [
                "flowchart LR",
                "    %% primary: assumed account 111111111111 (a placeholder)",
                '    subgraph primary["primary · us-east-1 · account 111111111111"]',
                '        primary_bucket[("S3 bucket #60;computed#62;<br/>versioning Enabled<br/>SSE-KMS")]',
                '        primary_fs_fs_filesystem["FSx for Lustre PERSISTENT_2 SSD<br/>2400 GiB, 250 MB/s/TiB"]',
                '        primary_fs_fs_filesystem <-->|"DRA /s3 ⇄ #60;computed#62;<br/>import NEW, CHANGED, DELETED<br/>export NEW, CHANGED, DELETED<br/>batch import on create"| primary_bucket',
                '        primary_client_compute_1(["compute-1<br/>EC2 m6i.large"])',
                "        primary_client_compute_1 -->|mounts| primary_fs_fs_filesystem",
                '        primary_client_login(["login<br/>host 10.0.1.5 over SSH"])',
                "        primary_client_login -->|mounts| primary_fs_fs_filesystem",
                "    end",
                '    subgraph dr["dr · us-west-2 · account 222222222222"]',
                '        dr_bucket[("S3 bucket #60;computed#62;<br/>versioning Enabled<br/>SSE-S3")]',
                '        dr_nofs["no file system (pilot light)<br/>lustre-dr recover creates it"]',
                '        dr_nofs -.-|"imports the bucket on recovery"| dr_bucket',
                "    end",
                '    primary_bucket ==>|"replication active<br/>RTC 15 min, delete markers"| dr_bucket',
                '    dr_bucket -.->|"no replication: awaiting-peer-grant"| primary_bucket',
            ].join("\n"),
        );
    });

    it("draws one side with its replication target as an outside bucket", () => {
        const diagram = architectureDiagram([primary]);
        expect(diagram).to.include('    primary_peer_bucket[("peer bucket #60;dr bucket#62;")]');
        expect(diagram).to.include('    primary_bucket ==>|"replication active<br/>RTC 15 min, delete markers"| primary_peer_bucket');
        expect(diagram).to.not.include("subgraph dr");
    });
});
