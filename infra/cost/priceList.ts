/**
 * Refreshes the price table from the AWS Price List Query API (`pricing:GetProducts`).
 *
 * Each `PriceList` entry is a JSON *string* holding one product (`product.attributes`) and its terms
 * (`terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`). Products are matched to table keys by
 * their attributes; anything that cannot be matched is left as the committed table has it, and reported.
 */
import { GetProductsCommand, PricingClient, type Filter } from "@aws-sdk/client-pricing";
import { z } from "zod";
import { lustreThroughputTiers, PriceTable, RegionPrices } from "./priceTable";

const priceDimensionSchema = z.object({
    unit: z.string(),
    beginRange: z.string().optional(),
    pricePerUnit: z.record(z.string(), z.string()),
});

const productSchema = z.object({
    product: z.object({
        productFamily: z.string().optional(),
        attributes: z.record(z.string(), z.string()),
        sku: z.string().optional(),
    }),
    terms: z.object({
        OnDemand: z.record(z.string(), z.object({ priceDimensions: z.record(z.string(), priceDimensionSchema) })).optional(),
    }),
});

/** One on-demand price of one product. */
export interface ListedPrice {
    readonly productFamily?: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly unit: string;
    readonly usd: number;
}

/**
 * Parses one `PriceList` entry (a JSON string) into its first-tier on-demand USD price. Tiered prices (S3
 * storage) keep the tier that starts at 0. Returns undefined for products without an on-demand USD price.
 */
export function parsePriceListEntry(entry: string): ListedPrice | undefined {
    const parsed = productSchema.safeParse(JSON.parse(entry));
    if (!parsed.success) {
        throw new Error(`unexpected Price List entry: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    const { product, terms } = parsed.data;
    const dimensions = Object.values(terms.OnDemand ?? {}).flatMap((offer) => Object.values(offer.priceDimensions));
    const firstTier = dimensions.find((d) => (d.beginRange ?? "0") === "0" && d.pricePerUnit.USD !== undefined);
    if (firstTier === undefined) {
        return undefined;
    }
    return { productFamily: product.productFamily, attributes: product.attributes, unit: firstTier.unit, usd: Number(firstTier.pricePerUnit.USD) };
}

/** `Persistent_2`, `PERSISTENT 2`, `persistent-2` -> `PERSISTENT_2`. */
function normaliseDeployment(value: string): string {
    return value.toUpperCase().replace(/[\s-]+/g, "_");
}

/**
 * The table key of an FSx for Lustre storage product, from its attributes (`deploymentOption`, `storageType`,
 * `throughputCapacity`), falling back to the usage type. Undefined for products this tool does not price
 * (backups, metadata IOPS, other file system types).
 */
export function lustreKeyOf(price: ListedPrice): string | undefined {
    const a = price.attributes;
    if ((a.fileSystemType ?? "").toLowerCase() !== "lustre" || price.unit !== "GB-Mo") {
        return undefined;
    }
    const usage = a.usagetype ?? "";
    const deployment = Object.keys(lustreThroughputTiers).find(
        (type) => normaliseDeployment(a.deploymentOption ?? "") === type || normaliseDeployment(usage).includes(type),
    );
    const storageType = (a.storageType ?? "").toUpperCase();
    if (deployment === undefined || !(storageType in lustreThroughputTiers[deployment])) {
        return undefined;
    }
    const tiers = lustreThroughputTiers[deployment][storageType];
    if (tiers.length === 0) {
        return `${deployment}/${storageType}`;
    }
    const throughput = Number((a.throughputCapacity ?? usage.match(/(\d+)(?:MB|$)/)?.[1] ?? "").replace(/\D/g, ""));
    return tiers.includes(throughput) ? `${deployment}/${storageType}/${throughput}` : undefined;
}

/** One query against the Price List API and how its products map onto the table. */
interface PriceQuery {
    readonly serviceCode: string;
    readonly filters: (region: string) => Record<string, string>;
    /** Assigns matched prices into the region's table entry; returns the keys it set. */
    readonly apply: (prices: ListedPrice[], into: RegionPrices) => string[];
}

function firstPrice(prices: ListedPrice[], unit: RegExp): number | undefined {
    return prices.find((p) => unit.test(p.unit))?.usd;
}

const queries: readonly PriceQuery[] = [
    {
        serviceCode: "AmazonFSx",
        filters: (region) => ({ regionCode: region, fileSystemType: "Lustre" }),
        apply(prices, into) {
            const set: string[] = [];
            for (const price of prices) {
                const key = lustreKeyOf(price);
                if (key !== undefined) {
                    into.fsxLustreGbMonth[key] = price.usd;
                    set.push(`fsxLustreGbMonth.${key}`);
                }
            }
            return set;
        },
    },
    {
        serviceCode: "AmazonS3",
        filters: (region) => ({ regionCode: region, productFamily: "Storage", volumeType: "Standard" }),
        apply(prices, into) {
            const usd = firstPrice(prices, /^GB-Mo$/);
            return usd === undefined ? [] : ((into.s3StandardGbMonth = usd), ["s3StandardGbMonth"]);
        },
    },
    {
        serviceCode: "AmazonS3",
        filters: (region) => ({ regionCode: region, group: "S3-API-Tier1" }),
        apply(prices, into) {
            const usd = firstPrice(prices, /^Requests$/);
            return usd === undefined ? [] : ((into.s3PutPer1000 = usd * 1000), ["s3PutPer1000"]);
        },
    },
    {
        serviceCode: "AmazonS3",
        filters: (region) => ({ regionCode: region, group: "S3-API-Tier2" }),
        apply(prices, into) {
            const usd = firstPrice(prices, /^Requests$/);
            return usd === undefined ? [] : ((into.s3GetPer1000 = usd * 1000), ["s3GetPer1000"]);
        },
    },
    {
        serviceCode: "AWSDataTransfer",
        filters: (region) => ({ fromRegionCode: region, transferType: "InterRegion Outbound" }),
        apply(prices, into) {
            // One figure per source region: the most expensive destination, so the estimate errs high.
            const perGb = prices.filter((p) => p.unit === "GB").map((p) => p.usd);
            return perGb.length === 0 ? [] : ((into.interRegionTransferGb = Math.max(...perGb)), ["interRegionTransferGb"]);
        },
    },
];

export interface RefreshResult {
    readonly table: PriceTable;
    /** Per region, the price keys read from the API; every other key kept its committed value. */
    readonly refreshed: Record<string, string[]>;
}

/** Reads every product of one query, following NextToken. */
async function getProducts(client: PricingClient, serviceCode: string, filters: Record<string, string>): Promise<ListedPrice[]> {
    const Filters: Filter[] = Object.entries(filters).map(([Field, Value]) => ({ Type: "TERM_MATCH", Field, Value }));
    const prices: ListedPrice[] = [];
    let NextToken: string | undefined;
    do {
        const page = await client.send(new GetProductsCommand({ ServiceCode: serviceCode, Filters, FormatVersion: "aws_v1", NextToken }));
        for (const entry of page.PriceList ?? []) {
            const price = parsePriceListEntry(typeof entry === "string" ? entry : String(entry));
            if (price !== undefined) {
                prices.push(price);
            }
        }
        NextToken = page.NextToken;
    } while (NextToken);
    return prices;
}

/**
 * A copy of `table` with the given regions' prices read from the Price List API. Prices the API does not
 * answer for (RTC, KMS, CloudWatch, unmatched tiers) keep their committed values and `unverified` flags.
 */
export async function refreshPrices(client: PricingClient, table: PriceTable, regions: readonly string[], today: string): Promise<RefreshResult> {
    const next: PriceTable = structuredClone(table);
    const refreshed: Record<string, string[]> = {};
    for (const region of regions) {
        const entry: RegionPrices =
            next.regions[region] ??
            structuredClone({
                fsxLustreGbMonth: {},
                fsxLustreHddReadCacheGbMonth: null,
                s3StandardGbMonth: null,
                s3PutPer1000: null,
                s3GetPer1000: null,
                interRegionTransferGb: null,
                replicationTimeControlGb: null,
                kmsKeyMonth: null,
                kmsRequestsPer10000: null,
                cloudwatchAlarmMonth: null,
                cloudwatchMetricMonth: null,
                unverified: [],
            });
        const keys: string[] = [];
        for (const query of queries) {
            keys.push(...query.apply(await getProducts(client, query.serviceCode, query.filters(region)), entry));
        }
        entry.unverified = entry.unverified.filter((key) => !keys.includes(key));
        next.regions[region] = entry;
        refreshed[region] = keys;
    }
    next.asOf = today;
    next.source = `AWS Price List API (GetProducts) on ${today} for ${regions.join(", ")}; other figures from: ${table.source}`;
    return { table: next, refreshed };
}

/** The Price List Query API is served from a few regions only; us-east-1 is one of them. */
export function pricingClient(profile?: string): PricingClient {
    return new PricingClient({ region: "us-east-1", maxAttempts: 5, ...(profile ? { profile } : {}) });
}
