/**
 * The one forgery the peer pin cannot see (stacks/peerPin.ts): a bucket ARN names no account, so forged peer outputs
 * can name a bucket in the attacker's account while every other output fits `lustre-dr:peerAccountId`. The program
 * then declares replication into that bucket; IAM must still refuse every replica write, because the replication
 * role may write only into buckets the pinned account owns (`s3:ResourceAccount`). Evaluated by the IAM policy
 * simulator against the documents the program declares, with the attacker's bucket policy allowing everything.
 */
import { expect } from "chai";
import { accounts, Backend, fullName, upUnderPolicy } from "../infra/policy/policyHarness";
import { AccessWorld, DeclaredSide, evaluate } from "../support/accessMatrix";
import { declaredSide } from "../support/declaredPolicies";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";

const attackerAccount = "666666666666";
const attackerBucket = "attacker-exfiltration";

describe("access matrix: replication into a forged destination bucket (another account, pin-consistent outputs)", () => {
    let primary: DeclaredSide;
    let world: AccessWorld;

    before(async () => {
        // The handshake as deploy runs it, then the dr side's outputs rewritten to name the attacker's bucket: nothing
        // else changes, so the pin (account, roles, key) is satisfied and the primary's next update replicates to it.
        const config = (stack: "primary" | "dr", peer?: "primary" | "dr") => {
            const raw = readStackConfigFile(stackConfigPath(stack));
            return {
                ...raw,
                bucket: { ...(raw.bucket as Record<string, unknown>), name: `lustre-dr-test-${stack}-data` },
                ...(peer ? { peerStack: fullName(peer), peerAccountId: accounts[peer] } : {}),
            };
        };
        const backend: Backend = {};
        await upUnderPolicy("primary", config("primary"), backend);
        await upUnderPolicy("dr", config("dr", "primary"), backend);
        await upUnderPolicy("primary", config("primary", "dr"), backend);
        await upUnderPolicy("dr", config("dr", "primary"), backend);
        backend[fullName("dr")] = { ...backend[fullName("dr")], bucketName: attackerBucket, bucketArn: `arn:aws:s3:::${attackerBucket}` };
        const forged = await upUnderPolicy("primary", config("primary", "dr"), backend);
        primary = declaredSide(forged, accounts.primary);
        const attacker: DeclaredSide = {
            stack: "attacker",
            accountId: attackerAccount,
            region: "us-west-2",
            bucketName: attackerBucket,
            bucketArn: `arn:aws:s3:::${attackerBucket}`,
            roles: new Map(),
            bucketPolicy: {
                name: "attacker's bucket policy: anyone may write",
                document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${attackerBucket}`, `arn:aws:s3:::${attackerBucket}/*`] }] },
            },
            objectLock: false,
            fileSystem: false,
            replicationRoleArn: `arn:aws:iam::${attackerAccount}:role/x`,
            batchReplicationRoleArn: `arn:aws:iam::${attackerAccount}:role/y`,
        };
        world = new AccessWorld([primary, attacker]);
    });

    for (const action of ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"]) {
        it(`denies the primary replication role ${action} into the attacker's bucket`, () => {
            const verdict = evaluate(world, {
                principal: primary.replicationRoleArn,
                as: "primary replication role",
                action,
                resource: `arn:aws:s3:::${attackerBucket}/projects/run-42/output.dat`,
            });
            expect(verdict.result, `${action}: the program declared a grant for the forged bucket`).to.not.equal("Allowed");
        });
    }

    it("the same documents would allow it if the bucket were the pinned account's: the pin is what denies", () => {
        const pinnedOwner = new AccessWorld([primary, { ...(world.sides[1] as DeclaredSide), accountId: accounts.dr }]);
        const verdict = evaluate(pinnedOwner, {
            principal: primary.replicationRoleArn,
            action: "s3:ReplicateObject",
            resource: `arn:aws:s3:::${attackerBucket}/projects/run-42/output.dat`,
        });
        expect(verdict.result).to.equal("Allowed");
        // And the identity policy does name the forged bucket: only the account condition stands in the way.
        const policy = [...primary.roles.values()].flatMap((role) => role.identity).map((p) => JSON.stringify(p.document)).join("\n");
        expect(policy).to.contain(attackerBucket).and.contain("s3:ResourceAccount");
    });
});
