/**
 * The `lustre-dr` operations CLI. Each command lives with the code it drives (infra/<area>/command.ts)
 * and registers itself here; this file only assembles them.
 */
import { Command, CommanderError } from "commander";
import { registerCostCommand } from "./cost/command";
import { registerDrillCommand } from "./drill/command";
import { registerPlanCommand } from "./plan/command";
import { ExitCode, UsageError } from "./output";
import { registerStatusCommand } from "./status/command";
import { registerStackCommands } from "./lifecycle/commands";
import { registerRestoreCommand } from "./restore/command";
import { registerSyncExistingCommand } from "./replication/syncExisting";

export function buildProgram(): Command {
    const program = new Command("lustre-dr")
        .description("Operate the lustre-dr disaster-recovery pair: deploy, recover, drill, restore, status")
        .showHelpAfterError()
        .exitOverride();
    // In the order an operator meets them: before deploying, deploying and recovering, then day-to-day checks.
    registerPlanCommand(program);
    registerCostCommand(program);
    registerStackCommands(program);
    registerSyncExistingCommand(program);
    registerStatusCommand(program);
    registerDrillCommand(program);
    registerRestoreCommand(program);
    return program;
}

export async function main(argv: string[]): Promise<void> {
    const program = buildProgram();
    try {
        await program.parseAsync(argv);
    } catch (error) {
        process.exitCode = exitCodeFor(error);
        if (!(error instanceof CommanderError)) {
            process.stderr.write(`lustre-dr: ${(error as Error).message}\n`);
        }
    }
}

function exitCodeFor(error: unknown): number {
    if (error instanceof CommanderError) {
        // --help and --version end through here with exit code 0
        return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof UsageError) {
        return ExitCode.Usage;
    }
    return ExitCode.Failed;
}
