import { expect } from "chai";
import { setMaxListeners } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DeleteObjectCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { forEachBounded } from "../../../infra/restore/apply";
import { RestoreRefusedError, RestoreResult, restoreToPointInTime } from "../../../infra/restore/restore";
import { UsageError } from "../../../infra/output";
import { emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, fullSnapshot, secondBoundary, snapshot, versionIds } from "../../support/versionedBucket";

/**
 * Restore against the moto emulator. moto reports LastModified in whole seconds, so every scenario writes its
 * history, then takes T just before a second boundary (secondBoundary()), then attacks: no write of the attack
 * can then look as if it happened at or before T.
 */
describe("infra/restore against moto", function () {
    this.timeout(120_000); // ~40 s at a load average of 20 on 2 cores
    let client: S3Client;

    before(async () => {
        client = emulatorS3((await emulatorPair()).dr.endpoint);
    });

    const put = (bucket: string, key: string, body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
    const remove = (bucket: string, key: string) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const restore = (bucket: string, to: Date, extra: Partial<Parameters<typeof restoreToPointInTime>[1]> = {}): Promise<RestoreResult> =>
        restoreToPointInTime({ bucketName: bucket, region: "us-east-1" }, { to, client, ...extra });
    const planned = (result: RestoreResult) => result.plan.copy.count + result.plan.deleteMarker.count;

    it("returns a bucket with ~700 versions over 200 keys to T, key by key and byte by byte, only adding versions", async () => {
        const bucket = await createBucket(client);
        const keys = Array.from({ length: 200 }, (_, i) => `data/${String(i).padStart(4, "0")}/file-${i}.bin`);
        // History before T: 1 to 5 versions per key (about 600 versions), some keys then deleted. Pages of 150
        // entries below make many keys' versions straddle page boundaries.
        await forEachBounded(keys, 16, async (key) => {
            const versions = 1 + (keys.indexOf(key) % 5);
            for (let v = 0; v < versions; v++) {
                await put(bucket, key, `${key} version ${v} ${"x".repeat(v * 7)}`);
            }
        });
        await put(bucket, ".lustre-dr/drill/canary-before", "canary");
        // Delete markers in a later second than the versions they hide: moto's whole-second times cannot order
        // a version and a delete marker written in the same second.
        await secondBoundary();
        const deletedBeforeT = keys.filter((_, i) => i % 25 === 7);
        await forEachBounded(deletedBeforeT, 16, (key) => remove(bucket, key).then(() => undefined));
        const T = await secondBoundary();
        const atT = await snapshot(client, bucket);
        const versionsAtT = await versionIds(client, bucket);

        // The attack: overwrite a fifth, delete a tenth, create new keys, re-create keys deleted before T.
        const overwritten = keys.filter((_, i) => i % 5 === 1);
        const deleted = keys.filter((_, i) => i % 10 === 2);
        const created = Array.from({ length: 25 }, (_, i) => `data/ransom-note-${i}.txt`);
        await forEachBounded(overwritten, 16, async (key) => {
            await put(bucket, key, "encrypted by attacker");
            await put(bucket, key, "encrypted by attacker, twice");
        });
        await forEachBounded(deleted, 16, (key) => remove(bucket, key).then(() => undefined));
        await forEachBounded([...created, ...deletedBeforeT], 16, (key) => put(bucket, key, "pay up").then(() => undefined));
        await put(bucket, ".lustre-dr/drill/canary-after", "canary written by a drill after T");
        const attackedVersions = await versionIds(client, bucket);

        const planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "plan.json");
        const dryRun = await restore(bucket, T, { dryRun: true, planFile, pageSize: 150 });
        // Keys deleted before T were absent at T: whatever the attack did to them, they end behind a delete marker.
        const expectedCopies = new Set([...overwritten, ...deleted].filter((key) => !deletedBeforeT.includes(key))).size;
        expect(dryRun.plan.copy.count).to.equal(expectedCopies);
        expect(dryRun.plan.deleteMarker.count).to.equal(created.length + deletedBeforeT.length);
        expect(dryRun.plan.reserved).to.equal(2);
        expect(dryRun.applied).to.deep.equal({ copies: 0, deleteMarkers: 0, bytesCopied: 0 });
        const written = JSON.parse(fs.readFileSync(planFile, "utf8")) as { to: string; actions: Array<{ key: string; action: string }>; summary: RestoreResult };
        expect(written.to).to.equal(T.toISOString());
        expect(written.actions).to.have.length(planned(dryRun));
        expect(written.summary.plan.copy.bytes).to.equal(dryRun.plan.copy.bytes);

        const result = await restore(bucket, T, { concurrency: 16, pageSize: 150 });
        expect(result.failures.count).to.equal(0);
        expect(result.applied.copies).to.equal(expectedCopies);
        // The run lists each key before writing to it, so this also proves the dry run wrote nothing.
        expect(result.versionsListed).to.equal(attackedVersions.size);
        expect(result.versionsListed).to.be.greaterThan(650);

        const restored = await snapshot(client, bucket);
        const expected = new Map(atT);
        expected.set(".lustre-dr/drill/canary-after", { body: "canary written by a drill after T", metadata: {}, tags: {} });
        expect([...restored.keys()]).to.deep.equal([...expected.keys()].sort());
        for (const [key, state] of expected) {
            expect(restored.get(key)?.body, key).to.equal(state.body);
        }
        const versionsAfter = await versionIds(client, bucket);
        expect([...versionsAtT].filter((id) => !versionsAfter.has(id)), "versions lost").to.deep.equal([]);
        expect(versionsAfter.size).to.equal(attackedVersions.size + planned(result));

        const again = await restore(bucket, T, { pageSize: 150 });
        expect(planned(again), "second run").to.equal(0);
        expect((await versionIds(client, bucket)).size).to.equal(versionsAfter.size);
    });

    it("resumes after a run killed part-way (an error from onProgress, then an abort) and converges", async () => {
        const bucket = await createBucket(client);
        const keys = Array.from({ length: 80 }, (_, i) => `k/${i}`);
        await forEachBounded(keys, 16, (key) => put(bucket, key, `good ${key}`).then(() => undefined));
        const T = await secondBoundary();
        const atT = await snapshot(client, bucket);
        await forEachBounded(keys, 16, (key) => put(bucket, key, "bad").then(() => undefined));

        const crash = new Error("simulated crash");
        const killed = await restore(bucket, T, {
            concurrency: 4,
            onProgress: (progress) => {
                if (progress.actionsDone >= 30) throw crash;
            },
        }).then(() => undefined, (error: unknown) => error);
        expect(killed).to.equal(crash);
        const partly = await snapshot(client, bucket);
        const restoredSoFar = keys.filter((key) => partly.get(key)?.body === atT.get(key)?.body).length;
        expect(restoredSoFar).to.be.within(30, 40);

        const controller = new AbortController();
        const aborted = await restore(bucket, T, {
            concurrency: 4,
            signal: controller.signal,
            onProgress: (progress) => {
                if (progress.actionsDone >= 20) controller.abort();
            },
        }).then(() => undefined, (error: unknown) => error);
        expect((aborted as Error).name).to.equal("AbortError");

        const resumed = await restore(bucket, T);
        expect(planned(resumed)).to.be.within(1, keys.length - restoredSoFar - 20);
        expect(resumed.failures.count).to.equal(0);
        expect(await snapshot(client, bucket)).to.deep.equal(atT);
        expect(planned(await restore(bucket, T))).to.equal(0);
    });

    it("restores only the given prefix", async () => {
        const bucket = await createBucket(client);
        for (const key of ["team-a/x", "team-a/y", "team-b/x"]) await put(bucket, key, `good ${key}`);
        const T = await secondBoundary();
        for (const key of ["team-a/x", "team-b/x"]) await put(bucket, key, "bad");
        await put(bucket, "team-a/new", "bad");
        await put(bucket, "team-b/new", "bad");

        const result = await restore(bucket, T, { prefix: "team-a/" });
        expect(result.plan.copy.firstKeys).to.deep.equal(["team-a/x"]);
        expect(result.plan.deleteMarker.firstKeys).to.deep.equal(["team-a/new"]);
        const now = await snapshot(client, bucket);
        expect([...now.entries()].map(([key, state]) => `${key}=${state.body}`)).to.deep.equal([
            "team-a/x=good team-a/x",
            "team-a/y=good team-a/y",
            "team-b/new=bad",
            "team-b/x=bad",
        ]);
    });

    it("restores keys with spaces and unicode, keeping content type, metadata and tags", async () => {
        const bucket = await createBucket(client);
        const keys = ["dir with spaces/file name.txt", "données/é ü 日本語/ファイル.txt", "emoji 😀/a+b=c&d?e#f%20.txt", "trailing space "];
        for (const key of keys) {
            await put(bucket, key, `good ${key}`, { ContentType: "text/x-good", Metadata: { owner: "alice", mode: "0640" }, Tagging: "class=keep&note=two%20words" });
        }
        const T = await secondBoundary();
        const atT = await snapshot(client, bucket, { withTags: true });
        for (const key of keys) {
            await put(bucket, key, "bad", { ContentType: "application/octet-stream", Metadata: { owner: "mallory" }, Tagging: "class=pwned" });
        }
        await remove(bucket, keys[1]);

        const result = await restore(bucket, T);
        expect(result.failures).to.deep.equal({ count: 0, first: [] });
        expect(await snapshot(client, bucket, { withTags: true })).to.deep.equal(atT);
        expect(atT.get(keys[0])).to.deep.include({ contentType: "text/x-good", tags: { class: "keep", note: "two words" } });
        expect(planned(await restore(bucket, T))).to.equal(0);
    });

    it("copies objects above the multipart threshold part by part, keeping metadata and tags", async () => {
        const bucket = await createBucket(client);
        const big = "0123456789abcdef".repeat((6 * 1024 * 1024) / 16); // 6 MiB: a 5 MiB part and a 1 MiB part
        await put(bucket, "big object.bin", big, {
            ContentType: "application/x-big",
            CacheControl: "no-cache",
            Expires: new Date("2030-01-01T00:00:00Z"),
            Metadata: { owner: "alice" },
            Tagging: "size=big",
            StorageClass: "STANDARD_IA",
        });
        const T = await secondBoundary();
        const atT = await fullSnapshot(client, bucket, ["big object.bin"]);
        await put(bucket, "big object.bin", "small now");

        const result = await restore(bucket, T, { apply: { multipartThresholdBytes: 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 } });
        expect(result.applied).to.deep.equal({ copies: 1, deleteMarkers: 0, bytesCopied: big.length });
        expect(await fullSnapshot(client, bucket, ["big object.bin"])).to.deep.equal(atT);
        expect(atT.get("big object.bin")).to.deep.include({ storageClass: "STANDARD_IA", expires: "Tue, 01 Jan 2030 00:00:00 GMT" });
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "big object.bin" }));
        expect(head.ETag, "a multipart ETag").to.match(/-2"$/);
    });

    it("keeps listeners on the run's abort signal and the plan file bounded at concurrency 32 (no MaxListenersExceededWarning)", async () => {
        const bucket = await createBucket(client);
        const keys = Array.from({ length: 300 }, (_, i) => `many/${String(i).padStart(4, "0")}-${"long-name-".repeat(8)}`);
        await forEachBounded(keys, 16, (key) => put(bucket, key, "good").then(() => undefined));
        const T = await secondBoundary();
        // Another size: the listing decides, no reads slow the writers down, so they pile up on the plan file.
        await forEachBounded(keys, 16, (key) => put(bucket, key, "encrypted").then(() => undefined));
        const warnings: Error[] = [];
        const onWarning = (warning: Error) => warnings.push(warning);
        process.on("warning", onWarning);
        try {
            const controller = new AbortController();
            // Node 22 and later set no listener limit on an AbortController's signal; Node 20 (which package.json
            // allows) warns past 10 listeners, as every EventTarget does. Give the signal that limit here too.
            setMaxListeners(10, controller.signal);
            const planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "plan.json");
            const dryRun = await restore(bucket, T, { dryRun: true, planFile, concurrency: 32, signal: controller.signal });
            expect(dryRun.plan.copy.count).to.equal(keys.length);
            const result = await restore(bucket, T, { concurrency: 32, signal: controller.signal });
            expect(result.applied.copies).to.equal(keys.length);
            // Warnings are emitted on the next tick.
            await new Promise((resolve) => setImmediate(resolve));
        } finally {
            process.removeListener("warning", onWarning);
        }
        expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning").map((warning) => warning.message)).to.deep.equal([]);
    });

    it("does nothing on an empty bucket", async () => {
        const bucket = await createBucket(client);
        const result = await restore(bucket, new Date(Date.now() - 60_000));
        expect(result).to.deep.include({ keys: 0, versionsListed: 0 });
        expect(planned(result)).to.equal(0);
    });

    it("refuses a T before anything the bucket recorded, and writes nothing", async () => {
        const bucket = await createBucket(client);
        const T = await secondBoundary();
        await put(bucket, "a", "1");
        await remove(bucket, "b").catch(() => undefined);
        const before = await versionIds(client, bucket);
        const error = await restore(bucket, T).then(() => undefined, (e: unknown) => e);
        expect(error).to.be.instanceOf(RestoreRefusedError);
        expect((error as Error).message).to.match(/before anything S3 recorded .* Give a later --to/);
        expect(await versionIds(client, bucket)).to.deep.equal(before);
    });

    it("refuses a T in the future, a reserved prefix and a bucket without versioning", async () => {
        const bucket = await createBucket(client);
        const future = await restore(bucket, new Date(Date.now() + 3_600_000)).then(() => undefined, (e: unknown) => e);
        expect((future as Error).message).to.match(/--to is .* in the future/);
        const reserved = await restore(bucket, new Date(), { prefix: ".lustre-dr/drill/" }).then(() => undefined, (e: unknown) => e);
        expect(reserved).to.be.instanceOf(UsageError);

        const unversioned = await createBucket(client, "none");
        const never = await restore(unversioned, new Date()).then(() => undefined, (e: unknown) => e);
        expect((never as Error).message).to.match(/versioning never enabled/);
        await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } }));
        const suspended = await restore(bucket, new Date()).then(() => undefined, (e: unknown) => e);
        expect((suspended as Error).message).to.match(/versioning Suspended/);
    });

    it("leaves alone, and reports, keys overwritten without versioning after T", async () => {
        const bucket = await createBucket(client, "none");
        await put(bucket, "base", "written before T, before versioning");
        await put(bucket, "later", "before T");
        const T = await secondBoundary();
        await put(bucket, "later", "overwritten in place after T, before versioning was enabled");
        await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
        await put(bucket, "base", "after T, versioned");

        const result = await restore(bucket, T);
        expect(result.plan.unknown.count).to.equal(1);
        expect(result.plan.unknown.first[0].key).to.equal("later");
        expect(result.applied.copies).to.equal(1);
        const now = await snapshot(client, bucket);
        expect(now.get("base")?.body).to.equal("written before T, before versioning");
        expect(now.get("later")?.body).to.equal("overwritten in place after T, before versioning was enabled");
    });
});
