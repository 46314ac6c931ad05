import { expect } from "chai";
import { ReplicationAlarms, ReplicationAlarmsArgs } from "../../components/replicationAlarms";
import { MockedRun, RecordedResource, runWithMocks } from "../support/pulumiMocks";

const replication = { sourceBucketName: "primary-data", destinationBucketName: "dr-data" };

function build(args: ReplicationAlarmsArgs): Promise<MockedRun<ReplicationAlarms>> {
    return runWithMocks(() => new ReplicationAlarms("alarms", args), { stack: "primary" });
}

function alarm(run: MockedRun<unknown>, name: string): RecordedResource {
    const found = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((r) => r.name === name);
    if (!found) {
        throw new Error(`no alarm ${name}`);
    }
    return found;
}

describe("ReplicationAlarms", () => {
    let run: MockedRun<ReplicationAlarms>;
    before(async () => {
        run = await build({ replication, latencyThresholdSeconds: 600, email: "oncall@example.com" });
    });

    it("alarms on any failed replication operation, with the dimensions S3 publishes", () => {
        const failed = alarm(run, "alarms-failed");
        expect(failed.inputs).to.deep.include({
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            statistic: "Sum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            treatMissingData: "notBreaching",
        });
        expect(failed.inputs.dimensions).to.deep.equal({ SourceBucket: "primary-data", DestinationBucket: "dr-data", RuleId: "lustre-dr-to-peer" });
    });

    it("alarms when replication latency exceeds the configured seconds", () => {
        const latency = alarm(run, "alarms-latency");
        expect(latency.inputs).to.deep.include({ metricName: "ReplicationLatency", statistic: "Maximum", threshold: 600 });
        expect(latency.inputs.dimensions.RuleId).to.equal("lustre-dr-to-peer");
    });

    it("alarms when the pending backlog keeps growing", () => {
        const backlog = alarm(run, "alarms-backlog-growing");
        const [pending, growth] = backlog.inputs.metricQueries;
        expect(pending.metric).to.deep.include({ namespace: "AWS/S3", metricName: "OperationsPendingReplication", stat: "Maximum" });
        expect(pending.metric.dimensions).to.deep.equal({ SourceBucket: "primary-data", DestinationBucket: "dr-data", RuleId: "lustre-dr-to-peer" });
        expect(growth).to.deep.include({ expression: "RATE(pending)", returnData: true });
        expect(backlog.inputs).to.deep.include({ comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 6 });
    });

    it("sends alarm and OK notifications to the topic, and subscribes the email", () => {
        const topicArn = `arn:aws:sns:us-east-1:111111111111:alarms-topic`;
        for (const a of run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
            expect(a.inputs.alarmActions, a.name).to.deep.equal([topicArn]);
            expect(a.inputs.okActions, a.name).to.deep.equal([topicArn]);
        }
        expect(run.single("aws:sns/topicSubscription:TopicSubscription").inputs).to.deep.include({
            topic: topicArn,
            protocol: "email",
            endpoint: "oncall@example.com",
        });
    });

    it("has no replication alarms and no subscription when not replicating and no email is given", async () => {
        const quiet = await build({});
        expect(quiet.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")).to.be.empty;
        expect(quiet.ofType("aws:sns/topicSubscription:TopicSubscription")).to.be.empty;
        expect(quiet.ofType("aws:sns/topic:Topic")).to.have.length(1);
    });

    it("alarms before the file system runs out of space", async () => {
        const withFs = await build({ fileSystem: { id: "fs-0123", storageCapacityGiB: 1200 } });
        const capacity = alarm(withFs, "alarms-fs-capacity");
        expect(capacity.inputs).to.deep.include({
            namespace: "AWS/FSx",
            metricName: "FreeDataStorageCapacity",
            comparisonOperator: "LessThanThreshold",
            threshold: Math.floor(120 * 2 ** 30),
        });
        expect(capacity.inputs.dimensions).to.deep.equal({ FileSystemId: "fs-0123" });
    });

    it("never creates S3 event notifications (FSx owns them on a linked bucket)", () => {
        expect(run.resources.map((r) => r.type)).to.not.include("aws:s3/bucketNotification:BucketNotification");
    });
});
