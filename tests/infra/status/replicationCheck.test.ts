import type { ReplicationRule } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { compareRule, describeDifference, ReplicationExpectation } from "../../../infra/status/replicationCheck";
import { deployedRule, outputs } from "./fixtures";

const expectation: ReplicationExpectation = {
    destinationBucketArn: outputs.dr.bucketArn,
    destinationAccountId: outputs.dr.accountId,
    destinationKeyArn: outputs.dr.kmsKeyArn,
    sourceUsesKms: true,
    roleArn: outputs.primary.replicationRoleArn,
    unknown: new Set(),
};

function withDestination(patch: Partial<NonNullable<ReplicationRule["Destination"]>>): ReplicationRule {
    const rule = deployedRule("primary");
    return { ...rule, Destination: { ...rule.Destination!, ...patch } };
}

describe("infra/status/replicationCheck", () => {
    it("finds no difference in the rule lustre-dr deploys, as S3 returns it", () => {
        expect(compareRule(deployedRule("primary"), expectation)).to.deep.equal([]);
    });

    it("takes Filter {Prefix: \"\"} as all objects, like Filter {}", () => {
        expect(compareRule({ ...deployedRule("primary"), Filter: { Prefix: "" } }, expectation)).to.deep.equal([]);
    });

    it("reports a wrong destination and a disabled rule as broken", () => {
        const differences = compareRule({ ...withDestination({ Bucket: "arn:aws:s3:::elsewhere" }), Status: "Disabled" }, expectation);
        expect(differences.map((d) => [d.path, d.severity])).to.have.deep.members([
            ["Status", "broken"],
            ["Destination.Bucket", "broken"],
        ]);
        expect(differences.map(describeDifference)).to.include(`Destination.Bucket is arn:aws:s3:::elsewhere (expected ${outputs.dr.bucketArn})`);
    });

    it("reports delete markers, replica modifications and metrics off as degraded", () => {
        const rule: ReplicationRule = {
            ...withDestination({ Metrics: { Status: "Disabled" } }),
            DeleteMarkerReplication: { Status: "Disabled" },
            SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } },
        };
        const differences = compareRule(rule, expectation);
        expect(differences.map(describeDifference)).to.have.members([
            "DeleteMarkerReplication.Status is Disabled (expected Enabled)",
            "SourceSelectionCriteria.ReplicaModifications.Status is not set (expected Enabled)",
            "Destination.Metrics.Status is Disabled (expected Enabled)",
            "Destination.Metrics.EventThreshold.Minutes is not set (expected 15)",
        ]);
        expect(differences.every((d) => d.severity === "degraded")).to.equal(true);
    });

    it("accepts a rule without RTC (a config choice) but then wants metrics without the RTC threshold", () => {
        const { ReplicationTime: _rtc, ...destination } = deployedRule("primary").Destination!;
        const withoutRtc = { ...deployedRule("primary"), Destination: { ...destination, Metrics: { Status: "Enabled" as const } } };
        expect(compareRule(withoutRtc, expectation)).to.deep.equal([]);
    });

    it("flags settings lustre-dr does not make, unless they only say Disabled", () => {
        const prefixed = compareRule({ ...deployedRule("primary"), Filter: { Prefix: "only/" } }, expectation);
        expect(prefixed.map(describeDifference)).to.deep.equal(["Filter.Prefix is only/, which lustre-dr does not set"]);
        const disabledExtra = { ...deployedRule("primary"), ExistingObjectReplication: { Status: "Disabled" as const } };
        expect(compareRule(disabledExtra, expectation)).to.deep.equal([]);
    });

    it("does not compare what it could not learn: the peer's account and key without stack outputs", () => {
        const unknown: ReplicationExpectation = {
            destinationBucketArn: outputs.dr.bucketArn,
            sourceUsesKms: true,
            unknown: new Set(["destination-account", "replica-key"]),
        };
        expect(compareRule(deployedRule("primary"), unknown)).to.deep.equal([]);
        // The same rule against an expectation that knows both sides share an account: Account must not be set.
        const sameAccount: ReplicationExpectation = { ...expectation, destinationAccountId: undefined };
        expect(compareRule(deployedRule("primary"), sameAccount).map((d) => d.path)).to.have.members([
            "Destination.Account",
            "Destination.AccessControlTranslation.Owner",
        ]);
    });
});
