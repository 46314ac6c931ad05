/**
 * `lustre-dr destroy`: tear down the pair without losing data by accident.
 *
 * Buckets and their KMS keys (and anything else the program marks `protect`) hold the data, so by default only the
 * unprotected resources are destroyed (`pulumi destroy --exclude-protected`) and the command lists what it kept and
 * how to delete it. The settings that protect the kept data (versioning, bucket policy, public access block,
 * encryption, ownership, lifecycle, Object Lock) are `retainOnDelete`: Pulumi forgets them but leaves them in AWS, so a
 * kept bucket stays versioned, private and TLS-only. `--include-data` deletes everything, after the operator types the stack names: it sets
 * `lustre-dr:bucket.forceDestroy=true` and updates once (so the provider may delete non-empty, versioned buckets),
 * removes the protection in the stack's state, then destroys.
 */
import * as readline from "readline";
import type { Deployment, Stack } from "@pulumi/pulumi/automation";
import type { SideRole } from "../aws/sides";
import { UsageError } from "../output";
import { engineErrorDetail } from "../pulumi/engineError";
import { CommandContext, openWorkspace, stackNames, StackSelectionOptions } from "./deploy";
import { LustreDrWorkspace } from "../pulumi/workspace";

export interface DestroyCommandOptions extends StackSelectionOptions {
    only?: SideRole;
    includeData?: boolean;
    /** The typed confirmation, for non-interactive use. */
    confirm?: string;
    verbose?: boolean;
    json?: boolean;
}

export interface DestroyContext extends CommandContext {
    /** Asks the operator a question on the terminal; tests answer it. @default a readline prompt on stdin/stderr */
    readonly prompt?: (question: string) => Promise<string>;
}

export interface StackDestroyResult {
    readonly stack: string;
    /** False when the stack did not exist. */
    readonly existed: boolean;
    readonly includedData: boolean;
    /** Resources kept because they are protected: `type name`. */
    readonly kept: string[];
    /**
     * Resources left in AWS but no longer in the stack (`retainOnDelete`): the settings that keep the kept data
     * protected. `lustre-dr deploy` takes them over again (docs/runbook.md, "After destroy").
     */
    readonly retained: string[];
}

interface StateResource {
    urn?: string;
    type?: string;
    protect?: boolean;
    retainOnDelete?: boolean;
}

function resourcesOf(state: Deployment): StateResource[] {
    const deployment = state.deployment as { resources?: StateResource[] } | undefined;
    return deployment?.resources ?? [];
}

const describe = (resource: StateResource): string => `${resource.type ?? "?"} ${resource.urn?.split("::").pop() ?? "?"}`;

/** `aws:s3/bucket:Bucket data-bucket` for each protected resource in a state export. */
export function protectedResources(state: Deployment): string[] {
    return resourcesOf(state)
        .filter((resource) => resource.protect === true)
        .map(describe);
}

/** Unprotected resources a destroy leaves in AWS (`retainOnDelete`), as `type name`. */
export function retainedResources(state: Deployment): string[] {
    return resourcesOf(state)
        .filter((resource) => resource.retainOnDelete === true && resource.protect !== true)
        .map(describe);
}

/** The same state with every resource's protection removed (what `pulumi state unprotect --all` does). */
export function withoutProtection(state: Deployment): Deployment {
    const deployment = state.deployment as { resources?: StateResource[] } & Record<string, unknown>;
    return {
        ...state,
        deployment: { ...deployment, resources: resourcesOf(state).map((resource) => ({ ...resource, protect: false })) },
    };
}

function terminalPrompt(question: string): Promise<string> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    return new Promise((resolve) =>
        rl.question(question, (answer) => {
            rl.close();
            resolve(answer);
        }),
    );
}

async function destroyOne(
    stack: Stack,
    workspace: LustreDrWorkspace,
    includeData: boolean,
    verbose: boolean | undefined,
): Promise<{ kept: string[]; retained: string[] }> {
    const { onOutput } = workspace.engineOptions(verbose);
    if (includeData) {
        await stack.setAllConfig({ "lustre-dr:bucket.forceDestroy": { value: "true" } }, true);
        await stack.up(workspace.engineOptions(verbose));
        await stack.importStack(withoutProtection(await stack.exportStack()));
        // The retained settings are bucket subresources: they go with the bucket. Until it is gone (a failed delete,
        // Object Lock in COMPLIANCE mode) they keep protecting what is left in it.
        await stack.destroy({ onOutput });
        return { kept: [], retained: [] };
    }
    const retained = retainedResources(await stack.exportStack());
    await stack.destroy({ excludeProtected: true, onOutput });
    return { kept: protectedResources(await stack.exportStack()), retained };
}

/**
 * True when `answer` names exactly the stacks to destroy, each once, in any order, separated by spaces or commas:
 * the point is that the operator typed what will be deleted, not that they remembered the order.
 */
export function confirms(answer: string, targets: readonly string[]): boolean {
    const typed = answer.split(/[\s,]+/).filter((word) => word.length > 0);
    return typed.length === targets.length && [...typed].sort().join(" ") === [...targets].sort().join(" ");
}

export async function runDestroy(options: DestroyCommandOptions, context: DestroyContext): Promise<StackDestroyResult[]> {
    const { output } = context;
    const names = stackNames(options);
    if (options.only !== undefined && options.only !== "primary" && options.only !== "dr") {
        throw new UsageError(`--only is ${JSON.stringify(options.only)}: expected primary or dr`);
    }
    // The dr side first: it is the copy, and the primary's next update must not find half a peer.
    const roles: SideRole[] = options.only ? [options.only] : ["dr", "primary"];
    const targets = roles.map((role) => names[role]);
    const includeData = options.includeData === true;

    if (includeData) {
        const expected = targets.join(" ");
        const answer =
            options.confirm ??
            (await (context.prompt ?? terminalPrompt)(
                `This deletes the buckets of ${targets.join(" and ")} with every object version in them, and their KMS keys. ` +
                    `Type "${expected}" to confirm: `,
            ));
        if (!confirms(answer, targets)) {
            throw new UsageError(
                `confirmation was ${JSON.stringify(answer.trim())}, expected the stack names ${JSON.stringify(expected)} (in any order): nothing was destroyed`,
            );
        }
    } else {
        output.progress(
            "Buckets and their KMS keys are protected and are kept: they hold the data and its replicas. So are the settings " +
                "that protect them (versioning, bucket policy, public access block, encryption, ownership, lifecycle, Object Lock). " +
                "Everything else is destroyed. To delete the data too: `lustre-dr destroy --include-data`.",
        );
    }

    const workspace = await openWorkspace(options, context);
    const results: StackDestroyResult[] = [];
    for (const role of roles) {
        const name = names[role];
        workspace.actAs(role);
        if (!(await workspace.stackExists(name))) {
            output.progress(`${name}: no such stack, nothing to destroy`);
            results.push({ stack: name, existed: false, includedData: includeData, kept: [], retained: [] });
            continue;
        }
        output.progress(`${name}: destroying${includeData ? " everything, data included" : " all but protected resources"}`);
        const stack = await workspace.selectStack(name);
        let outcome: { kept: string[]; retained: string[] };
        try {
            outcome = await destroyOne(stack, workspace, includeData, options.verbose);
        } catch (error) {
            throw new Error(`destroying stack ${name} failed; run the command again to continue.\n${engineErrorDetail(error)}`);
        }
        results.push({ stack: name, existed: true, includedData: includeData, ...outcome });
    }

    output.result({ stacks: results }, () =>
        results
            .map((r) => {
                if (!r.existed) {
                    return `${r.stack}: did not exist`;
                }
                if (r.kept.length === 0) {
                    return `${r.stack}: destroyed`;
                }
                return [
                    `${r.stack}: destroyed, kept ${r.kept.length} protected:`,
                    ...r.kept.map((k) => `  ${k}`),
                    ...(r.retained.length > 0
                        ? [`  and left in AWS, still protecting them (no longer in the stack): ${r.retained.length}`, ...r.retained.map((k) => `  ${k}`)]
                        : []),
                ].join("\n");
            })
            .concat(
                results.some((r) => r.kept.length > 0)
                    ? [
                          "The kept buckets stay versioned, encrypted, private and TLS-only, and still cost storage. Delete them with " +
                              "`lustre-dr destroy --include-data`, keep them as the data of record, or take them over again with " +
                              "`lustre-dr deploy` (docs/runbook.md, \"After destroy\").",
                      ]
                    : [],
            )
            .join("\n"),
    );
    return results;
}
