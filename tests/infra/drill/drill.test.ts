import { expect } from "chai";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { SideRole } from "../../../infra/aws/sides";
import { DrillBucket, ReplicationStatusReader } from "../../../infra/drill/buckets";
import { runPrefix } from "../../../infra/drill/canaries";
import { DrillOptions, runDrill } from "../../../infra/drill/drill";
import { nextPollDelay, PollSchedule } from "../../../infra/drill/poll";
import { emulatorCredentials, emulatorPair } from "../../emulator/moto";
import { EmulatedBucketPair, emulatedBucketPair, ReplicationCopier, ReplicationCopierOptions } from "../../emulator/replicationCopier";

const delayMs = 300;
/** Faster than the default (250 ms doubling to 1 s) where a test is about verdicts, not about measuring. */
const quickPoll = { initialMs: 100, factor: 2, maxMs: 400 };
/**
 * Objective of the tests where one leg never arrives, which wait it out; the healthy legs beside it must still pass
 * within it, so it is many times the copier's delay (a 300 ms copy took over 1 s at a load average of 40 on 2 cores).
 */
const brokenLegObjectiveSeconds = 5;

/** How many polls `schedule` sends before a deadline `ms` after the write: one after each wait that starts in time. */
function pollsWithin(ms: number, schedule: PollSchedule): number {
    let count = 0;
    for (let waited = 0, delay: number | undefined; waited < ms; count++) {
        delay = nextPollDelay(delay, schedule);
        waited += delay;
    }
    return count;
}

function drillSides(buckets: EmulatedBucketPair): Record<SideRole, DrillBucket> {
    return {
        primary: { role: "primary", client: buckets.primary.client, bucket: buckets.primary.bucket, region: buckets.primary.region },
        dr: { role: "dr", client: buckets.dr.client, bucket: buckets.dr.bucket, region: buckets.dr.region },
    };
}

/** The copier knows what S3 would report; moto reports nothing. */
const statusFrom =
    (copier: ReplicationCopier): ReplicationStatusReader =>
    async (side, key, versionId) =>
        copier.replicationStatus(side.role, key, versionId);

async function currentKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    return (listed.Versions ?? []).filter((v) => v.IsLatest).map((v) => v.Key!);
}

async function snapshot(client: S3Client, bucket: string): Promise<string> {
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const describe = (items: Array<{ Key?: string; VersionId?: string; IsLatest?: boolean }> | undefined, kind: string) =>
        (items ?? []).map((v) => `${kind} ${v.Key} ${v.VersionId} ${v.IsLatest}`);
    return [...describe(listed.Versions, "version"), ...describe(listed.DeleteMarkers, "marker")].sort().join("\n");
}

describe("infra/drill against the emulator", function () {
    this.timeout(60_000);
    let buckets: EmulatedBucketPair;
    let copier: ReplicationCopier;

    const startCopier = async (options: Partial<ReplicationCopierOptions> = {}) => {
        copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs, ...options });
        await copier.start();
    };
    const drill = (options: Partial<DrillOptions> = {}) =>
        runDrill({
            ...drillSides(buckets),
            canaries: 3,
            // Far above the copier's 300 ms: a healthy leg passes however loaded the machine. Only the tests of a
            // broken leg, which waits the whole objective, pay for its length, so they set a shorter one.
            objectiveSeconds: 30,
            loopSettleMs: 600,
            cleanupSettleMs: 2 * delayMs,
            replicationStatus: statusFrom(copier),
            ...options,
        });

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "drill");
    });
    afterEach(async () => {
        await copier?.stop();
    });

    it("passes on a healthy pair, with lags that bracket the copier's true ones, and cleans up", async () => {
        await startCopier();
        const { result, canaries } = await drill();

        expect(result.failures).to.deep.equal([]);
        expect(result.passed).to.equal(true);
        expect(result.legs.map((l) => `${l.name} ${l.expected - l.missed}/${l.expected}`)).to.have.members([
            "s3-object primary->dr 3/3",
            "s3-object dr->primary 3/3",
            "s3-delete-marker primary->dr 3/3",
            "s3-delete-marker dr->primary 3/3",
        ]);
        expect(result.checks.map((c) => `${c.name}: ${c.status}`)).to.have.members([
            "content primary->dr: passed",
            "content dr->primary: passed",
            "replication-status primary->dr: passed",
            "replication-status dr->primary: passed",
            "loop: passed",
        ]);
        // Every estimate's bracket holds the moment the copier made the replica visible, somewhere inside its write
        // (from sending it to the write returning): exact bounds from both clocks, whatever the machine's load.
        const replicated = copier.replications();
        for (const trace of canaries) {
            const record = replicated.find((r) => r.key === trace.key && r.from === trace.from && r.deleteMarker === (trace.kind === "s3-delete-marker"));
            expect(record, trace.key).to.not.equal(undefined);
            const halfBracket = (trace.seenAt! - Math.max(trace.writtenAt, trace.lastMissSentAt ?? trace.writtenAt)) / 2;
            expect(trace.lagMs! + halfBracket, trace.key).to.be.at.least(record!.writeStartedAt - trace.writtenAt - 1);
            expect(trace.lagMs! - halfBracket, trace.key).to.be.at.most(record!.replicatedAt - trace.writtenAt + 1);
            // the copier waited its delay after noticing the canary
            expect(record!.writeStartedAt - record!.seenAt, trace.key).to.be.at.least(delayMs - 1);
        }
        // Each leg reports its canaries' own estimates and the widest of their brackets. How tight the brackets are
        // depends on the machine's load (the polls run late on a busy one), so that is measured in BENCHMARKS.md, not
        // asserted here.
        for (const leg of result.legs) {
            const traces = canaries.filter((t) => `${t.kind} ${t.from}->${t.to}` === leg.name);
            const lags = traces.map((t) => t.lagMs!);
            const halfBrackets = traces.map((t) => (t.seenAt! - Math.max(t.writtenAt, t.lastMissSentAt ?? t.writtenAt)) / 2);
            expect(traces, leg.name).to.have.length(3);
            expect(leg.stats!.minSeconds, leg.name).to.be.closeTo(Math.min(...lags) / 1000, 0.001);
            expect(leg.stats!.maxSeconds, leg.name).to.be.closeTo(Math.max(...lags) / 1000, 0.001);
            expect(leg.stats!.uncertaintySeconds, leg.name).to.be.closeTo(Math.max(...halfBrackets) / 1000, 0.001);
            expect(leg.stats!.uncertaintySeconds, leg.name).to.be.above(0);
        }
        expect(result.cleanup.leftover).to.deep.equal([]);
        const prefix = runPrefix(result.runId);
        expect(await currentKeys(buckets.primary.client, buckets.primary.bucket, prefix)).to.deep.equal([]);
        expect(await currentKeys(buckets.dr.client, buckets.dr.bucket, prefix)).to.deep.equal([]);
        expect(copier.errors()).to.deep.equal([]);
    });

    it("fails within the objective, naming the direction, when replication is stopped", async () => {
        await startCopier({ toDr: { stopped: true } });
        const { result, polls } = await drill({ canaries: 2, objectiveSeconds: brokenLegObjectiveSeconds, poll: quickPoll, loopSettleMs: 400 });
        // It stopped polling the stopped direction at the objective: no more listings than the schedule fits in it
        // (fewer on a loaded machine, where waits run late).
        const stopped = polls.find((p) => p.kind === "s3-object" && p.from === "primary");
        expect(stopped?.requests).to.be.within(1, pollsWithin(brokenLegObjectiveSeconds * 1000, quickPoll));
        expect(result.passed).to.equal(false);
        expect(result.failures.slice(0, 2)).to.deep.equal([
            `s3-object primary->dr: 2 of 2 canaries did not arrive within the ${brokenLegObjectiveSeconds} s objective`,
            "s3-delete-marker primary->dr: not measured, no canary could be sent over it",
        ]);
        expect(result.failures.join("\n")).to.not.match(/s3-object dr->primary/);
        expect(result.legs.find((l) => l.name === "s3-object dr->primary")?.passed).to.equal(true);
        expect(result.checks.find((c) => c.name === "loop")?.status).to.equal("skipped");
    });

    it("fails the delete-marker leg when delete markers are not replicated", async () => {
        await startCopier({ toPrimary: { replicateDeleteMarkers: false } });
        const { result } = await drill({ canaries: 2, objectiveSeconds: brokenLegObjectiveSeconds, poll: quickPoll, loopSettleMs: 400 });
        expect(result.passed).to.equal(false);
        expect(result.failures).to.deep.equal([
            `s3-delete-marker dr->primary: 2 of 2 canaries did not arrive within the ${brokenLegObjectiveSeconds} s objective`,
        ]);
        expect(result.legs.find((l) => l.name === "s3-object dr->primary")?.passed).to.equal(true);
    });

    it("fails the loop check when replicas are replicated again (ping-pong)", async () => {
        await startCopier({ pingPong: true });
        const { result } = await drill({ canaries: 1, cleanupSettleMs: 200, poll: quickPoll });
        const loop = result.checks.find((c) => c.name === "loop");
        expect(loop?.status).to.equal("failed");
        // which side grows within the watch window depends on the copier and the load: either shows the loop
        expect(loop?.detail).to.match(/still growing.*(primary|dr) \d+ -> \d+/);
        expect(result.passed).to.equal(false);
    });

    it("on interruption cleans up its canaries and touches no other key", async () => {
        const seeds: Array<[S3Client, string, string]> = [
            [buckets.primary.client, buckets.primary.bucket, "data/keep.txt"],
            [buckets.primary.client, buckets.primary.bucket, ".lustre-dr/drill/20200101t000000z-old/primary-to-dr/canary-0000"],
            [buckets.dr.client, buckets.dr.bucket, "data/keep-dr.txt"],
            [buckets.dr.client, buckets.dr.bucket, ".lustre-dr/drill-history.jsonl"],
        ];
        for (const [client, bucket, key] of seeds) {
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `seed ${key}` }));
        }
        await startCopier();
        const before = [await snapshot(buckets.primary.client, buckets.primary.bucket), await snapshot(buckets.dr.client, buckets.dr.bucket)];

        // Interrupted mid-run, once all 8 canaries are written and their replicas in flight: on that event rather
        // than after a fixed time, which on a loaded machine can fall before the first write.
        const controller = new AbortController();
        let canariesWritten = 0;
        // The drill gets clients of its own, so that the copier's replica writes are not counted.
        const sides = drillSides(buckets);
        const drillClients = (["primary", "dr"] as const).map((role) => {
            const client = new S3Client({ endpoint: buckets[role].endpoint, region: buckets[role].region, forcePathStyle: true, credentials: emulatorCredentials });
            sides[role] = { ...sides[role], client };
            return client;
        });
        for (const client of drillClients) {
            client.middlewareStack.add(
                (next, context) => async (args) => {
                    const output = await next(args);
                    const key = (args.input as { Key?: string }).Key ?? "";
                    if (context.commandName === "PutObjectCommand" && /\/canary-\d+$/.test(key) && ++canariesWritten === 8) {
                        controller.abort();
                    }
                    return output;
                },
                { step: "initialize", name: "abortOnceWritten" },
            );
        }
        const { result } = await drill({ ...sides, canaries: 4, poll: quickPoll, signal: controller.signal });
        expect(canariesWritten).to.equal(8);

        expect(result.interrupted).to.equal(true);
        expect(result.passed).to.equal(false);
        expect(result.failures).to.include("interrupted before every leg and check ran");
        expect(result.cleanup.deleteMarkersWritten).to.be.at.least(8);
        await copier.stop();
        const prefix = runPrefix(result.runId);
        expect(await currentKeys(buckets.primary.client, buckets.primary.bucket, prefix)).to.deep.equal([]);
        expect(await currentKeys(buckets.dr.client, buckets.dr.bucket, prefix)).to.deep.equal([]);

        const withoutRun = (text: string) =>
            text
                .split("\n")
                .filter((line) => !line.includes(prefix))
                .join("\n");
        expect(withoutRun(await snapshot(buckets.primary.client, buckets.primary.bucket))).to.equal(before[0]);
        expect(withoutRun(await snapshot(buckets.dr.client, buckets.dr.bucket))).to.equal(before[1]);
        for (const [client, bucket, key] of seeds) {
            const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            expect(await object.Body?.transformToString()).to.equal(`seed ${key}`);
        }
    });
});

describe("infra/drill when AWS refuses", function () {
    this.timeout(60_000);

    it("records a failed run naming the error instead of throwing, and cleans up the side it can reach", async () => {
        const buckets = await emulatedBucketPair(await emulatorPair(), "drillerr");
        const sides = drillSides(buckets);
        // the dr account lets the drill write but not list, as a policy without s3:ListBucketVersions would
        const deniedLists = new S3Client({ endpoint: buckets.dr.endpoint, region: buckets.dr.region, forcePathStyle: true, credentials: emulatorCredentials });
        deniedLists.middlewareStack.add(
            (next, context) => async (args) => {
                if (context.commandName === "ListObjectVersionsCommand") {
                    throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
                }
                return next(args);
            },
            { step: "initialize", name: "denyListing" },
        );
        const { result } = await runDrill({
            primary: sides.primary,
            dr: { ...sides.dr, client: deniedLists },
            canaries: 1,
            objectiveSeconds: 1,
            cleanupSettleMs: 50,
        });
        expect(result.passed).to.equal(false);
        // the message names the side, its bucket and region, and the call that was refused
        const refused = `dr bucket ${buckets.dr.bucket} (us-west-2): s3:ListBucketVersions: AccessDenied: Access Denied (the credentials lack s3:ListBucketVersions)`;
        expect(result.checks.find((c) => c.name === "run")?.detail).to.equal(`stopped by an error: ${refused}`);
        expect(result.failures).to.include(`run: stopped by an error: ${refused}`);
        expect(result.cleanup.leftover).to.deep.equal([`cleanup failed on ${refused}`]);
        expect(result.cleanup.command).to.equal(
            `lustre-dr drill --clean-up ${result.runId} --primary-bucket ${buckets.primary.bucket} --primary-region us-east-1 ` +
                `--dr-bucket ${buckets.dr.bucket} --dr-region us-west-2`,
        );
        // the primary canary was written, and is behind a delete marker all the same
        const prefix = runPrefix(result.runId);
        const onPrimary = await buckets.primary.client.send(new ListObjectVersionsCommand({ Bucket: buckets.primary.bucket, Prefix: prefix }));
        expect(onPrimary.Versions ?? []).to.have.length(1);
        expect(await currentKeys(buckets.primary.client, buckets.primary.bucket, prefix)).to.deep.equal([]);
    });
});
