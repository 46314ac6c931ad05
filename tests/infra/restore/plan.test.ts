import { expect } from "chai";
import { batchReportPrefix } from "../../../components/policyDocuments";
import { drillRoot } from "../../../infra/drill/canaries";
import { compareKeys, KeyPlan, planKey, planRestore, reservedPrefix, VersionEntry, VersionStreamOrderError } from "../../../infra/restore/plan";

const T = new Date("2026-11-20T12:00:00Z");
const before = (minutes: number) => new Date(T.getTime() - minutes * 60_000);
const after = (minutes: number) => new Date(T.getTime() + minutes * 60_000);

let counter = 0;
function version(key: string, at: Date, body: string, extra: Partial<VersionEntry> = {}): VersionEntry {
    return { key, versionId: `v${++counter}`, isLatest: false, lastModified: at, deleteMarker: false, size: body.length, eTag: `"${body}"`, storageClass: "STANDARD", ...extra };
}
function marker(key: string, at: Date, extra: Partial<VersionEntry> = {}): VersionEntry {
    return { key, versionId: `d${++counter}`, isLatest: false, lastModified: at, deleteMarker: true, size: 0, ...extra };
}
/** Versions of one key, newest first, with the first marked latest as S3 does. */
function history(...entries: VersionEntry[]): VersionEntry[] {
    return entries.map((entry, i) => ({ ...entry, isLatest: i === 0 }));
}

/** Serves entries in pages of `pageSize`, as the lister does, so key groups can straddle pages. */
async function* paged(entries: readonly VersionEntry[], pageSize: number): AsyncGenerator<VersionEntry> {
    for (let start = 0; start < entries.length; start += pageSize) {
        await new Promise((resolve) => setImmediate(resolve));
        yield* entries.slice(start, start + pageSize);
    }
}

async function collect(stream: AsyncIterable<KeyPlan>): Promise<KeyPlan[]> {
    const plans: KeyPlan[] = [];
    for await (const plan of stream) plans.push(plan);
    return plans;
}

describe("infra/restore/plan", () => {
    it("copies back the version current at T over a key overwritten after T", () => {
        const atT = version("a", before(10), "good");
        const plan = planKey(history(version("a", after(5), "ransom"), atT, version("a", before(60), "older")), T);
        expect(plan).to.deep.include({ key: "a", action: "copy", versionId: atT.versionId, size: 4, eTag: '"good"' });
    });

    it("copies back a key deleted after T, with no current version to replace", () => {
        const atT = version("a", before(1), "good");
        const plan = planKey(history(marker("a", after(1)), atT), T);
        expect(plan).to.deep.include({ action: "copy", versionId: atT.versionId });
        expect(plan).to.not.have.property("currentVersionId");
    });

    it("puts a delete marker on a key created after T, and on one deleted before T and re-created after", () => {
        const created = version("new", after(2), "junk");
        expect(planKey(history(created), T)).to.deep.equal({ key: "new", action: "delete-marker", currentVersionId: created.versionId, size: 4 });
        const recreated = version("gone", after(2), "junk");
        expect(planKey(history(recreated, marker("gone", before(5)), version("gone", before(9), "x")), T)).to.include({
            action: "delete-marker",
            currentVersionId: recreated.versionId,
        });
    });

    it("does nothing for an unchanged key (the version from T is current) and a key absent then and now", () => {
        expect(planKey(history(version("a", before(1), "same"), version("a", before(2), "x")), T)).to.deep.equal({ key: "a", action: "none", reason: "unchanged" });
        expect(planKey(history(marker("b", after(1)), version("b", after(0.5), "x")), T)).to.deep.equal({ key: "b", action: "none", reason: "absent" });
        expect(planKey(history(marker("c", before(1)), version("c", before(2), "x")), T)).to.deep.equal({ key: "c", action: "none", reason: "absent" });
    });

    it("leaves a newer version with T's bytes to the writer's identity check, with what the listing says of both", () => {
        // What a previous restore leaves, and also what a metadata-only attack (CopyObject with REPLACE) leaves: a
        // newer version with the ETag and size of the version from T. Only HEAD and tags can tell them apart.
        const atT = version("d", before(1), "good");
        const current = version("d", after(9), "good", { storageClass: "STANDARD_IA" });
        expect(planKey(history(current, version("d", after(1), "bad"), atT), T)).to.deep.equal({
            key: "d",
            action: "copy",
            versionId: atT.versionId,
            size: 4,
            eTag: '"good"',
            storageClass: "STANDARD",
            lastModified: atT.lastModified,
            currentVersionId: current.versionId,
            currentSize: 4,
            currentETag: '"good"',
            currentStorageClass: "STANDARD_IA",
        });
    });

    it("treats a version written exactly at T as current at T", () => {
        const atT = version("a", T, "at-t");
        expect(planKey(history(version("a", after(1), "x"), atT), T)).to.include({ action: "copy", versionId: atT.versionId });
    });

    it("reports a key written without versioning after T as unknown instead of guessing", () => {
        const plan = planKey(history(version("a", after(3), "x"), version("a", after(1), "y", { versionId: "null" })), T);
        expect(plan.action).to.equal("unknown");
        // A null version from before T is the object as it was when versioning was enabled: usable.
        const nullAtT = version("b", before(1), "old", { versionId: "null" });
        expect(planKey(history(version("b", after(1), "new"), nullAtT), T)).to.include({ action: "copy", versionId: "null" });
    });

    it("never touches the drill's reserved prefix", () => {
        expect(planKey(history(version(".lustre-dr/drill/canary", after(1), "c")), T)).to.deep.equal({
            key: ".lustre-dr/drill/canary",
            action: "none",
            reason: "reserved",
        });
        expect(planKey(history(version(".lustre-dr/batch-reports/job.csv", after(1), "r")), T)).to.include({ reason: "reserved" });
        // A repository linked at a prefix exports the file-system drill's canaries under it.
        expect(planKey(history(version("projects/.lustre-dr/drill/run/fs-primary-to-dr", after(1), "c")), T)).to.include({ reason: "reserved" });
        expect(planKey(history(version("projects/not.lustre-dr/x", after(1), "u")), T)).to.not.include({ reason: "reserved" });
    });

    it("reserves every prefix the drill and batch replication write under", () => {
        expect(drillRoot.startsWith(reservedPrefix), drillRoot).to.equal(true);
        expect(batchReportPrefix.startsWith(reservedPrefix), batchReportPrefix).to.equal(true);
    });

    it("streams one plan per key when pages split a key's versions, whatever the page size", async () => {
        const entries = [
            ...history(version("a", after(2), "bad"), version("a", after(1), "bad2"), version("a", before(1), "good"), version("a", before(2), "x")),
            ...history(version("b", before(3), "keep")),
            ...history(marker("c", after(1)), version("c", before(1), "c-good")),
            ...history(version("d", after(1), "new")),
        ];
        const expected = entries.map((entry) => entry.key).filter((key, i, keys) => keys.indexOf(key) === i);
        for (const pageSize of [1, 2, 3, 5, 1000]) {
            const plans = await collect(planRestore(paged(entries, pageSize), { to: T }));
            expect(plans.map((plan) => plan.key), `page size ${pageSize}`).to.deep.equal(expected);
            expect(plans.map((plan) => plan.action)).to.deep.equal(["copy", "none", "copy", "delete-marker"]);
        }
    });

    it("plans nothing for an empty stream", async () => {
        expect(await collect(planRestore(paged([], 10), { to: T }))).to.deep.equal([]);
    });

    it("orders keys as S3 does (UTF-8 bytes), not as JavaScript compares strings", async () => {
        // In UTF-8 (EF BD 9E < F0 9F 98 80) U+FF5E comes first; JavaScript compares the surrogate D83D below FF5E.
        expect(compareKeys("\uff5e", "\u{1f600}")).to.be.lessThan(0);
        expect("\uff5e" < "\u{1f600}").to.equal(false);
        const entries = [...history(version("\uff5e", before(1), "x")), ...history(version("\u{1f600}", before(1), "y"))];
        expect((await collect(planRestore(paged(entries, 1), { to: T }))).map((plan) => plan.key)).to.deep.equal(["\uff5e", "\u{1f600}"]);
    });

    it("fails loudly on a stream that breaks S3's order instead of planning from it", async () => {
        const outOfOrderKeys = [...history(version("b", before(1), "x")), ...history(version("a", before(1), "y"))];
        await collect(planRestore(paged(outOfOrderKeys, 10), { to: T })).then(
            () => expect.fail("expected an order error"),
            (error: unknown) => expect(error).to.be.instanceOf(VersionStreamOrderError),
        );
        const oldestFirst = [version("a", before(5), "x", { isLatest: true }), version("a", before(1), "y")];
        await collect(planRestore(paged(oldestFirst, 10), { to: T })).then(
            () => expect.fail("expected an order error"),
            (error: unknown) => expect((error as Error).message).to.match(/newest first/),
        );
    });
});
