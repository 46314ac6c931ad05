import { expect } from "chai";
import type { PeerOutputs } from "../../stacks/handshake";
import { expectedPeerRoles, PeerPin, peerPinProblems, verifyPeer } from "../../stacks/peerPin";

const pin: PeerPin = { peerStack: "organization/lustre-dr/primary", accountId: "111111111111", partition: "aws" };
const attacker = "666666666666";
const genuine: PeerOutputs = {
    accountId: "111111111111",
    region: "us-east-1",
    bucketName: "corp-primary-data",
    bucketArn: "arn:aws:s3:::corp-primary-data",
    kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    replicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-replication",
    batchReplicationRoleArn: "arn:aws:iam::111111111111:role/lustre-dr-primary-batch-replication",
    replicationGrantedTo: [],
};

describe("the peer pin (lustre-dr:peerAccountId)", () => {
    it("derives the genuine peer's role ARNs from its stack name and the pinned account", () => {
        expect(expectedPeerRoles(pin)).to.deep.equal({
            replicationRoleArn: genuine.replicationRoleArn,
            batchReplicationRoleArn: genuine.batchReplicationRoleArn,
        });
        expect(expectedPeerRoles({ ...pin, peerStack: "acme/storage/prod-west", partition: "aws-us-gov" }).replicationRoleArn).to.equal(
            "arn:aws-us-gov:iam::111111111111:role/storage-prod-west-replication",
        );
    });

    it("accepts genuine outputs", () => {
        expect(peerPinProblems(pin, genuine)).to.deep.equal([]);
        expect(verifyPeer(pin, genuine)).to.deep.equal({ peer: genuine });
    });

    const forgeries: [string, Partial<PeerOutputs>, string][] = [
        ["an accountId that is not the pinned one", { accountId: attacker }, `its accountId output is ${attacker}, not the pinned 111111111111`],
        [
            "a replication role in the attacker's account",
            { replicationRoleArn: `arn:aws:iam::${attacker}:role/lustre-dr-primary-replication` },
            `a role in account ${attacker}, not the pinned 111111111111`,
        ],
        [
            "a replication role of the right account with another name",
            { replicationRoleArn: "arn:aws:iam::111111111111:role/admin" },
            "a role named admin, not the deterministic lustre-dr-primary-replication",
        ],
        [
            "a batch replication role in the attacker's account",
            { batchReplicationRoleArn: `arn:aws:iam::${attacker}:role/lustre-dr-primary-batch-replication` },
            `batchReplicationRoleArn output is arn:aws:iam::${attacker}:role/lustre-dr-primary-batch-replication, a role in account ${attacker}`,
        ],
        [
            "a replication role that is a user, not a role",
            { replicationRoleArn: "arn:aws:iam::111111111111:user/lustre-dr-primary-replication" },
            "not an IAM role ARN",
        ],
        [
            "a key in another account",
            { kmsKeyArn: `arn:aws:kms:us-east-1:${attacker}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
            `a key in account ${attacker}, not the pinned 111111111111`,
        ],
        [
            "a key in another region than the peer's",
            { kmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
            "is not in the peer's partition and region (aws, us-east-1)",
        ],
        ["an alias instead of a key", { kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:alias/lustre" }, "is not a KMS key ARN"],
        [
            "a bucket ARN that names another bucket than bucketName",
            { bucketArn: "arn:aws:s3:::attacker-bucket" },
            "its bucketArn output arn:aws:s3:::attacker-bucket does not name its bucketName corp-primary-data",
        ],
        ["a wildcard bucket", { bucketName: "*", bucketArn: "arn:aws:s3:::*" }, "contains a wildcard or slash"],
        ["a region that is no region", { region: "us-east-1,eu-west-1" }, "is not an AWS region"],
    ];
    for (const [what, forged, message] of forgeries) {
        it(`refuses ${what}, saying why`, () => {
            const result = verifyPeer(pin, { ...genuine, ...forged });
            expect(result).to.have.property("problems");
            const problems = "problems" in result ? result.problems : [];
            expect(problems.map((p) => p.expected).join("\n")).to.contain(message);
            for (const problem of problems) {
                expect(problem).to.include({ key: "lustre-dr:peerAccountId", value: "111111111111" });
                expect(problem.expected).to.contain("organization/lustre-dr/primary is refused");
            }
        });
    }

    it("hands on the pinned account and the deterministic role ARNs; a peer without the batch role output passes", () => {
        const result = verifyPeer(pin, { ...genuine, batchReplicationRoleArn: undefined });
        expect(result).to.have.property("peer");
        const peer = "peer" in result ? result.peer : genuine;
        expect(peer.accountId).to.equal(pin.accountId);
        expect(peer.replicationRoleArn).to.equal(expectedPeerRoles(pin).replicationRoleArn);
        expect(peer.batchReplicationRoleArn, "an absent output stays absent").to.equal(undefined);
    });
});
