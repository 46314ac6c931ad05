/**
 * Deterministic role names: the peer must know this side's replication role ARN before the role exists, and this
 * side must be able to tell which ARN a genuine peer stack has (stacks/peerPin.ts).
 */

export function roleNames(identity: { readonly project: string; readonly stack: string }): {
    replication: string;
    batchReplication: string;
    restoreBatch: string;
} {
    const base = `${identity.project}-${identity.stack}`;
    return { replication: `${base}-replication`, batchReplication: `${base}-batch-replication`, restoreBatch: `${base}-restore-batch` };
}

export function roleArn(identity: { readonly partition: string; readonly accountId: string }, roleName: string): string {
    return `arn:${identity.partition}:iam::${identity.accountId}:role/${roleName}`;
}
