import { expect } from "chai";
import { noNotificationOnLinkedBucket } from "../../../../infra/policy/policies/noNotificationOnLinkedBucket";
import { types } from "../../../../infra/policy/stackModel";
import { bucketNames, convergedPair } from "../pair";
import { broken, check, recordOf, StackRecord, StackUnderPolicy } from "../policyHarness";

/** A user's addition: a BucketNotification on the stack's bucket, declared with `bucket: bucket.id`. */
function withNotification(stack: StackUnderPolicy): StackUnderPolicy {
    return broken(stack, (records) => {
        const bucket = recordOf(records, types.bucket);
        const props = { bucket: bucket.outputs.bucket, queues: [{ queueArn: "arn:aws:sqs:us-east-1:1:q", events: ["s3:ObjectCreated:*"] }] };
        const notification: StackRecord = {
            type: types.notification,
            name: "uploads",
            urn: `urn:pulumi:${stack.stack}::lustre-dr::${types.notification}::uploads`,
            custom: true,
            protect: false,
            dependencies: [bucket.urn],
            propertyDependencies: { bucket: [bucket.urn] },
            inputs: props,
            outputs: props,
        };
        records.push(notification);
    });
}

describe("policy no-bucket-notification-on-linked-bucket", () => {
    it("passes the shipped stacks, which manage no notifications", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(noNotificationOnLinkedBucket, primary)).to.deep.equal([]);
        expect(await check(noNotificationOnLinkedBucket, dr)).to.deep.equal([]);
    });

    it("fails a notification on the bucket a data repository association links", async () => {
        const { primary } = await convergedPair();
        const violations = await check(noNotificationOnLinkedBucket, withNotification(primary));
        expect(violations).to.have.length(1);
        expect(violations[0].message)
            .to.contain(`uploads: bucket data-bucket (${bucketNames.primary}) is linked to a file system by lustre-dra`)
            .and.contain("MISCONFIGURED")
            .and.contain("Remove it");
        expect(violations[0].urn).to.equal(`urn:pulumi:primary::lustre-dr::${types.notification}::uploads`);
    });

    it("relates a notification declared with a literal bucket name, without a property dependency", async () => {
        const { primary } = await convergedPair();
        const literal = broken(withNotification(primary), (records) => (recordOf(records, types.notification).propertyDependencies = {}));
        expect(await check(noNotificationOnLinkedBucket, literal)).to.have.length(1);
    });

    it("allows a notification on a bucket no association links (the pilot-light dr side)", async () => {
        const { dr } = await convergedPair();
        expect(await check(noNotificationOnLinkedBucket, withNotification(dr))).to.deep.equal([]);
    });
});
