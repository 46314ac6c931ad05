/**
 * Canary naming. Every key a drill writes, reads back or deletes lives under `.lustre-dr/drill/<run-id>/`, and the
 * guard below refuses any other key, so a bug elsewhere in the drill cannot reach user data. The one exception is the
 * file-system canary of a repository linked at a bucket prefix: the file system exports it under that prefix, so its
 * key is `<repositoryPrefix>.lustre-dr/drill/<run-id>/fs-<from>-to-<to>`, and only exactly that shape is accepted.
 */
import { randomBytes } from "crypto";
import type { SideRole } from "../aws/sides";

export const drillRoot = ".lustre-dr/drill/";

/** Sortable and unique: `20261125t092400z-3f9a1c`. */
export function newRunId(now: Date = new Date(), random: Buffer = randomBytes(3)): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "z").toLowerCase();
    return `${stamp}-${random.toString("hex")}`;
}

export const runIdPattern = /^[0-9a-z][0-9a-z-]{0,62}$/;

export function runPrefix(runId: string): string {
    if (!runIdPattern.test(runId)) {
        throw new Error(`drill run id ${JSON.stringify(runId)} is not a plain lower-case name`);
    }
    return `${drillRoot}${runId}/`;
}

/** Prefix of the canaries written on `from` and expected on `to`. */
export function legPrefix(runId: string, from: SideRole, to: SideRole): string {
    return `${runPrefix(runId)}${from}-to-${to}/`;
}

export function canaryKey(runId: string, from: SideRole, to: SideRole, index: number): string {
    return `${legPrefix(runId, from, to)}canary-${String(index).padStart(4, "0")}`;
}

/**
 * The key of the file-system canary written on `from`'s file system: at the root of the repository's directory, so
 * in the bucket under the repository's prefix ("" or `projects/`).
 */
export function fsCanaryKey(runId: string, from: SideRole, to: SideRole, repositoryPrefix = ""): string {
    if (repositoryPrefix !== "" && !repositoryPrefixPattern.test(repositoryPrefix)) {
        throw new Error(`repository prefix ${JSON.stringify(repositoryPrefix)} is not a plain key prefix ending in "/"`);
    }
    return `${repositoryPrefix}${runPrefix(runId)}fs-${from}-to-${to}`;
}

/** A data repository's S3 prefix as the stack exports it: `a/b/`, segments without `.`/`..` or the reserved prefix. */
const repositoryPrefixPattern = /^(?!\.lustre-dr\/)(?:(?!\.{1,2}\/)[A-Za-z0-9!_.*'()-]+\/)+$/;

/** `<repositoryPrefix>` of a prefixed file-system canary of this run, or undefined when the key is not one. */
function fsCanaryRepositoryPrefix(runId: string, key: string): string | undefined {
    const at = key.indexOf(`/${runPrefix(runId)}`);
    if (at < 0) {
        return undefined;
    }
    const repositoryPrefix = key.slice(0, at + 1);
    return repositoryPrefixPattern.test(repositoryPrefix) && /^fs-(primary|dr)-to-(primary|dr)$/.test(key.slice(at + 1 + runPrefix(runId).length))
        ? repositoryPrefix
        : undefined;
}

/**
 * Which way a canary key of this run travels: written on `from`, replicated to `to`. Undefined for keys that are not
 * one of the run's canaries.
 */
export function directionOfCanary(runId: string, key: string): { from: SideRole; to: SideRole } | undefined {
    if (!isOwnCanaryKey(runId, key)) {
        return undefined;
    }
    const repositoryPrefix = fsCanaryRepositoryPrefix(runId, key) ?? "";
    const match = /^(?:fs-)?(primary|dr)-to-(primary|dr)(?:\/|$)/.exec(key.slice(repositoryPrefix.length + runPrefix(runId).length));
    return match ? { from: match[1] as SideRole, to: match[2] as SideRole } : undefined;
}

export function isOwnCanaryKey(runId: string, key: string): boolean {
    const prefix = runPrefix(runId);
    return (key.startsWith(prefix) && key.length > prefix.length && !key.split("/").includes("..")) || fsCanaryRepositoryPrefix(runId, key) !== undefined;
}

/** Throws before a drill could touch a key that is not one of this run's canaries. */
export function assertOwnCanaryKey(runId: string, key: string): void {
    if (!isOwnCanaryKey(runId, key)) {
        throw new Error(`refusing to touch ${JSON.stringify(key)}: not a canary of drill ${runId}`);
    }
}
