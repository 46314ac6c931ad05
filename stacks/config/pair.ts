/**
 * Rules across the two stack files of a pair, for the commands that read both (plan, cost, deploy). Each file is
 * validated on its own first (parseSiteConfig); these catch what only the pair shows: two primaries, one bucket name
 * on both sides, both sides in one region, different encryption, a peerStack that names neither file's stack.
 */
import { ConfigError, ConfigProblem } from "../../components/problems";
import { parseSiteConfig, RawSiteConfig, SiteConfig } from "../config";
import { configNamespace } from "./namespace";
import type { SiteRole, StackIdentity } from "./rules";

/** One side as a command found it: the file it was read from, its stack and its raw config. */
export interface StackFileConfig {
    /** The file as the operator should see it in messages, e.g. `Pulumi.dr.yaml`. */
    readonly file: string;
    readonly identity: StackIdentity;
    readonly raw: RawSiteConfig;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const field = (value: unknown, name: string): unknown => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined);

/** The role a side will have: the configured one, or the stack name's. */
function roleOf(side: StackFileConfig): string | undefined {
    return text(side.raw.role) ?? (["primary", "dr"].includes(side.identity.stack) ? side.identity.stack : undefined);
}

/** Problems only the pair shows, from raw values: they are reported even when a file has problems of its own. */
export function pairProblems(primary: StackFileConfig, dr: StackFileConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const primaryRole = roleOf(primary);
    const drRole = roleOf(dr);
    if (primaryRole !== undefined && primaryRole === drRole) {
        const other: SiteRole = primaryRole === "primary" ? "dr" : "primary";
        problems.push({
            file: dr.file,
            key: `${configNamespace}:role`,
            value: drRole,
            expected: `"${other}": ${primary.file} is the ${primaryRole} side already, and a pair has one primary and one dr`,
        });
    }
    const primaryBucket = text(field(primary.raw.bucket, "name"));
    if (primaryBucket !== undefined && primaryBucket === text(field(dr.raw.bucket, "name"))) {
        problems.push({
            file: dr.file,
            key: `${configNamespace}:bucket.name`,
            value: primaryBucket,
            expected: `a name other than the one ${primary.file} gives its bucket: each side has its own bucket (bucket names are global), and replication copies between the two`,
        });
    }
    const primaryRegion = text(primary.raw.awsRegion);
    if (primaryRegion !== undefined && primaryRegion === text(dr.raw.awsRegion)) {
        problems.push({
            file: dr.file,
            key: "aws:region",
            value: primaryRegion,
            expected: `a region other than ${primary.file}'s: a disaster-recovery copy in the same region does not survive a regional outage`,
        });
    }
    const encryption = (side: StackFileConfig) => text(field(side.raw.bucket, "encryption")) ?? "SSE_KMS";
    if (encryption(primary) !== encryption(dr)) {
        problems.push({
            file: dr.file,
            key: `${configNamespace}:bucket.encryption`,
            value: encryption(dr),
            expected: `${JSON.stringify(encryption(primary))}, as in ${primary.file}: SSE-KMS objects replicate only to a bucket with a customer-managed key, so both sides use the same encryption`,
        });
    }
    for (const [side, peer] of [
        [primary, dr],
        [dr, primary],
    ] as const) {
        const peerStack = text(side.raw.peerStack);
        const named = peerStack?.split("/");
        if (named?.length === 3 && named[1] === side.identity.project && named[2] !== peer.identity.stack) {
            problems.push({
                file: side.file,
                key: `${configNamespace}:peerStack`,
                value: peerStack,
                expected: `the stack of ${peer.file}, ${named[0]}/${peer.identity.project}/${peer.identity.stack}`,
            });
        }
    }
    return problems;
}

/**
 * Validates both files and the pair, and returns both configs; or throws one ConfigError with every problem of both
 * files, each naming its file.
 */
export function parseStackPair(primary: StackFileConfig, dr: StackFileConfig): { primary: SiteConfig; dr: SiteConfig } {
    const problems: ConfigProblem[] = [];
    const parse = (side: StackFileConfig): SiteConfig | undefined => {
        try {
            return parseSiteConfig(side.raw, side.identity);
        } catch (error) {
            if (error instanceof ConfigError) {
                problems.push(...error.problems.map((problem) => ({ ...problem, file: problem.file ?? side.file })));
                return undefined;
            }
            throw error;
        }
    };
    const primaryConfig = parse(primary);
    const drConfig = parse(dr);
    const pair = pairProblems(primary, dr);
    // A key with a problem of its own is reported once, with its own words.
    problems.push(...pair.filter((p) => !problems.some((q) => q.file === p.file && q.key === p.key)));
    if (problems.length > 0 || primaryConfig === undefined || drConfig === undefined) {
        throw new ConfigError(problems);
    }
    return { primary: primaryConfig, dr: drConfig };
}

