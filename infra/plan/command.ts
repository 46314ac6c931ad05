/**
 * `lustre-dr plan`: what each stack would declare, offline. Runs the real program with the stack's
 * Pulumi.<stack>.yaml against the Pulumi runtime mocks; prints a resource table, JSON, or the Mermaid diagram.
 */
import { Command, Option } from "commander";
import { ConfigError } from "../../components/problems";
import type { SiteRole } from "../../stacks/config";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { createOutput, UsageError } from "../output";
import { architectureDiagram } from "./diagram";
import { formatPlanTable, StackPlan } from "./model";
import { planStacks } from "./run";

type PlanFormat = "table" | "json" | "mermaid";

interface PlanOptions {
    stack: SiteRole | "both";
    format: PlanFormat;
    asConfigured?: boolean;
    json?: boolean;
}

/** Plans the example (or the user's) stack files; config problems are usage errors (exit 2). */
export async function planStackFiles(stacks: readonly SiteRole[], asConfigured = false): Promise<StackPlan[]> {
    const configs = { primary: readStackConfigFile(stackConfigPath("primary")), dr: readStackConfigFile(stackConfigPath("dr")) };
    try {
        return await planStacks({ configs, asConfigured }, stacks);
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new UsageError(`cannot plan: ${error.message}`);
        }
        throw error;
    }
}

export function registerPlanCommand(program: Command): void {
    program
        .command("plan")
        .description("Show what each stack would declare, from its Pulumi.<stack>.yaml, offline (no cloud, no credentials, no Pulumi CLI)")
        .addOption(new Option("--stack <stack>", "which stack to plan").choices(["primary", "dr", "both"]).default("both"))
        .addOption(new Option("--format <format>", "table, json, or a Mermaid architecture diagram").choices(["table", "json", "mermaid"]).default("table"))
        .option("--as-configured", "plan the files exactly as written (a side without peerStack plans alone)")
        .option("--json", "same as --format json")
        .action(async (options: PlanOptions) => {
            const format: PlanFormat = options.json ? "json" : options.format;
            const output = createOutput({ json: format === "json" });
            const stacks: SiteRole[] = options.stack === "both" ? ["primary", "dr"] : [options.stack];
            output.progress(`Planning ${stacks.join(" and ")} against the Pulumi runtime mocks (both configs are read: each side depends on its peer)...`);
            const plans = await planStackFiles(stacks, options.asConfigured ?? false);
            output.result(plans, () => (format === "mermaid" ? architectureDiagram(plans) : formatPlanTable(plans)));
        });
}
