/**
 * Reads the facts of each side from AWS, each side with its own credentials and endpoint. Nothing here judges:
 * a facet that cannot be read becomes an error fact, and a side that does not answer at all is marked unreachable,
 * so one bad side (or one missing permission) never hides the rest of the report.
 */
import { CloudWatchClient, Datapoint, Dimension, GetMetricStatisticsCommand, Statistic } from "@aws-sdk/client-cloudwatch";
import {
    DataRepositoryAssociation,
    DescribeDataRepositoryAssociationsCommand,
    DescribeFileSystemsCommand,
    FSxClient,
    paginateDescribeDataRepositoryAssociations,
} from "@aws-sdk/client-fsx";
import {
    GetBucketEncryptionCommand,
    GetBucketPolicyCommand,
    GetBucketReplicationCommand,
    GetBucketVersioningCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { replicationRuleId } from "../../components/replicationRule";
import { sideClientConfig } from "../aws/clients";
import { resolveSide, Side, SideOptions, SideRole, sideRoles, StackOutputsReader } from "../aws/sides";
import { EnvironmentError, UsageError } from "../output";
import { replicationMode } from "./checks";
import type { DrillResult } from "../drill/result";
import type { Fact, PairFacts, ReplicationMetrics, SideFacts } from "./model";
import type { SampleResult } from "./sample";

/** A side's location, or why it could not be located. */
export type Located = { readonly role: SideRole; readonly side: Side } | { readonly role: SideRole; readonly error: string };

/**
 * Resolves both sides. Bad flags are usage errors and stop the command before any call; a stack whose outputs
 * cannot be read only makes that side unreachable. With `only`, the other side is located on a best-effort basis:
 * a missing prerequisite for reading its stack (no Pulumi CLI, no backend credentials) does not stop a check of the
 * one side the operator named, e.g. `status --only dr --dr-bucket ... --dr-region ...` on a machine without Pulumi.
 */
export async function locateSides(options: SideOptions & { only?: SideRole }, readOutputs?: StackOutputsReader): Promise<Located[]> {
    const located: Located[] = [];
    for (const role of sideRoles) {
        try {
            located.push({ role, side: await resolveSide(role, options, readOutputs) });
        } catch (error) {
            const bestEffort = options.only !== undefined && options.only !== role && error instanceof EnvironmentError;
            if (error instanceof UsageError && !bestEffort) {
                throw error;
            }
            located.push({ role, error: `cannot read its stack outputs: ${(error as Error).message}` });
        }
    }
    return located;
}

/** An answer from the service (it has an HTTP status), as opposed to no answer at all. */
function isServiceError(error: unknown): boolean {
    const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return typeof metadata?.httpStatusCode === "number";
}

function describeError(error: unknown): string {
    const e = error as Error;
    return e.name && e.name !== "Error" && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
}

function errorName(error: unknown): string {
    return (error as { name?: string }).name ?? "";
}

/** Runs one read; `absentWhen` names the errors that mean "not configured" rather than failure. */
async function read<T>(run: () => Promise<T>, absentWhen: readonly string[] = [], absent?: T): Promise<Fact<T>> {
    try {
        return { ok: true, value: await run() };
    } catch (error) {
        if (absentWhen.includes(errorName(error))) {
            return { ok: true, value: absent as T };
        }
        return { ok: false, error: describeError(error) };
    }
}

const dayMs = 86_400_000;
const metricPeriodSeconds = 300;

async function readMetrics(cloudWatch: CloudWatchClient, dimensions: Dimension[], now: Date): Promise<ReplicationMetrics> {
    const series = async (metricName: string, statistic: Statistic): Promise<Datapoint[]> => {
        const response = await cloudWatch.send(
            new GetMetricStatisticsCommand({
                Namespace: "AWS/S3",
                MetricName: metricName,
                Dimensions: dimensions,
                StartTime: new Date(now.getTime() - dayMs),
                EndTime: now,
                Period: metricPeriodSeconds,
                Statistics: [statistic],
            }),
        );
        return response.Datapoints ?? [];
    };
    const [latency, pending, failed] = await Promise.all([
        series("ReplicationLatency", "Maximum"),
        series("OperationsPendingReplication", "Maximum"),
        series("OperationsFailedReplication", "Sum"),
    ]);
    const max = (points: Datapoint[]) => (points.length > 0 ? Math.max(...points.map((p) => p.Maximum ?? 0)) : undefined);
    const latest = [...pending].sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
    return {
        latencyMaxSeconds: max(latency),
        pendingLatest: latest?.Maximum,
        pendingMax: max(pending),
        failedTotal: failed.length > 0 ? failed.reduce((sum, p) => sum + (p.Sum ?? 0), 0) : undefined,
        datapoints: latency.length + pending.length + failed.length,
    };
}

/**
 * The associations that link this side's bucket: by id when the outputs name them (every repository's, or the one of
 * an older stack), else every one in the region.
 */
async function readAssociations(fsx: FSxClient, side: Side): Promise<DataRepositoryAssociation[]> {
    const outputs = side.outputs;
    const associationIds = outputs?.dataRepositoryAssociationIds ?? (outputs?.dataRepositoryAssociationId ? [outputs.dataRepositoryAssociationId] : []);
    if (associationIds.length > 0) {
        const response = await fsx.send(new DescribeDataRepositoryAssociationsCommand({ AssociationIds: associationIds }));
        return response.Associations ?? [];
    }
    const fileSystemId = side.outputs?.fileSystemId;
    const bucket = `s3://${side.bucketName}`;
    const found: DataRepositoryAssociation[] = [];
    const pages = paginateDescribeDataRepositoryAssociations(
        { client: fsx },
        fileSystemId ? { Filters: [{ Name: "file-system-id", Values: [fileSystemId] }] } : {},
    );
    for await (const page of pages) {
        for (const association of page.Associations ?? []) {
            const path = association.DataRepositoryPath ?? "";
            if (fileSystemId || path === bucket || path.startsWith(`${bucket}/`)) {
                found.push(association);
            }
        }
    }
    return found;
}

/** Client settings for status: fail fast on a side that does not answer instead of waiting for the OS timeout. */
export function statusClientConfig(side: Side) {
    return { ...sideClientConfig(side), requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 } };
}

/**
 * Reads one side. `peer` is only used for names (the metrics' `DestinationBucket`); it is never contacted from here.
 */
export async function collectSide(located: Located, peer: Located, now: Date): Promise<SideFacts> {
    if ("error" in located) {
        return { role: located.role, unreachable: located.error };
    }
    const side = located.side;
    const base = { role: side.role, location: side };
    const s3 = new S3Client(statusClientConfig(side));
    const fsx = new FSxClient(statusClientConfig(side));
    const cloudWatch = new CloudWatchClient(statusClientConfig(side));
    try {
        const Bucket = side.bucketName;
        // The first call doubles as the reachability probe: no HTTP answer at all means network or credentials.
        let versioningStatus: string | undefined;
        try {
            versioningStatus = (await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status;
        } catch (error) {
            if (!isServiceError(error)) {
                return { ...base, unreachable: describeError(error) };
            }
            return { ...base, versioning: { ok: false, error: describeError(error) } };
        }

        const fileSystemId = side.outputs?.fileSystemId;
        const replicates = replicationMode({ role: side.role, location: side }) === "active";
        const peerBucket = "side" in peer ? peer.side.bucketName : undefined;
        const [encryption, replication, policy, dataRepositories, fileSystem, metrics] = await Promise.all([
            read(
                async () => {
                    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
                    const defaults = rule?.ApplyServerSideEncryptionByDefault;
                    return { algorithm: defaults?.SSEAlgorithm, kmsKeyId: defaults?.KMSMasterKeyID };
                },
                ["ServerSideEncryptionConfigurationNotFoundError"],
            ),
            read(async () => (await s3.send(new GetBucketReplicationCommand({ Bucket }))).ReplicationConfiguration, [
                "ReplicationConfigurationNotFoundError",
            ]),
            read(async () => (await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy, ["NoSuchBucketPolicy"]),
            read(() => readAssociations(fsx, side), ["DataRepositoryAssociationNotFound"], []),
            fileSystemId
                ? read(
                      async () => (await fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: [fileSystemId] }))).FileSystems?.[0],
                      ["FileSystemNotFound"],
                  )
                : undefined,
            replicates && peerBucket
                ? read(() =>
                      readMetrics(
                          cloudWatch,
                          [
                              { Name: "SourceBucket", Value: Bucket },
                              { Name: "DestinationBucket", Value: peerBucket },
                              { Name: "RuleId", Value: replicationRuleId },
                          ],
                          now,
                      ),
                  )
                : undefined,
        ]);
        return {
            ...base,
            versioning: { ok: true, value: versioningStatus },
            encryption,
            replication,
            policy,
            dataRepositories,
            ...(fileSystem ? { fileSystem } : {}),
            ...(metrics ? { metrics } : {}),
        };
    } finally {
        s3.destroy();
        fsx.destroy();
        cloudWatch.destroy();
    }
}

export interface CollectOptions {
    /** Contact only this side; the other is still located, because its names shape this side's expectations. */
    readonly only?: SideRole;
    readonly now?: Date;
    /** The last drill from the drill history; absent: the history is not read. */
    readonly readLastDrill?: () => Promise<DrillResult | undefined>;
    /** `--sample`: compares random keys across the two sides, once both have answered; absent: no sample. */
    readonly takeSample?: (primary: Side, dr: Side) => Promise<SampleResult>;
}

/** The sample needs both sides: a side that did not answer (or was not located) means no sample, and says why. */
async function sampleOf(sides: readonly SideFacts[], takeSample: (primary: Side, dr: Side) => Promise<SampleResult>): Promise<Fact<SampleResult>> {
    const located: Partial<Record<SideRole, Side>> = {};
    for (const side of sides) {
        if (side.unreachable !== undefined || side.skipped || !side.location) {
            return { ok: false, error: `the ${side.role} side ${side.unreachable !== undefined ? "is unreachable" : "was not checked"}` };
        }
        located[side.role] = side.location;
    }
    if (!located.primary || !located.dr) {
        return { ok: false, error: "both sides are needed" };
    }
    return read(() => takeSample(located.primary!, located.dr!));
}

/** Reads both sides in parallel, then the drill history. */
export async function collectPair(located: readonly Located[], options: CollectOptions = {}): Promise<PairFacts> {
    const now = options.now ?? new Date();
    const byRole = new Map(located.map((l) => [l.role, l]));
    const sides = await Promise.all(
        located.map((l) => {
            const peer = byRole.get(l.role === "primary" ? "dr" : "primary") ?? { role: l.role, error: "not located" };
            if (options.only && options.only !== l.role) {
                return Promise.resolve<SideFacts>({ role: l.role, skipped: true, ...("side" in l ? { location: l.side } : {}) });
            }
            return collectSide(l, peer, now);
        }),
    );
    const readLastDrill = options.readLastDrill;
    const takeSample = options.takeSample;
    return {
        sides,
        now,
        ...(readLastDrill ? { lastDrill: await read(readLastDrill) } : {}),
        ...(takeSample ? { sample: await sampleOf(sides, takeSample) } : {}),
    };
}
