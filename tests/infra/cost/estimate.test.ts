import { expect } from "chai";
import { compareCosts, configuredPosture, postureCost, recoveryTime, Workload } from "../../../infra/cost/estimate";
import { loadPriceTable, lustrePricePerGbMonth, lustreThroughputTiers, parsePriceTable, PriceTable, RegionPrices } from "../../../infra/cost/priceTable";
import { UsageError } from "../../../infra/output";
import { parseSiteConfig, RawSiteConfig, SiteConfig } from "../../../stacks/config";

const regionPrices: RegionPrices = {
    fsxLustreGbMonth: { "PERSISTENT_2/SSD/125": 0.145, "PERSISTENT_2/SSD/250": 0.21, "PERSISTENT_1/HDD/12": 0.025, "SCRATCH_2/SSD": 0.14 },
    fsxLustreHddReadCacheGbMonth: null,
    s3StandardGbMonth: 0.023,
    s3PutPer1000: 0.005,
    s3GetPer1000: 0.0004,
    interRegionTransferGb: 0.02,
    replicationTimeControlGb: 0.015,
    kmsKeyMonth: 1,
    kmsRequestsPer10000: 0.03,
    cloudwatchAlarmMonth: 0.1,
    cloudwatchMetricMonth: 0.3,
    unverified: ["fsxLustreGbMonth.PERSISTENT_2/SSD/250"],
};

/** A table with round figures, so every expected value below is worked out by hand. */
const prices: PriceTable = parsePriceTable({
    asOf: "2026-11-25",
    currency: "USD",
    source: "test fixture",
    regions: {
        "us-east-1": regionPrices,
        "us-west-2": regionPrices,
        "eu-west-1": { ...regionPrices, fsxLustreGbMonth: { "PERSISTENT_2/SSD/125": null } },
    },
});

const network = { vpcId: "vpc-0a1b2c3d4e5f60718", subnetId: "subnet-0a1b2c3d4e5f60718", clientCidrs: [] };

function site(stack: "primary" | "dr", raw: Partial<RawSiteConfig>): SiteConfig {
    return parseSiteConfig({ awsRegion: stack === "primary" ? "us-east-1" : "us-west-2", network, ...raw }, { organization: "o", project: "lustre-dr", stack });
}

const primary = site("primary", { lustre: { storageCapacityGiB: 1200, perUnitStorageThroughput: 125 } });
const drPilotLight = site("dr", {});
// 1000 GiB stored, 100 GiB/month changed, 8 MiB objects: 100 * 1024 / 8 = 12800 objects written per month.
const workload: Workload = { dataGiB: 1000, changeGiBPerMonth: 100, averageObjectMiB: 8 };

const byItem = (lines: { item: string; monthlyUsd: number | null }[]) => Object.fromEntries(lines.map((l) => [l.item, l.monthlyUsd]));

describe("infra/cost/estimate", () => {
    it("prices 1.2 TiB of PERSISTENT_2 at 125 MB/s/TiB in us-east-1 from the committed table: 1200 x $0.145 = $174.00", () => {
        const table = loadPriceTable();
        const cost = postureCost(table, "pilot-light", primary, drPilotLight, workload);
        const fileSystem = cost.sides.primary.lines.find((l) => l.item.startsWith("FSx for Lustre"));
        expect(fileSystem).to.include({ item: "FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB", quantity: 1200, unitPriceUsd: 0.145, monthlyUsd: 174 });
        expect(fileSystem?.estimatedPrice).to.equal(false);
    });

    it("adds up the primary side line by line", () => {
        const side = postureCost(prices, "pilot-light", primary, drPilotLight, workload).sides.primary;
        expect(byItem(side.lines)).to.deep.equal({
            "FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB": 174, // 1200 x 0.145
            "S3 Standard, current versions": 23, // 1000 x 0.023
            "S3 Standard, noncurrent versions": 6.9, // 100 GiB/month kept 90 days = 300 GiB x 0.023
            "S3 PUT requests (file system export of changes)": 0.06, // 12800 x 0.005 / 1000
            "Replication transfer us-east-1 -> us-west-2": 2, // 100 x 0.02
            "S3 Replication Time Control": 1.5, // 100 x 0.015
            "Replication PUT requests (at us-west-2 rate)": 0.06,
            "KMS customer-managed key": 1,
            "KMS requests (upper bound without S3 Bucket Keys)": 0.08, // 2 x 12800 x 0.03 / 10000
            "CloudWatch alarms": 0.6, // 3 replication + 1 file system + 2 delete/overwrite
            "S3 request metrics (CloudWatch custom metrics)": 4.8, // at most 16 metrics x 0.30
        });
        expect(side.monthlyUsd).to.equal(214);
        expect(side.unpriced).to.be.empty;
    });

    it("prices the pilot-light dr side as bucket, replicas, key and alarms only", () => {
        const side = postureCost(prices, "pilot-light", primary, drPilotLight, workload).sides.dr;
        expect(byItem(side.lines)).to.deep.equal({
            "S3 Standard, current versions": 23,
            "S3 Standard, noncurrent versions": 6.9, // replicated overwrites leave noncurrent versions here too
            "KMS customer-managed key": 1,
            "KMS requests (upper bound without S3 Bucket Keys)": 0.04, // 12800 x 0.03 / 10000
            "CloudWatch alarms": 0.5, // 3 replication + 2 delete/overwrite
            "S3 request metrics (CloudWatch custom metrics)": 4.8,
        });
        expect(side.monthlyUsd).to.equal(36.24);
    });

    it("compares the configured posture with the alternative: warm standby adds the dr file system", () => {
        const comparison = compareCosts(prices, primary, drPilotLight, workload);
        expect(comparison.configured).to.equal("pilot-light");
        expect(comparison.alternative).to.equal("warm-standby");
        expect(comparison.postures["pilot-light"].monthlyUsd).to.equal(250.24); // 214 + 36.24
        // + 1200 x 0.145 for the file system and one free-capacity alarm
        expect(comparison.postures["warm-standby"].sides.dr.monthlyUsd).to.equal(210.34);
        expect(comparison.postures["warm-standby"].monthlyUsd).to.equal(424.34);
    });

    it("reads the configured posture from the dr side's lustre.enabled", () => {
        expect(configuredPosture(site("dr", { lustre: { enabled: true } }))).to.equal("warm-standby");
        expect(configuredPosture(drPilotLight)).to.equal("pilot-light");
    });

    it("uses each shape's own tier: SSE_S3 has no key, SCRATCH_2 one baseline price, no RTC without RTC", () => {
        const scratch = site("primary", {
            lustre: { deploymentType: "SCRATCH_2" },
            bucket: { encryption: "SSE_S3", replicationTimeControl: false },
        });
        const items = byItem(postureCost(prices, "pilot-light", scratch, drPilotLight, workload).sides.primary.lines);
        expect(items["FSx for Lustre SCRATCH_2 SSD"]).to.equal(168); // 1200 x 0.14
        expect(items).to.not.have.property("KMS customer-managed key");
        expect(items).to.not.have.property("S3 Replication Time Control");
    });

    it("prices the delete/overwrite alarms and their request metrics only while alarms.writeActivity is on", () => {
        const quiet = site("dr", { alarms: { writeActivity: false } });
        const items = byItem(postureCost(prices, "pilot-light", primary, quiet, workload).sides.dr.lines);
        expect(items).to.not.have.property("S3 request metrics (CloudWatch custom metrics)");
        expect(items["CloudWatch alarms"]).to.equal(0.3); // the 3 replication alarms only
    });

    it("prices no replication when a side is detached", () => {
        const detached = site("dr", { recovery: { detached: true } });
        const cost = postureCost(prices, "pilot-light", primary, detached, workload);
        const items = cost.sides.primary.lines.map((l) => l.item);
        expect(items.filter((i) => i.startsWith("Replication") || i.includes("Replication Time"))).to.be.empty;
        expect(byItem(cost.sides.dr.lines)["S3 Standard, noncurrent versions"]).to.equal(0);
    });

    it("reports a price the table does not have as unpriced and leaves it out of the total", () => {
        const ireland = site("dr", { awsRegion: "eu-west-1" });
        const cost = postureCost(prices, "warm-standby", primary, ireland, workload);
        expect(cost.unpriced).to.deep.equal(["eu-west-1: FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB"]);
        expect(cost.sides.dr.lines[0]).to.include({ unitPriceUsd: null, monthlyUsd: null });
        expect(cost.sides.dr.monthlyUsd).to.equal(36.34); // 36.24 + the file system's alarm, no file system
    });

    it("flags a price the table marks as unverified", () => {
        const faster = site("primary", { lustre: { perUnitStorageThroughput: 250 } });
        const line = postureCost(prices, "pilot-light", faster, drPilotLight, workload).sides.primary.lines[0];
        expect(line).to.include({ unitPriceUsd: 0.21, monthlyUsd: 252, estimatedPrice: true });
    });

    it("fails on an unknown region, naming it and the priced regions", () => {
        const mumbai = site("dr", { awsRegion: "ap-south-1" });
        expect(() => postureCost(prices, "pilot-light", primary, mumbai, workload)).to.throw(
            UsageError,
            'no prices for region "ap-south-1" in the price table (as of 2026-11-25): priced regions are us-east-1, us-west-2, eu-west-1',
        );
    });

    it("fails on a shape AWS does not offer, naming the key, the value and the valid choices", () => {
        // The config rejects these before cost runs (components/lustreRules.ts); the table lookup still names them.
        expect(() => lustrePricePerGbMonth(prices, "us-east-1", { deploymentType: "PERSISTENT_2", storageType: "SSD", perUnitStorageThroughput: 300 })).to.throw(
            UsageError,
            "lustre-dr:lustre.perUnitStorageThroughput is 300 for PERSISTENT_2 SSD: expected one of 125, 250, 500, 1000 (MB/s/TiB)",
        );
        expect(() => lustrePricePerGbMonth(prices, "us-east-1", { deploymentType: "PERSISTENT_2", storageType: "HDD", perUnitStorageThroughput: 12 })).to.throw(
            UsageError,
            'lustre-dr:lustre.storageType is "HDD" with PERSISTENT_2: expected one of SSD',
        );
        expect(() => lustrePricePerGbMonth(prices, "us-east-1", { deploymentType: "SCRATCH_1", storageType: "SSD" })).to.throw(
            UsageError,
            'lustre-dr:lustre.deploymentType is "SCRATCH_1": expected one of PERSISTENT_2, PERSISTENT_1, SCRATCH_2',
        );
    });

    it("prices every tier the committed table lists in us-east-1 and fails on none the Lustre rules allow", () => {
        const table = loadPriceTable();
        for (const [deploymentType, storageTypes] of Object.entries(lustreThroughputTiers)) {
            for (const [storageType, tiers] of Object.entries(storageTypes)) {
                for (const perUnitStorageThroughput of tiers.length > 0 ? tiers : [undefined]) {
                    const usd = lustrePricePerGbMonth(table, "us-east-1", { deploymentType, storageType, perUnitStorageThroughput });
                    expect(usd, `${deploymentType} ${storageType} ${perUnitStorageThroughput}`).to.be.a("number").greaterThan(0);
                }
            }
        }
    });

    it("sums the recovery steps: pilot light creates and imports, warm standby only detaches and mounts", () => {
        const pilot = recoveryTime("pilot-light", workload);
        // 1000 GiB / 8 MiB = 128000 objects: 26 s at 5000/s (1 min), 128 s at 1000/s (3 min)
        expect(pilot.steps.map((s) => [s.minMinutes, s.maxMinutes])).to.deep.equal([[2, 5], [10, 30], [10, 30], [1, 3], [1, 5]]);
        expect(pilot).to.include({ minMinutes: 24, maxMinutes: 73 });
        expect(recoveryTime("warm-standby", workload)).to.include({ minMinutes: 3, maxMinutes: 10 });
    });
});
