import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The metrics configuration's id: the `FilterId` dimension of the bucket's request metrics. */
export const requestMetricsFilterId = "lustre-dr-entire-bucket";

/** Request metrics S3 can publish per metrics configuration; CloudWatch bills each one as a custom metric. */
export const requestMetricCount = 16;

export interface WriteActivityAlarmsArgs {
    /** The bucket to watch. */
    readonly bucketName: pulumi.Input<string>;
    /** SNS topic the alarms publish to (the side's alarm topic, components/replicationAlarms.ts). */
    readonly topicArn: pulumi.Input<string>;
    /**
     * Alarm when more DELETE requests than this reach the bucket within five minutes. A DeleteObjects call counts
     * once, however many keys it names (up to 1,000).
     * @default 1000
     */
    readonly deleteRequestsPer5Minutes?: number;
    /**
     * Alarm when more PUT requests (new objects and overwrites alike) than this reach the bucket within five minutes.
     * @default 50000
     */
    readonly putRequestsPer5Minutes?: number;
    readonly tags?: Record<string, string>;
}

const fiveMinutes = 300;

/**
 * Alarms on an abnormal rate of deletes and overwrites in a bucket: what ransomware, or a compromised account
 * emptying the bucket, looks like. Versioning keeps the old versions, but only for `noncurrentVersionRetentionDays`,
 * and replication carries overwrites and delete markers to the peer: someone has to notice in time.
 *
 * S3 request metrics need a metrics configuration (`BucketMetric`, S3's PutBucketMetricsConfiguration). It is not an
 * event notification configuration, so it leaves the notifications FSx owns on a linked bucket alone.
 */
export class WriteActivityAlarms extends pulumi.ComponentResource {
    public readonly metrics: aws.s3.BucketMetric;
    public readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: WriteActivityAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lustre-dr:monitoring:WriteActivityAlarms", name, {}, opts);
        const child = { parent: this };
        const tags = args.tags ?? {};

        // No filter: the whole bucket. An attacker is free to pick the prefix.
        this.metrics = new aws.s3.BucketMetric(`${name}-metrics`, { bucket: args.bucketName, name: requestMetricsFilterId }, child);

        const dimensions = { BucketName: args.bucketName, FilterId: requestMetricsFilterId };
        const alarm = (suffix: string, metricName: string, threshold: number, what: string) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${suffix}`,
                {
                    alarmDescription: pulumi.interpolate`More than ${threshold} ${what} requests in 5 minutes on s3://${args.bucketName}: mass deletion or overwrite (ransomware?). Versions are kept only for the retention period: see docs/runbook.md`,
                    namespace: "AWS/S3",
                    metricName,
                    dimensions,
                    statistic: "Sum",
                    period: fiveMinutes,
                    evaluationPeriods: 1,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold,
                    // No requests, no data points: quiet is normal.
                    treatMissingData: "notBreaching",
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                    tags,
                },
                // The metrics exist only once S3 has the configuration.
                { ...child, dependsOn: [this.metrics] },
            );
        this.alarms = [
            alarm("deletes", "DeleteRequests", args.deleteRequestsPer5Minutes ?? 1000, "DELETE"),
            alarm("overwrites", "PutRequests", args.putRequestsPer5Minutes ?? 50000, "PUT"),
        ];

        this.registerOutputs({ filterId: requestMetricsFilterId });
    }
}
