import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { replicationRuleId } from "./replicationRule";

/** The outbound replication this side watches. */
export interface WatchedReplication {
    /** This side's bucket (the `SourceBucket` dimension). */
    readonly sourceBucketName: pulumi.Input<string>;
    /** The peer's bucket (the `DestinationBucket` dimension). */
    readonly destinationBucketName: pulumi.Input<string>;
    /** @default "lustre-dr-to-peer" */
    readonly ruleId?: string;
}

export interface ReplicationAlarmsArgs {
    /**
     * Outbound replication to alarm on. Absent while the handshake is incomplete or the side is detached:
     * S3 publishes no replication metrics then, and alarms on missing data would only be noise.
     */
    readonly replication?: WatchedReplication;
    /**
     * Alarm when the oldest pending replication is older than this.
     * @default 900
     */
    readonly latencyThresholdSeconds?: number;
    /**
     * Subscribe this address to the alarm topic (AWS sends a confirmation email first).
     * @example "storage-oncall@example.com"
     */
    readonly email?: string;
    /** The side's file system, to alarm before it runs out of space (imports and exports then fail). */
    readonly fileSystem?: {
        readonly id: pulumi.Input<string>;
        readonly storageCapacityGiB: number;
    };
    /**
     * Alarm when free file system capacity falls below this fraction.
     * @default 0.1
     */
    readonly freeCapacityFraction?: number;
    readonly tags?: Record<string, string>;
}

const fiveMinutes = 300;

/**
 * CloudWatch alarms on S3 replication metrics (and the file system's free capacity), published to one SNS topic.
 *
 * Replication is monitored through metrics because S3 event notifications on a DRA-linked bucket belong to FSx:
 * any other notification configuration there turns the association MISCONFIGURED.
 */
export class ReplicationAlarms extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

    constructor(name: string, args: ReplicationAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lustre-dr:monitoring:ReplicationAlarms", name, {}, opts);
        const child = { parent: this };
        const tags = args.tags ?? {};

        // Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and alarm
        // notifications carry no file data.
        this.topic = new aws.sns.Topic(`${name}-topic`, { tags }, child);
        if (args.email) {
            new aws.sns.TopicSubscription(`${name}-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.email }, child);
        }
        const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };

        const replication = args.replication;
        if (replication) {
            const dimensions = {
                SourceBucket: replication.sourceBucketName,
                DestinationBucket: replication.destinationBucketName,
                RuleId: replication.ruleId ?? replicationRuleId,
            };
            this.alarms.push(
                new aws.cloudwatch.MetricAlarm(
                    `${name}-failed`,
                    {
                        alarmDescription: "S3 failed to replicate objects to the peer bucket (check the role, the policies and the keys)",
                        namespace: "AWS/S3",
                        metricName: "OperationsFailedReplication",
                        dimensions,
                        statistic: "Sum",
                        period: fiveMinutes,
                        evaluationPeriods: 1,
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: 0,
                        treatMissingData: "notBreaching",
                        ...actions,
                        tags,
                    },
                    child,
                ),
                new aws.cloudwatch.MetricAlarm(
                    `${name}-latency`,
                    {
                        alarmDescription: `Replication to the peer lags more than ${args.latencyThresholdSeconds ?? 900} s (RPO at risk)`,
                        namespace: "AWS/S3",
                        metricName: "ReplicationLatency",
                        dimensions,
                        statistic: "Maximum",
                        period: fiveMinutes,
                        evaluationPeriods: 3,
                        datapointsToAlarm: 2,
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: args.latencyThresholdSeconds ?? 900,
                        treatMissingData: "notBreaching",
                        ...actions,
                        tags,
                    },
                    child,
                ),
                new aws.cloudwatch.MetricAlarm(
                    `${name}-backlog-growing`,
                    {
                        alarmDescription: "Operations pending replication have grown for 30 minutes: replication is not keeping up",
                        metricQueries: [
                            {
                                id: "pending",
                                metric: {
                                    namespace: "AWS/S3",
                                    metricName: "OperationsPendingReplication",
                                    dimensions,
                                    stat: "Maximum",
                                    period: fiveMinutes,
                                },
                            },
                            { id: "growth", expression: "RATE(pending)", label: "Pending operations per second", returnData: true },
                        ],
                        evaluationPeriods: 6,
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: 0,
                        treatMissingData: "notBreaching",
                        ...actions,
                        tags,
                    },
                    child,
                ),
            );
        }

        const fileSystem = args.fileSystem;
        if (fileSystem) {
            const fraction = args.freeCapacityFraction ?? 0.1;
            this.alarms.push(
                new aws.cloudwatch.MetricAlarm(
                    `${name}-fs-capacity`,
                    {
                        alarmDescription: `Less than ${Math.round(fraction * 100)}% of the file system is free: imports from S3 will fail`,
                        namespace: "AWS/FSx",
                        metricName: "FreeDataStorageCapacity",
                        dimensions: { FileSystemId: fileSystem.id },
                        statistic: "Minimum",
                        period: fiveMinutes,
                        evaluationPeriods: 2,
                        comparisonOperator: "LessThanThreshold",
                        threshold: Math.floor(fileSystem.storageCapacityGiB * fraction * 2 ** 30),
                        treatMissingData: "missing",
                        ...actions,
                        tags,
                    },
                    child,
                ),
            );
        }

        this.registerOutputs({ topicArn: this.topic.arn });
    }
}
