import { expect } from "chai";
import { replicationRules } from "../../../../infra/policy/policies/replicationRules";
import { types } from "../../../../infra/policy/stackModel";
import { convergedPair } from "../pair";
import { accounts, broken, check, declare, recordOf, StackRecord, StackUnderPolicy } from "../policyHarness";

/** The primary with its one replication rule changed by `change`. */
async function primaryWithRule(change: (rule: Record<string, any>) => void): Promise<StackUnderPolicy> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { primary } = await convergedPair();
    return broken(primary, (records) => declare(recordOf(records, types.replication), (props) => change(props.rules[0])));
}

async function messages(stack: StackUnderPolicy): Promise<string[]> {
    return (await check(replicationRules, stack)).map((violation) => violation.message);
}

function peerOutputs(records: StackRecord[]): Record<string, unknown> {
    return recordOf(records, types.stackReference).outputs.outputs as Record<string, unknown>;
}

describe("policy replication-rules-for-dr", () => {
    it("passes the shipped rules in both directions", async () => {
        const { primary, dr } = await convergedPair();
        expect(await check(replicationRules, primary)).to.deep.equal([]);
        expect(await check(replicationRules, dr)).to.deep.equal([]);
    });

    it("fails a disabled rule", async () => {
        const [message] = await messages(await primaryWithRule((rule) => (rule.status = "Disabled")));
        expect(message).to.match(/^data-replication \(bucket data-bucket \(lustre-dr-test-primary-data\)\): rule "lustre-dr-to-peer": status is "Disabled"; set status "Enabled"\.$/);
    });

    it("fails a rule that does not replicate delete markers", async () => {
        const [message] = await messages(await primaryWithRule((rule) => (rule.deleteMarkerReplication = { status: "Disabled" })));
        expect(message).to.contain('set deleteMarkerReplication.status "Enabled"');
    });

    it("fails a rule without replica modifications", async () => {
        const [message] = await messages(await primaryWithRule((rule) => delete rule.sourceSelectionCriteria.replicaModifications));
        expect(message).to.contain('set sourceSelectionCriteria.replicaModifications.status "Enabled"');
    });

    it("fails a rule with existingObjectReplication, whatever its status", async () => {
        const [message] = await messages(await primaryWithRule((rule) => (rule.existingObjectReplication = { status: "Disabled" })));
        expect(message).to.contain("remove existingObjectReplication; S3 no longer accepts it");
    });

    it("fails a cross-account rule without owner override", async () => {
        const [message] = await messages(await primaryWithRule((rule) => delete rule.destination.accessControlTranslation));
        expect(message).to.contain(`destination account ${accounts.dr} differs from the source account ${accounts.primary}`)
            .and.contain('set destination.accessControlTranslation.owner "Destination"');
    });

    it("fails a rule to another account that does not name the account, from the peer's accountId output", async () => {
        const [message] = await messages(
            await primaryWithRule((rule) => {
                delete rule.destination.account;
                delete rule.destination.accessControlTranslation;
            }),
        );
        expect(message).to.contain(`belongs to account ${accounts.dr}; set destination.account "${accounts.dr}"`);
    });

    it("passes a same-account pair without owner override", async () => {
        const { primary } = await convergedPair();
        const sameAccount = broken(primary, (records) => {
            declare(recordOf(records, types.replication), (props) => {
                delete props.rules[0].destination.account;
                delete props.rules[0].destination.accessControlTranslation;
            });
            peerOutputs(records).accountId = accounts.primary;
        });
        expect(await messages(sameAccount)).to.deep.equal([]);
    });

    it("fails a destination in the source's region, saying where that region came from", async () => {
        const { primary } = await convergedPair();
        const sameRegion = broken(primary, (records) => (peerOutputs(records).region = primary.region));
        const [message] = await messages(sameRegion);
        expect(message).to.contain(`is in ${primary.region} (from the region output of organization/lustre-dr/dr), the same region as its source`);
    });

    it("falls back to the replica key's region when no StackReference describes the destination", async () => {
        const { primary } = await convergedPair();
        const keyRegionOnly = broken(primary, (records) => {
            records.splice(records.indexOf(recordOf(records, types.stackReference)), 1);
            declare(recordOf(records, types.replication), (props) => {
                props.rules[0].destination.encryptionConfiguration.replicaKmsKeyId = `arn:aws:kms:${primary.region}:${accounts.dr}:key/k`;
            });
        });
        const [message] = await messages(keyRegionOnly);
        expect(message).to.contain(`(from the replica KMS key arn:aws:kms:${primary.region}:`);
    });

    it("fails a rule whose destination region nothing in the stack reveals", async () => {
        const { primary } = await convergedPair();
        const unknowable = broken(primary, (records) => {
            records.splice(records.indexOf(recordOf(records, types.stackReference)), 1);
            declare(recordOf(records, types.replication), (props) => delete props.rules[0].destination.encryptionConfiguration);
        });
        const [message] = await messages(unknowable);
        expect(message).to.contain("cannot tell the region of destination arn:aws:s3:::lustre-dr-test-dr-data (an S3 ARN has none)")
            .and.contain("StackReference whose outputs include bucketArn and region");
    });

    it("reports every problem of a rule at once", async () => {
        const problems = await messages(
            await primaryWithRule((rule) => {
                rule.status = "Disabled";
                rule.deleteMarkerReplication.status = "Disabled";
                rule.existingObjectReplication = { status: "Enabled" };
            }),
        );
        expect(problems).to.have.length(3);
    });
});
