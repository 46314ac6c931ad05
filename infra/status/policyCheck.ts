/**
 * Reads a deployed bucket policy for what the DR design depends on (docs/policy.md): TLS is required, the peer's
 * replication role may write replicas and check versioning, and no other account may suspend versioning or delete
 * versions. The grants expected are the ones `components/policyDocuments.ts` writes.
 */
import { replicaBucketActions, replicaWriteActions } from "../../components/policyDocuments";

/** Object actions the bucket policy grants the peer's replication role (bucketPolicy's AcceptReplicasFrom). */
export const peerObjectActions: readonly string[] = [...replicaWriteActions, "s3:ObjectOwnerOverrideToBucketOwner"];
/** Bucket actions granted to the peer's replication role (bucketPolicy's LetPeerCheckVersioning). */
export const peerBucketActions: readonly string[] = replicaBucketActions;
/** Actions no principal outside the account should hold: with them a compromised peer could erase history. */
export const historyDestroyingActions: readonly string[] = ["s3:PutBucketVersioning", "s3:DeleteObjectVersion", "s3:PutBucketPolicy"];

interface Statement {
    readonly effect: "Allow" | "Deny";
    /** AWS principals; `*` for anyone. */
    readonly principals: readonly string[];
    readonly actions: readonly string[];
    readonly resources: readonly string[];
    readonly condition: Record<string, Record<string, unknown>>;
}

export interface PolicySummary {
    /** A statement denies every request made without TLS. */
    readonly requiresTls: boolean;
    /** Per AWS principal (role ARN): the actions granted on the bucket and on its objects. */
    readonly grants: ReadonlyMap<string, { readonly bucket: readonly string[]; readonly objects: readonly string[] }>;
}

function list(value: unknown): string[] {
    if (value === undefined || value === null) {
        return [];
    }
    return (Array.isArray(value) ? value : [value]).map(String);
}

function principalsOf(principal: unknown): string[] {
    if (principal === "*") {
        return ["*"];
    }
    if (principal && typeof principal === "object" && "AWS" in principal) {
        return list((principal as { AWS: unknown }).AWS);
    }
    return [];
}

function statementsOf(policyJson: string): Statement[] {
    const parsed = JSON.parse(policyJson) as { Statement?: unknown };
    // IAM accepts a single statement object as well as a list.
    const raws = (Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : []) as Record<
        string,
        unknown
    >[];
    return raws.map((raw) => ({
        effect: raw.Effect === "Deny" ? "Deny" : "Allow",
        principals: principalsOf(raw.Principal),
        actions: list(raw.Action),
        resources: list(raw.Resource),
        condition: (raw.Condition as Record<string, Record<string, unknown>> | undefined) ?? {},
    }));
}

/** IAM action patterns: `*` and `?` wildcards, case-insensitive. */
export function actionCovers(granted: string, wanted: string): boolean {
    const pattern = granted.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${pattern}$`, "i").test(wanted);
}

function conditionValue(condition: Record<string, Record<string, unknown>>, operator: string, key: string): string[] {
    const block = Object.entries(condition).find(([name]) => name.toLowerCase() === operator.toLowerCase())?.[1] ?? {};
    const entry = Object.entries(block).find(([name]) => name.toLowerCase() === key.toLowerCase());
    return entry ? list(entry[1]).map((v) => v.toLowerCase()) : [];
}

export function summarisePolicy(policyJson: string | undefined, bucketArn: string): PolicySummary {
    const statements = policyJson ? statementsOf(policyJson) : [];
    const objectsArn = `${bucketArn}/*`;
    const requiresTls = statements.some(
        (s) =>
            s.effect === "Deny" &&
            s.principals.includes("*") &&
            s.actions.some((a) => actionCovers(a, "s3:GetObject")) &&
            s.resources.some((r) => r === objectsArn || r === "*") &&
            conditionValue(s.condition, "Bool", "aws:SecureTransport").includes("false"),
    );
    const grants = new Map<string, { bucket: string[]; objects: string[] }>();
    for (const statement of statements) {
        // Conditional grants are not unconditional access; counting them would overstate what a peer can do.
        if (statement.effect !== "Allow" || Object.keys(statement.condition).length > 0) {
            continue;
        }
        for (const principal of statement.principals) {
            const grant = grants.get(principal) ?? { bucket: [], objects: [] };
            for (const resource of statement.resources) {
                if (resource === bucketArn || resource === "*") {
                    grant.bucket.push(...statement.actions);
                }
                if (resource === objectsArn || resource === "*" || resource === `${bucketArn}*`) {
                    grant.objects.push(...statement.actions);
                }
            }
            grants.set(principal, grant);
        }
    }
    return { requiresTls, grants };
}

/** Actions of `wanted` that the grant does not cover. */
export function missingActions(granted: readonly string[], wanted: readonly string[]): string[] {
    return wanted.filter((action) => !granted.some((g) => actionCovers(g, action)));
}

/** Actions of `dangerous` that the grant covers. */
export function coveredActions(granted: readonly string[], dangerous: readonly string[]): string[] {
    return dangerous.filter((action) => granted.some((g) => actionCovers(g, action)));
}
