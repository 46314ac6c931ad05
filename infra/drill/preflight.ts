/**
 * Before the drill writes its first canary it reads both sides: reachable, credentials accepted, bucket present in
 * the given region, versioning Enabled, a replication rule towards the other bucket that covers the drill's keys,
 * and listing allowed (the drill polls with it). A side that fails any of these is an environment problem: the
 * drill would only write canaries and delete markers into the healthy side and then fail, so it does not start.
 *
 * Every call here only reads; none touches an object.
 */
import { GetBucketReplicationCommand, GetBucketVersioningCommand, ReplicationRule } from "@aws-sdk/client-s3";
import { DescribeInstanceInformationCommand, SSMClient } from "@aws-sdk/client-ssm";
import { listObjectVersionsPage } from "../aws/listing";
import type { SideRole } from "../aws/sides";
import { DrillBucket, DrillSideError, onSide, sideLabel } from "./buckets";
import { drillRoot } from "./canaries";

/** One reason a side is not ready for a drill. */
export interface PreflightProblem {
    readonly role: SideRole;
    readonly bucket: string;
    readonly region: string;
    /** A sentence naming the side, bucket and region, what is wrong and what to do. */
    readonly message: string;
}

const otherRole = (role: SideRole): SideRole => (role === "primary" ? "dr" : "primary");

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * Whether `rule` replicates an object at `key` carrying no tags (canaries carry none). A rule filtered on a tag
 * never matches them; a prefix filter must be a prefix of the key. The legacy top-level `Prefix` counts as well.
 */
export function ruleCoversKey(rule: ReplicationRule, key: string): boolean {
    const filter = rule.Filter;
    if (filter?.Tag || (filter?.And?.Tags?.length ?? 0) > 0) {
        return false;
    }
    const prefix = filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? "";
    return key.startsWith(prefix);
}

/** What is wrong with this side's replication rules towards `destinationBucket`, or undefined when a rule fits. */
export function replicationProblem(rules: readonly ReplicationRule[], destinationBucket: string): string | undefined {
    const towards = rules.filter((rule) => rule.Destination?.Bucket === bucketArn(destinationBucket));
    if (towards.length === 0) {
        const elsewhere = [...new Set(rules.map((rule) => rule.Destination?.Bucket ?? "?"))].join(", ");
        return `no replication rule towards ${bucketArn(destinationBucket)} (its rules replicate to ${elsewhere || "nothing"})`;
    }
    const enabled = towards.filter((rule) => rule.Status === "Enabled");
    if (enabled.length === 0) {
        return `the replication rule towards ${bucketArn(destinationBucket)} is ${towards[0].Status ?? "not enabled"}, not Enabled`;
    }
    if (!enabled.some((rule) => ruleCoversKey(rule, `${drillRoot}x`))) {
        return `the replication rule towards ${bucketArn(destinationBucket)} is filtered (prefix or tag) and does not replicate the drill's keys under ${drillRoot}`;
    }
    return undefined;
}

async function checkSide(side: DrillBucket, other: DrillBucket): Promise<string[]> {
    const problems: string[] = [];
    const failed = (error: unknown): string => {
        if (error instanceof DrillSideError) {
            return error.message;
        }
        throw error;
    };
    let versioning: string | undefined;
    try {
        const answer = await onSide(side, "s3:GetBucketVersioning", () => side.client.send(new GetBucketVersioningCommand({ Bucket: side.bucket })));
        versioning = answer.Status;
    } catch (error) {
        // unreachable, no credentials, no bucket, wrong region: every later call would fail the same way
        return [failed(error)];
    }
    if (versioning !== "Enabled") {
        problems.push(
            `${sideLabel(side)}: versioning is ${versioning ?? "not enabled"}, expected Enabled ` +
                "(replication and the drill's delete-marker legs need it; lustre-dr never suspends it: was the bucket changed by hand?)",
        );
    }
    try {
        const answer = await onSide(side, "s3:GetReplicationConfiguration", () =>
            side.client.send(new GetBucketReplicationCommand({ Bucket: side.bucket })),
        );
        const problem = replicationProblem(answer.ReplicationConfiguration?.Rules ?? [], other.bucket);
        if (problem) {
            problems.push(`${sideLabel(side)}: ${problem}; deploy both stacks until both report replication active (lustre-dr deploy)`);
        }
    } catch (error) {
        if (error instanceof DrillSideError && (error.cause as { name?: string } | undefined)?.name === "ReplicationConfigurationNotFoundError") {
            problems.push(
                `${sideLabel(side)}: no replication configuration, so nothing replicates to the ${other.role} bucket ${other.bucket} ` +
                    "(not converged yet, or detached for recovery); run lustre-dr deploy, or lustre-dr status to see why",
            );
        } else {
            problems.push(failed(error));
        }
    }
    try {
        // the drill polls with this; a listing of its own root reads no user key
        await onSide(side, "s3:ListBucketVersions", () =>
            listObjectVersionsPage(side.client, { Bucket: side.bucket, Prefix: drillRoot, MaxKeys: 1 }),
        );
    } catch (error) {
        problems.push(failed(error));
    }
    return problems;
}

/** One side's client instance for `--fs`: SSM must manage it and its agent must be online to run the drill's scripts. */
export interface PreflightInstance {
    readonly ssm: SSMClient;
    readonly instanceId: string;
}

async function checkInstance(side: DrillBucket, instance: PreflightInstance): Promise<string[]> {
    const where = `${side.role} instance ${instance.instanceId} (${side.region})`;
    try {
        const answer = await instance.ssm.send(
            new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [instance.instanceId] }] }),
        );
        const information = (answer.InstanceInformationList ?? []).find((entry) => entry.InstanceId === instance.instanceId);
        if (!information) {
            return [
                `${where}: not managed by SSM in ${side.region}, so the drill cannot run its file-system scripts there ` +
                    "(check the instance id, the SSM agent and an instance profile allowing Systems Manager)",
            ];
        }
        if (information.PingStatus !== "Online") {
            return [`${where}: its SSM agent is ${information.PingStatus ?? "not reporting"}, not Online`];
        }
        return [];
    } catch (error) {
        return [new DrillSideError(side.role, where, "ssm:DescribeInstanceInformation", error, { region: side.region }).message];
    }
}

/**
 * Reads both sides (and with `--fs` their client instances) and returns every problem found (empty: ready). Both
 * sides are read in full, so one run of the command reports everything that stands in the way.
 */
export async function preflightDrill(
    sides: Record<SideRole, DrillBucket>,
    instances?: Readonly<Record<SideRole, PreflightInstance>>,
): Promise<PreflightProblem[]> {
    const roles: SideRole[] = ["primary", "dr"];
    const found = await Promise.all(
        roles.map(async (role) => [
            ...(await checkSide(sides[role], sides[otherRole(role)])),
            ...(instances ? await checkInstance(sides[role], instances[role]) : []),
        ]),
    );
    return roles.flatMap((role, index) =>
        found[index].map((message) => ({ role, bucket: sides[role].bucket, region: sides[role].region, message })),
    );
}
