/**
 * The Pulumi Automation API workspace every lustre-dr command drives: the operator's project directory (the nearest
 * Pulumi.yaml, infra/project.ts) with its program and stack files, the state backend, the Pulumi CLI, and the
 * project's policy pack when it has one.
 *
 * Everything the environment must provide (the CLI, a passphrase for the local backend) is checked here, before
 * any stack is touched, and reported as a UsageError (exit code 2) that says what to do.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import type { SideRole } from "../aws/sides";
import { EnvironmentError, UsageError } from "../output";
import { requireProject } from "../project";

/** State directory of the embedded default backend, relative to the project. */
export const localStateDir = path.join(".lustre-dr", "state");

/**
 * The policy pack directory, relative to the project, passed to every preview and update once it exists. A pack needs
 * its own dependencies installed where it is, so it is the project's (this repository's infra/policy), not one taken
 * from an installed package.
 */
export const policyPackDir = path.join("infra", "policy");

/** The organization a DIY (file, S3, ...) backend puts every stack in. */
const diyOrganization = "organization";

export interface WorkspaceOptions {
    /**
     * Directory holding Pulumi.yaml: the program Pulumi runs, its stack files and the embedded state backend.
     * @default the nearest Pulumi.yaml from the working directory upwards (infra/project.ts)
     */
    readonly projectDir?: string;
    /** Environment to read PULUMI_BACKEND_URL and the passphrase from. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** The Pulumi CLI to run; tests inject a fake. @default the `pulumi` on PATH (PulumiCommand.get) */
    readonly pulumiCommand?: PulumiCommand;
}

export interface Backend {
    /** Value for PULUMI_BACKEND_URL, e.g. `file:///home/me/lustre-dr/.lustre-dr/state` or `s3://acme-pulumi-state`. */
    readonly url: string;
    /** True for the embedded default under the project directory. */
    readonly embedded: boolean;
    /** True for backends without Pulumi Cloud (file, s3, gs, azblob): stacks live in the organization `organization`. */
    readonly diy: boolean;
}

/**
 * The state backend: PULUMI_BACKEND_URL when set, otherwise a file backend under `.lustre-dr/state` in the
 * project (created by LustreDrWorkspace.open once the CLI is found), which needs no account. The embedded backend encrypts secrets with a passphrase, so it
 * refuses to start without one rather than letting Pulumi prompt (and hang) in CI.
 */
export function resolveBackend(projectDir: string, env: NodeJS.ProcessEnv): Backend {
    const configured = env.PULUMI_BACKEND_URL?.trim();
    if (configured) {
        return { url: configured, embedded: false, diy: !/^https?:\/\//.test(configured) };
    }
    const passphraseFile = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !passphraseFile) {
        throw new EnvironmentError(
            "PULUMI_CONFIG_PASSPHRASE is not set: the default local state backend (.lustre-dr/state) encrypts stack secrets " +
                "with a passphrase. Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding it), " +
                "or set PULUMI_BACKEND_URL to use another backend",
        );
    }
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && passphraseFile && !fs.existsSync(passphraseFile)) {
        throw new EnvironmentError(`PULUMI_CONFIG_PASSPHRASE_FILE is ${JSON.stringify(passphraseFile)}: expected a readable file holding the passphrase`);
    }
    return { url: `file://${path.join(projectDir, localStateDir)}`, embedded: true, diy: true };
}

/** The Pulumi CLI on PATH, or a UsageError that says how to install it. */
export async function findPulumiCommand(get: () => Promise<PulumiCommand> = () => PulumiCommand.get()): Promise<PulumiCommand> {
    try {
        return await get();
    } catch (error) {
        const detail = (error as Error).message ?? String(error);
        if (/ENOENT|not found/i.test(detail)) {
            throw new EnvironmentError(
                "the Pulumi CLI (`pulumi`) is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/, " +
                    "e.g. `curl -fsSL https://get.pulumi.com | sh` or `brew install pulumi/tap/pulumi`) and run the command again",
            );
        }
        throw new EnvironmentError(`the Pulumi CLI on PATH cannot be used: ${detail.split("\n")[0]}`);
    }
}

const stackNamePattern = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

/** Refuses a stack name Pulumi would reject, naming the flag. */
export function validateStackName(flag: string, name: string): string {
    if (!stackNamePattern.test(name)) {
        throw new UsageError(
            `${flag} is ${JSON.stringify(name)}: expected a stack name such as dr, or <organization>/<stack>, or <organization>/<project>/<stack>`,
        );
    }
    return name;
}

/** The workspace, opened and checked. One per command run. */
export class LustreDrWorkspace {
    private knownStacks?: Set<string>;
    private profiles: Partial<Record<SideRole, string>> = {};

    private constructor(
        readonly workspace: LocalWorkspace,
        readonly backend: Backend,
        readonly projectName: string,
        /** Directories of the policy packs to enforce on every preview and update. */
        readonly policyPacks: string[],
    ) {}

    /**
     * Options every preview and update runs with: the policy packs, and with `verbose` the engine's own output on
     * stderr (stdout stays for the command's result).
     */
    engineOptions(verbose?: boolean): { policyPacks?: string[]; onOutput?: (text: string) => void } {
        return {
            ...(this.policyPacks.length > 0 ? { policyPacks: this.policyPacks } : {}),
            ...(verbose ? { onOutput: (text: string) => process.stderr.write(text) } : {}),
        };
    }

    static async open(options: WorkspaceOptions = {}): Promise<LustreDrWorkspace> {
        const projectDir = options.projectDir ?? requireProject().dir;
        const env = options.env ?? process.env;
        const backend = resolveBackend(projectDir, env);
        const pulumiCommand = options.pulumiCommand ?? (await findPulumiCommand());
        if (backend.embedded) {
            fs.mkdirSync(path.join(projectDir, localStateDir), { recursive: true });
        }
        const workspace = await LocalWorkspace.create({
            workDir: projectDir,
            pulumiCommand,
            envVars: { PULUMI_BACKEND_URL: backend.url, PULUMI_SKIP_UPDATE_CHECK: "true" },
        });
        const project = await workspace.projectSettings();
        const policyPack = path.join(projectDir, policyPackDir);
        const policyPacks = fs.existsSync(path.join(policyPack, "PulumiPolicy.yaml")) ? [policyPack] : [];
        return new LustreDrWorkspace(workspace, backend, project.name, policyPacks);
    }

    /**
     * AWS profiles per side (`--primary-profile`, `--dr-profile`): each side usually lives in its own account, and
     * the program's AWS provider takes its credentials from the environment the CLI runs in.
     */
    setProfiles(profiles: Partial<Record<SideRole, string>>): void {
        this.profiles = { ...profiles };
    }

    /** Runs the next CLI invocations with this side's profile (AWS_PROFILE), when one was given. */
    actAs(role: SideRole): void {
        const profile = this.profiles[role];
        if (profile !== undefined) {
            this.workspace.envVars.AWS_PROFILE = profile;
        } else {
            delete this.workspace.envVars.AWS_PROFILE;
        }
    }

    /**
     * The name the peer's StackReference needs (`lustre-dr:peerStack` is always fully qualified):
     * `<organization>/<project>/<stack>`. DIY backends have the single organization `organization`; on Pulumi Cloud
     * a bare name means the logged-in user's organization.
     */
    async fullyQualifiedName(stackName: string): Promise<string> {
        const parts = stackName.split("/");
        if (parts.length === 3) {
            return stackName;
        }
        if (parts.length === 2) {
            return `${parts[0]}/${this.projectName}/${parts[1]}`;
        }
        const organization = this.backend.diy ? diyOrganization : (await this.workspace.whoAmI()).user;
        return `${organization}/${this.projectName}/${stackName}`;
    }

    /** Whether the stack exists in the backend; listed once, then kept up to date by createOrSelectStack. */
    async stackExists(stackName: string): Promise<boolean> {
        if (!this.knownStacks) {
            const summaries = await this.workspace.listStacks();
            this.knownStacks = new Set(summaries.map((summary) => summary.name));
        }
        const shortName = stackName.split("/").pop() ?? stackName;
        return this.knownStacks.has(stackName) || this.knownStacks.has(shortName) || this.knownStacks.has(await this.fullyQualifiedName(stackName));
    }

    /** Selects an existing stack; a missing one is a usage error naming the backend. */
    async selectStack(stackName: string): Promise<Stack> {
        try {
            return await Stack.select(stackName, this.workspace);
        } catch (error) {
            if (error instanceof StackNotFoundError) {
                throw new EnvironmentError(`stack ${stackName} does not exist in the backend ${this.backend.url}: deploy it first with \`lustre-dr deploy\``);
            }
            throw error;
        }
    }

    async createOrSelectStack(stackName: string): Promise<Stack> {
        const stack = await Stack.createOrSelect(stackName, this.workspace);
        this.knownStacks?.add(stackName);
        return stack;
    }
}
