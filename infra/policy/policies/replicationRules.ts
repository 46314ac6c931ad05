import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    accountOfArn,
    bucketArn,
    describe,
    ofType,
    PeerFacts,
    peersOf,
    regionOf,
    regionOfArn,
    replicatedBuckets,
    stringProp,
    types,
} from "../stackModel";

interface Status {
    status?: unknown;
}

/** One rule of an aws.s3.BucketReplicationConfig, as far as this policy reads it. */
export interface ReplicationRuleProps {
    id?: string;
    status?: unknown;
    deleteMarkerReplication?: Status;
    existingObjectReplication?: Status | null;
    sourceSelectionCriteria?: { replicaModifications?: Status };
    destination?: {
        bucket?: string;
        account?: string;
        accessControlTranslation?: { owner?: unknown };
        encryptionConfiguration?: { replicaKmsKeyId?: string };
    };
}

/** Where a destination's region came from, so a violation can say how it was determined. */
export interface KnownRegion {
    readonly region: string;
    readonly source: string;
}

/**
 * The destination bucket's region. An S3 ARN has no region, so it is taken from what the stack knows, most direct
 * first: a bucket of this stack with that ARN; the StackReference whose `bucketArn` output is that ARN (its `region`
 * output, the outputs contract, stacks/outputs.ts); the region of the replica KMS key, which S3 requires to be in the destination's region.
 */
export function destinationRegion(
    destinationArn: string,
    replicaKeyArn: string | undefined,
    resources: readonly PolicyResource[],
    peers: readonly PeerFacts[],
): KnownRegion | undefined {
    const local = ofType(resources, types.bucket).find((bucket) => bucketArn(bucket) === destinationArn);
    const localRegion = local && regionOf(local);
    if (local && localRegion) {
        return { region: localRegion, source: `bucket ${describe(local)} of this stack` };
    }
    const peer = peers.find((candidate) => candidate.bucketArn === destinationArn && candidate.region);
    if (peer?.region) {
        return { region: peer.region, source: `the region output of ${peer.stack}` };
    }
    const keyRegion = regionOfArn(replicaKeyArn);
    if (keyRegion) {
        return { region: keyRegion, source: `the replica KMS key ${replicaKeyArn}` };
    }
    return undefined;
}

/** Every problem of one rule, each naming the field to change. */
export function ruleProblems(
    rule: ReplicationRuleProps,
    context: {
        readonly sourceRegion?: string;
        /** Read only when needed: in a preview the role of a new bucket has no ARN yet. */
        readonly sourceAccount: () => string | undefined;
        readonly resources: readonly PolicyResource[];
        readonly peers: readonly PeerFacts[];
    },
): string[] {
    const problems: string[] = [];
    const label = `rule ${JSON.stringify(rule.id ?? "(no id)")}`;
    if (rule.status !== "Enabled") {
        problems.push(`${label}: status is ${JSON.stringify(rule.status ?? null)}; set status "Enabled".`);
    }
    if (rule.deleteMarkerReplication?.status !== "Enabled") {
        problems.push(
            `${label}: delete markers are not replicated; set deleteMarkerReplication.status "Enabled" ` +
                `(otherwise deletes made through the file system never reach the other side).`,
        );
    }
    if (rule.sourceSelectionCriteria?.replicaModifications?.status !== "Enabled") {
        problems.push(
            `${label}: set sourceSelectionCriteria.replicaModifications.status "Enabled" ` +
                `(two-way replication needs metadata changes made on replicas to flow back).`,
        );
    }
    if (rule.existingObjectReplication != null) {
        problems.push(
            `${label}: remove existingObjectReplication; S3 no longer accepts it. Copy existing objects with S3 Batch ` +
                `Replication instead (docs/runbook.md).`,
        );
    }

    const destinationArn = rule.destination?.bucket;
    if (destinationArn === undefined) {
        problems.push(`${label}: destination.bucket is missing; set it to the peer bucket's ARN.`);
        return problems;
    }
    const peer = context.peers.find((candidate) => candidate.bucketArn === destinationArn);
    const known = destinationRegion(destinationArn, rule.destination?.encryptionConfiguration?.replicaKmsKeyId, context.resources, context.peers);
    if (context.sourceRegion === undefined) {
        problems.push(`${label}: the source bucket's region is unknown; set aws:region (or the bucket's region) explicitly.`);
    } else if (known === undefined) {
        problems.push(
            `${label}: cannot tell the region of destination ${destinationArn} (an S3 ARN has none). Read the peer through ` +
                `a StackReference whose outputs include bucketArn and region, or replicate with a replica KMS key ARN ` +
                `from the destination region.`,
        );
    } else if (known.region === context.sourceRegion) {
        problems.push(
            `${label}: destination ${destinationArn} is in ${known.region} (from ${known.source}), the same region as its ` +
                `source; disaster recovery needs the peer in another region.`,
        );
    }

    const owner = rule.destination?.accessControlTranslation?.owner;
    const destinationAccount = rule.destination?.account ?? peer?.accountId;
    if (destinationAccount !== undefined && (rule.destination?.account === undefined || owner !== "Destination")) {
        const sourceAccount = context.sourceAccount();
        if (destinationAccount !== sourceAccount && rule.destination?.account === undefined) {
            problems.push(
                `${label}: destination ${destinationArn} belongs to account ${destinationAccount}; set destination.account ` +
                    `"${destinationAccount}" and destination.accessControlTranslation.owner "Destination".`,
            );
        } else if (destinationAccount !== sourceAccount) {
            problems.push(
                `${label}: destination account ${destinationAccount} differs from the source account ` +
                    `${sourceAccount ?? "(unknown)"}; set destination.accessControlTranslation.owner "Destination" so replicas ` +
                    `belong to the account that has to recover from them.`,
            );
        }
    }
    return problems;
}

/**
 * The replication rules carry the DR guarantees: the rule is on, deletes replicate as delete markers,
 * metadata flows both ways, the copy is in another region, and cross-account replicas belong to their account.
 */
export const replicationRules: StackValidationPolicy = {
    name: "replication-rules-for-dr",
    description:
        "Every replication rule is Enabled, replicates delete markers and replica modifications, targets another region, " +
        "hands cross-account replicas to the destination owner, and has no existingObjectReplication.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: (args, reportViolation) => {
        const peers = peersOf(args.resources);
        for (const { bucket, replication } of replicatedBuckets(args.resources)) {
            const context = {
                sourceRegion: regionOf(bucket) ?? regionOf(replication),
                // The replication role lives in the source account; its ARN is the one place that account is written.
                sourceAccount: () => accountOfArn(stringProp(replication.props, "role")),
                resources: args.resources,
                peers,
            };
            const rules = (replication.props.rules as ReplicationRuleProps[] | undefined) ?? [];
            for (const rule of rules) {
                for (const problem of ruleProblems(rule, context)) {
                    reportViolation(`${replication.name} (bucket ${describe(bucket)}): ${problem}`, replication.urn);
                }
            }
        }
    },
};
