/**
 * A side's stack has one name on every command: `--primary`/`--dr` and `--primary-stack`/`--dr-stack` are both taken
 * by every command that reads a stack, whichever its help shows, so a runbook step can be copied into the next.
 */
import { expect } from "chai";
import { Command } from "commander";
import { buildProgram } from "../../../infra/cli";

/** The commands that name stacks, and the option each stores a side's stack under. */
async function stackCommands(): Promise<Array<{ command: Command; attribute: Record<"primary" | "dr", string> }>> {
    const program = await buildProgram();
    return program.commands.flatMap((command) => {
        const long = command.options.map((option) => option.long);
        if (long.includes("--primary-bucket") || long.includes("--dr-bucket")) {
            return [{ command, attribute: { primary: "primaryStack", dr: "drStack" } }];
        }
        if (long.includes("--dr")) {
            return [{ command, attribute: { primary: "primary", dr: "dr" } }];
        }
        return [];
    });
}

function parsed(command: Command, args: string[]): Record<string, unknown> {
    command.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    for (const option of command.options) command.setOptionValueWithSource(option.attributeName(), undefined, "default");
    command.parseOptions(args);
    return command.opts();
}

describe("stack name flags, on every command", () => {
    it("every stack-reading command takes both names for each side", async () => {
        const commands = await stackCommands();
        expect(commands.map(({ command }) => command.name())).to.include.members(["deploy", "freeze", "recover", "failback", "destroy", "plan", "cost", "status", "drill", "sync-existing"]);
        for (const role of ["primary", "dr"] as const) {
            for (const flag of [`--${role}`, `--${role}-stack`]) {
                for (const { command, attribute } of commands) {
                    const hasSide = command.options.some((option) => option.long === `--${role}` || option.long === `--${role}-stack`);
                    if (!hasSide) continue;
                    expect(parsed(command, [flag, `acme-${role}`])[attribute[role]], `${command.name()} ${flag}`).to.equal(`acme-${role}`);
                }
            }
        }
    });

    it("shows one name in help and refuses both at once with different values", async () => {
        const { command } = (await stackCommands()).find(({ command }) => command.name() === "status")!;
        const help = command.helpInformation();
        expect(help).to.include("--dr-stack <name>");
        expect(help).not.to.match(/--dr <stack>/);
        expect(parsed(command, ["--dr", "acme-dr", "--dr-stack", "acme-dr"]).drStack, "the same value twice is fine").to.equal("acme-dr");
        expect(() => parsed(command, ["--dr", "acme-dr", "--dr-stack", "other"])).to.throw(/--dr-stack is "other" and --dr is "acme-dr": they name the same stack, give one/);
    });
});
