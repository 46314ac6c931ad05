/**
 * What `lustre-dr status` knows about the pair: the facts it read from each side (collect.ts), the findings the
 * pure checks draw from them (checks.ts), and the one-word verdict (verdict.ts).
 */
import type { DataRepositoryAssociation, FileSystem } from "@aws-sdk/client-fsx";
import type { ReplicationConfiguration } from "@aws-sdk/client-s3";
import type { Side, SideRole } from "../aws/sides";
import type { DrillResult } from "../drill/result";
import type { SampleResult } from "./sample";

/**
 * How much a finding matters. `note` is information that does not change the verdict; `degraded` means the pair
 * still protects data but not as designed; `broken` means data written now may not reach the other side.
 */
export type Severity = "ok" | "note" | "degraded" | "broken";

export type Area =
    | "side"
    | "versioning"
    | "encryption"
    | "replication"
    | "bucket-policy"
    | "data-repository"
    | "file-system"
    | "metrics"
    | "drill"
    | "sample";

export interface Finding {
    /** Which side it concerns; `pair` for facts about both (the last drill). */
    readonly side: SideRole | "pair";
    readonly area: Area;
    readonly severity: Severity;
    readonly message: string;
}

/** One read from AWS: its value, or the error that prevented it (an unreadable facet is reported, never thrown). */
export type Fact<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface BucketEncryption {
    /** `aws:kms`, `aws:kms:dsse` or `AES256`. */
    readonly algorithm?: string;
    /** Key id or ARN as the bucket's default encryption names it. */
    readonly kmsKeyId?: string;
}

/** The last 24 hours of the side's outbound replication metrics (CloudWatch, AWS/S3 namespace). */
export interface ReplicationMetrics {
    /** Maximum of `ReplicationLatency`, seconds. */
    readonly latencyMaxSeconds?: number;
    /** `OperationsPendingReplication`: the most recent data point and the maximum. */
    readonly pendingLatest?: number;
    readonly pendingMax?: number;
    /** Sum of `OperationsFailedReplication`. */
    readonly failedTotal?: number;
    /** Data points returned over all metrics: 0 means S3 published nothing (no writes, or metrics off). */
    readonly datapoints: number;
}

/** Everything read from one side. Facets are absent when the side could not be reached at all. */
export interface SideFacts {
    readonly role: SideRole;
    /** Where the side is; absent when it could not be located (its stack outputs could not be read). */
    readonly location?: Side;
    /** Not contacted on purpose (`--only` the other side): no findings, but its location still informs the peer's. */
    readonly skipped?: boolean;
    /** Why the side could not be reached (network, credentials, stack outputs); absent when it answered. */
    readonly unreachable?: string;
    readonly versioning?: Fact<string | undefined>;
    readonly encryption?: Fact<BucketEncryption | undefined>;
    readonly replication?: Fact<ReplicationConfiguration | undefined>;
    /** The bucket policy as S3 returns it (a JSON string); undefined when the bucket has none. */
    readonly policy?: Fact<string | undefined>;
    readonly dataRepositories?: Fact<DataRepositoryAssociation[]>;
    /** Only read when the side's outputs name a file system. */
    readonly fileSystem?: Fact<FileSystem | undefined>;
    /** Only read when this side is expected to replicate (S3 publishes nothing otherwise). */
    readonly metrics?: Fact<ReplicationMetrics>;
}

/** What the checks need besides the facts: thresholds the operator can set. */
export interface StatusThresholds {
    /** Replication latency above this in the last 24 h degrades the pair (`alarms.replicationLatencySeconds`). */
    readonly replicationLatencySeconds: number;
    /** A drill older than this, or none, degrades the pair. */
    readonly drillMaxAgeDays: number;
}

export const defaultThresholds: StatusThresholds = { replicationLatencySeconds: 900, drillMaxAgeDays: 8 };

/** Everything one status run read: both sides (primary first) and the drill history. */
export interface PairFacts {
    readonly sides: readonly SideFacts[];
    /** The last entry of the drill history; undefined when the history was not read. */
    readonly lastDrill?: Fact<DrillResult | undefined>;
    /** `--sample`: random keys compared across the sides; undefined when no sample was asked for. */
    readonly sample?: Fact<SampleResult>;
    readonly now: Date;
}
