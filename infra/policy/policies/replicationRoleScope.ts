import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    asList,
    bucketName,
    bucketNameFromArn,
    describe,
    ofType,
    replicatedBuckets,
    replicationRoleOf,
    Statement,
    statementsOf,
    stringProp,
    types,
} from "../stackModel";

/** A policy document attached to a role, with where it came from for the message. */
interface AttachedDocument {
    readonly origin: PolicyResource;
    readonly label: string;
    readonly document: unknown;
}

function isRolePolicyOf(policy: PolicyResource, role: PolicyResource): boolean {
    if ((policy.propertyDependencies.role ?? []).includes(role)) {
        return true;
    }
    const value = stringProp(policy.props, "role");
    return value !== undefined && (value === stringProp(role.props, "name") || value === stringProp(role.props, "id"));
}

/** Inline policies, role policies and attached customer-managed policies of this stack; ARNs it cannot read. */
export function documentsOf(role: PolicyResource, resources: readonly PolicyResource[]): { documents: AttachedDocument[]; unreadable: string[] } {
    const documents: AttachedDocument[] = [];
    const unreadable: string[] = [];
    const inline = (role.props.inlinePolicies as { name?: string; policy?: unknown }[] | undefined) ?? [];
    for (const policy of inline) {
        if (policy.policy !== undefined && policy.policy !== "") {
            documents.push({ origin: role, label: `inline policy ${policy.name ?? "(unnamed)"}`, document: policy.policy });
        }
    }
    for (const policy of ofType(resources, types.rolePolicy).filter((candidate) => isRolePolicyOf(candidate, role))) {
        documents.push({ origin: policy, label: policy.name, document: policy.props.policy });
    }
    const managed = ofType(resources, types.managedPolicy);
    const attachedArns = [
        ...ofType(resources, types.rolePolicyAttachment)
            .filter((attachment) => isRolePolicyOf(attachment, role))
            .map((attachment) => ({ attachment, arn: stringProp(attachment.props, "policyArn") })),
        ...asList(role.props.managedPolicyArns as string[] | undefined).map((arn) => ({ attachment: undefined, arn })),
    ];
    for (const { attachment, arn } of attachedArns) {
        const fromDependency = attachment && (attachment.propertyDependencies.policyArn ?? []).find((r) => r.type === types.managedPolicy);
        const policy = fromDependency ?? managed.find((candidate) => stringProp(candidate.props, "arn") === arn);
        if (policy) {
            documents.push({ origin: policy, label: policy.name, document: policy.props.policy });
        } else if (arn !== undefined) {
            unreadable.push(arn);
        }
    }
    return { documents, unreadable };
}

/** Resources of an Allow statement that use a wildcard other than the allowed object ARNs. */
export function wideResources(statement: Statement, allowedBuckets: readonly string[]): string[] {
    if (statement.Effect !== "Allow") {
        return [];
    }
    if (statement.NotResource !== undefined) {
        return asList(statement.NotResource).map((resource) => `NotResource ${resource}`);
    }
    return asList(statement.Resource).filter(
        (resource) =>
            resource.includes("*") &&
            !allowedBuckets.some((bucket) => {
                const name = bucketNameFromArn(resource.replace(/\/\*$/, ""));
                return resource.endsWith("/*") && name === bucket;
            }),
    );
}

/**
 * The role S3 replicates with can read every object of the source and write every object of the destination; it
 * must not reach anything else. Advisory: a wider role does not break DR, it widens what a leaked role can do.
 */
export const replicationRoleScope: StackValidationPolicy = {
    name: "replication-role-scoped-to-buckets",
    description:
        "Replication roles use no wildcard resources other than the object ARNs (bucket/*) of their source and destination buckets.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateStack: (args, reportViolation) => {
        const bucketsByRole = new Map<PolicyResource, Set<string>>();
        for (const { bucket, replication } of replicatedBuckets(args.resources)) {
            const role = replicationRoleOf(replication, args.resources);
            if (!role) {
                continue;
            }
            const allowed = bucketsByRole.get(role) ?? new Set<string>();
            const source = bucketName(bucket);
            if (source) {
                allowed.add(source);
            }
            for (const rule of (replication.props.rules as { destination?: { bucket?: string } }[] | undefined) ?? []) {
                const destination = rule.destination?.bucket && bucketNameFromArn(rule.destination.bucket);
                if (destination) {
                    allowed.add(destination);
                }
            }
            bucketsByRole.set(role, allowed);
        }
        for (const [role, allowed] of bucketsByRole) {
            const { documents, unreadable } = documentsOf(role, args.resources);
            for (const arn of unreadable) {
                reportViolation(
                    `replication role ${describe(role)} has managed policy ${arn} attached, which this stack does not declare and ` +
                        `the pack cannot read; grant replication through a role policy scoped to the two buckets instead.`,
                    role.urn,
                );
            }
            for (const { origin, label, document } of documents) {
                const statements = statementsOf(document);
                if (statements === undefined) {
                    reportViolation(`${label} of replication role ${describe(role)} is not a readable policy document.`, origin.urn);
                    continue;
                }
                for (const statement of statements) {
                    const wide = wideResources(statement, [...allowed]);
                    if (wide.length > 0) {
                        reportViolation(
                            `${label} of replication role ${describe(role)}: statement ${statement.Sid ?? "(no Sid)"} allows ` +
                                `${wide.join(", ")}; scope it to the buckets themselves or to their objects ` +
                                `(${[...allowed].map((name) => `arn:aws:s3:::${name}/*`).join(", ")}).`,
                            origin.urn,
                        );
                    }
                }
            }
        }
    },
};
