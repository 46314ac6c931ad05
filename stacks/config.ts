/**
 * The config contract (docs/config.md): parse and validate everything a stack is given, before any resource is
 * registered. Every problem is reported at once, each naming its key, the value given and what is valid.
 *
 * The pieces live in stacks/config/: the schema of each key (schema.ts), the key names and their misspellings
 * (namespace.ts), the rules across keys (rules.ts), the region list (regions.ts) and the wording (messages.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { checkLustreSettings, LustreFileSystemSettings } from "../components/lustreRules";
import { ConfigError, ConfigProblem } from "../components/problems";
import { keyAt, problemsFromIssue } from "./config/messages";
import { configKeyProblems, configNamespace } from "./config/namespace";
import { SiteRole, siteRules, StackIdentity } from "./config/rules";
import { alarmsSchema, bucketSchema, clientSchema, networkSchema, SiteKey, siteKeySchemas, SiteValues } from "./config/schema";

export { configNamespace, knownNamespaceKeys, namespaceKeys } from "./config/namespace";
export { accountIdSchema, regionSchema } from "./config/schema";
export type { SiteRole, StackIdentity } from "./config/rules";

const roles: readonly SiteRole[] = ["primary", "dr"];

/** Config as it arrives: each key of the `lustre-dr` namespace parsed from YAML/JSON, plus `aws:region`. */
export interface RawSiteConfig {
    readonly awsRegion?: unknown;
    readonly role?: unknown;
    readonly peerStack?: unknown;
    readonly peerAccountId?: unknown;
    readonly bucket?: unknown;
    readonly network?: unknown;
    readonly lustre?: unknown;
    readonly clients?: unknown;
    readonly recovery?: unknown;
    readonly alarms?: unknown;
    readonly tags?: unknown;
    /**
     * Every key of the stack's config, fully qualified (`aws:region`, `lustre-dr:bucket`, `lustre_dr:lustre`), so
     * misspelt keys and namespaces are reported instead of silently ignored. Values are not needed.
     */
    readonly configKeys?: readonly string[];
    /**
     * The secret `lustre-dr:sshPrivateKey`, as a secret Output. Validation only checks it is there; the value
     * goes to the ssh clients untouched.
     */
    readonly sshPrivateKey?: pulumi.Input<string>;
}

export type BucketSettings = z.output<typeof bucketSchema>;
export type NetworkSettings = z.output<typeof networkSchema>;
/** The file system settings after the Lustre rules (components/lustreRules.ts), plus the on/off switch. */
export type LustreSettings = LustreFileSystemSettings & { readonly enabled: boolean };
export type ClientSettings = z.output<typeof clientSchema>;
export type AlarmSettings = z.output<typeof alarmsSchema>;

export interface SiteConfig {
    readonly region: string;
    readonly role: SiteRole;
    readonly peerStack?: string;
    /**
     * The account the peer must live in (`lustre-dr:peerAccountId`). The peer's outputs are checked against it and
     * every grant and replication destination uses it, never the account the outputs claim (stacks/peerPin.ts).
     */
    readonly peerAccountId?: string;
    readonly bucket: BucketSettings;
    readonly network?: NetworkSettings;
    readonly lustre: LustreSettings;
    /**
     * Clients of this side's file system. Declared while Lustre is off (a pilot-light dr side), they are created
     * only when the file system is: by the recovery.
     */
    readonly clients: ClientSettings[];
    readonly detached: boolean;
    readonly alarms: AlarmSettings;
    /** `lustre-dr:tags`: the operator's own tags, on every taggable resource next to lustre-dr:stack and lustre-dr:role. */
    readonly tags: Record<string, string>;
}

/** The key as users write it. */
export function userKey(name: SiteKey): string {
    return name === "awsRegion" ? "aws:region" : `${configNamespace}:${name}`;
}

/** Removes the properties at `paths` from a copy of `value` (objects only: removing list items would renumber them). */
function without(value: unknown, paths: readonly (readonly PropertyKey[])[]): unknown {
    const copy: unknown = structuredClone(value);
    for (const path of paths) {
        const parent = path.slice(0, -1).reduce<unknown>((node, part) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[part] : undefined), copy);
        if (parent !== null && typeof parent === "object" && !Array.isArray(parent)) {
            delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]];
        }
    }
    return copy;
}

interface ParsedKey<T> {
    readonly value?: T;
    readonly problems: ConfigProblem[];
    /** Keys whose values were set aside to judge the rest; rule problems about them would be about defaults. */
    readonly setAside: string[];
}

/**
 * Parses one key. Unknown sub-keys are reported and ignored, fields with problems are reported and replaced by their
 * defaults, so the rest of the key is still judged (a misspelt `lustre` key does not hide a capacity problem).
 */
function parseKey<K extends SiteKey>(name: K, raw: unknown): ParsedKey<SiteValues[K]> {
    const top = userKey(name);
    const schema = siteKeySchemas[name] as unknown as z.ZodType<SiteValues[K]>;
    const first = schema.safeParse(raw);
    if (first.success) {
        return { value: first.data, problems: [], setAside: [] };
    }
    const unknownKeys = first.error.issues.filter((issue) => issue.code === "unrecognized_keys");
    const problems = unknownKeys.flatMap((issue) => problemsFromIssue(top, raw, issue));
    const known = without(raw, unknownKeys.flatMap((issue) => issue.keys.map((k) => [...issue.path, k])));
    const second = unknownKeys.length > 0 ? schema.safeParse(known) : first;
    if (second.success) {
        return { value: second.data, problems, setAside: [] };
    }
    const rest = second.error.issues.filter((issue) => issue.code !== "unrecognized_keys");
    problems.push(...rest.flatMap((issue) => problemsFromIssue(top, known, issue)));
    const fields = rest.map((issue) => issue.path).filter((path) => path.length > 0);
    if (fields.length === rest.length) {
        const third = schema.safeParse(without(known, fields));
        if (third.success) {
            return { value: third.data, problems, setAside: fields.map((path) => keyAt(top, path)) };
        }
    }
    return { problems, setAside: [top] };
}

function isAbout(problem: ConfigProblem, keys: readonly string[]): boolean {
    return keys.some((k) => problem.key === k || problem.key.startsWith(`${k}.`) || problem.key.startsWith(`${k}[`));
}

/**
 * Parses raw config into a typed SiteConfig, or throws one ConfigError listing every problem.
 * `extraChecks` adds domain rules that live with their component (e.g. Lustre sizing).
 */
export function parseSiteConfig(
    raw: RawSiteConfig,
    self: StackIdentity,
    extraChecks: (config: SiteConfig) => ConfigProblem[] = () => [],
): SiteConfig {
    const problems: ConfigProblem[] = [...configKeyProblems(raw.configKeys ?? [])];
    const values: Partial<SiteValues> = {};
    const setAside: string[] = [];
    for (const name of Object.keys(siteKeySchemas) as SiteKey[]) {
        const parsed = parseKey(name, raw[name]);
        problems.push(...parsed.problems);
        setAside.push(...parsed.setAside);
        if (parsed.value !== undefined) {
            (values as Record<SiteKey, unknown>)[name] = parsed.value;
        }
    }
    const judged: ConfigProblem[] = [];

    const role = values.role ?? (raw.role === undefined ? defaultRole(self.stack) : undefined);
    if (role === undefined && raw.role === undefined) {
        judged.push({
            key: `${configNamespace}:role`,
            value: undefined,
            expected: `"primary" or "dr" (required because the stack name "${self.stack}" is neither)`,
        });
    }
    // Checked even while Lustre is off: a pilot-light dr side must not learn of a bad size during recovery.
    const lustre = values.lustre === undefined ? undefined : checkLustreSettings(values.lustre);
    judged.push(...(lustre?.problems ?? []));
    const lustreEnabled = values.lustre === undefined || role === undefined ? undefined : (values.lustre.enabled ?? role === "primary");
    for (const rule of siteRules) {
        judged.push(...rule({ values, role, lustreEnabled, self, hasSshPrivateKey: raw.sshPrivateKey !== undefined }));
    }
    problems.push(...judged.filter((problem) => !isAbout(problem, setAside)));
    const settings = lustre !== undefined && "settings" in lustre ? (lustre.settings as LustreFileSystemSettings) : undefined;
    if (problems.length > 0 || role === undefined || settings === undefined || lustreEnabled === undefined) {
        throw new ConfigError(problems);
    }
    const v = values as SiteValues;
    const config: SiteConfig = {
        region: v.awsRegion,
        role,
        ...(v.peerStack === undefined ? {} : { peerStack: v.peerStack }),
        ...(v.peerAccountId === undefined ? {} : { peerAccountId: v.peerAccountId }),
        bucket: v.bucket,
        ...(v.network === undefined ? {} : { network: v.network }),
        lustre: { ...settings, enabled: lustreEnabled },
        clients: v.clients,
        detached: v.recovery.detached,
        alarms: v.alarms,
        tags: v.tags,
    };
    const extra = extraChecks(config);
    if (extra.length > 0) {
        throw new ConfigError(extra);
    }
    return config;
}

function defaultRole(stack: string): SiteRole | undefined {
    return (roles as readonly string[]).includes(stack) ? (stack as SiteRole) : undefined;
}
