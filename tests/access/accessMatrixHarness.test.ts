/**
 * The access matrix must be able to fail: break one declared document the way issue 13 found it broken (or the way
 * an over-grant would look) and check the verdict flips with a message naming the call, the principal and the
 * document, and the statement responsible for an over-grant.
 */
import { expect } from "chai";
import { converge } from "../infra/policy/pair";
import { accounts } from "../infra/policy/policyHarness";
import { AccessRequest, AccessWorld, allowEverything, DeclaredSide, evaluate, mismatch, NamedPolicy } from "../support/accessMatrix";
import { declaredSide } from "../support/declaredPolicies";

type Statement = Record<string, unknown>;

/** A copy of `policy` with `change` applied to its statement `sid`. */
function changed(policy: NamedPolicy, sid: string, change: (statement: Statement) => Statement): NamedPolicy {
    const statements = policy.document.Statement as Statement[];
    expect(statements.map((s) => s.Sid), policy.name).to.include(sid);
    return { ...policy, document: { ...policy.document, Statement: statements.map((s) => (s.Sid === sid ? change(s) : s)) } };
}

const withoutAction = (action: string) => (statement: Statement): Statement => ({
    ...statement,
    Action: [statement.Action].flat().filter((a) => a !== action),
});

describe("access matrix harness", function () {
    this.timeout(60_000);
    let primary: DeclaredSide;
    let dr: DeclaredSide;

    before(async () => {
        const pair = await converge();
        primary = declaredSide(pair.primary, accounts.primary);
        dr = declaredSide(pair.dr, accounts.dr);
    });

    it("reads every role of the stack, and reports the AWS-managed policies it cannot evaluate", () => {
        const names = [...primary.roles.values()].map((role) => role.name);
        expect(names).to.include.members(["lustre-dr-primary-replication", "lustre-dr-primary-batch-replication"]);
        const unreadable = [...primary.roles.values()].flatMap((role) => role.unreadablePolicyArns);
        // The example primary's instance client carries SSM's managed policy (attached, not declared).
        expect(unreadable).to.deep.equal(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    });

    const bucketKeyCheck = (): AccessRequest => ({
        principal: primary.replicationRoleArn,
        as: "primary replication role",
        action: "kms:Decrypt",
        resource: dr.keyArn!,
        context: { "kms:ViaService": `s3.${dr.region}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": dr.bucketArn },
    });

    it("allows the shipped documents' bucket-key check, and fails naming call, principal and documents once kms:Decrypt is missing (issue 13 item 1)", () => {
        const call = "replication decrypts the replica key's bucket key to verify it";
        expect(mismatch(call, evaluate(new AccessWorld([primary, dr]), bucketKeyCheck()), "allowed")).to.equal(undefined);

        const role = primary.roles.get(primary.replicationRoleArn)!;
        const brokenPrimary: DeclaredSide = {
            ...primary,
            roles: new Map([...primary.roles, [role.arn, { ...role, identity: role.identity.map((p) => changed(p, "EncryptReplicas", withoutAction("kms:Decrypt"))) }]]),
        };
        const brokenDr: DeclaredSide = { ...dr, keyPolicy: changed(dr.keyPolicy!, "PeerEncryptsReplicas", withoutAction("kms:Decrypt")) };
        const message = mismatch(call, evaluate(new AccessWorld([brokenPrimary, brokenDr]), bucketKeyCheck()), "allowed");
        expect(message).to.be.a("string");
        expect(message).to.include(call);
        expect(message).to.include("arn:aws:iam::111111111111:role/lustre-dr-primary-replication");
        expect(message).to.include(`kms:Decrypt on ${dr.keyArn}`);
        expect(message).to.include('identity policy "primary: policy data-replication-policy of role lustre-dr-primary-replication": no statement matches');
        expect(message).to.include('resource policy "dr: key policy of the key of lustre-dr-test-dr-data": no statement matches');
    });

    it("fails naming the granting statement when the peer grant widens to s3:List* again", () => {
        const listing: AccessRequest = {
            principal: primary.replicationRoleArn,
            as: "primary replication role, rewritten by an attacker",
            action: "s3:ListBucketVersions",
            resource: dr.bucketArn,
            identity: [allowEverything("primary account")],
        };
        const call = "peer lists every version of the dr bucket";
        expect(mismatch(call, evaluate(new AccessWorld([primary, dr]), listing), "denied")).to.equal(undefined);

        const widened: DeclaredSide = {
            ...dr,
            bucketPolicy: changed(dr.bucketPolicy!, "LetPeerCheckVersioning", (s) => ({ ...s, Action: ["s3:GetBucketVersioning", "s3:List*"] })),
        };
        const message = mismatch(call, evaluate(new AccessWorld([primary, widened]), listing), "denied");
        expect(message).to.include("expected DENIED, the simulator says Allowed");
        expect(message).to.include('resource policy "dr: bucket policy of lustre-dr-test-dr-data": matched by LetPeerCheckVersioning (Allow)');
    });

    it("attributes a cross-account grant to the statements of both documents that make it", () => {
        // As if the table wrongly said replica writes must be denied: the message names what allows them.
        const write: AccessRequest = { principal: primary.replicationRoleArn, action: "s3:ReplicateObject", resource: `${dr.bucketArn}/data` };
        const message = mismatch("replication writes the replica", evaluate(new AccessWorld([primary, dr]), write), "denied");
        expect(message).to.include('identity policy "primary: policy data-replication-policy of role lustre-dr-primary-replication": matched by WriteReplicas (Allow)');
        expect(message).to.include('resource policy "dr: bucket policy of lustre-dr-test-dr-data": matched by AcceptReplicasFromPeer (Allow)');
    });

    it("names the explicit deny that blocks a request without TLS", () => {
        const request: AccessRequest = {
            principal: `arn:aws:iam::${dr.accountId}:role/lustre-dr-operator`,
            action: "s3:GetObject",
            resource: `${dr.bucketArn}/data`,
            context: { "aws:SecureTransport": "false" },
            identity: [allowEverything("dr operator")],
        };
        const verdict = evaluate(new AccessWorld([primary, dr]), request);
        expect(verdict.result).to.equal("ExplicitlyDenied");
        expect(mismatch("operator reads without TLS", verdict, "allowed")).to.include("matched by DenyInsecureTransport (Deny)");
    });
});
