import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { CompareSide } from "../../../infra/compare/compare";
import { resendOutageWrites } from "../../../infra/lifecycle/resend";
import { emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, secondBoundary, snapshot } from "../../support/versionedBucket";

/**
 * The resend sends again only what the dr side wrote during the outage: a version newer than the freeze that came
 * from the primary (a replica) is the primary's word, perhaps the attacker's, and is left and reported.
 */
describe("infra/lifecycle/resend (moto)", function () {
    this.timeout(60_000);
    let client: S3Client;

    before(async () => {
        client = emulatorS3((await emulatorPair()).dr.endpoint);
    });

    it("sends the dr side's own outage writes again, and leaves a newer replica from the primary as suspect", async () => {
        const bucket = await createBucket(client);
        const since = await secondBoundary();
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "outage/written-on-dr.txt", Body: "user" }));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: "outage/from-primary.txt", Body: "attacker" }));
        const dr: CompareSide = { side: "dr", client, bucket, region: "us-west-2" };
        const replicas = new Set(["outage/from-primary.txt"]);
        const statusesAsked: string[] = [];

        const { result, sentKeys } = await resendOutageWrites(
            dr,
            [
                { key: "outage/written-on-dr.txt", kind: "only-dr", versionId: "listed" },
                { key: "outage/from-primary.txt", kind: "only-dr", versionId: "listed" },
            ],
            {
                since,
                replicationStatus: async (_side, key) => {
                    statusesAsked.push(key);
                    return replicas.has(key) ? "REPLICA" : undefined;
                },
            },
        );

        expect(sentKeys).to.deep.equal(["outage/written-on-dr.txt"]);
        expect(result.copies).to.equal(1);
        expect(result.left.count).to.equal(1);
        expect(result.left.first[0]?.key).to.equal("outage/from-primary.txt");
        expect(result.left.first[0]?.reason).to.match(/is a replica from the primary, not an outage write: suspect/);
        expect(statusesAsked.sort()).to.deep.equal(["outage/from-primary.txt", "outage/written-on-dr.txt"]);
        const state = await snapshot(client, bucket);
        expect(state.get("outage/from-primary.txt")?.body).to.equal("attacker");
    });
});
