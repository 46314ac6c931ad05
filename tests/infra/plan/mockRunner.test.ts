import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { planValueOf, refFromUrn, runWithMocks } from "../../../infra/plan/mockRunner";

class Box extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:box:Box", name, {}, opts);
        this.bucket = new aws.s3.Bucket(`${name}-bucket`, {}, { parent: this });
        new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } }, { parent: this });
        this.registerOutputs({});
    }
}

describe("infra/plan/mockRunner", () => {
    it("parses a parent's type and name out of its URN", () => {
        expect(refFromUrn("urn:pulumi:dr::lustre-dr::lustre-dr:storage:ReplicatedBucket$aws:s3/bucket:Bucket::data-bucket")).to.deep.equal({
            type: "aws:s3/bucket:Bucket",
            name: "data-bucket",
        });
    });

    it("records each resource's parent and whether it is a component", async () => {
        const run = await runWithMocks(() => new Box("outer"), { stack: "dr" });
        expect(run.resources.map((r) => [r.type, r.name, r.parent?.name ?? null, r.custom])).to.deep.equal([
            ["test:box:Box", "outer", null, false],
            ["aws:s3/bucket:Bucket", "outer-bucket", "outer", true],
            ["aws:s3/bucketVersioning:BucketVersioning", "outer-versioning", "outer", true],
        ]);
        expect(run.single("aws:s3/bucketVersioning:BucketVersioning").parent).to.deep.equal({ type: "test:box:Box", name: "outer" });
    });

    it("in a preview, leaves what the mocks do not compute unknown, in inputs and outputs alike", async () => {
        const run = await runWithMocks(() => new Box("p"), { stack: "primary", preview: true, idOf: () => undefined });
        expect(pulumi.isUnknown(run.single("aws:s3/bucketVersioning:BucketVersioning").inputs.bucket)).to.equal(true);
        expect(pulumi.isUnknown(await planValueOf(run.result.bucket.arn))).to.equal(true);
    });

    it("without a preview, fills in what computedState returns", async () => {
        const run = await runWithMocks(() => new Box("c"), {
            stack: "primary",
            computedState: (type, name) => (type === "aws:s3/bucket:Bucket" ? { arn: `arn:aws:s3:::${name}` } : {}),
        });
        expect(await planValueOf(run.result.bucket.arn)).to.equal("arn:aws:s3:::c-bucket");
        expect(run.single("aws:s3/bucketVersioning:BucketVersioning").inputs.bucket).to.equal("c-bucket-id");
    });
});
