/**
 * The stack lifecycle commands, registered together: deploy, preview, recover, failback, destroy.
 */
import type { Command } from "commander";
import { registerDeployCommand } from "./deploy";
import { registerDestroyCommand } from "./destroy";
import { registerFailbackCommand } from "./failback";
import { registerPreviewCommand } from "./preview";
import { registerRecoverCommand } from "./recover";

export function registerStackCommands(program: Command): void {
    registerDeployCommand(program);
    registerPreviewCommand(program);
    registerRecoverCommand(program);
    registerFailbackCommand(program);
    registerDestroyCommand(program);
}
