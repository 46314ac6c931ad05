/**
 * The replication handshake (README.md, "The replication handshake"), decided from plain values before any resource is declared, so that
 * `pulumi preview` shows exactly what `pulumi up` will do.
 *
 * Each side grants the peer's replication role as soon as it can see the peer, and configures its own
 * replication only once the peer lists this side's role among the roles it accepts replicas from. Without that
 * order S3 would refuse the replication configuration of a cross-account destination.
 */
import type { ReplicationDestination } from "../components/replicatedBucket";
import { ConfigProblem } from "../components/problems";
import type { ReplicationStatus } from "./outputs";

/** The peer's stack outputs that the handshake reads (the outputs contract, stacks/outputs.ts). */
export interface PeerOutputs {
    readonly accountId: string;
    readonly region: string;
    readonly bucketName: string;
    readonly bucketArn: string;
    readonly kmsKeyArn?: string;
    readonly replicationRoleArn: string;
    /** Not granted anything here; checked against the pin all the same (stacks/peerPin.ts). */
    readonly batchReplicationRoleArn?: string;
    readonly replicationGrantedTo: readonly string[];
    /** The peer's bucket has Object Lock; absent (false) in outputs of peers deployed before it was exported. */
    readonly objectLockEnabled?: boolean;
}

export interface HandshakeInput {
    /** `recovery.detached`: neither accept replicas from nor send to the peer. */
    readonly detached: boolean;
    /** `peerStack` as configured; absent when this side runs alone. */
    readonly peerStack?: string;
    /** The peer's outputs; absent when the peer stack has not been deployed yet. */
    readonly peer?: PeerOutputs;
    /** This side's replication role ARN, known before the role exists because its name is deterministic. */
    readonly selfReplicationRoleArn: string;
    /** This side's bucket has Object Lock (`lustre-dr:bucket.objectLock`). */
    readonly objectLock?: boolean;
}

export interface HandshakeDecision {
    readonly status: ReplicationStatus;
    /** Grant this role (the peer's) in the bucket and key policies. */
    readonly acceptReplicasFrom?: string;
    /** Configure replication to this destination. */
    readonly replicateTo?: ReplicationDestination;
    /** Why outbound replication waits although the peer grants this side; the program prints it as a warning. */
    readonly waitingFor?: string;
}

export function decideHandshake(input: HandshakeInput): HandshakeDecision {
    if (input.detached) {
        return { status: "detached" };
    }
    if (input.peerStack === undefined) {
        return { status: "no-peer" };
    }
    const peer = input.peer;
    if (peer === undefined) {
        return { status: "awaiting-peer-grant" };
    }
    const acceptReplicasFrom = peer.replicationRoleArn;
    if (!peer.replicationGrantedTo.includes(input.selfReplicationRoleArn)) {
        return { status: "awaiting-peer-grant", acceptReplicasFrom };
    }
    if (input.objectLock && !peer.objectLockEnabled) {
        // S3 replicates from an Object Lock bucket only into an Object Lock bucket. Waiting (instead of refusing the
        // update) lets both sides switch Object Lock on one after the other: the side that has it stops sending
        // until the peer reports it too, and replication into this side goes on meanwhile.
        return {
            status: "awaiting-peer-grant",
            acceptReplicasFrom,
            waitingFor:
                `this bucket has Object Lock and the peer's bucket ${peer.bucketName} does not report it: S3 replicates from an ` +
                "Object Lock bucket only into an Object Lock bucket, so replication to the peer waits. Set lustre-dr:bucket.objectLock " +
                "on the peer stack too, deploy it, then deploy this stack again.",
        };
    }
    return {
        status: "active",
        acceptReplicasFrom,
        replicateTo: {
            bucketArn: peer.bucketArn,
            accountId: peer.accountId,
            region: peer.region,
            kmsKeyArn: peer.kmsKeyArn,
        },
    };
}

/** What makes a peer unusable as a replication partner for this side; reported as config problems. */
export function peerProblems(
    self: { readonly region: string; readonly encryption: "SSE_KMS" | "SSE_S3" },
    peerStack: string,
    peer: PeerOutputs,
): ConfigProblem[] {
    const key = "lustre-dr:peerStack";
    const problems: ConfigProblem[] = [];
    if (peer.region === self.region) {
        problems.push({
            key,
            value: peerStack,
            expected: `a peer in another region than this side's ${self.region} (the peer reports region ${peer.region}); a disaster-recovery copy in the same region does not survive a regional outage`,
        });
    }
    // Reported under this side's encryption key, naming the peer's: that is what the operator changes.
    const peerEncryption = peer.kmsKeyArn === undefined ? "SSE_S3" : "SSE_KMS";
    if (self.encryption !== peerEncryption) {
        problems.push({
            key: "lustre-dr:bucket.encryption",
            value: self.encryption,
            expected: `${JSON.stringify(peerEncryption)} like the peer ${peerStack} (${peer.kmsKeyArn === undefined ? "its bucket has no KMS key" : "its bucket has a KMS key"}): SSE-KMS objects replicate only to a bucket with a customer-managed key, so set lustre-dr:bucket.encryption the same on both sides`,
        });
    }
    return problems;
}
