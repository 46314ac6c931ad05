import { expect } from "chai";
import { requestMetricsFilterId, WriteActivityAlarms, WriteActivityAlarmsArgs } from "../../components/writeActivityAlarms";
import { MockedRun, RecordedResource, runWithMocks } from "../support/pulumiMocks";

const topicArn = "arn:aws:sns:us-east-1:111111111111:alarms-topic";

function build(args: Partial<WriteActivityAlarmsArgs> = {}): Promise<MockedRun<WriteActivityAlarms>> {
    return runWithMocks(() => new WriteActivityAlarms("write-activity", { bucketName: "primary-data", topicArn, ...args }), { stack: "primary" });
}

function alarm(run: MockedRun<unknown>, metricName: string): RecordedResource {
    const found = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((r) => r.inputs.metricName === metricName);
    expect(found, metricName).to.have.length(1);
    return found[0];
}

describe("WriteActivityAlarms", () => {
    let run: MockedRun<WriteActivityAlarms>;
    before(async () => {
        run = await build();
    });

    it("turns on S3 request metrics for the whole bucket with one metrics configuration (no filter)", () => {
        const metrics = run.single("aws:s3/bucketMetric:BucketMetric").inputs;
        expect(metrics).to.deep.equal({ bucket: "primary-data", name: requestMetricsFilterId });
    });

    it("is no event notification: FSx's notification configuration on a linked bucket stays untouched", () => {
        expect(run.ofType("aws:s3/bucketNotification:BucketNotification")).to.be.empty;
        expect(run.resources.map((r) => r.type).filter((t) => t.startsWith("aws:"))).to.have.members([
            "aws:s3/bucketMetric:BucketMetric",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
        ]);
    });

    for (const [metricName, threshold] of [
        ["DeleteRequests", 1000],
        ["PutRequests", 50000],
    ] as const) {
        it(`alarms on more than ${threshold} ${metricName} in 5 minutes by default, on the request metrics' dimensions, to the topic`, () => {
            const inputs = alarm(run, metricName).inputs;
            expect(inputs).to.deep.include({
                namespace: "AWS/S3",
                statistic: "Sum",
                period: 300,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanThreshold",
                threshold,
                treatMissingData: "notBreaching",
            });
            expect(inputs.dimensions).to.deep.equal({ BucketName: "primary-data", FilterId: requestMetricsFilterId });
            expect(inputs.alarmActions).to.deep.equal([topicArn]);
            expect(inputs.okActions).to.deep.equal([topicArn]);
        });
    }

    it("takes the thresholds it is given", async () => {
        const custom = await build({ deleteRequestsPer5Minutes: 20, putRequestsPer5Minutes: 300 });
        expect(alarm(custom, "DeleteRequests").inputs.threshold).to.equal(20);
        expect(alarm(custom, "PutRequests").inputs.threshold).to.equal(300);
    });
});
