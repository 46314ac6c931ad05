/**
 * Access-matrix rows for the restore batch role (issue 17): what S3 Batch Operations must be ALLOWED to do for
 * `lustre-dr restore --engine batch` (read the run's manifest and the listed versions, copy them in place, write the
 * report, use the bucket's key through S3), and what the role must be DENIED (delete anything, touch bucket
 * configuration or the peer's bucket, be assumed for another account's, region's or service's work). Evaluated by
 * the IAM policy simulator over the documents the program declares, with the harness of tests/access/accessMatrix.test.ts.
 */
import { expect } from "chai";
import { converge, Variant } from "../infra/policy/pair";
import { accounts } from "../infra/policy/policyHarness";
import { AccessRow, AccessWorld, Context, DeclaredSide, evaluate, Expectation, mismatch, row } from "../support/accessMatrix";
import { declaredSide } from "../support/declaredPolicies";
import { roleNames } from "../../stacks/site";

type SideName = "primary" | "dr";
interface Pair {
    readonly primary: DeclaredSide;
    readonly dr: DeclaredSide;
    readonly world: AccessWorld;
}
type Row = AccessRow<Pair>;

const batchService = "batchoperations.s3.amazonaws.com";
const foreignAccount = "333333333333";
const run = "20261125T080000Z-3f9c1a7b2e";
const objectOf = (side: DeclaredSide, key = "projects/run-42/output.dat"): string => `${side.bucketArn}/${key}`;
const manifestOf = (side: DeclaredSide) => objectOf(side, `.lustre-dr/restore/${run}/attempt-1/manifest-STANDARD.csv`);
const reportOf = (side: DeclaredSide) => objectOf(side, `.lustre-dr/restore/${run}/reports/job-0123/results/failed.csv`);
const jobOf = (side: DeclaredSide, account = side.accountId, region = side.region) => `arn:aws:s3:${region}:${account}:job/0123abcd-4567-89ef-0123-456789abcdef`;
const viaS3 = (side: DeclaredSide, encryptionContext = side.bucketArn): Context => ({
    "kms:ViaService": `s3.${side.region}.amazonaws.com`,
    "kms:EncryptionContext:aws:s3:arn": encryptionContext,
});

function restoreRoleOf(side: DeclaredSide): string {
    const name = roleNames({ project: "lustre-dr", stack: side.stack }).restoreBatch;
    const role = [...side.roles.values()].find((r) => r.name === name);
    if (!role) {
        throw new Error(`${side.stack}: no role named ${name}`);
    }
    return role.arn;
}

function allowedCalls(side: SideName, kms: boolean): Row[] {
    const role = (p: Pair) => ({ principal: restoreRoleOf(p[side]), as: `${side} restore batch role` });
    return [
        row(`Batch Operations assumes the ${side} restore role for a job of its account and region`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: restoreRoleOf(p[side]),
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": jobOf(p[side]) },
        })),
        row("the job reads the run's manifest", (p) => ({ ...role(p), action: "s3:GetObject", resource: manifestOf(p[side]) })),
        row("the job reads the version to restore", (p) => ({ ...role(p), action: "s3:GetObjectVersion", resource: objectOf(p[side]) })),
        row("the job reads that version's tags", (p) => ({ ...role(p), action: "s3:GetObjectVersionTagging", resource: objectOf(p[side]) })),
        row("the job reads that version's ACL", (p) => ({ ...role(p), action: "s3:GetObjectVersionAcl", resource: objectOf(p[side]) })),
        row("the job writes the copy over the same key", (p) => ({ ...role(p), action: "s3:PutObject", resource: objectOf(p[side]) })),
        row("the job writes the copy's tags", (p) => ({ ...role(p), action: "s3:PutObjectTagging", resource: objectOf(p[side]) })),
        row("the job writes its completion report under the run's prefix", (p) => ({ ...role(p), action: "s3:PutObject", resource: reportOf(p[side]) })),
        ...(kms
            ? [
                  row("the job decrypts the version through S3", (p: Pair) => ({ ...role(p), action: "kms:Decrypt", resource: p[side].keyArn as string, context: viaS3(p[side]) })),
                  row("the job encrypts the copy through S3", (p: Pair) => ({ ...role(p), action: "kms:GenerateDataKey", resource: p[side].keyArn as string, context: viaS3(p[side]) })),
              ]
            : []),
    ];
}

function deniedCalls(side: SideName, kms: boolean): Row[] {
    const peer: SideName = side === "primary" ? "dr" : "primary";
    const role = (p: Pair) => ({ principal: restoreRoleOf(p[side]), as: `${side} restore batch role` });
    return [
        row(`Batch Operations assumes the ${side} restore role for another account's job`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: restoreRoleOf(p[side]),
            context: { "aws:SourceAccount": foreignAccount, "aws:SourceArn": jobOf(p[side], foreignAccount) },
        })),
        row(`Batch Operations assumes the ${side} restore role for a job in another region`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: restoreRoleOf(p[side]),
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": jobOf(p[side], p[side].accountId, "ap-southeast-2") },
        })),
        row(`Batch Operations assumes the ${side} restore role without a source job`, (p) => ({
            principal: batchService,
            action: "sts:AssumeRole",
            resource: restoreRoleOf(p[side]),
            context: { "aws:SourceAccount": p[side].accountId },
        })),
        row(`S3 (not Batch Operations) assumes the ${side} restore role`, (p) => ({
            principal: "s3.amazonaws.com",
            action: "sts:AssumeRole",
            resource: restoreRoleOf(p[side]),
            context: { "aws:SourceAccount": p[side].accountId, "aws:SourceArn": p[side].bucketArn },
        })),
        row("the restore role deletes a version", (p) => ({ ...role(p), action: "s3:DeleteObjectVersion", resource: objectOf(p[side]) })),
        row("the restore role deletes an object (a delete marker)", (p) => ({ ...role(p), action: "s3:DeleteObject", resource: objectOf(p[side]) })),
        row("the restore role suspends versioning", (p) => ({ ...role(p), action: "s3:PutBucketVersioning", resource: p[side].bucketArn })),
        row("the restore role replaces the bucket policy", (p) => ({ ...role(p), action: "s3:PutBucketPolicy", resource: p[side].bucketArn })),
        row("the restore role changes the lifecycle rules", (p) => ({ ...role(p), action: "s3:PutLifecycleConfiguration", resource: p[side].bucketArn })),
        row("the restore role shortens a retention", (p) => ({ ...role(p), action: "s3:PutObjectRetention", resource: objectOf(p[side]) })),
        row("the restore role rewrites a version's ACL", (p) => ({ ...role(p), action: "s3:PutObjectAcl", resource: objectOf(p[side]) })),
        row(`the restore role writes into the ${peer} bucket`, (p) => ({ ...role(p), action: "s3:PutObject", resource: objectOf(p[peer]) })),
        row(`the restore role reads the ${peer} bucket`, (p) => ({ ...role(p), action: "s3:GetObjectVersion", resource: objectOf(p[peer]) })),
        ...(kms
            ? [
                  row("the restore role uses the key outside S3", (p: Pair) => ({ ...role(p), action: "kms:Decrypt", resource: p[side].keyArn as string })),
                  row("the restore role uses the key for another bucket", (p: Pair) => ({
                      ...role(p),
                      action: "kms:Decrypt",
                      resource: p[side].keyArn as string,
                      context: viaS3(p[side], `arn:aws:s3:::another-bucket-of-${p[side].accountId}`),
                  })),
              ]
            : []),
    ];
}

function check(pairOf: () => Pair, rows: Row[], expected: Expectation): void {
    for (const entry of rows) {
        it(entry.call, () => {
            const pair = pairOf();
            const problem = mismatch(entry.call, evaluate(pair.world, entry.request(pair)), expected);
            if (problem) {
                expect.fail(problem);
            }
        });
    }
}

const withBucket = (change: Record<string, unknown>): Variant => (raw) => ({ ...raw, bucket: { ...(raw.bucket as Record<string, unknown>), ...change } });

describe("access matrix: the restore batch role (S3 Batch Operations restore)", function () {
    this.timeout(120_000);
    for (const scenario of [
        { title: "SSE-KMS with bucket keys", kms: true },
        { title: "SSE-S3", kms: false, variant: withBucket({ encryption: "SSE_S3" }) },
    ]) {
        describe(scenario.title, () => {
            let pair: Pair | undefined;
            const pairOf = (): Pair => {
                if (!pair) throw new Error("the pair was not deployed");
                return pair;
            };
            before(async () => {
                const converged = await converge(scenario.variant);
                const primary = declaredSide(converged.primary, accounts.primary);
                const dr = declaredSide(converged.dr, accounts.dr);
                pair = { primary, dr, world: new AccessWorld([primary, dr]) };
            });

            it("declares one restore role per side, with one policy, all valid IAM", () => {
                const { primary, dr, world } = pairOf();
                for (const side of [primary, dr]) {
                    expect(side.roles.get(restoreRoleOf(side))?.identity, `${side.stack} restore role policy`).to.have.length(1);
                }
                expect(world.documentProblems()).to.deep.equal([]);
            });
            for (const side of ["primary", "dr"] as const) {
                describe(`ALLOWED: batch restore of ${side}`, () => check(pairOf, allowedCalls(side, scenario.kms), "allowed"));
                describe(`DENIED: the ${side} restore role beyond a restore`, () => check(pairOf, deniedCalls(side, scenario.kms), "denied"));
            }
        });
    }
});
