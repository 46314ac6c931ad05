/**
 * `lustre-dr compare`: are the two buckets of the pair (or a prefix of both) the same, key by key? A thin wrapper over
 * {@link compareBuckets}: validate flags, resolve both sides as status and drill do (stack outputs, or
 * `--<side>-bucket/-region`, each with its own profile and endpoint), show progress on stderr, print the result.
 * Exit 0 identical (also when only keys still replicating differ: said so), 1 differs, 2 usage or environment.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { Command } from "commander";
import { sideClientConfig } from "../aws/clients";
import { classifyAwsError } from "../aws/errors";
import { addSideOptions, resolvePair, Side, SideOptions, StackOutputsReader } from "../aws/sides";
import { createOutput, EnvironmentError, ExitCode, Output, UsageError } from "../output";
import { createStackOutputsReader } from "../pulumi/outputsReader";
import { expectedEncryption } from "../restore/encryption";
import { parseConcurrency } from "../restore/command";
import {
    CompareListingError,
    CompareOptions,
    CompareProgress,
    CompareResult,
    CompareSide,
    compareBuckets,
    maxListConcurrency,
    validateCompareOptions,
} from "./compare";
import { describeCompare } from "./report";

export interface CompareCommandOptions extends SideOptions {
    prefix?: string;
    concurrency?: string;
    listConcurrency?: string;
    first?: string;
    tags?: boolean;
    encryption?: boolean;
    json?: boolean;
}

/** Where the command gets what it does not parse; tests substitute their own. */
export interface CompareCommandDependencies {
    readonly readOutputs?: StackOutputsReader;
    readonly signal?: AbortSignal;
    /** Extra library options (tests: the emulator copier's replication status, small pages). */
    readonly compare?: Pick<CompareOptions, "replicationStatus" | "pageSize">;
    /** Milliseconds between progress lines. @default 5000 */
    readonly progressIntervalMs?: number;
}

/** Every flag checked before anything is resolved or listed; one UsageError naming each bad flag. */
export function parseCompareArguments(options: CompareCommandOptions): Pick<CompareOptions, "prefix" | "concurrency" | "listConcurrency" | "firstDifferences" | "tags" | "encryption"> {
    const problems: string[] = [];
    const attempt = <T>(parse: () => T): T | undefined => {
        try {
            return parse();
        } catch (error) {
            if (!(error instanceof UsageError)) throw error;
            problems.push(error.message);
            return undefined;
        }
    };
    const concurrency = attempt(() => parseConcurrency(options.concurrency ?? "32"));
    const listConcurrency = attempt(() => parseConcurrency(options.listConcurrency ?? String(defaultCliListConcurrency), "--list-concurrency", maxListConcurrency));
    const first = attempt(() => parseConcurrency(options.first ?? "10", "--first", 10_000));
    const parsed = {
        prefix: options.prefix ?? "",
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(listConcurrency !== undefined ? { listConcurrency } : {}),
        ...(first !== undefined ? { firstDifferences: first } : {}),
        tags: options.tags === true,
        encryption: options.encryption === true,
    };
    attempt(() => {
        try {
            validateCompareOptions(parsed);
        } catch (error) {
            // the library names its options; the operator typed flags
            throw error instanceof UsageError ? new UsageError(error.message.replace(/^prefix is/, "--prefix is")) : error;
        }
    });
    if (problems.length > 0) {
        throw new UsageError(problems.join("\n"));
    }
    return parsed;
}

const number = (value: number) => value.toLocaleString("en-US");

/**
 * Key ranges the command lists at once unless told: as `restore --list-concurrency`. 16 ranges made a million-key
 * comparison 2.3 times faster at 50 ms a page (BENCHMARKS.md); the library's default stays 1 for its other callers.
 */
export const defaultCliListConcurrency = 16;

/** A progress line every few seconds on stderr: entries listed per side, keys compared, pending, differing. */
export function compareProgressReporter(output: Output, intervalMs = 5000, now: () => number = Date.now): (progress: CompareProgress) => void {
    let last = now();
    return (progress) => {
        if (now() - last < intervalMs) return;
        last = now();
        output.progress(
            `listed ${number(progress.listed.primary)} primary and ${number(progress.listed.dr)} dr entries; ` +
                `${number(progress.keysCompared)} keys compared: ${number(progress.same)} same, ${number(progress.pending)} replicating, ${number(progress.differing)} differ`,
        );
    };
}

/** A side found through its stack is held to the stack's account: its bucket must be owned by `outputs.accountId`. */
function compareSide(side: Side): CompareSide {
    const encryption = expectedEncryption(side.outputs);
    return {
        side: side.role,
        client: new S3Client(sideClientConfig(side)),
        bucket: side.bucketName,
        region: side.region,
        ...(side.outputs?.accountId !== undefined ? { expectedOwner: side.outputs.accountId } : {}),
        ...(encryption ? { expectedEncryption: encryption } : {}),
    };
}

/**
 * A listing that failed because of where it was sent (unreachable, no or rejected credentials, no such bucket, the
 * wrong region) is the environment: exit 2. A refused permission or anything else is the operation's answer: exit 1.
 */
function classifyListingError(error: CompareListingError, side: Side): Error {
    const problem = classifyAwsError(error.cause, { action: "s3:ListBucketVersions", region: side.region, ...(side.endpoint ? { endpoint: side.endpoint } : {}) });
    const where = `the ${side.role} bucket s3://${side.bucketName} (${side.region})`;
    if (["unreachable", "no-credentials", "credentials-rejected", "no-such-bucket", "wrong-region"].includes(problem.kind)) {
        return new EnvironmentError(`compare stopped, nothing compared is reported: cannot list ${where}: ${problem.text}`, { cause: error });
    }
    const owner = error.side.expectedOwner !== undefined && problem.kind === "access-denied" ? ` (or the bucket is not owned by account ${error.side.expectedOwner}, the stack's)` : "";
    return new Error(`compare stopped: listing ${where} failed: ${problem.text}${owner}`, { cause: error });
}

/** Runs the comparison end to end and writes the result; returns the exit code and the result. */
export async function runCompareCommand(
    options: CompareCommandOptions,
    output: Output,
    dependencies: CompareCommandDependencies = {},
): Promise<{ exitCode: number; result: CompareResult }> {
    const parsed = parseCompareArguments(options);
    const { primary, dr } = await resolvePair(options, dependencies.readOutputs);
    const sides = { primary: compareSide(primary), dr: compareSide(dr) };
    output.progress(`comparing s3://${primary.bucketName}/${parsed.prefix ?? ""} (${primary.region}) with s3://${dr.bucketName}/${parsed.prefix ?? ""} (${dr.region})`);
    let result: CompareResult;
    try {
        result = await compareBuckets(sides.primary, sides.dr, {
            ...parsed,
            ...dependencies.compare,
            ...(dependencies.signal ? { signal: dependencies.signal } : {}),
            onProgress: compareProgressReporter(output, dependencies.progressIntervalMs),
        });
    } catch (error) {
        if (error instanceof CompareListingError) {
            throw classifyListingError(error, error.side.side === "primary" ? primary : dr);
        }
        if (dependencies.signal?.aborted) {
            throw new Error("compare interrupted: nothing was written; run it again to compare", { cause: error });
        }
        throw error;
    }
    output.result(result, () => describeCompare(result));
    return { exitCode: result.verdict === "differs" ? ExitCode.Failed : ExitCode.Ok, result };
}

export function registerCompareCommand(program: Command): void {
    const command = program
        .command("compare")
        .description(
            "Compare the primary and dr buckets (or --prefix of both) key by key, read-only: keys on one side only, keys " +
                "that differ in content, user metadata (FSx's POSIX attributes), content headers, storage class or tags, " +
                "versions not under their side's own encryption (the stack's KMS key or SSE-S3), and keys still replicating. Exit 0 identical (also when only keys still replicating differ, said so), " +
                "1 when anything else differs, 2 on a usage or environment problem.",
        )
        .option("--prefix <prefix>", "compare only keys under this prefix, on both sides (.lustre-dr/ is never compared)")
        .option("--concurrency <n>", "keys whose versions differ compared at once (each costs up to two HEADs and two tag reads)", "32")
        .option("--list-concurrency <n>", `key ranges listed at once on both sides (1: one listing per side; max ${maxListConcurrency})`, String(defaultCliListConcurrency))
        .option("--first <n>", "differing keys listed in the report, the first in key order", "10")
        .option("--tags", "also read the tags of keys whose latest version is the same on both sides (2 GetObjectTagging per key)")
        .option("--encryption", "also HEAD keys whose latest version is the same on both sides, to check each side's encryption (2 HEADs per key)")
        .option("--json", "print the result as JSON");
    addSideOptions(command).action(async (options: CompareCommandOptions) => {
        const output = createOutput(options);
        // Ctrl-C stops the listing and the reads; nothing is ever written, so nothing needs undoing.
        const controller = new AbortController();
        const interrupt = () => controller.abort(new Error("interrupted"));
        process.once("SIGINT", interrupt);
        try {
            const { exitCode } = await runCompareCommand(options, output, { readOutputs: createStackOutputsReader(), signal: controller.signal });
            process.exitCode = exitCode;
        } finally {
            process.removeListener("SIGINT", interrupt);
        }
    });
}
