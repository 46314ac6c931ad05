/**
 * The program as shipped, converged: both example stack files, each with a bucket name of its own, deployed in
 * the four updates of the handshake (primary, dr, primary, dr). Built once per test process and shared by the
 * policy tests, which only read it (breakages work on copies, see `broken`).
 */
import { RawSiteConfig } from "../../../stacks/config";
import { readStackConfigFile, stackConfigPath } from "../../../stacks/stackConfigFile";
import { accounts, Backend, fullName, StackUnderPolicy, upUnderPolicy } from "./policyHarness";

export const bucketNames = { primary: "lustre-dr-test-primary-data", dr: "lustre-dr-test-dr-data" } as const;

/** Changes both sides' config the same way, e.g. another encryption. */
export type Variant = (raw: RawSiteConfig) => RawSiteConfig;

function exampleConfig(
    stack: "primary" | "dr",
    peer?: "primary" | "dr",
    variant: Variant = (raw) => raw,
    accountIds: Readonly<Record<"primary" | "dr", string>> = accounts,
): RawSiteConfig {
    const raw = readStackConfigFile(stackConfigPath(stack));
    return variant({
        ...raw,
        bucket: { ...(raw.bucket as Record<string, unknown>), name: bucketNames[stack] },
        ...(peer ? { peerStack: fullName(peer), peerAccountId: accountIds[peer] } : {}),
    });
}

export interface ConvergedPair {
    /** The primary after its second update: replicating to dr, with the file system and its association. */
    readonly primary: StackUnderPolicy;
    /** The dr side after its second update: replicating back, pilot light (no file system). */
    readonly dr: StackUnderPolicy;
    /** The primary's first update: no peer yet, so no replication configuration. */
    readonly lonePrimary: StackUnderPolicy;
}

/**
 * The four updates of the handshake (primary, dr, primary, dr) with both example files, changed by `variant`, each
 * side in its account (`accounts` of policyHarness.ts unless given: the same id twice is a single-account pair).
 */
export async function converge(variant?: Variant, accountIds: Readonly<Record<"primary" | "dr", string>> = accounts): Promise<ConvergedPair> {
    const backend: Backend = {};
    const lonePrimary = await upUnderPolicy("primary", exampleConfig("primary", undefined, variant), backend, accountIds.primary);
    await upUnderPolicy("dr", exampleConfig("dr", "primary", variant, accountIds), backend, accountIds.dr);
    const primary = await upUnderPolicy("primary", exampleConfig("primary", "dr", variant, accountIds), backend, accountIds.primary);
    const dr = await upUnderPolicy("dr", exampleConfig("dr", "primary", variant, accountIds), backend, accountIds.dr);
    return { primary, dr, lonePrimary };
}

let pair: Promise<ConvergedPair> | undefined;

/** The shipped pair, converged once per test process. */
export function convergedPair(): Promise<ConvergedPair> {
    pair ??= converge();
    return pair;
}

/** The dr side after `lustre-dr recover`: detached from the primary (whose backend it does not read), file system on. */
export function recoveredDr(): Promise<StackUnderPolicy> {
    const raw = exampleConfig("dr");
    return upUnderPolicy(
        "dr",
        { ...raw, recovery: { detached: true }, lustre: { ...(raw.lustre as Record<string, unknown>), enabled: true } },
        {},
    );
}
