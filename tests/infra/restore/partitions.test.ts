import { expect } from "chai";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { forEachBounded } from "../../../infra/restore/apply";
import { extrapolateKey, midpointKey, PartitionProgress, PartitionedPlanStats, planPartitioned } from "../../../infra/restore/partitions";
import { compareKeys, KeyPlan, planRestore } from "../../../infra/restore/plan";
import { RestoreResult, restoreToPointInTime } from "../../../infra/restore/restore";
import { listVersions } from "../../../infra/restore/versions";
import { emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, secondBoundary } from "../../support/versionedBucket";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
}

describe("infra/restore/partitions: midpointKey", () => {
    it("finds a key strictly between two keys in S3's (code point) order", () => {
        for (const [low, high] of [
            ["data/000000001", "data/000999999"],
            ["a", "b"],
            ["photos/ä", "photos/😀"],
            ["x", undefined],
            ["dir/", "dir0"],
        ] as const) {
            const middle = midpointKey(low, high);
            expect(middle, `${low} .. ${high}`).to.be.a("string");
            expect(compareKeys(low, middle as string)).to.equal(-1);
            if (high !== undefined) expect(compareKeys(middle as string, high)).to.equal(-1);
            expect(middle).to.not.match(/[\u0000\ud800-\udfff]/u);
        }
        expect(midpointKey("data/000000001", "data/000999999")?.startsWith("data/000")).to.equal(true);
    });

    it("stays within the prefix for an open end and gives up when nothing fits between", () => {
        expect(midpointKey("logs/a", undefined, "logs/")?.startsWith("logs/")).to.equal(true);
        expect(midpointKey("a", "a")).to.equal(undefined);
        expect(midpointKey("a", "a\u0001")).to.equal(undefined);
        expect(midpointKey("b", "a")).to.equal(undefined);
    });
});

describe("infra/restore/partitions: partitioned planner against moto", function () {
    this.timeout(120_000);
    let client: S3Client;
    let bucket: string;
    let T: Date;
    const keys: string[] = [];

    before(async () => {
        client = emulatorS3((await emulatorPair()).dr.endpoint);
        bucket = await createBucket(client);
        // A tree (dirs with files), a flat directory, a "directory object" equal to a common prefix, keys outside any
        // directory, unicode and characters URL encoding cares about.
        for (let d = 0; d < 6; d++) for (let f = 0; f < 12; f++) keys.push(`tree/d${d}/f${String(f).padStart(3, "0")}`);
        for (let f = 0; f < 90; f++) keys.push(`flat/${String(f * 37).padStart(6, "0")}.bin`);
        keys.push("tree/d3/", "top-level.txt", "tree/d2/a b+c.txt", "tree/d4/ünï😀.dat", ".lustre-dr/drill/canary");
        await forEachBounded(keys, 16, async (key) => {
            const versions = 1 + (key.length % 3);
            for (let v = 0; v < versions; v++) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${key} ${v}` }));
        });
        T = await secondBoundary();
        await forEachBounded(
            keys.filter((_, i) => i % 7 === 1),
            16,
            async (key) => void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "changed" }))),
        );
        await forEachBounded(
            keys.filter((_, i) => i % 11 === 2),
            16,
            async (key) => void (await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
        );
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "tree/d5/new-after-T", Body: "x" }));
    });
    // Closes the client's keep-alive sockets: moto waits for open connections when it is stopped.
    after(() => client.destroy());

    const sequential = async (prefix = ""): Promise<KeyPlan[]> =>
        collect(planRestore(listVersions(client, bucket, { prefix, pageSize: 7 }), { to: T }));

    for (const concurrency of [2, 8]) {
        it(`plans every key exactly once, as the sequential listing does (concurrency ${concurrency})`, async () => {
            const expected = await sequential();
            const done: PartitionProgress[] = [];
            const stats: PartitionedPlanStats = { discoveryRequests: 0, probeRequests: 0, listRequests: 0, partitions: 0 };
            const plans = await collect(
                planPartitioned(client, bucket, { to: T, concurrency, pageSize: 7, onPartition: (p) => p.state === "done" && done.push(p) }, stats),
            );
            expect(plans.map((plan) => plan.key)).to.have.members(expected.map((plan) => plan.key));
            expect(new Set(plans.map((plan) => plan.key)).size).to.equal(plans.length);
            const byKey = new Map(plans.map((plan) => [plan.key, plan]));
            expect(expected.map((plan) => byKey.get(plan.key))).to.deep.equal(expected);
            expect(stats.partitions).to.be.greaterThan(1);
            expect(done).to.have.length(stats.partitions);

            // Ranges in key order, each range's keys in the order they came: exactly the sequential order.
            const ranges = [...done].sort((a, b) => (a.after === undefined ? -1 : b.after === undefined ? 1 : compareKeys(a.after, b.after)));
            const rangeOf = (key: string) =>
                ranges.findIndex((r) => (r.after === undefined || compareKeys(key, r.after) > 0) && (r.upTo === undefined || compareKeys(key, r.upTo) <= 0));
            for (let i = 1; i < ranges.length; i++) expect(ranges[i].after, JSON.stringify(ranges)).to.equal(ranges[i - 1].upTo);
            const concatenated = ranges.flatMap((_, index) => plans.filter((plan) => rangeOf(plan.key) === index).map((plan) => plan.key));
            expect(concatenated).to.deep.equal(expected.map((plan) => plan.key));
            expect(done.reduce((sum, p) => sum + p.versions, 0)).to.be.greaterThan(keys.length);
        });
    }

    it("gives restore the same plan with --list-concurrency as with one sequential listing", async () => {
        const run = (listConcurrency: number) =>
            restoreToPointInTime({ bucketName: bucket, region: "us-east-1" }, { to: T, client, dryRun: true, listConcurrency, pageSize: 9 });
        const [sequentialRun, partitionedRun] = [await run(1), await run(6)];
        const counts = (result: RestoreResult) => ({
            versionsListed: result.versionsListed,
            keys: result.keys,
            copy: [result.plan.copy.count, result.plan.copy.bytes],
            deleteMarker: result.plan.deleteMarker.count,
            rest: [result.plan.unchanged, result.plan.absent, result.plan.reserved, result.plan.unknown.count],
        });
        expect(counts(partitionedRun)).to.deep.equal(counts(sequentialRun));
        expect(sequentialRun.plan.copy.count).to.be.greaterThan(0);
        expect(sequentialRun.plan.deleteMarker.count).to.equal(1);
    });

    it("splits a flat directory by bisection when the tree offers no split points", async () => {
        const expected = await sequential("flat/");
        const stats: PartitionedPlanStats = { discoveryRequests: 0, probeRequests: 0, listRequests: 0, partitions: 0 };
        const plans = await collect(planPartitioned(client, bucket, { to: T, concurrency: 4, pageSize: 5, prefix: "flat/"}, stats));
        expect(plans.map((plan) => plan.key).sort(compareKeys)).to.deep.equal(expected.map((plan) => plan.key));
        expect(stats.probeRequests).to.be.greaterThan(0);
        expect(stats.partitions).to.be.greaterThan(1);
    });
});

describe("infra/restore/command: listing progress per key range", () => {
    it("shows each range being listed with its bounds, cursor and versions, every interval, and the end", async () => {
        const { partitionReporter } = await import("../../../infra/restore/command");
        const lines: string[] = [];
        let clock = 0;
        const report = partitionReporter({ json: false, progress: (line: string) => lines.push(line), result: () => undefined }, 5000, () => clock);
        report({ id: 0, state: "listing", versions: 0, pages: 0, upTo: "data/d0001/000000100" });
        report({ id: 1, state: "queued", versions: 0, pages: 0, after: "data/d0001/000000100" });
        expect(lines).to.deep.equal([]);
        clock = 5000;
        report({ id: 0, state: "listing", versions: 12_000, pages: 12, upTo: "data/d0001/000000100", cursor: "data/d0000/000000042" });
        expect(lines).to.deep.equal([
            'listing: 0 key ranges done, 1 listing, 1 queued, 12,000 versions\n  range 0 (…, "data/d0001/000000100"]: at "data/d0000/000000042", 12,000 versions',
        ]);
        report({ id: 0, state: "done", versions: 12_500, pages: 13, upTo: "data/d0001/000000100" });
        report({ id: 1, state: "done", versions: 500, pages: 1, after: "data/d0001/000000100" });
        expect(lines[lines.length - 1]).to.equal("listing: all 2 key ranges done, 13,000 versions");
    });

    it("stays silent with --json", async () => {
        const { partitionReporter } = await import("../../../infra/restore/command");
        const lines: string[] = [];
        const report = partitionReporter({ json: true, progress: (line: string) => lines.push(line), result: () => undefined }, 0);
        report({ id: 0, state: "done", versions: 1, pages: 1 });
        expect(lines).to.deep.equal([]);
    });
});

describe("infra/restore/partitions: extrapolateKey", () => {
    it("guesses a key as far beyond the cursor as the cursor is beyond the first key", () => {
        expect(extrapolateKey("data/000000100", "data/000000300")).to.equal("data/000000500");
        const beyond = extrapolateKey("flat/000000.bin", "flat/000148.bin") as string;
        expect(compareKeys(beyond, "flat/000148.bin")).to.equal(1);
        expect(compareKeys(beyond, "flat/0003")).to.equal(-1);
        expect(extrapolateKey("b", "a")).to.equal(undefined);
        expect(extrapolateKey("a", "\u007e")).to.equal(undefined);
    });
});
