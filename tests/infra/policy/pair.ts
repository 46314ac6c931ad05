/**
 * The program as shipped, converged: both example stack files, each with a bucket name of its own, deployed in
 * the four updates of the handshake (primary, dr, primary, dr). Built once per test process and shared by the
 * policy tests, which only read it (breakages work on copies, see `broken`).
 */
import { RawSiteConfig } from "../../../stacks/config";
import { readStackConfigFile, stackConfigPath } from "../../../stacks/stackConfigFile";
import { Backend, fullName, StackUnderPolicy, upUnderPolicy } from "./policyHarness";

export const bucketNames = { primary: "lustre-dr-test-primary-data", dr: "lustre-dr-test-dr-data" } as const;

function exampleConfig(stack: "primary" | "dr", peer?: "primary" | "dr"): RawSiteConfig {
    const raw = readStackConfigFile(stackConfigPath(stack));
    return {
        ...raw,
        bucket: { ...(raw.bucket as Record<string, unknown>), name: bucketNames[stack] },
        ...(peer ? { peerStack: fullName(peer) } : {}),
    };
}

export interface ConvergedPair {
    /** The primary after its second update: replicating to dr, with the file system and its association. */
    readonly primary: StackUnderPolicy;
    /** The dr side after its second update: replicating back, pilot light (no file system). */
    readonly dr: StackUnderPolicy;
    /** The primary's first update: no peer yet, so no replication configuration. */
    readonly lonePrimary: StackUnderPolicy;
}

let pair: Promise<ConvergedPair> | undefined;

export function convergedPair(): Promise<ConvergedPair> {
    pair ??= (async () => {
        const backend: Backend = {};
        const lonePrimary = await upUnderPolicy("primary", exampleConfig("primary"), backend);
        await upUnderPolicy("dr", exampleConfig("dr", "primary"), backend);
        const primary = await upUnderPolicy("primary", exampleConfig("primary", "dr"), backend);
        const dr = await upUnderPolicy("dr", exampleConfig("dr", "primary"), backend);
        return { primary, dr, lonePrimary };
    })();
    return pair;
}
