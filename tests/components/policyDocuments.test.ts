import { expect } from "chai";
import {
    batchReplicationRolePolicy,
    batchReplicationTrustPolicy,
    bucketPolicy,
    keyPolicy,
    PolicyDocument,
    PolicyStatement,
    replicationRolePolicy,
    replicationTrustPolicy,
} from "../../components/policyDocuments";
import { valueOf } from "../support/pulumiMocks";

const source = "arn:aws:s3:::primary-data";
const destination = "arn:aws:s3:::dr-data";
const sourceKey = "arn:aws:kms:eu-west-1:111111111111:key/source";
const destinationKey = "arn:aws:kms:eu-central-1:222222222222:key/destination";
const peerRole = "arn:aws:iam::222222222222:role/lustre-dr-dr-replication";

/** The document exactly as IAM would receive it: every Output resolved, serialised and parsed back. */
async function asSent(doc: PolicyDocument): Promise<{ Statement: PolicyStatement[] }> {
    return JSON.parse(JSON.stringify(await valueOf(doc)));
}

function statement(doc: { Statement: PolicyStatement[] }, sid: string): PolicyStatement {
    const found = doc.Statement.find((s) => s.Sid === sid);
    if (!found) {
        throw new Error(`no statement ${sid} in ${doc.Statement.map((s) => s.Sid).join(", ")}`);
    }
    return found;
}

describe("policy documents", () => {
    describe("replication role", () => {
        it("reads exactly the source bucket and its object versions", async () => {
            const doc = await asSent(replicationRolePolicy({ sourceBucketArn: source, sourceRegion: "eu-west-1", objectLock: false }));
            expect(statement(doc, "ReadSourceConfiguration")).to.include({ Effect: "Allow", Resource: source });
            expect(statement(doc, "ReadSourceConfiguration").Action).to.deep.equal(["s3:GetReplicationConfiguration", "s3:ListBucket"]);
            expect(statement(doc, "ReadSourceObjectVersions").Action).to.deep.equal([
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ]);
            expect(statement(doc, "ReadSourceObjectVersions").Resource).to.equal(`${source}/*`);
            expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["ReadSourceConfiguration", "ReadSourceObjectVersions"]);
        });

        it("adds retention and legal-hold reads with Object Lock", async () => {
            const doc = await asSent(replicationRolePolicy({ sourceBucketArn: source, sourceRegion: "eu-west-1", objectLock: true }));
            expect(statement(doc, "ReadSourceObjectVersions").Action).to.include.members(["s3:GetObjectRetention", "s3:GetObjectLegalHold"]);
        });

        it("writes replicas only to the destination's objects, with owner override only across accounts", async () => {
            const sameAccount = await asSent(
                replicationRolePolicy({
                    sourceBucketArn: source,
                    sourceRegion: "eu-west-1",
                    objectLock: false,
                    destination: { bucketArn: destination, region: "eu-central-1", accountId: "111111111111", crossAccount: false },
                }),
            );
            expect(statement(sameAccount, "WriteReplicas").Action).to.deep.equal(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]);
            expect(statement(sameAccount, "WriteReplicas").Resource).to.equal(`${destination}/*`);
            expect(statement(sameAccount, "CheckDestinationVersioning")).to.deep.include({ Action: "s3:GetBucketVersioning", Resource: destination });

            const crossAccount = await asSent(
                replicationRolePolicy({
                    sourceBucketArn: source,
                    sourceRegion: "eu-west-1",
                    objectLock: false,
                    destination: { bucketArn: destination, region: "eu-central-1", accountId: "222222222222", crossAccount: true },
                }),
            );
            expect(statement(crossAccount, "WriteReplicas").Action).to.include("s3:ObjectOwnerOverrideToBucketOwner");
        });

        it("writes replicas only into buckets the pinned peer account owns, same account or not", async () => {
            for (const [accountId, crossAccount] of [["111111111111", false], ["222222222222", true]] as const) {
                const doc = await asSent(
                    replicationRolePolicy({
                        sourceBucketArn: source,
                        sourceRegion: "eu-west-1",
                        objectLock: false,
                        destination: { bucketArn: destination, region: "eu-central-1", accountId, crossAccount },
                    }),
                );
                expect(statement(doc, "WriteReplicas").Condition).to.deep.equal({ StringEquals: { "s3:ResourceAccount": accountId } });
            }
        });

        it("decrypts with the source key and encrypts with the destination key, each only through S3 for its bucket", async () => {
            const doc = await asSent(
                replicationRolePolicy({
                    sourceBucketArn: source,
                    sourceRegion: "eu-west-1",
                    sourceKeyArn: sourceKey,
                    objectLock: false,
                    destination: { bucketArn: destination, region: "eu-central-1", keyArn: destinationKey, accountId: "222222222222", crossAccount: true },
                }),
            );
            const decrypt = statement(doc, "DecryptSourceObjects");
            expect(decrypt).to.deep.include({ Action: "kms:Decrypt", Resource: sourceKey });
            expect(decrypt.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [source, `${source}/*`] },
            });
            // Bucket keys: S3 also decrypts the replica key's bucket key to check it before writing with it.
            const encrypt = statement(doc, "EncryptReplicas");
            expect(encrypt).to.deep.include({ Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"], Resource: destinationKey });
            expect(encrypt.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [destination, `${destination}/*`] },
            });
        });

        it("never uses a wildcard resource", async () => {
            const doc = await asSent(
                replicationRolePolicy({
                    sourceBucketArn: source,
                    sourceRegion: "eu-west-1",
                    sourceKeyArn: sourceKey,
                    objectLock: true,
                    destination: { bucketArn: destination, region: "eu-central-1", keyArn: destinationKey, accountId: "222222222222", crossAccount: true },
                }),
            );
            for (const s of doc.Statement) {
                expect([s.Resource].flat(), s.Sid).to.not.include("*");
            }
        });
    });

    describe("trust policies", () => {
        it("lets only S3 assume the replication role, for this account's bucket", async () => {
            const doc = await asSent(replicationTrustPolicy("111111111111", source));
            expect(doc.Statement).to.have.length(1);
            expect(doc.Statement[0]).to.deep.equal({
                Sid: "S3AssumesForReplication",
                Effect: "Allow",
                Principal: { Service: "s3.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "111111111111" }, ArnLike: { "aws:SourceArn": source } },
            });
        });

        it("lets only S3 Batch Operations assume the batch replication role, for this account's jobs in this region", async () => {
            const doc = await asSent(batchReplicationTrustPolicy({ partition: "aws", region: "eu-west-1", accountId: "111111111111" }));
            expect(doc.Statement[0].Principal).to.deep.equal({ Service: "batchoperations.s3.amazonaws.com" });
            expect(doc.Statement[0]).to.not.have.property("Resource");
            expect(doc.Statement[0].Condition).to.deep.equal({
                StringEquals: { "aws:SourceAccount": "111111111111" },
                ArnLike: { "aws:SourceArn": "arn:aws:s3:eu-west-1:111111111111:job/*" },
            });
        });
    });

    describe("batch replication role", () => {
        it("initiates replication on source objects and writes reports under the reserved prefix, reading no object", async () => {
            const doc = await asSent(batchReplicationRolePolicy({ sourceBucketArn: source, sourceRegion: "eu-west-1", sourceKeyArn: sourceKey }));
            expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["InitiateReplication", "GenerateManifest", "WriteReport", "EncryptReport"]);
            expect(statement(doc, "InitiateReplication")).to.deep.include({ Action: "s3:InitiateReplication", Resource: `${source}/*` });
            expect(statement(doc, "GenerateManifest").Action).to.deep.equal(["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"]);
            expect(statement(doc, "GenerateManifest").Resource).to.equal(source);
            expect(statement(doc, "WriteReport")).to.deep.include({ Action: "s3:PutObject", Resource: `${source}/.lustre-dr/batch-reports/*` });
            // The manifest is generated and not saved: nothing to read (no s3:GetObject anywhere).
            expect(doc.Statement.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith("s3:GetObject"))).to.be.empty;
            const key = statement(doc, "EncryptReport");
            expect(key).to.deep.include({ Resource: sourceKey });
            expect(key.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [source, `${source}/*`] },
            });
        });
    });

    describe("bucket policy", () => {
        it("denies every request without TLS, on the bucket and its objects", async () => {
            const doc = await asSent(bucketPolicy({ bucketArn: destination }));
            expect(doc.Statement).to.deep.equal([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [destination, `${destination}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
        });

        it("grants the peer role the replica actions on objects and the versioning check on the bucket, nothing more", async () => {
            const doc = await asSent(bucketPolicy({ bucketArn: destination, peerReplicationRoleArn: peerRole }));
            const objects = statement(doc, "AcceptReplicasFromPeer");
            expect(objects.Principal).to.deep.equal({ AWS: peerRole });
            expect(objects.Action).to.deep.equal([
                "s3:ReplicateObject",
                "s3:ReplicateDelete",
                "s3:ReplicateTags",
                "s3:ObjectOwnerOverrideToBucketOwner",
            ]);
            expect(objects.Resource).to.equal(`${destination}/*`);
            const bucket = statement(doc, "LetPeerCheckVersioning");
            // Only the versioning check: no s3:List* (the peer must not enumerate this bucket's keys and versions).
            expect(bucket.Action).to.deep.equal(["s3:GetBucketVersioning"]);
            expect(bucket.Resource).to.equal(destination);
            // A compromised peer must not be able to suspend versioning here.
            expect(doc.Statement.flatMap((s) => [s.Action].flat())).to.not.include("s3:PutBucketVersioning");
        });
    });

    describe("key policy", () => {
        const base = { partition: "aws", accountId: "222222222222", region: "eu-central-1", bucketArn: destination };

        it("keeps the key administrable through IAM and lets the FSx service-linked roles use it through S3", async () => {
            const doc = await asSent(keyPolicy(base));
            expect(statement(doc, "AccountAdministersKeyThroughIam").Principal).to.deep.equal({ AWS: "arn:aws:iam::222222222222:root" });
            const fsx = statement(doc, "FsxReadsAndWritesLinkedBucket");
            expect(fsx.Condition?.ArnLike).to.deep.equal({
                "aws:PrincipalArn":
                    "arn:aws:iam::222222222222:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_*",
            });
            expect(fsx.Condition?.StringEquals).to.deep.include({ "aws:PrincipalAccount": "222222222222" });
            expect(fsx.Condition?.StringLike).to.deep.equal({ "kms:EncryptionContext:aws:s3:arn": [destination, `${destination}/*`] });
            expect(doc.Statement.map((s) => s.Sid)).to.not.include("PeerEncryptsReplicas");
        });

        it("lets the peer role encrypt replicas, only through S3 for this bucket", async () => {
            const doc = await asSent(keyPolicy({ ...base, peerReplicationRoleArn: peerRole }));
            const peer = statement(doc, "PeerEncryptsReplicas");
            expect(peer.Principal).to.deep.equal({ AWS: peerRole });
            expect(peer.Action).to.deep.equal(["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]);
            expect(peer.Condition?.StringEquals).to.deep.equal({ "kms:ViaService": "s3.eu-central-1.amazonaws.com" });
        });
    });
});
