/**
 * Which bucket, region, credentials and endpoint each side of the pair is, for every command that talks to AWS
 * (drill, restore, status, sync-existing, failback). A side is named either directly on the command line
 * (`--primary-bucket`, `--primary-region`) or by its stack, whose outputs carry the bucket and region.
 */
import { Command, Option } from "commander";
import { regionProblem } from "../../stacks/config/regions";
import type { SiteOutputs } from "../../stacks/outputs";
import { UsageError } from "../output";
import type { SideLocation } from "./clients";

export type SideRole = "primary" | "dr";

export const sideRoles: readonly SideRole[] = ["primary", "dr"];

/** One side, resolved: where it is and which bucket is its data repository. */
export interface Side extends SideLocation {
    readonly role: SideRole;
    readonly bucketName: string;
    /** The side's stack outputs, when the side was found through its stack. */
    readonly outputs?: SiteOutputs;
}

/** Reads a stack's outputs; the Automation-API implementation lives in infra/pulumi/. */
export type StackOutputsReader = (stackName: string) => Promise<SiteOutputs>;

/** Per-side options as commander parses them from `--<role>-bucket` and friends. */
export interface SideOptions {
    primaryStack?: string;
    primaryBucket?: string;
    primaryRegion?: string;
    primaryProfile?: string;
    primaryEndpoint?: string;
    drStack?: string;
    drBucket?: string;
    drRegion?: string;
    drProfile?: string;
    drEndpoint?: string;
}

type SideField = "Stack" | "Bucket" | "Region" | "Profile" | "Endpoint";

function option<R extends SideRole>(options: SideOptions, role: R, field: SideField): string | undefined {
    return options[`${role}${field}` as keyof SideOptions];
}

/**
 * Every command takes a side's stack under both names: `--<role>-stack` (what the AWS commands show) and `--<role>`
 * (what the stack commands show), so a flag that works in one command works in the next one of the runbook. The
 * name a command does not show is accepted, hidden from its help, and stored under the shown name; both at once with
 * different values are refused rather than one silently winning.
 */
export function acceptStackNameSynonym(command: Command, role: SideRole, shown: "stack-flag" | "role-flag"): void {
    const [shownFlag, hiddenFlag] = shown === "stack-flag" ? [`--${role}-stack`, `--${role}`] : [`--${role}`, `--${role}-stack`];
    const attribute = shown === "stack-flag" ? `${role}Stack` : role;
    command.addOption(new Option(`${hiddenFlag} <stack>`).hideHelp());
    const given = new Map<string, string>();
    const remember = (flag: string) => (value: string) => {
        given.set(flag, value);
        const [a, b] = [given.get(shownFlag), given.get(hiddenFlag)];
        if (a !== undefined && b !== undefined && a !== b) {
            command.error(`error: ${shownFlag} is ${JSON.stringify(a)} and ${hiddenFlag} is ${JSON.stringify(b)}: they name the same stack, give one`, { exitCode: 2 });
        }
        command.setOptionValueWithSource(attribute, value, "cli");
    };
    command.on(`option:${shownFlag.slice(2)}`, remember(shownFlag));
    command.on(`option:${hiddenFlag.slice(2)}`, remember(hiddenFlag));
}

/** Adds `--<role>-stack/-bucket/-region/-profile/-endpoint` for each given role. */
export function addSideOptions(command: Command, roles: readonly SideRole[] = sideRoles): Command {
    for (const role of roles) {
        command
            .addOption(new Option(`--${role}-stack <name>`, `stack of the ${role} side, read for its bucket and region (or --${role})`).default(role))
            .addOption(new Option(`--${role}-bucket <name>`, `${role} bucket, instead of reading the stack`))
            .addOption(new Option(`--${role}-region <region>`, `${role} region (required with --${role}-bucket)`))
            .addOption(new Option(`--${role}-profile <profile>`, `AWS profile for the ${role} account`))
            .addOption(
                new Option(`--${role}-endpoint <url>`, `AWS endpoint override for the ${role} side (default: AWS_ENDPOINT_URL or AWS)`),
            );
        acceptStackNameSynonym(command, role, "stack-flag");
    }
    return command;
}

/**
 * Resolves one side from its options: an explicit bucket wins (and then needs its region); otherwise the
 * side's stack outputs are read. Validates before anything talks to AWS.
 */
export async function resolveSide(role: SideRole, options: SideOptions, readOutputs?: StackOutputsReader): Promise<Side> {
    const bucket = option(options, role, "Bucket");
    const region = option(options, role, "Region");
    const profile = option(options, role, "Profile");
    const endpoint = option(options, role, "Endpoint");
    const badRegion = region === undefined ? undefined : regionProblem(region);
    if (badRegion !== undefined) {
        throw new UsageError(`--${role}-region is ${JSON.stringify(region)}: expected ${badRegion}`);
    }
    if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
        throw new UsageError(`--${role}-endpoint is ${JSON.stringify(endpoint)}: expected a URL such as http://127.0.0.1:5000`);
    }
    const location = { ...(profile ? { profile } : {}), ...(endpoint ? { endpoint } : {}) };
    if (bucket !== undefined) {
        if (region === undefined) {
            throw new UsageError(`--${role}-bucket is ${JSON.stringify(bucket)} but --${role}-region is missing: give the bucket's region`);
        }
        return { role, bucketName: bucket, region, ...location };
    }
    const stack = option(options, role, "Stack") ?? role;
    if (!readOutputs) {
        throw new UsageError(`the ${role} side is not named: give --${role}-bucket and --${role}-region`);
    }
    const outputs = await readOutputs(stack);
    return { role, bucketName: outputs.bucketName, region: region ?? outputs.region, outputs, ...location };
}

/**
 * Both sides, resolved at once, for commands that work on the pair (drill, compare). The same bucket named twice
 * (same name, region and endpoint) is refused: a typo would drill, or compare, a bucket with itself.
 */
export async function resolvePair(options: SideOptions, readOutputs?: StackOutputsReader): Promise<{ primary: Side; dr: Side }> {
    const [primary, dr] = await Promise.all([resolveSide("primary", options, readOutputs), resolveSide("dr", options, readOutputs)]);
    if (primary.bucketName === dr.bucketName && primary.region === dr.region && primary.endpoint === dr.endpoint) {
        throw new UsageError(`the primary and dr sides are the same bucket (${primary.bucketName}): name two different buckets`);
    }
    return { primary, dr };
}
