/**
 * `lustre-dr cost`: the monthly cost of the configured DR posture and of its alternative, per side and in total,
 * with the expected recovery time of each, from the stacks' Pulumi.<stack>.yaml and the dated price table.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { ConfigError } from "../../components/problems";
import { parseSiteConfig, SiteConfig } from "../../stacks/config";
import { readStackConfigFile } from "../../stacks/stackConfigFile";
import { createOutput, UsageError } from "../output";
import { addStackFileOptions, pairStackFiles, StackFileOptions, validatedPair } from "../stackFiles";
import { compareCosts, CostComparison, CostLine, PostureCost, PostureName, SideCost, Workload } from "./estimate";
import { pricingClient, refreshPrices } from "./priceList";
import { loadPriceTable, PriceTable } from "./priceTable";

interface CostOptions extends StackFileOptions {
    dataGib?: number;
    changeGibPerMonth?: number;
    objectMib: number;
    refreshPrices?: boolean;
    profile?: string;
    json?: boolean;
}

function positiveNumber(flag: string): (value: string) => number {
    return (value) => {
        const parsed = Number(value);
        if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(value)}: expected a number >= 0`);
        }
        return parsed;
    };
}

/** A stack's validated config from its Pulumi.<stack>.yaml; problems become a usage error (exit 2). */
export function readSiteConfig(identity: { project: string; stack: string }, file: string): SiteConfig {
    try {
        return parseSiteConfig(readStackConfigFile(file), { organization: "organization", ...identity });
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new UsageError(`${file}: ${error.message}`);
        }
        throw error;
    }
}

const postureLabel: Record<PostureName, string> = { "pilot-light": "pilot light", "warm-standby": "warm standby" };

const usd = (value: number | null): string => (value === null ? "unpriced" : `$${value.toFixed(2)}`);

function unitPrice(l: CostLine): string {
    if (l.unitPriceUsd === null) {
        return "no verified price";
    }
    return `${l.estimatedPrice ? "~" : ""}$${Number(l.unitPriceUsd.toPrecision(4))}/${l.unit.replace(/s$/, "")}`;
}

/** Columns padded to their widest cell; the first (and any listed in `leftAligned`) left-aligned, numbers right. */
function table(rows: string[][], leftAligned: readonly number[] = []): string {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    const pad = (cell: string, column: number) =>
        column === 0 || leftAligned.includes(column) ? cell.padEnd(widths[column]) : cell.padStart(widths[column]);
    return rows.map((row) => row.map(pad).join("   ").trimEnd()).join("\n");
}

function sideLines(posture: PostureName, side: SideCost): string {
    const rows = side.lines.map((l) => [`  ${l.item}`, `${Number(l.quantity.toFixed(2))} ${l.unit}`, unitPrice(l), usd(l.monthlyUsd)]);
    return [`${postureLabel[posture]}: ${side.role} (${side.region}), ${usd(side.monthlyUsd)}/month`, table(rows)].join("\n");
}

function rtoLines(cost: PostureCost): string {
    const rows = cost.rto.steps.map((s) => [`  ${s.step}`, `${s.minMinutes}-${s.maxMinutes} min`, s.assumption]);
    return [`RTO, ${postureLabel[cost.posture]}: ${cost.rto.minMinutes}-${cost.rto.maxMinutes} minutes`, table(rows, [2])].join("\n");
}

/** The human report; `show` limits the per-line breakdown to those sides (totals always cover the pair). */
export function formatCostReport(comparison: CostComparison, show: readonly ("primary" | "dr")[] = ["primary", "dr"]): string {
    const order: PostureName[] = [comparison.configured, comparison.alternative];
    const header = ["", ...order.map((p) => `${postureLabel[p]}${p === comparison.configured ? " (configured)" : ""}`)];
    const per = (pick: (c: PostureCost) => string) => order.map((p) => pick(comparison.postures[p]));
    const primary = comparison.postures[order[0]].sides.primary;
    const dr = comparison.postures[order[0]].sides.dr;
    const summary = table([
        header,
        [`primary (${primary.region})`, ...per((c) => usd(c.sides.primary.monthlyUsd))],
        [`dr (${dr.region})`, ...per((c) => usd(c.sides.dr.monthlyUsd))],
        ["total per month", ...per((c) => usd(c.monthlyUsd))],
        ["expected RTO", ...per((c) => `${c.rto.minMinutes}-${c.rto.maxMinutes} min`)],
    ]);
    const sides = (["primary", "dr"] as const).filter((role) => show.includes(role));
    const breakdown = order.flatMap((p) => sides.map((role) => sideLines(p, comparison.postures[p].sides[role])));
    const unpriced = [...new Set(order.flatMap((p) => comparison.postures[p].unpriced))];
    return [
        `Prices as of ${comparison.priceTable.asOf} (${comparison.priceTable.source.split(";")[0].split(":")[0]}); ~ marks an unverified price.`,
        "",
        summary,
        ...(unpriced.length > 0
            ? ["", `Not in the totals, no verified price (run with --refresh-prices): ${unpriced.join("; ")}`]
            : []),
        "",
        ...breakdown.flatMap((b) => [b, ""]),
        ...order.flatMap((p) => [rtoLines(comparison.postures[p]), ""]),
        "Assumptions:",
        ...comparison.assumptions.map((a) => `  - ${a}`),
        "  - RPO is the same for both postures: the replication lag (with RTC, 99.99% of objects within 15 minutes)",
    ].join("\n");
}

async function pricesFor(options: CostOptions, regions: string[], progress: (message: string) => void): Promise<PriceTable> {
    const committed = loadPriceTable();
    if (!options.refreshPrices) {
        return committed;
    }
    progress(`Reading the AWS Price List API for ${regions.join(", ")}...`);
    try {
        const { table, refreshed } = await refreshPrices(pricingClient(options.profile), committed, regions, new Date().toISOString().slice(0, 10));
        for (const region of regions) {
            progress(`  ${region}: ${refreshed[region].length} prices refreshed, the rest kept from the committed table`);
        }
        return table;
    } catch (error) {
        const name = (error as Error).name;
        if (name === "CredentialsProviderError" || name === "UnrecognizedClientException" || name === "AccessDeniedException") {
            throw new UsageError(
                `--refresh-prices needs AWS credentials allowed pricing:GetProducts (${(error as Error).message}); ` +
                    "run without it to use the committed price table",
            );
        }
        throw error;
    }
}

export function registerCostCommand(program: Command): void {
    addStackFileOptions(
        program
            .command("cost")
            .description(
                "Monthly cost of the configured DR posture and its alternative (pilot light vs warm standby), with expected RTO, " +
                    "from the project's Pulumi.<stack>.yaml",
            ),
        "whose line items to show (totals always cover the pair)",
    )
        .addOption(
            new Option("--data-gib <n>", "GiB stored in each bucket (default: the primary file system's capacity)").argParser(positiveNumber("--data-gib")),
        )
        .addOption(
            new Option("--change-gib-per-month <n>", "GiB written per month on the primary (default: 10% of --data-gib)").argParser(
                positiveNumber("--change-gib-per-month"),
            ),
        )
        .addOption(new Option("--object-mib <n>", "average object size in MiB, for request counts").default(8).argParser(positiveNumber("--object-mib")))
        .option("--refresh-prices", "read current prices from the AWS Price List API (needs credentials)")
        .option("--profile <profile>", "AWS profile for --refresh-prices")
        .option("--json", "print the estimate as JSON")
        .action(async (options: CostOptions) => {
            const output = createOutput(options);
            if (options.objectMib <= 0) {
                throw new UsageError(`--object-mib is ${options.objectMib}: expected a number > 0`);
            }
            const pair = pairStackFiles(options);
            const { show } = pair;
            const { primary, dr } = validatedPair(pair, "estimate").configs;
            const dataGiB = options.dataGib ?? primary.lustre.storageCapacityGiB;
            const workload: Workload = {
                dataGiB,
                changeGiBPerMonth: options.changeGibPerMonth ?? Math.round(dataGiB * 0.1 * 100) / 100,
                averageObjectMiB: options.objectMib,
            };
            const prices = await pricesFor(options, [...new Set([primary.region, dr.region])], (m) => output.progress(m));
            const comparison = compareCosts(prices, primary, dr, workload);
            output.result(comparison, () => formatCostReport(comparison, show));
        });
}
