/**
 * Deployed replication rule versus the rule lustre-dr deploys. The expectation is not restated here: it is
 * `components/replicationRule.ts` called with this pair's plain values, so a field added to the rule there is
 * checked here without a second edit.
 */
import type { ReplicationRule } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { replicationRule, replicationRuleId } from "../../components/replicationRule";
import type { Severity } from "./model";

/** What this side's rule must say, as far as status could learn it. */
export interface ReplicationExpectation {
    /** The peer bucket; undefined when the peer could not be located. */
    readonly destinationBucketArn?: string;
    /** The peer's account, set only when it differs from this side's (replicas then change owner). */
    readonly destinationAccountId?: string;
    /** The peer bucket's key ARN, when the peer uses SSE-KMS. */
    readonly destinationKeyArn?: string;
    /** This bucket encrypts with SSE-KMS. */
    readonly sourceUsesKms: boolean;
    /** The role S3 must replicate with (the side's `replicationRoleArn` output). */
    readonly roleArn?: string;
    /** Facts status could not learn without stack outputs; the fields that depend on them are not compared. */
    readonly unknown: ReadonlySet<UnknownFact>;
}

export type UnknownFact = "destination-bucket" | "destination-account" | "replica-key" | "source-encryption";

/** Field paths (lower case) that depend on each unknown fact. */
const pathsDependingOn: Record<UnknownFact, readonly string[]> = {
    "destination-bucket": ["destination.bucket"],
    "destination-account": ["destination.account", "destination.accesscontroltranslation"],
    "replica-key": ["destination.encryptionconfiguration"],
    "source-encryption": ["sourceselectioncriteria.ssekmsencryptedobjects", "destination.encryptionconfiguration"],
};

/** One field where the deployed rule and the expected rule disagree. */
export interface RuleDifference {
    /** Display path in S3's spelling where the deployed rule has it, e.g. `Destination.Bucket`. */
    readonly path: string;
    readonly deployed?: string;
    readonly expected?: string;
    readonly severity: Severity;
}

/** Fields without which data does not reach the peer at all. */
const vitalPaths = ["id", "status", "destination.bucket", "destination.account"];

type Flat = Map<string, { display: string; value: string }>;

/**
 * Flattens a rule into `path -> value`, keyed case-insensitively so the provider's `replicaKmsKeyId` and the S3 API's
 * `ReplicaKmsKeyID` meet. Empty objects (`filter: {}`) are kept as `{}`: "all objects" is a value too.
 */
function flatten(value: unknown, into: Flat = new Map(), path: string[] = []): Flat {
    if (value === undefined || value === null) {
        return into;
    }
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        throw new Error(`replication rule field ${path.join(".")} is not a plain value`);
    }
    if (typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
        if (entries.length === 0 && path.length > 0) {
            into.set(path.join(".").toLowerCase(), { display: path.join("."), value: "{}" });
        }
        for (const [key, child] of entries) {
            flatten(child, into, [...path, key]);
        }
        return into;
    }
    into.set(path.join(".").toLowerCase(), { display: path.join("."), value: String(value) });
    return into;
}

function capitalised(path: string): string {
    return path
        .split(".")
        .map((segment) => segment.charAt(0).toUpperCase() + segment.slice(1))
        .join(".");
}

/** S3 spellings that mean the same as what lustre-dr deploys. */
function normaliseDeployed(rule: ReplicationRule): ReplicationRule {
    const { Filter, ...rest } = rule;
    // `Filter: {Prefix: ""}` is how some SDKs and consoles write "all objects".
    const filter = Filter && Filter.Prefix === "" && !Filter.Tag && !Filter.And ? {} : Filter;
    return { ...rest, ...(filter ? { Filter: filter } : {}) };
}

/** The rule lustre-dr would deploy for this expectation, with RTC as deployed (RTC is a config choice). */
export function expectedRule(expectation: ReplicationExpectation, replicationTimeControl: boolean): unknown {
    return replicationRule({
        destinationBucketArn: expectation.destinationBucketArn ?? "",
        destinationAccountId: expectation.destinationAccountId,
        destinationKeyArn: expectation.destinationKeyArn,
        sourceUsesKms: expectation.sourceUsesKms,
        replicationTimeControl,
    });
}

export function findRule(rules: readonly ReplicationRule[] | undefined): ReplicationRule | undefined {
    return rules?.find((rule) => rule.ID === replicationRuleId);
}

export function hasReplicationTimeControl(rule: ReplicationRule): boolean {
    return rule.Destination?.ReplicationTime?.Status === "Enabled";
}

/** Every field where `deployed` differs from what lustre-dr deploys, skipping fields that depend on unknown facts. */
export function compareRule(deployed: ReplicationRule, expectation: ReplicationExpectation): RuleDifference[] {
    const expected = flatten(expectedRule(expectation, hasReplicationTimeControl(deployed)));
    const actual = flatten(normaliseDeployed(deployed));
    const ignored = [...expectation.unknown].flatMap((fact) => pathsDependingOn[fact]);
    const isIgnored = (path: string) => ignored.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
    const severityOf = (path: string): Severity => (vitalPaths.includes(path) ? "broken" : "degraded");

    const differences: RuleDifference[] = [];
    for (const [path, want] of expected) {
        if (isIgnored(path)) {
            continue;
        }
        const have = actual.get(path);
        // An expected `{}` with deployed fields below it: those fields are reported as extras, once.
        const narrowed = want.value === "{}" && [...actual.keys()].some((p) => p.startsWith(`${path}.`));
        if (have?.value !== want.value && !narrowed) {
            differences.push({
                path: have?.display ?? capitalised(want.display),
                deployed: have?.value,
                expected: want.value,
                severity: severityOf(path),
            });
        }
    }
    for (const [path, have] of actual) {
        // A field lustre-dr does not set is only a difference when it turns something on (`Status: Disabled` is absence).
        if (expected.has(path) || isIgnored(path) || (path.endsWith(".status") && have.value === "Disabled")) {
            continue;
        }
        differences.push({ path: have.display, deployed: have.value, severity: "degraded" });
    }
    return differences;
}

export function describeDifference(difference: RuleDifference): string {
    if (difference.deployed === undefined) {
        return `${difference.path} is not set (expected ${difference.expected})`;
    }
    if (difference.expected === undefined) {
        return `${difference.path} is ${difference.deployed}, which lustre-dr does not set`;
    }
    return `${difference.path} is ${difference.deployed} (expected ${difference.expected})`;
}
