/**
 * The StackOutputsReader every command that names a side by its stack uses (`--stack dr`, `--dr-stack dr`).
 *
 * Kept apart from stackOutputs.ts and loading it only on the first read: a command registers its reader when the
 * CLI starts, and the Automation API and the outputs contract (@pulumi/pulumi, zod) take about a second to load,
 * which `--help`, a restore by `--bucket` or `status --only dr --dr-bucket ...` never need (BENCHMARKS.md).
 */
import type { StackOutputsReader } from "../aws/sides";
import type { LustreDrWorkspace, WorkspaceOptions } from "./workspace";

/** A StackOutputsReader bound to workspace options (tests inject a fake Pulumi CLI). The workspace opens once. */
export function createStackOutputsReader(options: WorkspaceOptions = {}): StackOutputsReader {
    let opened: Promise<LustreDrWorkspace> | undefined;
    return async (stackName) => {
        const [{ LustreDrWorkspace }, { readOutputsOf }] = await Promise.all([import("./workspace"), import("./stackOutputs")]);
        opened ??= LustreDrWorkspace.open(options);
        return readOutputsOf(await opened, stackName);
    };
}

/** Reads a stack's outputs from the configured backend with the Pulumi CLI on PATH. */
export const readStackOutputs: StackOutputsReader = (stackName) => createStackOutputsReader()(stackName);
