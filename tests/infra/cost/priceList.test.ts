import { GetProductsCommand, GetProductsCommandInput, PricingClient } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { lustreKeyOf, parsePriceListEntry, refreshPrices } from "../../../infra/cost/priceList";
import { loadPriceTable } from "../../../infra/cost/priceTable";

/**
 * One product as GetProducts returns it (format aws_v1): a JSON string, not an object. The envelope follows the
 * AWS CLI reference's recorded `get-products` output; the attribute names and values of the FSx, S3 and
 * data-transfer products are this project's reading of the Price List and are not verified against the live API.
 */
function priceListEntry(serviceCode: string, productFamily: string, attributes: Record<string, string>, unit: string, usd: string, tiers?: [string, string][]): string {
    const sku = `SKU${Object.values(attributes).join("").replace(/\W/g, "").slice(0, 12).toUpperCase()}`;
    const dimensions = Object.fromEntries(
        (tiers ?? [["0", usd]]).map(([beginRange, price], index) => [
            `${sku}.JRTCKXETXF.${index}`,
            { unit, beginRange, endRange: "Inf", description: `${price} per ${unit}`, appliesTo: [], rateCode: `${sku}.JRTCKXETXF.${index}`, pricePerUnit: { USD: price } },
        ]),
    );
    return JSON.stringify({
        product: { productFamily, attributes: { servicecode: serviceCode, ...attributes }, sku },
        serviceCode,
        terms: { OnDemand: { [`${sku}.JRTCKXETXF`]: { priceDimensions: dimensions, sku, effectiveDate: "2026-11-01T00:00:00Z", offerTermCode: "JRTCKXETXF", termAttributes: {} } } },
        version: "20261101000000",
        publicationDate: "2026-11-01T00:00:00Z",
    });
}

const fsx = (deploymentOption: string, storageType: string, throughputCapacity: string, usd: string) =>
    priceListEntry(
        "AmazonFSx",
        "Storage",
        { regionCode: "eu-west-1", fileSystemType: "Lustre", deploymentOption, storageType, throughputCapacity, usagetype: `EU-${storageType}.${throughputCapacity}` },
        "GB-Mo",
        usd,
    );

function filtersOf(input: GetProductsCommandInput): Record<string, string> {
    return Object.fromEntries((input.Filters ?? []).map((f) => [f.Field, f.Value]));
}

describe("infra/cost/priceList", () => {
    it("parses a PriceList entry, a JSON string, into its first-tier on-demand USD price", () => {
        const entry = priceListEntry("AmazonS3", "Storage", { volumeType: "Standard" }, "GB-Mo", "0.023", [
            ["51200", "0.022"],
            ["0", "0.023"],
        ]);
        expect(parsePriceListEntry(entry)).to.deep.equal({
            productFamily: "Storage",
            attributes: { servicecode: "AmazonS3", volumeType: "Standard" },
            unit: "GB-Mo",
            usd: 0.023,
        });
    });

    it("rejects an entry that is not a product with terms", () => {
        expect(() => parsePriceListEntry(JSON.stringify({ sku: "X" }))).to.throw(/unexpected Price List entry: product/);
    });

    it("maps Lustre storage products onto table keys and ignores what it does not price", () => {
        const key = (entry: string) => lustreKeyOf(parsePriceListEntry(entry)!);
        expect(key(fsx("Persistent_2", "SSD", "125", "0.16"))).to.equal("PERSISTENT_2/SSD/125");
        expect(key(fsx("PERSISTENT 1", "HDD", "40", "0.09"))).to.equal("PERSISTENT_1/HDD/40");
        expect(key(fsx("Scratch_2", "SSD", "200", "0.15"))).to.equal("SCRATCH_2/SSD");
        expect(key(fsx("Persistent_2", "SSD", "300", "0.2"))).to.equal(undefined); // no such tier
        expect(key(fsx("Persistent_2", "HDD", "125", "0.2"))).to.equal(undefined); // no such storage type
        const backup = priceListEntry("AmazonFSx", "Storage Snapshot", { fileSystemType: "Lustre", usagetype: "EU-BackupUsage" }, "GB-Mo", "0.05");
        expect(key(backup)).to.equal(undefined);
    });

    it("refreshes a region from GetProducts, following NextToken, and keeps what the API did not answer", async () => {
        const pricing = mockClient(PricingClient);
        const requests: GetProductsCommandInput[] = [];
        pricing.on(GetProductsCommand).callsFake((input: GetProductsCommandInput) => {
            requests.push(input);
            const filters = filtersOf(input);
            switch (`${input.ServiceCode}:${filters.productFamily ?? filters.group ?? filters.transferType ?? ""}`) {
                case "AmazonFSx:":
                    return input.NextToken === undefined
                        ? { FormatVersion: "aws_v1", PriceList: [fsx("Persistent_2", "SSD", "125", "0.162")], NextToken: "page-2" }
                        : { FormatVersion: "aws_v1", PriceList: [fsx("Persistent_2", "SSD", "1000", "0.66")] };
                case "AmazonS3:Storage":
                    return { PriceList: [priceListEntry("AmazonS3", "Storage", { volumeType: "Standard" }, "GB-Mo", "0.0231")] };
                case "AmazonS3:S3-API-Tier1":
                    return { PriceList: [priceListEntry("AmazonS3", "API Request", { group: "S3-API-Tier1" }, "Requests", "0.000005")] };
                case "AmazonS3:S3-API-Tier2":
                    return { PriceList: [] };
                case "AWSDataTransfer:InterRegion Outbound":
                    return {
                        PriceList: [
                            priceListEntry("AWSDataTransfer", "Data Transfer", { toRegionCode: "eu-central-1" }, "GB", "0.02"),
                            priceListEntry("AWSDataTransfer", "Data Transfer", { toRegionCode: "us-east-1" }, "GB", "0.02"),
                        ],
                    };
                default:
                    throw new Error(`unexpected query ${JSON.stringify(input)}`);
            }
        });
        try {
            const committed = loadPriceTable();
            const { table, refreshed } = await refreshPrices(new PricingClient({ region: "us-east-1" }), committed, ["eu-west-1"], "2026-11-30");

            expect(refreshed["eu-west-1"]).to.have.members([
                "fsxLustreGbMonth.PERSISTENT_2/SSD/125",
                "fsxLustreGbMonth.PERSISTENT_2/SSD/1000",
                "s3StandardGbMonth",
                "s3PutPer1000",
                "interRegionTransferGb",
            ]);
            const ireland = table.regions["eu-west-1"];
            expect(ireland.fsxLustreGbMonth["PERSISTENT_2/SSD/125"]).to.equal(0.162);
            expect(ireland.fsxLustreGbMonth["PERSISTENT_2/SSD/1000"]).to.equal(0.66);
            expect(ireland.fsxLustreGbMonth["PERSISTENT_2/SSD/250"]).to.equal(null); // not answered: still unpriced
            expect(ireland.s3PutPer1000).to.be.closeTo(0.005, 1e-12);
            expect(ireland.s3GetPer1000).to.equal(committed.regions["eu-west-1"].s3GetPer1000);
            expect(ireland.unverified).to.not.include("s3StandardGbMonth");
            expect(ireland.unverified).to.include("s3GetPer1000");
            expect(table.asOf).to.equal("2026-11-30");
            expect(table.source).to.match(/^AWS Price List API \(GetProducts\) on 2026-11-30 for eu-west-1/);
            // the committed table is not modified
            expect(committed.regions["eu-west-1"].fsxLustreGbMonth["PERSISTENT_2/SSD/125"]).to.equal(null);

            expect(requests.filter((r) => r.ServiceCode === "AmazonFSx").map((r) => r.NextToken)).to.deep.equal([undefined, "page-2"]);
            expect(filtersOf(requests[0])).to.deep.equal({ regionCode: "eu-west-1", fileSystemType: "Lustre" });
            expect(requests.every((r) => (r.Filters ?? []).every((f) => f.Type === "TERM_MATCH"))).to.equal(true);
        } finally {
            pricing.restore();
        }
    });
});
