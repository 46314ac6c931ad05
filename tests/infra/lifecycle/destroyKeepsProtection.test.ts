/**
 * `lustre-dr destroy` without --include-data keeps the data, and the data stays protected: every setting that guards
 * a kept bucket survives the destroy in AWS. The program's real resources (the mocked, converged pair, with the
 * options each was registered with) are the fake Pulumi CLI's state, so what the destroy deletes is what the engine
 * would delete.
 */
import { expect } from "chai";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { runDestroy } from "../../../infra/lifecycle/destroy";
import { FakePulumiCommand, FakeResource, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";
import { converge, ConvergedPair } from "../policy/pair";
import type { StackUnderPolicy } from "../policy/policyHarness";

/** What keeps a kept bucket safe, by what losing it would do (written out here, not read from the component). */
const guards: Record<string, string> = {
    "aws:s3/bucketVersioning:BucketVersioning": "versioning would be suspended",
    "aws:s3/bucketPolicy:BucketPolicy": "the TLS-only deny would go",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "the bucket could be made public",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "new objects would lose the customer key",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "ACLs would come back",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "the retention rule would go",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "the default retention would go",
};
const dataTypes = ["aws:s3/bucket:Bucket", "aws:kms/key:Key"];

function stateOf(side: StackUnderPolicy): FakeResource[] {
    return side.records.map((record) => ({
        urn: record.urn,
        type: record.type,
        protect: record.protect,
        ...(record.retainOnDelete ? { retainOnDelete: true } : {}),
    }));
}

const typeOf = (urn: string) => urn.split("::")[2].split("$").pop() ?? urn;

describe("destroy keeps the kept data protected (both sides, SSE-KMS with Object Lock)", () => {
    let pair: ConvergedPair;
    let project: TempProject;
    let fake: FakePulumiCommand;

    before(async () => {
        pair = await converge((raw) => ({ ...raw, bucket: { ...(raw.bucket as Record<string, unknown>), objectLock: { mode: "GOVERNANCE", days: 7 } } }));
    });
    beforeEach(async () => {
        project = tempProject();
        fake = new FakePulumiCommand(twoSites);
        fake.resourceModel = (stack) => stateOf(stack === "primary" ? pair.primary : pair.dr);
        await runDeploy(
            { primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId },
            { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
    });
    afterEach(() => project.remove());

    const destroy = (options: { includeData?: boolean; confirm?: string } = {}, output = recordingOutput()) =>
        runDestroy({ primary: "primary", dr: "dr", ...options }, { output, workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } });

    for (const role of ["primary", "dr"] as const) {
        it(`${role}: every setting that guards the data is retainOnDelete, and the data itself protected`, () => {
            const records = pair[role].records;
            for (const type of Object.keys(guards)) {
                const found = records.filter((r) => r.type === type);
                expect(found, `${role} declares ${type}`).to.have.length(1);
                expect(found[0].retainOnDelete, `${type}: without retainOnDelete ${guards[type]}`).to.equal(true);
            }
            for (const type of dataTypes) {
                expect(records.find((r) => r.type === type)?.protect, `${type} protected`).to.equal(true);
            }
        });
    }

    it("destroy without --include-data deletes none of them on either side, and says what it left", async () => {
        const output = recordingOutput();
        const results = await destroy({}, output);

        const deletedTypes = fake.deletedInCloud.map(typeOf);
        for (const type of [...Object.keys(guards), ...dataTypes]) {
            expect(deletedTypes, `${type} deleted`).to.not.include(type);
        }
        // It still destroys what is not data: the replication configuration, roles, alarms, the association.
        expect(deletedTypes).to.include.members([
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "aws:iam/role:Role",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
        ]);
        for (const result of results) {
            expect(result.kept.map((k) => k.split(" ")[0])).to.include.members(dataTypes);
            expect(result.retained.map((k) => k.split(" ")[0]).sort()).to.deep.equal(Object.keys(guards).sort());
        }
        expect(output.texts[0]).to.contain("and left in AWS, still protecting them").and.contain("lustre-dr deploy");
    });

    it("with --include-data the buckets and keys are deleted; their settings go with the bucket", async () => {
        await destroy({ includeData: true, confirm: "dr primary" });
        const deletedTypes = fake.deletedInCloud.map(typeOf);
        expect(deletedTypes.filter((t) => t === "aws:s3/bucket:Bucket")).to.have.length(2);
        expect(deletedTypes.filter((t) => t === "aws:kms/key:Key")).to.have.length(2);
        // Never deleted one by one (which would suspend versioning on a bucket that then fails to delete).
        expect(deletedTypes).to.not.include("aws:s3/bucketVersioning:BucketVersioning");
    });
});
