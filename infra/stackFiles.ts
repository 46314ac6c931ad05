/**
 * The pair's stack files for the offline commands (plan, cost): which stacks (`--primary`, `--dr`, any names, as
 * `deploy` takes them), which of them to show (`--stack`), and where their `Pulumi.<stack>.yaml` are in the project.
 */
import * as fs from "fs";
import { Command, Option } from "commander";
import { ConfigError } from "../components/problems";
import type { RawSiteConfig, SiteConfig, SiteRole } from "../stacks/config";
import { parseStackPair } from "../stacks/config/pair";
import { displayPath, readStackFiles, StackFileError } from "../stacks/stackConfigFile";
import { acceptStackNameSynonym, sideRoles } from "./aws/sides";
import { UsageError } from "./output";
import { PulumiProject, requireProject, stackFile } from "./project";
import { validateStackName } from "./pulumi/workspace";

export interface StackFileOptions {
    primary: string;
    dr: string;
    stack: string;
}

/** Adds `--primary <stack>`, `--dr <stack>` and `--stack <which>`. */
export function addStackFileOptions(command: Command, stackHelp: string): Command {
    for (const role of sideRoles) {
        command.addOption(new Option(`--${role} <stack>`, `stack of the ${role} side (its file is Pulumi.<stack>.yaml in the project; or --${role}-stack)`).default(role));
        acceptStackNameSynonym(command, role, "role-flag");
    }
    return command.addOption(new Option("--stack <which>", `${stackHelp}: both, primary, dr, or the name of either stack`).default("both"));
}

export interface PairStackFiles {
    readonly project: PulumiProject;
    /** The stack name of each side. */
    readonly names: Readonly<Record<SiteRole, string>>;
    /** The stack file of each side. */
    readonly files: Readonly<Record<SiteRole, string>>;
    /** The sides `--stack` asks for, primary first. */
    readonly show: readonly SiteRole[];
}

/**
 * Finds the project and both stack files, checking every flag first; a file that is not there is a UsageError
 * naming it and the project. Both files are always needed: each side's plan and cost depend on its peer.
 */
export function pairStackFiles(options: StackFileOptions, start: string = process.cwd()): PairStackFiles {
    const names = { primary: validateStackName("--primary", options.primary), dr: validateStackName("--dr", options.dr) };
    if (names.primary === names.dr) {
        throw new UsageError(`--primary and --dr are both ${JSON.stringify(names.dr)}: expected two different stacks, one per side`);
    }
    const show = sidesNamed(options.stack, names);
    const project = requireProject(start);
    const files = { primary: stackFile(project, names.primary), dr: stackFile(project, names.dr) };
    const missing = (["primary", "dr"] as const).filter((role) => !fs.existsSync(files[role]));
    if (missing.length > 0) {
        throw new UsageError(
            missing.map((role) => `no stack file for the ${role} stack ${names[role]}: ${files[role]} does not exist`).join("; ") +
                ` (project ${project.name} in ${project.dir}; name the stacks with --primary and --dr)`,
        );
    }
    return { project, names, files, show };
}

/** `--stack`: both sides, a role, or one of the two stack names (a name wins over a role of the same spelling). */
export function sidesNamed(which: string, names: Readonly<Record<SiteRole, string>>): SiteRole[] {
    if (which === "both") {
        return ["primary", "dr"];
    }
    const byName = (["primary", "dr"] as const).filter((role) => names[role] === which);
    if (byName.length > 0) {
        return byName;
    }
    if (which === "primary" || which === "dr") {
        return [which];
    }
    const choices = [...new Set(["both", "primary", "dr", names.primary, names.dr])];
    throw new UsageError(`--stack is ${JSON.stringify(which)}: expected one of ${choices.join(", ")}`);
}

/**
 * Reads both stack files and validates them together: every problem of both files at once, each naming its file,
 * and what only the pair shows (two primaries, one bucket name on both sides, ...). Problems are usage errors (exit 2).
 */
export function validatedPair(pair: PairStackFiles, doing: string): { raws: Record<SiteRole, RawSiteConfig>; configs: Record<SiteRole, SiteConfig> } {
    try {
        const raws = readStackFiles(pair.files);
        const side = (role: SiteRole) => ({
            file: displayPath(pair.files[role]),
            identity: { organization: "organization", project: pair.project.name, stack: pair.names[role] },
            raw: raws[role],
        });
        return { raws, configs: parseStackPair(side("primary"), side("dr")) };
    } catch (error) {
        if (error instanceof ConfigError || error instanceof StackFileError) {
            throw new UsageError(`cannot ${doing}: ${error.message}`);
        }
        throw error;
    }
}

/**
 * Before `deploy` touches either stack: when both stack files are in the project, validates them together (two
 * primaries, one bucket name, ...), which neither stack's own update can see. Without both files (config kept
 * elsewhere, or a first deploy) there is nothing to compare, and each update validates its own config.
 */
export function checkPairBeforeDeploy(project: PulumiProject, names: Readonly<Record<SiteRole, string>>): void {
    const files = { primary: stackFile(project, names.primary), dr: stackFile(project, names.dr) };
    if (fs.existsSync(files.primary) && fs.existsSync(files.dr)) {
        validatedPair({ project, names, files, show: ["primary", "dr"] }, "deploy");
    }
}
