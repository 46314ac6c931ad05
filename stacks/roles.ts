import type { ConfigProblem } from "../components/problems";

/** IAM's limit on a role name. */
export const maxRoleNameLength = 64;

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

/**
 * The role names are built from the project and stack names, so a long pair of names would make IAM refuse the role
 * halfway through the first deploy: refused before anything is declared, naming both.
 */
export function roleNameProblems(identity: { readonly project: string; readonly stack: string }): ConfigProblem[] {
    return Object.values(roleNames(identity))
        .filter((name) => name.length > maxRoleNameLength)
        .map((name) => ({
            key: "project and stack name",
            value: `${identity.project}/${identity.stack}`,
            expected: `names whose role name ${name} (${name.length} characters) fits IAM's ${maxRoleNameLength}: shorten the project or stack name by ${name.length - maxRoleNameLength} characters`,
        }));
}
