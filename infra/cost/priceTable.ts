/**
 * The dated price table the cost estimate reads (infra/cost/prices.json), and the lookups into it.
 * Lookups fail loudly, naming the value and what is priced, rather than pricing something as zero.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { perUnitThroughputs } from "../../components/lustreRules";
import { projectRoot } from "../../stacks/packageRoot";
import { UsageError } from "../output";

/** A price in USD, or null where no figure could be verified (reported as unpriced, never as zero). */
const price = z.number().nonnegative().nullable();

const regionPricesSchema = z.strictObject({
    /** Keyed by `${deploymentType}/${storageType}/${perUnitStorageThroughput}`, or `SCRATCH_2/SSD`. */
    fsxLustreGbMonth: z.record(z.string(), price),
    fsxLustreHddReadCacheGbMonth: price,
    s3StandardGbMonth: price,
    s3PutPer1000: price,
    s3GetPer1000: price,
    interRegionTransferGb: price,
    replicationTimeControlGb: price,
    kmsKeyMonth: price,
    kmsRequestsPer10000: price,
    cloudwatchAlarmMonth: price,
    /** A CloudWatch custom metric for a month; S3 request metrics are billed at this rate. */
    cloudwatchMetricMonth: price,
    /** Price keys (dotted, e.g. `fsxLustreGbMonth.PERSISTENT_2/SSD/250`) whose figure is an unverified estimate. */
    unverified: z.array(z.string()).default([]),
});

const priceTableSchema = z.strictObject({
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    currency: z.literal("USD"),
    source: z.string().min(1),
    notes: z.array(z.string()).default([]),
    regions: z.record(z.string(), regionPricesSchema),
});

export type RegionPrices = z.infer<typeof regionPricesSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;
/** Scalar prices of a region (everything but the FSx tier map and the bookkeeping). */
export type ScalarPriceKey = Exclude<keyof RegionPrices, "fsxLustreGbMonth" | "unverified">;

/** Resolved from the package root so that the build in dist/ reads the same file (package.json `files` ships it). */
export const defaultPriceTablePath = path.join(projectRoot, "infra", "cost", "prices.json");

export function parsePriceTable(document: unknown, source = "price table"): PriceTable {
    const parsed = priceTableSchema.safeParse(document);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
        throw new Error(`${source} is not a valid lustre-dr price table: ${problems}`);
    }
    return parsed.data;
}

export function loadPriceTable(file: string = defaultPriceTablePath): PriceTable {
    return parsePriceTable(JSON.parse(fs.readFileSync(file, "utf8")), file);
}

/** The prices of one region; an unpriced region is a usage error naming the regions that are priced. */
export function regionPrices(table: PriceTable, region: string): RegionPrices {
    const prices = table.regions[region];
    if (prices === undefined) {
        throw new UsageError(
            `no prices for region ${JSON.stringify(region)} in the price table (as of ${table.asOf}): ` +
                `priced regions are ${Object.keys(table.regions).join(", ")}; ` +
                "run with --refresh-prices to read the AWS Price List API for it",
        );
    }
    return prices;
}

/** The priced shapes: throughput tiers (MB/s/TiB) per deployment and storage type, as the Lustre rules allow them. */
export const lustreThroughputTiers: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>> = {
    PERSISTENT_2: { SSD: perUnitThroughputs.PERSISTENT_2 },
    PERSISTENT_1: { SSD: perUnitThroughputs.PERSISTENT_1_SSD, HDD: perUnitThroughputs.PERSISTENT_1_HDD },
    SCRATCH_2: { SSD: [] },
};

/** The file system shape that decides its price. */
export interface LustreShape {
    readonly deploymentType: string;
    readonly storageType: string;
    /** MB/s/TiB; ignored for SCRATCH_2, which has one baseline. */
    readonly perUnitStorageThroughput?: number;
}

/**
 * The price-table key of a file system shape, validating each part against what AWS offers; the error names the
 * config key, the value and the valid choices.
 */
export function lustreTierKey(shape: LustreShape): string {
    const storageTypes = lustreThroughputTiers[shape.deploymentType];
    if (storageTypes === undefined) {
        throw new UsageError(
            `lustre-dr:lustre.deploymentType is ${JSON.stringify(shape.deploymentType)}: expected one of ${Object.keys(lustreThroughputTiers).join(", ")}`,
        );
    }
    const tiers = storageTypes[shape.storageType];
    if (tiers === undefined) {
        throw new UsageError(
            `lustre-dr:lustre.storageType is ${JSON.stringify(shape.storageType)} with ${shape.deploymentType}: expected one of ${Object.keys(storageTypes).join(", ")}`,
        );
    }
    if (tiers.length === 0) {
        return `${shape.deploymentType}/${shape.storageType}`;
    }
    const throughput = shape.perUnitStorageThroughput;
    if (throughput === undefined || !tiers.includes(throughput)) {
        throw new UsageError(
            `lustre-dr:lustre.perUnitStorageThroughput is ${JSON.stringify(throughput)} for ${shape.deploymentType} ${shape.storageType}: ` +
                `expected one of ${tiers.join(", ")} (MB/s/TiB)`,
        );
    }
    return `${shape.deploymentType}/${shape.storageType}/${throughput}`;
}

/** Price per GB-month of a file system shape in a region: a number, or null when the table has no verified figure. */
export function lustrePricePerGbMonth(table: PriceTable, region: string, shape: LustreShape): number | null {
    const key = lustreTierKey(shape);
    const prices = regionPrices(table, region);
    const value = prices.fsxLustreGbMonth[key];
    return value === undefined ? null : value;
}

/** Whether a price is flagged as an unverified estimate in the table. */
export function isUnverified(table: PriceTable, region: string, key: string): boolean {
    return regionPrices(table, region).unverified.includes(key);
}
