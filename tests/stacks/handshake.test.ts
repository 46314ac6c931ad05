import { expect } from "chai";
import { decideHandshake, PeerOutputs, peerProblems } from "../../stacks/handshake";

const selfRole = "arn:aws:iam::111111111111:role/lustre-dr-primary-replication";
const peer: PeerOutputs = {
    accountId: "222222222222",
    region: "us-west-2",
    bucketName: "dr-data",
    bucketArn: "arn:aws:s3:::dr-data",
    kmsKeyArn: "arn:aws:kms:us-west-2:222222222222:key/dr",
    replicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-replication",
    replicationGrantedTo: [],
};

describe("replication handshake", () => {
    it("runs alone without a peer stack", () => {
        expect(decideHandshake({ detached: false, selfReplicationRoleArn: selfRole })).to.deep.equal({ status: "no-peer" });
    });

    it("waits while the peer stack has no outputs yet", () => {
        expect(decideHandshake({ detached: false, peerStack: "o/p/dr", selfReplicationRoleArn: selfRole })).to.deep.equal({
            status: "awaiting-peer-grant",
        });
    });

    it("grants the peer but does not replicate until the peer grants this side", () => {
        const decision = decideHandshake({ detached: false, peerStack: "o/p/dr", peer, selfReplicationRoleArn: selfRole });
        expect(decision).to.deep.equal({ status: "awaiting-peer-grant", acceptReplicasFrom: peer.replicationRoleArn });
    });

    it("replicates to the peer once the peer lists this side's role", () => {
        const decision = decideHandshake({
            detached: false,
            peerStack: "o/p/dr",
            peer: { ...peer, replicationGrantedTo: [selfRole] },
            selfReplicationRoleArn: selfRole,
        });
        expect(decision).to.deep.equal({
            status: "active",
            acceptReplicasFrom: peer.replicationRoleArn,
            replicateTo: { bucketArn: peer.bucketArn, accountId: peer.accountId, region: peer.region, kmsKeyArn: peer.kmsKeyArn },
        });
    });

    it("ignores a grant to some other role", () => {
        const decision = decideHandshake({
            detached: false,
            peerStack: "o/p/dr",
            peer: { ...peer, replicationGrantedTo: ["arn:aws:iam::111111111111:role/someone-else"] },
            selfReplicationRoleArn: selfRole,
        });
        expect(decision.status).to.equal("awaiting-peer-grant");
        expect(decision.replicateTo).to.equal(undefined);
    });

    describe("with Object Lock on this side", () => {
        const granted = { ...peer, replicationGrantedTo: [selfRole] };

        it("waits to replicate (still granting the peer) while the peer's bucket has no Object Lock, and says why", () => {
            for (const unlocked of [granted, { ...granted, objectLockEnabled: false }]) {
                const decision = decideHandshake({ detached: false, peerStack: "o/p/dr", peer: unlocked, selfReplicationRoleArn: selfRole, objectLock: true });
                expect(decision.status).to.equal("awaiting-peer-grant");
                expect(decision.acceptReplicasFrom).to.equal(peer.replicationRoleArn);
                expect(decision.replicateTo).to.equal(undefined);
                expect(decision.waitingFor).to.contain("only into an Object Lock bucket").and.to.contain("lustre-dr:bucket.objectLock");
            }
        });

        it("replicates once the peer reports Object Lock", () => {
            const decision = decideHandshake({
                detached: false,
                peerStack: "o/p/dr",
                peer: { ...granted, objectLockEnabled: true },
                selfReplicationRoleArn: selfRole,
                objectLock: true,
            });
            expect(decision.status).to.equal("active");
            expect(decision.waitingFor).to.equal(undefined);
        });

        it("does not hold back a side without Object Lock sending to a peer with it", () => {
            const decision = decideHandshake({ detached: false, peerStack: "o/p/dr", peer: { ...granted, objectLockEnabled: true }, selfReplicationRoleArn: selfRole });
            expect(decision.status).to.equal("active");
        });
    });

    it("neither grants nor replicates when detached, whatever the peer says", () => {
        const decision = decideHandshake({
            detached: true,
            peerStack: "o/p/dr",
            peer: { ...peer, replicationGrantedTo: [selfRole] },
            selfReplicationRoleArn: selfRole,
        });
        expect(decision).to.deep.equal({ status: "detached" });
    });
});

describe("peer problems", () => {
    it("refuses a peer in the same region", () => {
        const [problem] = peerProblems({ region: "us-west-2", encryption: "SSE_KMS" }, "o/p/dr", peer);
        expect(problem.key).to.equal("lustre-dr:peerStack");
        expect(problem.expected).to.contain("another region than this side's us-west-2");
    });

    it("refuses an SSE_S3 peer for an SSE_KMS side", () => {
        const [problem] = peerProblems({ region: "us-east-1", encryption: "SSE_KMS" }, "o/p/dr", { ...peer, kmsKeyArn: undefined });
        expect(problem).to.deep.include({ key: "lustre-dr:bucket.encryption", value: "SSE_KMS" });
        expect(problem.expected).to.contain('"SSE_S3" like the peer o/p/dr');
        const [reverse] = peerProblems({ region: "us-east-1", encryption: "SSE_S3" }, "o/p/dr", peer);
        expect(reverse).to.deep.include({ key: "lustre-dr:bucket.encryption", value: "SSE_S3" });
    });

    it("accepts a peer in another region with a key", () => {
        expect(peerProblems({ region: "us-east-1", encryption: "SSE_KMS" }, "o/p/dr", peer)).to.deep.equal([]);
    });
});
