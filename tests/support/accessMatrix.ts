/**
 * The access matrix: real AWS calls (principal, action, resource, request context) evaluated against the documents
 * the program declares, with the IAM policy simulator @cloud-copilot/iam-simulate.
 *
 * LICENSE BOUNDARY: @cloud-copilot/iam-simulate and @cloud-copilot/iam-policy are AGPL-3.0. They are
 * devDependencies and may be imported only under tests/ (tests/access/licenseBoundary.test.ts enforces it).
 *
 * Why `runUnsafeSimulation`: the validating `runSimulation` drops every request context key it cannot find in its
 * action data, and it finds `kms:EncryptionContext:<key>` keys only when they contain a "/". Encryption-context
 * conditions are exactly what scopes the keys to their buckets, so a matrix that ignored them would prove nothing.
 * The unsafe entry point evaluates the request context as given; the documents are validated here instead
 * (`documentProblems`), and the harness fills in the global keys AWS sets on every request (`requestContext`).
 */
import {
    createValidatedPolicy,
    validateIdentityPolicy,
    validateResourcePolicy,
    validateTrustPolicy,
    type ValidatedPolicy,
    type ValidationError,
} from "@cloud-copilot/iam-policy";
import { anonymousPrincipal, runUnsafeSimulation, type AnonymousRequestPrincipal, type EvaluationResult } from "@cloud-copilot/iam-simulate";
import type { DeclaredSide, NamedPolicy, PolicyJson } from "./declaredPolicies";

export type { DeclaredSide, NamedPolicy, PolicyJson };
export const anonymous: AnonymousRequestPrincipal = anonymousPrincipal;
export type Principal = string | AnonymousRequestPrincipal;
export type Context = Record<string, string | string[]>;

/** One call AWS makes, fully resolved: who, what, on what, with which request context. */
export interface AccessRequest {
    readonly principal: Principal;
    /** How messages name the principal, e.g. "dr replication role". @default the principal ARN */
    readonly as?: string;
    readonly action: string;
    readonly resource: string;
    /** Account of an account-level call (resource `*`, e.g. s3:CreateJob); other resources name their owner. */
    readonly resourceAccount?: string;
    /** Keys AWS puts in this request's context beyond the global ones `requestContext` adds. */
    readonly context?: Context;
    /**
     * Identity policies of a principal the program does not declare (an operator, an attacker, a service-linked
     * role). Principals the program declares always get their declared policies, plus these.
     */
    readonly identity?: readonly NamedPolicy[];
}

/** A row of a table: one call, in words, and how to build its request from the deployed pair. */
export interface AccessRow<W> {
    readonly call: string;
    readonly request: (world: W) => AccessRequest;
}

export function row<W>(call: string, request: (world: W) => AccessRequest): AccessRow<W> {
    return { call, request };
}

/** An identity policy that allows everything: an administrator, or an attacker who controls the principal. */
export function allowEverything(owner: string): NamedPolicy {
    return {
        name: `${owner}: Allow *:* (administrator, or an attacker who rewrote it)`,
        document: { Version: "2012-10-17", Statement: [{ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }] },
    };
}

export function accountOf(arn: string): string | undefined {
    const account = arn.split(":")[4];
    return account && /^\d{12}$/.test(account) ? account : undefined;
}

function isAnonymous(principal: Principal): principal is AnonymousRequestPrincipal {
    return typeof principal !== "string";
}

function principalName(request: AccessRequest): string {
    const id = isAnonymous(request.principal) ? "anonymous" : request.principal;
    return request.as ? `${request.as} (${id})` : id;
}

/**
 * The request context AWS builds: `aws:SecureTransport` (requests are TLS unless the row says otherwise),
 * `aws:PrincipalArn`/`aws:PrincipalAccount` for IAM principals, `kms:CallerAccount` for KMS, then the row's keys.
 */
export function requestContext(request: AccessRequest): Context {
    const context: Context = { "aws:SecureTransport": "true" };
    if (!isAnonymous(request.principal) && request.principal.startsWith("arn:")) {
        const account = accountOf(request.principal);
        context["aws:PrincipalArn"] = request.principal;
        if (account) {
            context["aws:PrincipalAccount"] = account;
            if (request.action.startsWith("kms:")) {
                context["kms:CallerAccount"] = account;
            }
        }
    }
    return { ...context, ...request.context };
}

/**
 * Keys AWS adds from the resource itself: the owning account, as `aws:ResourceAccount` on every request and as
 * `s3:ResourceAccount` on S3 requests (the replication role's writes are pinned to the peer account with it).
 */
export function resourceContext(action: string, resourceAccount: string): Context {
    return { "aws:ResourceAccount": resourceAccount, ...(action.startsWith("s3:") ? { "s3:ResourceAccount": resourceAccount } : {}) };
}

/** Which declared documents AWS evaluates for a request, and the account the resource belongs to. */
export interface Applicable {
    readonly identity: readonly NamedPolicy[];
    readonly resourcePolicy?: NamedPolicy;
    readonly resourceAccount: string;
}

/** Both sides of a deployed pair as IAM sees them: who holds which policies, which resource carries which policy. */
export class AccessWorld {
    constructor(readonly sides: readonly DeclaredSide[]) {}

    /** The documents AWS evaluates for `request`: the principal's declared and given identity policies, the resource's policy. */
    applicable(request: AccessRequest): Applicable {
        const declared = isAnonymous(request.principal)
            ? []
            : this.sides.flatMap((side) => side.roles.get(request.principal as string)?.identity ?? []);
        return { identity: [...declared, ...(request.identity ?? [])], ...this.resourceOf(request.resource, request.action, request.resourceAccount) };
    }

    private resourceOf(resource: string, action: string, given?: string): { resourcePolicy?: NamedPolicy; resourceAccount: string } {
        const s3 = /^arn:[^:]+:s3:::([^/]+)(\/.*)?$/.exec(resource);
        if (s3) {
            const side = this.sides.find((candidate) => candidate.bucketName === s3[1]);
            if (!side) {
                throw new Error(`no side declares the bucket of ${resource}`);
            }
            return { ...(side.bucketPolicy ? { resourcePolicy: side.bucketPolicy } : {}), resourceAccount: side.accountId };
        }
        if (/^arn:[^:]+:kms:/.test(resource)) {
            const side = this.sides.find((candidate) => candidate.keyArn === resource);
            if (!side?.keyPolicy) {
                throw new Error(`no side declares the key ${resource}`);
            }
            return { resourcePolicy: side.keyPolicy, resourceAccount: side.accountId };
        }
        // A role's trust policy is its resource policy for assuming it (sts:AssumeRole*), not for IAM actions on it.
        if (/^arn:[^:]+:iam::\d{12}:role\//.test(resource) && action.startsWith("sts:")) {
            const role = this.sides.map((side) => side.roles.get(resource)).find((found) => found !== undefined);
            if (!role) {
                throw new Error(`no side declares the role ${resource}`);
            }
            return { resourcePolicy: role.trust, resourceAccount: accountOf(resource)! };
        }
        const account = accountOf(resource) ?? given;
        if (!account) {
            throw new Error(`cannot tell which account owns ${resource}`);
        }
        return { resourceAccount: account };
    }

    /** Every declared document that IAM would reject, with the document's name. */
    documentProblems(): string[] {
        const problems: string[] = [];
        const report = (policy: NamedPolicy, errors: ValidationError[]): void => {
            for (const error of errors) {
                problems.push(`${policy.name}: ${error.path}: ${error.message}`);
            }
        };
        for (const side of this.sides) {
            for (const role of side.roles.values()) {
                report(role.trust, validateTrustPolicy(role.trust.document));
                role.identity.forEach((policy) => report(policy, validateIdentityPolicy(policy.document)));
            }
            if (side.bucketPolicy) {
                report(side.bucketPolicy, validateResourcePolicy(side.bucketPolicy.document));
            }
            if (side.keyPolicy) {
                report(side.keyPolicy, validateResourcePolicy(side.keyPolicy.document));
            }
        }
        return problems;
    }
}

function validated(policy: NamedPolicy | PolicyJson, name?: string): ValidatedPolicy<{ name: string }> {
    const document = "document" in policy ? policy.document : policy;
    return createValidatedPolicy(document, () => [], { name: name ?? ("name" in policy ? String(policy.name) : "statement") });
}

/** The whole request context: what AWS derives from the resource's owner, then from the caller and the row. */
function fullContext(request: AccessRequest, resourceAccount: string): Context {
    return { ...resourceContext(request.action, resourceAccount), ...requestContext(request) };
}

/**
 * One evaluation. `evaluatedAccount` is the account the simulator treats as the resource's owner; the explanation
 * moves it to isolate one statement, while the request context keeps the real owner (`resourceAccount`).
 */
function simulate(
    request: AccessRequest,
    identity: readonly (NamedPolicy | PolicyJson)[],
    resourcePolicy: NamedPolicy | PolicyJson | undefined,
    resourceAccount: string,
    evaluatedAccount: string = resourceAccount,
): EvaluationResult {
    return runUnsafeSimulation(
        {
            request: {
                principal: request.principal,
                action: request.action,
                resource: { resource: request.resource, accountId: evaluatedAccount },
                contextVariables: fullContext(request, resourceAccount),
            },
            identityPolicies: identity.map((policy, index) => ({ name: `identity-${index}`, policy: validated(policy) })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(resourcePolicy ? { resourcePolicy: validated(resourcePolicy) } : {}),
        },
        {},
    );
}

/** The simulator's decision for one request, with the documents it evaluated. */
export interface Verdict {
    readonly request: AccessRequest;
    readonly result: EvaluationResult;
    readonly applicable: Applicable;
}

export function evaluate(world: AccessWorld, request: AccessRequest): Verdict {
    const applicable = world.applicable(request);
    return { request, applicable, result: simulate(request, applicable.identity, applicable.resourcePolicy, applicable.resourceAccount) };
}

function statementsOf(policy: NamedPolicy): Record<string, unknown>[] {
    const statements = policy.document.Statement;
    return Array.isArray(statements) ? [...statements] : [statements as Record<string, unknown>];
}

function label(statement: Record<string, unknown>, index: number): string {
    return typeof statement.Sid === "string" ? statement.Sid : `statement #${index + 1}`;
}

/**
 * The statements of `policy` that match the request (action, resource, principal, conditions), each tried on its
 * own as an Allow in a setting where it alone would decide: for an identity statement the resource is taken to be
 * in the principal's account (and a KMS key to trust that account), for a resource statement the principal is.
 */
function matchingStatements(request: AccessRequest, resourceAccount: string, policy: NamedPolicy, kind: "identity" | "resource"): string[] {
    const principalAccount = isAnonymous(request.principal) ? undefined : accountOf(request.principal);
    const ownAccount = principalAccount ?? "000000000000";
    return statementsOf(policy).flatMap((statement, index) => {
        const alone: PolicyJson = { Version: "2012-10-17", Statement: [{ ...statement, Effect: "Allow" }] };
        const result =
            kind === "identity"
                ? simulate(
                      request,
                      [alone],
                      request.action.startsWith("kms:")
                          ? { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ownAccount}:root` }, Action: "kms:*", Resource: "*" }] }
                          : undefined,
                      resourceAccount,
                      ownAccount,
                  )
                : simulate(request, [], alone, resourceAccount, ownAccount);
        return result === "Allowed" ? [`${label(statement, index)} (${String(statement.Effect)})`] : [];
    });
}

/** What each evaluated document says about the request, one line per document. */
export function explain(verdict: Verdict): string[] {
    const { request, applicable } = verdict;
    const lines = applicable.identity.map((policy) => {
        const matches = matchingStatements(request, applicable.resourceAccount, policy, "identity");
        return `identity policy "${policy.name}": ${matches.length > 0 ? `matched by ${matches.join(", ")}` : "no statement matches"}`;
    });
    if (applicable.identity.length === 0) {
        lines.push("identity policies: none (the principal holds no policy the program declares or the row gives)");
    }
    if (applicable.resourcePolicy) {
        const matches = matchingStatements(request, applicable.resourceAccount, applicable.resourcePolicy, "resource");
        lines.push(
            `resource policy "${applicable.resourcePolicy.name}": ${matches.length > 0 ? `matched by ${matches.join(", ")}` : "no statement matches"}`,
        );
    } else {
        lines.push(`resource policy: none (resource in account ${applicable.resourceAccount})`);
    }
    return lines;
}

export type Expectation = "allowed" | "denied";

/** Undefined when the verdict is what the table says; otherwise the message a failing test prints. */
export function mismatch(call: string, verdict: Verdict, expected: Expectation): string | undefined {
    const allowed = verdict.result === "Allowed";
    if (allowed === (expected === "allowed")) {
        return undefined;
    }
    const { request } = verdict;
    return [
        `${call}: expected ${expected === "allowed" ? "ALLOWED" : "DENIED"}, the simulator says ${verdict.result}`,
        `  principal: ${principalName(request)}`,
        `  call:      ${request.action} on ${request.resource}`,
        `  context:   ${JSON.stringify(fullContext(request, verdict.applicable.resourceAccount))}`,
        ...explain(verdict).map((line) => `  ${line}`),
        expected === "allowed"
            ? "  -> a permission AWS needs for this call is missing from the documents above"
            : "  -> the statements matched above grant more than the table allows",
    ].join("\n");
}
