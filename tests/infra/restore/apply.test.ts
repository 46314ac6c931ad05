import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { CopyObjectCommand, DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { applyAction, copySource, forEachBounded, partSizeFor } from "../../../infra/restore/apply";

describe("infra/restore/apply", () => {
    it("URL-encodes the copy source per path segment, version id included", () => {
        expect(copySource("b", "dir with space/é+日本?#%.txt", "3/L4kqtJl+cKx=")).to.equal(
            "b/dir%20with%20space/%C3%A9%2B%E6%97%A5%E6%9C%AC%3F%23%25.txt?versionId=3%2FL4kqtJl%2BcKx%3D",
        );
    });

    it("sizes parts at the requested size, at least 5 MiB, and within 10,000 parts", () => {
        const MiB = 1024 ** 2;
        expect(partSizeFor(6 * 1024 * MiB)).to.equal(512 * MiB);
        expect(partSizeFor(6 * 1024 * MiB, MiB)).to.equal(5 * MiB);
        const fiveTiB = 5 * 1024 ** 4;
        expect(Math.ceil(fiveTiB / partSizeFor(fiveTiB))).to.be.at.most(10_000);
    });

    it("adds a delete marker with DeleteObject without a version id, and copies with COPY directives", async () => {
        const s3 = mockClient(S3Client);
        s3.on(DeleteObjectCommand).resolves({ VersionId: "marker-1", DeleteMarker: true });
        s3.on(CopyObjectCommand).resolves({ VersionId: "copy-1" });
        const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
        try {
            expect(await applyAction(client, "b", { key: "new", action: "delete-marker", currentVersionId: "v9", size: 1 })).to.equal("marker-1");
            expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).to.deep.equal({ Bucket: "b", Key: "new" });
            await applyAction(client, "b", { key: "k", action: "copy", versionId: "v1", size: 1, lastModified: new Date(), storageClass: "STANDARD_IA" });
            expect(s3.commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.equal({
                Bucket: "b",
                Key: "k",
                CopySource: "b/k?versionId=v1",
                MetadataDirective: "COPY",
                TaggingDirective: "COPY",
                StorageClass: "STANDARD_IA",
            });
        } finally {
            s3.restore();
        }
    });

    it("has no code path that deletes a version", () => {
        // A guard on the source, not the behaviour: DeleteObject/DeleteObjects with a VersionId destroy history. The
        // batch engine's DeleteObjects names keys only (tests/infra/restore/batch/engine.test.ts checks the requests).
        const root = path.resolve(__dirname, "../../../infra/restore");
        const files = (dir: string): string[] =>
            fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
        let deleteObjectsCalls = 0;
        for (const file of files(root)) {
            const source = fs.readFileSync(file, "utf8");
            expect(source, file).to.not.match(/DeleteObjectCommand\(\{[^}]*VersionId/);
            for (const call of source.matchAll(/new DeleteObjectsCommand\(([\s\S]{0,300})/g)) {
                deleteObjectsCalls++;
                expect(call[1], file).to.match(/^\s*\{ Bucket: [\w.]+, Delete: \{ Objects: keys\.map\(\(Key\) => \(\{ Key \}\)\), Quiet: true \} \}/);
            }
        }
        expect(deleteObjectsCalls, "DeleteObjects in the batch engine").to.equal(1);
    });

    it("runs at most `concurrency` items at once and pulls the next item only when a slot is free", async () => {
        let running = 0;
        let peak = 0;
        let pulled = 0;
        async function* items() {
            for (let i = 0; i < 20; i++) {
                pulled++;
                yield i;
            }
        }
        const seen: number[] = [];
        await forEachBounded(items(), 3, async (item) => {
            running++;
            peak = Math.max(peak, running);
            expect(pulled - seen.length).to.be.at.most(3);
            await new Promise((resolve) => setTimeout(resolve, 1));
            seen.push(item);
            running--;
        });
        expect(peak).to.equal(3);
        expect(seen.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    });

    it("stops pulling after the first error, lets in-flight work finish and rethrows", async () => {
        let started = 0;
        let finished = 0;
        const failure = new Error("boom");
        const error = await forEachBounded(Array.from({ length: 100 }, (_, i) => i), 4, async (item) => {
            started++;
            await new Promise((resolve) => setTimeout(resolve, 2));
            if (item === 5) throw failure;
            finished++;
        }).then(() => undefined, (e: unknown) => e);
        expect(error).to.equal(failure);
        expect(started).to.be.below(12);
        expect(finished).to.equal(started - 1);
    });
});
