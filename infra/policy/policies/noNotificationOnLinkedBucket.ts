import type { StackValidationPolicy } from "@pulumi/policy";
import { bucketOf, describe, linkedBucketOf, ofType, types } from "../stackModel";

/**
 * FSx writes its own event-notification configuration on a linked bucket. aws.s3.BucketNotification replaces the
 * bucket's whole configuration, which removes FSx's and turns the association MISCONFIGURED.
 */
export const noNotificationOnLinkedBucket: StackValidationPolicy = {
    name: "no-bucket-notification-on-linked-bucket",
    description: "No aws.s3.BucketNotification on a bucket linked to a file system by a data repository association.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        const buckets = ofType(args.resources, types.bucket);
        const linked = new Map(
            ofType(args.resources, types.dataRepositoryAssociation).flatMap((association) => {
                const bucket = linkedBucketOf(association, buckets);
                return bucket ? [[bucket, association] as const] : [];
            }),
        );
        for (const notification of ofType(args.resources, types.notification)) {
            const bucket = bucketOf(notification, buckets);
            const association = bucket && linked.get(bucket);
            if (bucket && association) {
                reportViolation(
                    `${notification.name}: bucket ${describe(bucket)} is linked to a file system by ${association.name}, and ` +
                        `aws.s3.BucketNotification would replace the notification configuration FSx owns (the association turns ` +
                        `MISCONFIGURED). Remove it; watch replication through CloudWatch metrics, or consume events from another bucket.`,
                    notification.urn,
                );
            }
        }
    },
};
