/**
 * A fake Pulumi CLI for Automation API tests, the way Pulumi tests its own SDK: the Automation API only ever calls
 * `pulumiCommand.run(args, cwd, env, onOutput)`, so this records every invocation and answers from a small model of
 * the backend. Its `up` evaluates the handshake with the program's own decision (stacks/handshake.ts) from the
 * stack's config and the peer stack's outputs, so the order of updates and of `peerStack` settings is really tested.
 */
import * as fs from "fs";
import { SemVer } from "semver";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { decideHandshake, PeerOutputs } from "../../stacks/handshake";
import { verifyPeer } from "../../stacks/peerPin";
import { describeProblem } from "../../components/problems";

// The real CLI wrapper turns a failed run into these errors (StackNotFoundError from "no stack named ... found");
// using the SDK's own constructors keeps the fake's failures indistinguishable from real ones.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => FakeCommandResult;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCommandError } = require("@pulumi/pulumi/automation/errors") as { createCommandError: (result: FakeCommandResult) => Error };

interface FakeCommandResult {
    stdout: string;
    stderr: string;
    code: number;
}

export interface FakeSite {
    readonly accountId: string;
    readonly region: string;
    /** @default lustre-dr-<stack>-<accountId> */
    readonly bucketName?: string;
}

/** The usual pair: primary and dr in two accounts and regions. */
export const twoSites: Record<"primary" | "dr", FakeSite> = {
    primary: { accountId: "111111111111", region: "us-east-1" },
    dr: { accountId: "222222222222", region: "us-west-2" },
};

interface FakeStack {
    /** Top-level config keys; objects are nested as `--path` writes them. */
    config: Record<string, unknown>;
    outputs: Record<string, unknown>;
    updates: number;
    lastChanges?: Record<string, number>;
    /** The state's resources, as `stack export` shows them. */
    resources: FakeResource[];
}

export interface FakeResource {
    urn: string;
    type: string;
    protect: boolean;
    /** Destroying it forgets it without deleting it in the cloud. */
    retainOnDelete?: boolean;
}

/** A failure to inject: the n-th invocation matching `when` fails with `stderr`. */
export interface InjectedFailure {
    readonly when: (args: readonly string[]) => boolean;
    readonly stderr: string;
    /** Fail only this many times. @default 1 */
    times?: number;
}

const project = "lustre-dr";

function argAfter(args: readonly string[], flag: string): string | undefined {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
}

function parseScalar(value: string): unknown {
    // `config set --path` stores true/false and integers as YAML booleans and numbers (pulumi/pulumi#18285).
    if (value === "true" || value === "false") {
        return value === "true";
    }
    return /^(0|[1-9]\d*)$/.test(value) ? Number(value) : value;
}

export class FakePulumiCommand {
    readonly command = "pulumi";
    // At most 3.205 the SDK tails an event-log file, which the fake writes; newer versions expect a gRPC client.
    readonly version = new SemVer("3.200.0");
    /** Every invocation, with the `--non-interactive` the SDK appends removed. */
    readonly invocations: string[][] = [];
    readonly stacks = new Map<string, FakeStack>();
    readonly failures: InjectedFailure[] = [];
    /** Environment of the last invocation. */
    lastEnv: Record<string, string> = {};
    /** URNs a destroy deleted in the cloud, in order (retained resources are only forgotten). */
    readonly deletedInCloud: string[] = [];
    /**
     * The resources an update leaves in a stack's state, when a test gives the program's real ones (for example from
     * the mocked program); by default a bucket, a key and a role.
     */
    resourceModel?: (stack: string) => FakeResource[];
    /** AWS_PROFILE each invocation ran with, in order (undefined: inherited from the caller). */
    readonly profiles: (string | undefined)[] = [];

    constructor(
        /** Account and region of each stack the fake knows how to deploy. */
        readonly sites: Record<string, FakeSite>,
        /** Config each stack starts with, as Pulumi.<stack>.yaml would hold it. */
        readonly initialConfig: Record<string, Record<string, unknown>> = {},
    ) {}

    /** Pre-creates a stack, as if it had been deployed before. */
    addStack(name: string, config: Record<string, unknown> = {}): void {
        this.stacks.set(name, { config: { ...(this.initialConfig[name] ?? {}), ...config }, outputs: {}, updates: 0, resources: [] });
    }

    asPulumiCommand(): PulumiCommand {
        return this as unknown as PulumiCommand;
    }

    /** Invocations whose first words are `words`, e.g. `calls("up")`. */
    calls(...words: string[]): string[][] {
        return this.invocations.filter((args) => words.every((word, i) => args[i] === word));
    }

    /** `up` invocations as the stack each ran on. */
    updatedStacks(): string[] {
        return this.calls("up").map((args) => argAfter(args, "--stack") ?? "?");
    }

    /**
     * The invocations that change something, one line each: `stack init dr`, `config set dr lustre-dr:peerStack=...`,
     * `config set-all --path dr lustre-dr:lustre.enabled=true ...`, `config rm dr key`, `up dr`, `destroy dr`, ...
     */
    changes(): string[] {
        const lines: string[] = [];
        for (const args of this.invocations) {
            const stack = argAfter(args, "--stack") ?? "";
            const flags = (names: string[]) => names.filter((flag) => args.includes(flag)).map((flag) => ` ${flag}`).join("");
            if (args[0] === "stack" && (args[1] === "init" || args[1] === "rm")) {
                lines.push(`stack ${args[1]} ${args[2]}`);
            } else if (args[0] === "stack" && args[1] === "import") {
                lines.push(`stack import ${stack}`);
            } else if (args[0] === "config" && args[1] === "set") {
                lines.push(`config set ${stack} ${args[2]}=${args[args.length - 1]}`);
            } else if (args[0] === "config" && args[1] === "set-all") {
                const assignments = args.filter((_, i) => args[i - 1] === "--plaintext" || args[i - 1] === "--secret");
                lines.push(`config set-all${flags(["--path"])} ${stack} ${assignments.join(" ")}`);
            } else if (args[0] === "config" && args[1] === "rm") {
                lines.push(`config rm ${stack} ${args[2]}`);
            } else if (args[0] === "up" || args[0] === "destroy") {
                const packs = args.filter((_, i) => args[i - 1] === "--policy-pack").map((pack) => ` --policy-pack ${pack}`).join("");
                lines.push(`${args[0]}${flags(["--exclude-protected"])}${packs} ${stack}`);
            }
        }
        return lines;
    }

    /** Every stack any invocation named with `--stack` (or selected, initialised, ...). */
    touchedStacks(): Set<string> {
        const touched = new Set<string>();
        for (const args of this.invocations) {
            const stack = argAfter(args, "--stack") ?? (args[0] === "stack" && args[1] === "init" ? args[2] : undefined);
            if (stack) {
                touched.add(stack);
            }
        }
        return touched;
    }

    async run(
        args: string[],
        _cwd: string,
        env: Record<string, string>,
        onOutput?: (data: string) => void,
    ): Promise<FakeCommandResult> {
        const recorded = args.filter((arg) => arg !== "--non-interactive");
        this.invocations.push(recorded);
        this.lastEnv = env;
        this.profiles.push(env.AWS_PROFILE);
        const failure = this.failures.find((f) => (f.times ?? 1) > 0 && f.when(recorded));
        if (failure) {
            failure.times = (failure.times ?? 1) - 1;
            throw this.error(failure.stderr);
        }
        const stdout = this.answer(recorded, onOutput);
        if (recorded[0] === "preview") {
            // The SDK polls the event log every 200 ms; give it one poll to read the summary before the run ends.
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
        return new CommandResult(stdout, "", 0);
    }

    private error(stderr: string): Error {
        return createCommandError(new CommandResult("", stderr, 255));
    }

    private stack(args: readonly string[]): [string, FakeStack] {
        // `dr`, `organization/dr` and `organization/lustre-dr/dr` name the same stack on a DIY backend.
        const name = argAfter(args, "--stack")?.split("/").pop();
        const stack = name === undefined ? undefined : this.stacks.get(name);
        if (name === undefined || stack === undefined) {
            throw this.error(`error: no stack named '${name}' found`);
        }
        return [name, stack];
    }

    private answer(args: readonly string[], onOutput?: (data: string) => void): string {
        const [first, second] = args;
        if (first === "stack" && second === "ls") {
            return JSON.stringify([...this.stacks.keys()].map((name) => ({ name, current: false })));
        }
        if (first === "stack" && second === "select") {
            this.stack(args);
            return "";
        }
        if (first === "stack" && second === "init") {
            const name = args[2].split("/").pop()!;
            if (this.stacks.has(name)) {
                throw this.error(`error: stack '${args[2]}' already exists`);
            }
            this.addStack(name);
            return "";
        }
        if (first === "stack" && second === "output") {
            return JSON.stringify(this.stack(args)[1].outputs);
        }
        if (first === "stack" && second === "history") {
            const [, stack] = this.stack(args);
            return JSON.stringify(stack.updates === 0 ? [] : [{ version: stack.updates, kind: "update", result: "succeeded", resourceChanges: stack.lastChanges }]);
        }
        if (first === "whoami") {
            return JSON.stringify({ user: "organization" });
        }
        if (first === "config") {
            return this.config(args);
        }
        if (first === "up") {
            return this.up(args, onOutput);
        }
        if (first === "preview") {
            return this.preview(args);
        }
        if (first === "stack" && second === "export") {
            const [, stack] = this.stack(args);
            return JSON.stringify({ version: 3, deployment: { manifest: {}, resources: stack.resources } });
        }
        if (first === "stack" && second === "import") {
            const [, stack] = this.stack(args);
            const state = JSON.parse(fs.readFileSync(argAfter(args, "--file")!, "utf8")) as { deployment: { resources: FakeResource[] } };
            stack.resources = state.deployment.resources;
            return "";
        }
        if (first === "destroy") {
            const [name, stack] = this.stack(args);
            const protectedOnes = stack.resources.filter((resource) => resource.protect);
            if (!args.includes("--exclude-protected") && protectedOnes.length > 0) {
                throw this.error(`error: ${name}: resource "${protectedOnes[0].urn}" cannot be deleted because it is protected`);
            }
            const keep = args.includes("--exclude-protected") ? protectedOnes : [];
            for (const resource of stack.resources) {
                if (!keep.includes(resource) && resource.retainOnDelete !== true && resource.type !== "pulumi:pulumi:Stack") {
                    this.deletedInCloud.push(resource.urn);
                }
            }
            stack.resources = keep;
            stack.outputs = {};
            return "";
        }
        throw this.error(`fake pulumi does not know: pulumi ${args.join(" ")}`);
    }

    private config(args: readonly string[]): string {
        const [, stack] = this.stack(args);
        if (args[1] === "set-all") {
            const path = args.includes("--path");
            for (const [i, arg] of args.entries()) {
                if (arg !== "--plaintext" && arg !== "--secret") {
                    continue;
                }
                const assignment = args[i + 1];
                const eq = assignment.indexOf("=");
                this.setConfig(stack, assignment.slice(0, eq), assignment.slice(eq + 1), path);
            }
            return "";
        }
        if (args[1] === "set") {
            const path = args.includes("--path");
            const key = args[path ? 3 : 2];
            this.setConfig(stack, key, args[args.length - 1], path);
            return "";
        }
        if (args[1] === "rm") {
            delete stack.config[args[2]];
            return "";
        }
        // `config --show-secrets --json`: objects come back as JSON text in `value`, as the real CLI prints them.
        return JSON.stringify(
            Object.fromEntries(
                Object.entries(stack.config).map(([key, value]) => [
                    key,
                    { value: typeof value === "string" ? value : JSON.stringify(value), secret: false },
                ]),
            ),
        );
    }

    private setConfig(stack: FakeStack, key: string, value: string, path: boolean): void {
        if (!path) {
            stack.config[key] = value;
            return;
        }
        const [top, ...rest] = key.split(".");
        const existing = stack.config[top];
        const root: Record<string, unknown> = typeof existing === "object" && existing !== null ? { ...(existing as Record<string, unknown>) } : {};
        let node = root;
        for (const part of rest.slice(0, -1)) {
            node[part] = typeof node[part] === "object" && node[part] !== null ? { ...(node[part] as Record<string, unknown>) } : {};
            node = node[part] as Record<string, unknown>;
        }
        node[rest[rest.length - 1]] = parseScalar(value);
        stack.config[top] = root;
    }

    /** The program, reduced to what the CLI observes: outputs per the contract, decided by the real handshake. */
    private evaluate(name: string, stack: FakeStack): Record<string, unknown> {
        const site = this.sites[name];
        if (!site) {
            throw this.error(`error: fake pulumi has no account for stack ${name}`);
        }
        const config = stack.config;
        const role = (config["lustre-dr:role"] as string | undefined) ?? name;
        const detached = (config["lustre-dr:recovery"] as { detached?: boolean } | undefined)?.detached === true;
        const lustre = config["lustre-dr:lustre"] as { enabled?: boolean } | undefined;
        const lustreEnabled = lustre?.enabled ?? role === "primary";
        const peerStack = config["lustre-dr:peerStack"] as string | undefined;
        let peer: Record<string, unknown> | undefined;
        if (peerStack && !detached) {
            const peerName = peerStack.split("/")[2];
            const peerState = this.stacks.get(peerName);
            if (!peerState || !peerStack.startsWith(`organization/${project}/`)) {
                throw this.error(`error: unknown stack "${peerStack}"`);
            }
            peer = Object.keys(peerState.outputs).length > 0 ? peerState.outputs : undefined;
        }
        const replicationRoleArn = `arn:aws:iam::${site.accountId}:role/${project}-${name}-replication`;
        const pin = config["lustre-dr:peerAccountId"] as string | undefined;
        if (peerStack && !detached && pin === undefined) {
            throw this.error("error: invalid configuration (1 problem):\n  - lustre-dr:peerAccountId is missing: expected the 12-digit account id of the peer stack");
        }
        let trusted: PeerOutputs | undefined;
        if (peer && peerStack && pin !== undefined) {
            // The program's own check (stacks/peerPin.ts), so a forged or mispinned peer fails the update here too.
            const verified = verifyPeer({ peerStack, accountId: pin, partition: "aws" }, {
                accountId: peer.accountId as string,
                region: peer.region as string,
                bucketName: peer.bucketName as string,
                bucketArn: peer.bucketArn as string,
                replicationRoleArn: peer.replicationRoleArn as string,
                batchReplicationRoleArn: peer.batchReplicationRoleArn as string | undefined,
                replicationGrantedTo: peer.replicationGrantedTo as string[],
            });
            if ("problems" in verified) {
                throw this.error(`error: invalid configuration:\n${verified.problems.map((p) => `  - ${describeProblem(p)}`).join("\n")}`);
            }
            trusted = verified.peer;
        }
        const decision = decideHandshake({
            detached,
            peerStack,
            peer: trusted,
            selfReplicationRoleArn: replicationRoleArn,
        });
        const bucketName = site.bucketName ?? `${project}-${name}-${site.accountId}`;
        return {
            accountId: site.accountId,
            region: site.region,
            role,
            bucketName,
            bucketArn: `arn:aws:s3:::${bucketName}`,
            replicationRoleArn,
            batchReplicationRoleArn: `arn:aws:iam::${site.accountId}:role/${project}-${name}-batch-replication`,
            replicationGrantedTo: decision.acceptReplicasFrom ? [decision.acceptReplicasFrom] : [],
            replicationStatus: decision.status,
            ...(lustreEnabled
                ? {
                      fileSystemId: `fs-0${site.accountId.slice(0, 4)}`,
                      fileSystemDnsName: `fs-0${site.accountId.slice(0, 4)}.fsx.${site.region}.amazonaws.com`,
                      fileSystemMountName: "abcdefgh",
                      mountCommand: `sudo mount -t lustre -o relatime,flock fs-0${site.accountId.slice(0, 4)}.fsx.${site.region}.amazonaws.com@tcp:/abcdefgh /fsx`,
                  }
                : {}),
        };
    }

    private up(args: readonly string[], onOutput?: (data: string) => void): string {
        const [name, stack] = this.stack(args);
        const outputs = this.evaluate(name, stack);
        const changed = JSON.stringify(outputs) !== JSON.stringify(stack.outputs);
        stack.lastChanges = stack.updates === 0 ? { create: 12 } : changed ? { update: 2, same: 10 } : { same: 12 };
        stack.outputs = outputs;
        stack.updates += 1;
        const urn = (type: string, resource: string) => `urn:pulumi:${name}::${project}::${type}::${resource}`;
        stack.resources = this.resourceModel?.(name) ?? [
            { urn: urn("pulumi:pulumi:Stack", `${project}-${name}`), type: "pulumi:pulumi:Stack", protect: false },
            { urn: urn("aws:s3/bucket:Bucket", "data-bucket"), type: "aws:s3/bucket:Bucket", protect: true },
            { urn: urn("aws:kms/key:Key", "data-key"), type: "aws:kms/key:Key", protect: true },
            { urn: urn("aws:iam/role:Role", "data-replication-role"), type: "aws:iam/role:Role", protect: false },
        ];
        const text = `Updating (${name})\n${changed ? "~ 2 to update" : "12 unchanged"}\n`;
        onOutput?.(text);
        return text;
    }

    private preview(args: readonly string[]): string {
        const [name, stack] = this.stack(args);
        const outputs = this.evaluate(name, stack);
        const changes = stack.updates === 0 ? { create: 12 } : JSON.stringify(outputs) !== JSON.stringify(stack.outputs) ? { update: 2, same: 10 } : { same: 12 };
        const eventLog = argAfter(args, "--event-log");
        if (eventLog) {
            fs.appendFileSync(eventLog, `${JSON.stringify({ sequence: 1, timestamp: 0, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} } })}\n`);
        }
        return `Previewing update (${name})\n`;
    }
}
