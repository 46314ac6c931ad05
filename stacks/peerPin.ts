/**
 * Pins the peer to an account (`lustre-dr:peerAccountId`) and refuses peer outputs that do not fit it.
 *
 * The peer's outputs come from its state backend. Whoever controls the peer's account may also control that
 * backend and write any outputs: an attacker's role ARN (this side would then accept "replicas" from it) or an
 * attacker's bucket (this side would replicate its data there). So the outputs are only believed where they agree
 * with what this side knows independently: the pinned account, the partition, and the deterministic role names of
 * the peer stack. What comes out of here is rebuilt from those facts, so every grant and the replication
 * destination use the pinned account, never the account the outputs claim.
 *
 * A bucket ARN carries no account, so the bucket's owner cannot be checked here. It is enforced where it matters:
 * the replication rule names the pinned account as destination owner (S3 verifies it when ownership translation is
 * on, i.e. across accounts), and the replication role may write replicas only into buckets of that account
 * (`s3:ResourceAccount`, components/policyDocuments.ts).
 */
import type { ConfigProblem } from "../components/problems";
import { configNamespace } from "./config";
import { regionProblem } from "./config/regions";
import type { PeerOutputs } from "./handshake";
import { roleArn, roleNames } from "./roles";

export interface PeerPin {
    /** `lustre-dr:peerStack`, fully qualified: `<organization>/<project>/<stack>`. */
    readonly peerStack: string;
    /** `lustre-dr:peerAccountId`. */
    readonly accountId: string;
    /** This side's partition: replication never crosses partitions. */
    readonly partition: string;
}

/** The ARNs a genuine peer stack's roles have: deterministic names (stacks/roles.ts) in the pinned account. */
export function expectedPeerRoles(pin: PeerPin): { replicationRoleArn: string; batchReplicationRoleArn: string } {
    const [, project, stack] = pin.peerStack.split("/");
    const names = roleNames({ project, stack });
    return {
        replicationRoleArn: roleArn({ partition: pin.partition, accountId: pin.accountId }, names.replication),
        batchReplicationRoleArn: roleArn({ partition: pin.partition, accountId: pin.accountId }, names.batchReplication),
    };
}

const keyArnPattern = /^arn:([^:]+):kms:([^:]+):([^:]*):key\/([^/*?]+)$/;
const roleArnPattern = /^arn:([^:]+):iam::([^:]*):role\/(.+)$/;

/** Every way the peer's outputs disagree with the pin; empty when they fit. */
export function peerPinProblems(pin: PeerPin, peer: PeerOutputs): string[] {
    const problems: string[] = [];
    const account = pin.accountId;
    if (peer.accountId !== account) {
        problems.push(`its accountId output is ${peer.accountId}, not the pinned ${account}`);
    }
    const expected = expectedPeerRoles(pin);
    const roles: [string, string | undefined, string][] = [
        ["replicationRoleArn", peer.replicationRoleArn, expected.replicationRoleArn],
        ["batchReplicationRoleArn", peer.batchReplicationRoleArn, expected.batchReplicationRoleArn],
    ];
    for (const [output, actual, wanted] of roles) {
        if (actual === undefined || actual === wanted) {
            continue;
        }
        const parts = roleArnPattern.exec(actual);
        const why =
            parts === null
                ? "which is not an IAM role ARN"
                : parts[2] !== account
                  ? `a role in account ${parts[2] || "(none)"}, not the pinned ${account}`
                  : parts[1] !== pin.partition
                    ? `a role in partition ${parts[1]}, not ${pin.partition}`
                    : `a role named ${parts[3]}, not the deterministic ${wanted.split("/").slice(1).join("/")} of stack ${pin.peerStack}`;
        problems.push(`its ${output} output is ${actual}, ${why} (a genuine peer's is ${wanted})`);
    }
    const bucketArn = `arn:${pin.partition}:s3:::${peer.bucketName}`;
    if (peer.bucketArn !== bucketArn) {
        problems.push(`its bucketArn output ${peer.bucketArn} does not name its bucketName ${peer.bucketName} (expected ${bucketArn})`);
    }
    if (/[*?/]/.test(peer.bucketName)) {
        // IAM would read these as wildcards or a path: the replication role's grant would reach other buckets.
        problems.push(`its bucketName output ${JSON.stringify(peer.bucketName)} contains a wildcard or slash, which no bucket name has`);
    }
    if (regionProblem(peer.region) !== undefined) {
        problems.push(`its region output ${JSON.stringify(peer.region)} is not an AWS region`);
    }
    if (peer.kmsKeyArn !== undefined) {
        const parts = keyArnPattern.exec(peer.kmsKeyArn);
        if (parts === null) {
            problems.push(`its kmsKeyArn output ${peer.kmsKeyArn} is not a KMS key ARN (arn:${pin.partition}:kms:<region>:${account}:key/<id>; aliases are not accepted)`);
        } else {
            const [, partition, region, keyAccount] = parts;
            if (keyAccount !== account) {
                problems.push(`its kmsKeyArn output ${peer.kmsKeyArn} is a key in account ${keyAccount || "(none)"}, not the pinned ${account}`);
            }
            if (partition !== pin.partition || region !== peer.region) {
                problems.push(`its kmsKeyArn output ${peer.kmsKeyArn} is not in the peer's partition and region (${pin.partition}, ${peer.region})`);
            }
        }
    }
    return problems;
}

/**
 * The peer as this side may use it: outputs checked against the pin, with the account and role ARNs taken from
 * the pin itself. Throws nothing; returns the problems as config problems when the outputs do not fit.
 */
export function verifyPeer(pin: PeerPin, peer: PeerOutputs): { peer: PeerOutputs } | { problems: ConfigProblem[] } {
    const problems = peerPinProblems(pin, peer);
    if (problems.length > 0) {
        return {
            problems: problems.map((problem) => ({
                key: `${configNamespace}:peerAccountId`,
                value: pin.accountId,
                expected:
                    `a peer stack whose outputs are all in this account; ${pin.peerStack} is refused and nothing was declared: ${problem}. ` +
                    "Forged or mistaken outputs: check the peer stack and lustre-dr:peerAccountId",
            })),
        };
    }
    const expected = expectedPeerRoles(pin);
    return {
        peer: {
            ...peer,
            accountId: pin.accountId,
            replicationRoleArn: expected.replicationRoleArn,
            ...(peer.batchReplicationRoleArn !== undefined ? { batchReplicationRoleArn: expected.batchReplicationRoleArn } : {}),
        },
    };
}
