import { expect } from "chai";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { emulatorCredentials, emulatorPair } from "./moto";

describe("emulator harness", function () {
    this.timeout(120_000);

    it("runs one isolated moto server per side on 127.0.0.1", async () => {
        const { primary, dr } = await emulatorPair();
        expect(primary.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(dr.port).to.not.equal(primary.port);

        const client = (endpoint: string) =>
            new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: emulatorCredentials });
        await client(primary.endpoint).send(new CreateBucketCommand({ Bucket: "only-on-primary" }));
        const onDr = await client(dr.endpoint).send(new ListBucketsCommand({}));
        expect((onDr.Buckets ?? []).map((b) => b.Name)).to.not.include("only-on-primary");
        await primary.reset();
    });
});
