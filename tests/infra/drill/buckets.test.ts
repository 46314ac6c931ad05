import { expect } from "chai";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { headObjectReplicationStatus, mapLimit, writeCanary } from "../../../infra/drill/buckets";

describe("infra/drill/buckets", () => {
    it("reads ReplicationStatus from HeadObject of the exact version", async () => {
        const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
        const s3 = mockClient(client);
        s3.on(HeadObjectCommand, { Bucket: "b", Key: "k", VersionId: "v1" }).resolves({ ReplicationStatus: "COMPLETED" });
        s3.on(HeadObjectCommand, { Bucket: "b", Key: "k", VersionId: "v2" }).resolves({ ReplicationStatus: "REPLICA" });
        s3.on(HeadObjectCommand, { Bucket: "b", Key: "k", VersionId: "v3" }).resolves({});
        const side = { role: "primary", client, bucket: "b", region: "us-east-1" } as const;
        expect(await headObjectReplicationStatus(side, "k", "v1")).to.equal("COMPLETED");
        expect(await headObjectReplicationStatus(side, "k", "v2")).to.equal("REPLICA");
        expect(await headObjectReplicationStatus(side, "k", "v3")).to.equal(undefined);
        s3.restore();
    });

    it("refuses to write outside the run's prefix before calling S3", async () => {
        const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
        const s3 = mockClient(client);
        const side = { role: "dr", client, bucket: "b", region: "us-west-2" } as const;
        let error: unknown;
        await writeCanary(side, "20261125t092400z-3f9a1c", "data/important", new Uint8Array([1])).catch((e) => (error = e));
        expect((error as Error).message).to.match(/refusing to touch "data\/important"/);
        expect(s3.calls()).to.have.length(0);
        s3.restore();
    });

    it("maps with a concurrency limit, keeping order", async () => {
        let inFlight = 0;
        let most = 0;
        const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            await new Promise((resolve) => setTimeout(resolve, n * 3));
            inFlight -= 1;
            return n * 10;
        });
        expect(results).to.deep.equal([50, 10, 40, 20, 30]);
        expect(most).to.equal(2);
    });
});
