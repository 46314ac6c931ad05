/**
 * `lustre-dr plan`: what each stack would declare, offline. Runs the real program with the stack's
 * Pulumi.<stack>.yaml against the Pulumi runtime mocks; prints a resource table, JSON, or the Mermaid diagram.
 */
import { Command, Option } from "commander";
import { ConfigError } from "../../components/problems";
import { createOutput, UsageError } from "../output";
import { addStackFileOptions, pairStackFiles, StackFileOptions, validatedPair } from "../stackFiles";
import { architectureDiagram } from "./diagram";
import { formatPlanTable, StackPlan } from "./model";
import { planStacks } from "./run";

type PlanFormat = "table" | "json" | "mermaid";

interface PlanOptions extends StackFileOptions {
    format: PlanFormat;
    asConfigured?: boolean;
    json?: boolean;
}

/**
 * Plans the pair's stack files in the project (the nearest Pulumi.yaml, or `--cwd`); config problems are usage
 * errors (exit 2). The program evaluated is lustre-dr's own (stacks/program.ts), with the project's stack files and
 * name, whatever the project's Pulumi.yaml `main` is: plan shows what lustre-dr declares for that config.
 */
export async function planStackFiles(
    options: StackFileOptions,
    asConfigured = false,
    start: string = process.cwd(),
    progress: (message: string) => void = () => undefined,
): Promise<StackPlan[]> {
    const pair = pairStackFiles(options, start);
    const { project, names, show } = pair;
    progress(
        `Planning ${show.map((role) => names[role]).join(" and ")} of ${project.name} (${project.dir}) against the Pulumi runtime mocks ` +
            "(both stack files are read: each side depends on its peer)...",
    );
    // Both files judged together first: every problem of both at once, before the program runs on either.
    const configs = validatedPair(pair, "plan").raws;
    try {
        return await planStacks({ configs, asConfigured, project: project.name, stackNames: names }, show);
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new UsageError(`cannot plan: ${error.message}`);
        }
        throw error;
    }
}

export function registerPlanCommand(program: Command): void {
    addStackFileOptions(
        program
            .command("plan")
            .description(
                "Show what each stack would declare, from the project's Pulumi.<stack>.yaml, offline (no cloud, no credentials, " +
                    "no Pulumi CLI). Evaluates lustre-dr's own program with those stack files.",
            ),
        "which stack to show (both files are always read: each side depends on its peer)",
    )
        .addOption(new Option("--format <format>", "table, json, or a Mermaid architecture diagram").choices(["table", "json", "mermaid"]).default("table"))
        .option("--as-configured", "plan the files exactly as written (a side without peerStack plans alone)")
        .option("--json", "same as --format json")
        .action(async (options: PlanOptions) => {
            const format: PlanFormat = options.json ? "json" : options.format;
            const output = createOutput({ json: format === "json" });
            const plans = await planStackFiles(options, options.asConfigured ?? false, process.cwd(), (message) => output.progress(message));
            output.result(plans, () => (format === "mermaid" ? architectureDiagram(plans) : formatPlanTable(plans)));
        });
}
