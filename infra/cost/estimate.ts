/**
 * Monthly cost and recovery time of the two DR postures, as plain functions of the two sides' validated config,
 * a workload and the price table. Nothing here reads files or calls AWS.
 *
 * - pilot light: the dr side holds only the bucket (kept current by replication), its key, roles and alarms;
 *   recovery creates its file system and imports the bucket's metadata.
 * - warm standby: the dr side also runs its file system, linked to its bucket, so recovery only re-points clients.
 */
import { requestMetricCount } from "../../components/writeActivityAlarms";
import type { LustreSettings, SiteConfig } from "../../stacks/config";
import { isUnverified, lustrePricePerGbMonth, lustreTierKey, PriceTable, regionPrices, ScalarPriceKey } from "./priceTable";

export type PostureName = "pilot-light" | "warm-standby";
export const postureNames: readonly PostureName[] = ["pilot-light", "warm-standby"];

/** What the pair stores and how fast it changes; every estimate states these. */
export interface Workload {
    /** Data in the bucket (current versions), GiB. */
    readonly dataGiB: number;
    /** Data written or overwritten per month on the primary, GiB; it is replicated and becomes noncurrent versions. */
    readonly changeGiBPerMonth: number;
    /** Average object size, MiB: turns GiB into request counts. @default 8 */
    readonly averageObjectMiB: number;
}

export interface CostLine {
    readonly item: string;
    readonly quantity: number;
    readonly unit: string;
    /** USD per unit; null when the table has no verified price (the line is then unpriced, not free). */
    readonly unitPriceUsd: number | null;
    readonly monthlyUsd: number | null;
    /** True when the unit price is flagged as an unverified estimate in the table. */
    readonly estimatedPrice: boolean;
    readonly note?: string;
}

export interface SideCost {
    readonly role: "primary" | "dr";
    readonly region: string;
    readonly lines: CostLine[];
    /** Sum of the priced lines. */
    readonly monthlyUsd: number;
    /** Items that could not be priced; `monthlyUsd` excludes them. */
    readonly unpriced: string[];
}

export interface RtoStep {
    readonly step: string;
    readonly minMinutes: number;
    readonly maxMinutes: number;
    readonly assumption: string;
}

export interface RecoveryTime {
    readonly minMinutes: number;
    readonly maxMinutes: number;
    readonly steps: RtoStep[];
}

export interface PostureCost {
    readonly posture: PostureName;
    readonly sides: { readonly primary: SideCost; readonly dr: SideCost };
    readonly monthlyUsd: number;
    readonly unpriced: string[];
    readonly rto: RecoveryTime;
}

export interface CostComparison {
    readonly configured: PostureName;
    readonly alternative: PostureName;
    readonly workload: Workload;
    readonly priceTable: { readonly asOf: string; readonly source: string };
    readonly postures: { readonly [P in PostureName]: PostureCost };
    readonly assumptions: string[];
}

/** The posture a pair of configs describes: the dr side running Lustre is warm standby. */
export function configuredPosture(dr: Pick<SiteConfig, "lustre">): PostureName {
    return dr.lustre.enabled ? "warm-standby" : "pilot-light";
}

const roundCents = (usd: number): number => Math.round(usd * 100) / 100;

function line(
    table: PriceTable,
    region: string,
    key: string,
    unitPrice: number | null,
    item: string,
    quantity: number,
    unit: string,
    note?: string,
): CostLine {
    return {
        item,
        quantity,
        unit,
        unitPriceUsd: unitPrice,
        monthlyUsd: unitPrice === null ? null : roundCents(quantity * unitPrice),
        estimatedPrice: unitPrice !== null && isUnverified(table, region, key),
        ...(note ? { note } : {}),
    };
}

function scalar(table: PriceTable, region: string, key: ScalarPriceKey, item: string, quantity: number, unit: string, note?: string): CostLine {
    return line(table, region, key, regionPrices(table, region)[key], item, quantity, unit, note);
}

/** Per-1000 and per-10000 prices applied to raw counts. */
function perThousand(table: PriceTable, region: string, key: "s3PutPer1000" | "s3GetPer1000", item: string, requests: number, note?: string): CostLine {
    const per1000 = regionPrices(table, region)[key];
    return line(table, region, key, per1000 === null ? null : per1000 / 1000, item, requests, "requests", note);
}

function fileSystemLines(table: PriceTable, region: string, lustre: LustreSettings): CostLine[] {
    const shape = {
        deploymentType: lustre.deploymentType,
        storageType: lustre.storageType,
        perUnitStorageThroughput: lustre.perUnitStorageThroughput,
    };
    const key = lustreTierKey(shape);
    const tier = shape.perUnitStorageThroughput && lustre.deploymentType !== "SCRATCH_2" ? ` ${shape.perUnitStorageThroughput} MB/s/TiB` : "";
    const lines = [
        line(
            table,
            region,
            `fsxLustreGbMonth.${key}`,
            lustrePricePerGbMonth(table, region, shape),
            `FSx for Lustre ${lustre.deploymentType} ${lustre.storageType}${tier}`,
            lustre.storageCapacityGiB,
            "GB-month",
            "billed on provisioned capacity, whatever is stored",
        ),
    ];
    if (lustre.storageType === "HDD" && lustre.driveCacheType === "READ") {
        lines.push(
            scalar(table, region, "fsxLustreHddReadCacheGbMonth", "FSx SSD read cache (20% of capacity)", lustre.storageCapacityGiB * 0.2, "GB-month"),
        );
    }
    return lines;
}

interface SidePlan {
    readonly config: SiteConfig;
    readonly lustreEnabled: boolean;
    /** GiB per month this side writes into its bucket (and so replicates to the peer). */
    readonly writesGiBPerMonth: number;
    /** Whether this side's outbound replication runs (both sides attached). */
    readonly replicates: boolean;
    /** Whether the peer's replication into this side runs. */
    readonly receivesReplicas: boolean;
    readonly peerRegion: string;
    readonly peerWritesGiBPerMonth: number;
}

const replicationAlarmCount = 3;
/** The delete and overwrite alarms of `alarms.writeActivity` (components/writeActivityAlarms.ts). */
const writeActivityAlarmCount = 2;

function sideCost(table: PriceTable, plan: SidePlan, workload: Workload): SideCost {
    const { config } = plan;
    const region = config.region;
    const objects = (gib: number) => Math.ceil((gib * 1024) / workload.averageObjectMiB);
    // Every changed GiB, written here or arriving as a replica, leaves a noncurrent version kept for the retention period.
    const changedHere = plan.writesGiBPerMonth + (plan.receivesReplicas ? plan.peerWritesGiBPerMonth : 0);
    const noncurrentGiB = changedHere * (config.bucket.noncurrentVersionRetentionDays / 30);
    const lines: CostLine[] = [];

    if (plan.lustreEnabled) {
        lines.push(...fileSystemLines(table, region, config.lustre));
    }
    lines.push(
        scalar(table, region, "s3StandardGbMonth", "S3 Standard, current versions", workload.dataGiB, "GB-month"),
        scalar(
            table,
            region,
            "s3StandardGbMonth",
            "S3 Standard, noncurrent versions",
            roundCents(noncurrentGiB),
            "GB-month",
            `changes of ${changedHere} GiB/month kept ${config.bucket.noncurrentVersionRetentionDays} days (worst case: every change overwrites)`,
        ),
    );
    if (plan.writesGiBPerMonth > 0) {
        lines.push(
            perThousand(table, region, "s3PutPer1000", "S3 PUT requests (file system export of changes)", objects(plan.writesGiBPerMonth)),
        );
    }
    if (plan.replicates && plan.writesGiBPerMonth > 0) {
        const replicated = plan.writesGiBPerMonth;
        lines.push(
            scalar(table, region, "interRegionTransferGb", `Replication transfer ${region} -> ${plan.peerRegion}`, replicated, "GB"),
        );
        if (config.bucket.replicationTimeControl) {
            lines.push(scalar(table, region, "replicationTimeControlGb", "S3 Replication Time Control", replicated, "GB"));
        }
        lines.push(
            perThousand(table, plan.peerRegion, "s3PutPer1000", `Replication PUT requests (at ${plan.peerRegion} rate)`, objects(replicated)),
        );
    }
    if (config.bucket.encryption === "SSE_KMS") {
        lines.push(scalar(table, region, "kmsKeyMonth", "KMS customer-managed key", 1, "key-month"));
        // Upper bound: one KMS call per object written, replicated out (decrypt) or in (encrypt). S3 Bucket Keys,
        // which this project enables, cut the real count by orders of magnitude.
        const kmsRequests =
            objects(plan.writesGiBPerMonth) * (plan.replicates ? 2 : 1) + (plan.receivesReplicas ? objects(plan.peerWritesGiBPerMonth) : 0);
        if (kmsRequests > 0) {
            const per10000 = regionPrices(table, region).kmsRequestsPer10000;
            lines.push(
                line(
                    table,
                    region,
                    "kmsRequestsPer10000",
                    per10000 === null ? null : per10000 / 10000,
                    "KMS requests (upper bound without S3 Bucket Keys)",
                    kmsRequests,
                    "requests",
                ),
            );
        }
    }
    const writeActivity = config.alarms.writeActivity;
    const alarms = (plan.replicates ? replicationAlarmCount : 0) + (plan.lustreEnabled ? 1 : 0) + (writeActivity ? writeActivityAlarmCount : 0);
    if (alarms > 0) {
        lines.push(scalar(table, region, "cloudwatchAlarmMonth", "CloudWatch alarms", alarms, "alarm-month"));
    }
    if (writeActivity) {
        lines.push(
            scalar(
                table,
                region,
                "cloudwatchMetricMonth",
                "S3 request metrics (CloudWatch custom metrics)",
                requestMetricCount,
                "metric-month",
                `upper bound: S3 can publish ${requestMetricCount} request metrics per configuration, and CloudWatch bills only those published in an hour; alarms.writeActivity: false turns them off`,
            ),
        );
    }

    const unpriced = lines.filter((l) => l.monthlyUsd === null).map((l) => `${region}: ${l.item}`);
    const monthlyUsd = roundCents(lines.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0));
    return { role: config.role, region, lines, monthlyUsd, unpriced };
}

/** Minutes of each recovery step; planning assumptions, to be replaced by what drills measure. */
export interface RecoveryAssumptions {
    /** One `pulumi up` of the dr stack that changes policies and replication (no file system). */
    readonly stackUpdateMinutes: readonly [number, number];
    /** Creating a file system of the configured size. */
    readonly fileSystemCreateMinutes: readonly [number, number];
    /** Creating the data repository association itself, before its import. */
    readonly associationCreateMinutes: readonly [number, number];
    /** Batch metadata import rate, objects per second (slow, fast). */
    readonly metadataImportObjectsPerSecond: readonly [number, number];
    /** Installing the Lustre client (if needed) and mounting on the clients. */
    readonly clientMountMinutes: readonly [number, number];
}

export const defaultRecoveryAssumptions: RecoveryAssumptions = {
    stackUpdateMinutes: [2, 5],
    fileSystemCreateMinutes: [10, 30],
    associationCreateMinutes: [10, 30],
    metadataImportObjectsPerSecond: [1000, 5000],
    clientMountMinutes: [1, 5],
};

/** Expected recovery time of a posture, as a sum of its steps. RPO is the same for both: the replication lag. */
export function recoveryTime(posture: PostureName, workload: Workload, a: RecoveryAssumptions = defaultRecoveryAssumptions): RecoveryTime {
    const steps: RtoStep[] = [
        {
            step: "pulumi up of the dr stack: detach from the primary" + (posture === "pilot-light" ? " and enable Lustre" : ""),
            minMinutes: a.stackUpdateMinutes[0],
            maxMinutes: a.stackUpdateMinutes[1],
            assumption: "policy and replication changes only; measured by a drill, not by AWS",
        },
    ];
    if (posture === "pilot-light") {
        const objects = Math.ceil((workload.dataGiB * 1024) / workload.averageObjectMiB);
        const [slow, fast] = a.metadataImportObjectsPerSecond;
        steps.push(
            {
                step: "create the dr file system",
                minMinutes: a.fileSystemCreateMinutes[0],
                maxMinutes: a.fileSystemCreateMinutes[1],
                assumption: "FSx creation time for the configured size; AWS publishes no bound",
            },
            {
                step: "create the data repository association",
                minMinutes: a.associationCreateMinutes[0],
                maxMinutes: a.associationCreateMinutes[1],
                assumption: "DRA creation routinely takes over 10 minutes (the program allows 30)",
            },
            {
                step: `batch import of metadata for ~${objects} objects`,
                minMinutes: Math.ceil(objects / fast / 60),
                maxMinutes: Math.ceil(objects / slow / 60),
                assumption: `${slow}-${fast} objects/s (planning assumption; file contents load lazily on first read)`,
            },
        );
    }
    steps.push({
        step: "mount the clients",
        minMinutes: a.clientMountMinutes[0],
        maxMinutes: a.clientMountMinutes[1],
        assumption: posture === "warm-standby" ? "clients already installed; re-point or mount" : "install the Lustre client and mount",
    });
    return {
        minMinutes: steps.reduce((sum, s) => sum + s.minMinutes, 0),
        maxMinutes: steps.reduce((sum, s) => sum + s.maxMinutes, 0),
        steps,
    };
}

/** Cost and RTO of one posture for a pair of configs; only the dr side's Lustre switch differs between postures. */
export function postureCost(table: PriceTable, posture: PostureName, primary: SiteConfig, dr: SiteConfig, workload: Workload): PostureCost {
    const attached = !primary.detached && !dr.detached;
    const primaryPlan: SidePlan = {
        config: primary,
        lustreEnabled: primary.lustre.enabled,
        writesGiBPerMonth: workload.changeGiBPerMonth,
        replicates: attached,
        receivesReplicas: attached,
        peerRegion: dr.region,
        peerWritesGiBPerMonth: 0,
    };
    const drPlan: SidePlan = {
        config: dr,
        lustreEnabled: posture === "warm-standby",
        // In normal operation the dr side only receives; its own outbound rule carries nothing.
        writesGiBPerMonth: 0,
        replicates: attached,
        receivesReplicas: attached,
        peerRegion: primary.region,
        peerWritesGiBPerMonth: workload.changeGiBPerMonth,
    };
    const sides = { primary: sideCost(table, primaryPlan, workload), dr: sideCost(table, drPlan, workload) };
    return {
        posture,
        sides,
        monthlyUsd: roundCents(sides.primary.monthlyUsd + sides.dr.monthlyUsd),
        unpriced: [...sides.primary.unpriced, ...sides.dr.unpriced],
        rto: recoveryTime(posture, workload),
    };
}

/** The configured posture and its alternative, side by side. */
export function compareCosts(table: PriceTable, primary: SiteConfig, dr: SiteConfig, workload: Workload): CostComparison {
    const configured = configuredPosture(dr);
    const alternative: PostureName = configured === "pilot-light" ? "warm-standby" : "pilot-light";
    const attached = !primary.detached && !dr.detached;
    return {
        configured,
        alternative,
        workload,
        priceTable: { asOf: table.asOf, source: table.source },
        postures: {
            "pilot-light": postureCost(table, "pilot-light", primary, dr, workload),
            "warm-standby": postureCost(table, "warm-standby", primary, dr, workload),
        },
        assumptions: [
            `${workload.dataGiB} GiB in each bucket, ${workload.changeGiBPerMonth} GiB/month written on the primary, ${workload.averageObjectMiB} MiB average object`,
            attached
                ? "replication active both ways (the pair after `lustre-dr deploy` converged); only the primary writes"
                : "a side is detached: no replication is priced",
            "warm standby runs the dr file system with the dr config's lustre settings (deploymentType, capacity, throughput)",
            "not priced: EC2 clients, S3 GET requests for lazy loading, CloudWatch metrics beyond alarms and S3 request metrics, data transfer to clients",
        ],
    };
}
