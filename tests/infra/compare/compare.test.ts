/**
 * compareBuckets and compareKeyAcross against two moto servers (one per side, as the drill and runbook tests run),
 * with the emulator copier playing replication where a test needs it. moto gives every write a new version id, so
 * these tests exercise the HEAD path; the same-version-id shortcut (what S3 replication produces) is tested with
 * aws-sdk-client-mock in sameVersion.test.ts.
 */
import {
    DeleteObjectCommand,
    HeadObjectCommand,
    PutObjectCommand,
    PutObjectCommandInput,
    PutObjectTaggingCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { CompareOptions, CompareResult, CompareSide, compareBuckets, differingCount, KeyDivergence } from "../../../infra/compare/compare";
import { compareKeyAcross } from "../../../infra/compare/key";
import { describeCompare } from "../../../infra/compare/report";
import { UsageError } from "../../../infra/output";
import { emulatorPair } from "../../emulator/moto";
import { EmulatedBucketPair, emulatedBucketPair, ReplicationCopier } from "../../emulator/replicationCopier";

type Role = "primary" | "dr";

/** Counts every command a client sends, so a test can prove compare wrote nothing. */
function countCommands(client: S3Client): Map<string, number> {
    const counts = new Map<string, number>();
    client.middlewareStack.add(
        (next, context) => async (args) => {
            const name = (context.commandName ?? "unknown").replace(/Command$/, "");
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return next(args);
        },
        { step: "initialize", name: `compareTestCounter${Math.random()}` },
    );
    return counts;
}

const readOnlyCommands = new Set(["ListObjectVersions", "HeadObject", "GetObjectTagging"]);

describe("infra/compare against the emulator", function () {
    this.timeout(60_000);
    let buckets: EmulatedBucketPair;
    let sides: Record<Role, CompareSide>;
    /** Clients used by compare only (writes go through the buckets' own clients), so counts are compare's alone. */
    let sent: Record<Role, Map<string, number>>;

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "compare", { replication: false });
        const reader = (role: Role): CompareSide => {
            const b = buckets[role];
            const client = new S3Client({ endpoint: b.endpoint, region: b.region, forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
            return { side: role, client, bucket: b.bucket, region: b.region };
        };
        sides = { primary: reader("primary"), dr: reader("dr") };
        sent = { primary: countCommands(sides.primary.client), dr: countCommands(sides.dr.client) };
    });

    afterEach(() => {
        // Whatever a test did, compare itself only read.
        for (const role of ["primary", "dr"] as const) {
            const writes = [...sent[role].keys()].filter((name) => !readOnlyCommands.has(name));
            expect(writes, `${role} side`).to.deep.equal([]);
        }
    });

    const put = (role: Role, key: string, body: string, extra: Partial<PutObjectCommandInput> = {}) =>
        buckets[role].client.send(new PutObjectCommand({ Bucket: buckets[role].bucket, Key: key, Body: body, ...extra }));
    const putBoth = async (key: string, body: string, extra: Partial<PutObjectCommandInput> = {}) => {
        await put("primary", key, body, extra);
        await put("dr", key, body, extra);
    };
    const remove = (role: Role, key: string) => buckets[role].client.send(new DeleteObjectCommand({ Bucket: buckets[role].bucket, Key: key }));
    const compare = (options: CompareOptions = {}) => compareBuckets(sides.primary, sides.dr, { pageSize: 2, ...options });
    const byKey = (result: CompareResult) => new Map(result.first.map((d) => [d.key, d]));
    const posix = (permissions: string, owner = "1000") => ({ Metadata: { "file-permissions": permissions, "file-owner": owner, "file-group": "1000" } });

    it("finds two buckets with the same objects identical, comparing each key's latest version only", async () => {
        await putBoth("a.txt", "old", posix("0100644"));
        await putBoth("a.txt", "new", posix("0100644"));
        await putBoth("dir/b.bin", "bytes", { ContentType: "application/octet-stream", ...posix("0100600") });
        // an older version differs between the sides; only the latest counts
        await put("primary", "c", "first on primary");
        await put("dr", "c", "first on dr");
        await putBoth("c", "same now");
        const result = await compare();
        expect(result.verdict).to.equal("identical");
        expect(result).to.include({ keysCompared: 3, same: 3, pending: 0 });
        expect(result.differing).to.deep.equal({ onlyPrimary: 0, onlyDr: 0, changed: 0, unknown: 0 });
        // moto gives each side its own version ids: every key took one HEAD per side, and tags were read for none
        // (HEAD's tag count cannot prove equal tags, so the staged read asks for them only when nothing differs yet)
        expect(result.requests.head).to.equal(6);
        expect(result.requests.list).to.be.greaterThan(2);
        expect(describeCompare(result)).to.match(/^IDENTICAL: 3 keys are the same object on both sides/);
    });

    it("reports keys on one side only, and treats a delete marker as the latest entry as absent", async () => {
        await put("primary", "only-on-primary", "x");
        await put("dr", "only-on-dr", "y");
        await putBoth("deleted-on-dr", "z");
        await remove("dr", "deleted-on-dr");
        await putBoth("deleted-on-both", "w");
        await remove("primary", "deleted-on-both");
        await remove("dr", "deleted-on-both");
        await put("dr", "never-on-primary-deleted-on-dr", "v");
        await remove("dr", "never-on-primary-deleted-on-dr");
        const result = await compare();
        expect(result.verdict).to.equal("differs");
        expect(result.keysCompared).to.equal(3);
        expect(result.differing).to.deep.equal({ onlyPrimary: 2, onlyDr: 1, changed: 0, unknown: 0 });
        expect(result.first.map((d) => [d.key, d.kind])).to.deep.equal([
            ["deleted-on-dr", "only-primary"],
            ["only-on-dr", "only-dr"],
            ["only-on-primary", "only-primary"],
        ]);
        const text = describeCompare(result);
        expect(text).to.match(/^DIFFERS: 3 of 3 keys differ/);
        expect(text).to.include(`"only-on-dr": only on the dr side`);
    });

    it("finds a metadata-only difference: the POSIX permissions and owner FSx stores as user metadata", async () => {
        await put("primary", "home/u/secret", "same bytes", posix("0100600", "1000"));
        await put("dr", "home/u/secret", "same bytes", posix("0100777", "0"));
        const result = await compare();
        expect(result.verdict).to.equal("differs");
        const changed = byKey(result).get("home/u/secret") as Extract<KeyDivergence, { kind: "changed" }>;
        expect(changed.kind).to.equal("changed");
        expect(changed.differences.map((d) => d.aspect)).to.deep.equal(["metadata", "metadata"]);
        expect(changed.differences).to.deep.include({ aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100600", now: "0100777" });
        expect(changed.differences).to.deep.include({ aspect: "metadata", name: "x-amz-meta-file-owner", atT: "1000", now: "0" });
        expect(describeCompare(result)).to.include(`x-amz-meta-file-permissions: primary "0100600", dr "0100777"`);
    });

    it("finds a content difference of equal size", async () => {
        await put("primary", "report.csv", "aaaa");
        await put("dr", "report.csv", "bbbb");
        const result = await compare();
        const changed = byKey(result).get("report.csv") as Extract<KeyDivergence, { kind: "changed" }>;
        expect(changed.differences.map((d) => d.aspect)).to.deep.equal(["content"]);
        expect(result.differing.changed).to.equal(1);
    });

    it("finds a storage class and a content header difference", async () => {
        await put("primary", "cold", "data", { StorageClass: "STANDARD" });
        await put("dr", "cold", "data", { StorageClass: "STANDARD_IA" });
        await put("primary", "typed", "data", { ContentType: "text/plain" });
        await put("dr", "typed", "data", { ContentType: "application/x-evil" });
        const result = await compare();
        const found = byKey(result);
        expect((found.get("cold") as Extract<KeyDivergence, { kind: "changed" }>).differences).to.deep.include({
            aspect: "storage-class",
            name: "storage class",
            atT: "STANDARD",
            now: "STANDARD_IA",
        });
        expect((found.get("typed") as Extract<KeyDivergence, { kind: "changed" }>).differences).to.deep.include({
            aspect: "content-headers",
            name: "Content-Type",
            atT: "text/plain",
            now: "application/x-evil",
        });
    });

    it("finds a tag difference between versions that are otherwise the same", async () => {
        await putBoth("tagged", "data");
        await buckets.dr.client.send(
            new PutObjectTaggingCommand({ Bucket: buckets.dr.bucket, Key: "tagged", Tagging: { TagSet: [{ Key: "classification", Value: "public" }] } }),
        );
        const result = await compare();
        const changed = byKey(result).get("tagged") as Extract<KeyDivergence, { kind: "changed" }>;
        expect(changed.kind).to.equal("changed");
        expect(changed.differences.every((d) => d.aspect === "tags")).to.equal(true);
    });

    it("counts a key whose newer side is still replicating as in flight, not as a difference; FAILED is a difference", async () => {
        await putBoth("settled", "s");
        await putBoth("overwritten", "v1");
        const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 60_000 });
        await copier.start();
        try {
            await put("primary", "new-on-primary", "n");
            await put("primary", "overwritten", "v2 on primary");
            const status = async (side: CompareSide, key: string, versionId: string) => copier.replicationStatus(side.side, key, versionId);
            for (let i = 0; i < 100 && copier.replicationStatus("primary", "overwritten", await latestVersion("primary", "overwritten")) !== "PENDING"; i++) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const result = await compare({ replicationStatus: status });
            expect(result.verdict).to.equal("in-flight");
            expect(result).to.include({ keysCompared: 3, same: 1, pending: 2 });
            expect(result.pendingKeys).to.deep.equal(["new-on-primary", "overwritten"]);
            expect(differingCount(result)).to.equal(0);
            expect(describeCompare(result)).to.match(/^IN FLIGHT: nothing differs but 2 keys still replicating/);
            expect(describeCompare(result)).to.not.contain("likely stuck");
            // The same result read 16 minutes later: past Replication Time Control's 15 minutes, stuck, not slow.
            const later = new Date(Date.parse(result.oldestPendingSince!) + 16 * 60 * 1000);
            expect(describeCompare(result, later)).to.match(/WARNING: the oldest has been PENDING for over 15 minutes.*likely stuck/);

            const failed = await compare({ replicationStatus: async (side, key, versionId) => ((await status(side, key, versionId)) === "PENDING" ? "FAILED" : undefined) });
            expect(failed.verdict).to.equal("differs");
            expect(failed.first.map((d) => [d.key, d.kind, "replicationStatus" in d ? d.replicationStatus : undefined])).to.deep.equal([
                ["new-on-primary", "only-primary", "FAILED"],
                ["overwritten", "changed", "FAILED"],
            ]);
        } finally {
            await copier.stop();
        }
    });

    it("finds the pair identical once the copier has replicated every write", async () => {
        const copier = new ReplicationCopier({ primary: buckets.primary, dr: buckets.dr, delayMs: 0 });
        await copier.start();
        try {
            await put("primary", "p/one", "1", posix("0100644"));
            await put("dr", "d/two", "2", posix("0100640"));
            for (let i = 0; i < 200 && copier.replications().length < 2; i++) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const result = await compare({ replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.side, key, versionId) });
            expect(copier.errors()).to.deep.equal([]);
            expect(result.verdict).to.equal("identical");
            expect(result.same).to.equal(2);
        } finally {
            await copier.stop();
        }
    });

    it("merges keys in S3's UTF-8 order, including astral-plane characters that sort differently in UTF-16", async () => {
        // UTF-16: "\u{1F600}" (surrogates D83D DE00) sorts before "\uFF61"; UTF-8: EF BD A1 (U+FF61) before F0 9F 98 80.
        const shared = ["u/\uFF61", "u/\u{1F600}", "u/caf\u00E9/\u{10437}", "u/\u{1D11E} music", "u/z"];
        for (const key of shared) await putBoth(key, key);
        await put("dr", "u/\uFFFF-only-dr", "x");
        await put("primary", "u/\u{1F600}\u{1F600}-only-primary", "y");
        const result = await compare({ pageSize: 1 });
        expect(result.keysCompared).to.equal(shared.length + 2);
        expect(result.same).to.equal(shared.length);
        expect(result.first.map((d) => [d.key, d.kind])).to.deep.equal([
            ["u/\uFFFF-only-dr", "only-dr"],
            ["u/\u{1F600}\u{1F600}-only-primary", "only-primary"],
        ]);
    });

    it("finds the same with several key ranges listed at once as with one listing per side", async () => {
        // A tree, as FSx exports one: split points are the first key of each directory on the primary.
        for (const dir of ["a", "b", "c", "d", "e"]) {
            for (const file of ["1", "2", "3"]) await putBoth(`home/${dir}/${file}`, `${dir}${file}`);
        }
        // b's first key exists on the primary only (a split the dr side lacks); d's first key differs; e/ exists only
        // on the dr side; a key between two directories, and one after them all
        await put("primary", "home/b/0", "first of b, primary only");
        await put("primary", "home/d/1", "changed on the primary");
        await put("dr", "home/e-only/1", "dr only");
        await put("dr", "home/c~", "between c/ and d/");
        await put("primary", "home/z", "last");
        const sequential = await compare({ pageSize: 2 });
        const ranged = await compare({ pageSize: 2, listConcurrency: 4 });
        const shape = (result: CompareResult) => ({ ...result, requests: undefined });
        expect(shape(ranged)).to.deep.equal(shape(sequential));
        expect(ranged.first.map((d) => [d.key, d.kind])).to.deep.equal([
            ["home/b/0", "only-primary"],
            ["home/c~", "only-dr"],
            ["home/d/1", "changed"],
            ["home/e-only/1", "only-dr"],
            ["home/z", "only-primary"],
        ]);
        // discovery (a level per request, a first key per directory) and one probe per split on the dr side
        expect(ranged.requests.list).to.be.greaterThan(sequential.requests.list);
    });

    it("compares only under --prefix, on both sides", async () => {
        await putBoth("a/1", "1");
        await putBoth("a/2", "2");
        await put("primary", "b/1", "only here");
        await put("primary", "a-sibling", "not under a/");
        const result = await compare({ prefix: "a/" });
        expect(result).to.include({ verdict: "identical", prefix: "a/", keysCompared: 2, same: 2 });
        const whole = await compare();
        expect(whole.verdict).to.equal("differs");
        expect(whole.differing.onlyPrimary).to.equal(2);
    });

    it("ignores the reserved .lustre-dr/ prefix and refuses to compare inside it", async () => {
        await put("primary", ".lustre-dr/drill/20261125t092400z-3f9a1c/canary-0", "canary");
        await put("dr", ".lustre-dr/batch/report.csv", "report");
        // The file-system drill's canary exported by a repository linked at a prefix.
        await put("dr", "projects/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-dr-to-primary", "canary");
        await putBoth("data", "d");
        const result = await compare();
        expect(result).to.include({ verdict: "identical", keysCompared: 1 });
        const requestsBefore = [...sent.primary.values(), ...sent.dr.values()].reduce((a, b) => a + b, 0);
        let error: unknown;
        try {
            await compare({ prefix: ".lustre-dr/drill/" });
        } catch (caught) {
            error = caught;
        }
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/prefix is "\.lustre-dr\/drill\/": \.lustre-dr\/ \(at the root or in any directory\) is lustre-dr's own/);
        const requestsAfter = [...sent.primary.values(), ...sent.dr.values()].reduce((a, b) => a + b, 0);
        expect(requestsAfter, "nothing sent before refusing").to.equal(requestsBefore);
    });

    it("keeps the first differences in key order and counts the rest", async () => {
        for (const i of [5, 3, 9, 1, 7, 2]) await put("primary", `k${i}`, "x");
        const result = await compare({ firstDifferences: 3, concurrency: 4 });
        expect(result.differing.onlyPrimary).to.equal(6);
        expect(result.first.map((d) => d.key)).to.deep.equal(["k1", "k2", "k3"]);
        expect(describeCompare(result)).to.include("... and 3 more");
    });

    it("compareKeyAcross reads one key's current version on each side by HEAD", async () => {
        await put("primary", "meta", "same", posix("0100644"));
        await put("dr", "meta", "same", posix("0100666"));
        await putBoth("equal", "e");
        await put("dr", "dr-only", "d");
        await putBoth("gone", "g");
        await remove("primary", "gone");
        await remove("dr", "gone");
        const reads = { head: 0, tagging: 0 };
        const verdict = (key: string) => compareKeyAcross(sides.primary, sides.dr, key, { reads });
        expect(await verdict("equal")).to.deep.equal({ key: "equal", kind: "same" });
        expect(await verdict("gone")).to.deep.equal({ key: "gone", kind: "same" });
        const meta = await verdict("meta");
        expect(meta.kind).to.equal("changed");
        expect((meta as Extract<KeyDivergence, { kind: "changed" }>).differences).to.deep.equal([
            { aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100644", now: "0100666" },
        ]);
        const only = await verdict("dr-only");
        expect(only).to.include({ key: "dr-only", kind: "only-dr" });
        // One HEAD per side and key, reused for the identity and for dr-only's replication status
        expect(reads.head).to.equal(8);
    });

    it("stops with the signal's reason when aborted", async () => {
        for (let i = 0; i < 6; i++) await putBoth(`k${i}`, "x");
        const controller = new AbortController();
        controller.abort(new Error("interrupted"));
        let error: unknown;
        try {
            await compare({ signal: controller.signal });
        } catch (caught) {
            error = caught;
        }
        expect((error as Error).message).to.match(/interrupted|abort/i);
    });

    async function latestVersion(role: Role, key: string): Promise<string> {
        const head = await buckets[role].client.send(new HeadObjectCommand({ Bucket: buckets[role].bucket, Key: key }));
        return head.VersionId ?? "";
    }
});
