/**
 * `lustre-dr preview`: what the next update of each stack would change, without changing anything.
 */
import { describeChanges } from "./converge";
import { engineErrorDetail } from "../pulumi/engineError";
import { CommandContext, openWorkspace, stackNames, StackSelectionOptions } from "./deploy";

export interface PreviewOptions extends StackSelectionOptions {
    verbose?: boolean;
    json?: boolean;
}

export interface StackPreview {
    readonly role: "primary" | "dr";
    readonly stack: string;
    /** False when the stack does not exist yet: `deploy` would create it. */
    readonly exists: boolean;
    readonly changes?: Record<string, number>;
}

export async function runPreview(options: PreviewOptions, context: CommandContext): Promise<StackPreview[]> {
    const { output } = context;
    const names = stackNames(options);
    const workspace = await openWorkspace(options, context);
    const previews: StackPreview[] = [];
    for (const role of ["primary", "dr"] as const) {
        const name = names[role];
        workspace.actAs(role);
        // Previewing a stack that does not exist would create it; deploy is the command that creates stacks.
        if (!(await workspace.stackExists(name))) {
            output.progress(`${role} stack ${name}: does not exist yet; \`lustre-dr deploy\` creates it`);
            previews.push({ role, stack: name, exists: false });
            continue;
        }
        output.progress(`${role} stack ${name}: previewing`);
        const stack = await workspace.selectStack(name);
        try {
            const result = await stack.preview(workspace.engineOptions(options.verbose));
            previews.push({ role, stack: name, exists: true, changes: { ...result.changeSummary } as Record<string, number> });
        } catch (error) {
            throw new Error(`the preview of stack ${name} failed:\n${engineErrorDetail(error)}`);
        }
    }
    output.result({ stacks: previews }, () =>
        previews
            .map((p) => `${p.role} (${p.stack}): ${p.exists ? describeChanges(p.changes ?? {}) : "would be created by deploy"}`)
            .join("\n"),
    );
    return previews;
}
