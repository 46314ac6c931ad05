/**
 * The `lustre-dr` operations CLI. Each command lives with the code it drives (infra/<area>/command.ts)
 * and registers itself; this file only assembles them, and is where every command's failure is reported.
 *
 * Commands are loaded lazily: the catalogue below names each one with a one-line summary, and only the command
 * being run (or asked for help) has its module imported. `lustre-dr --help` and `lustre-dr --version` therefore
 * load neither the AWS SDK nor @pulumi/*, which take seconds to load (BENCHMARKS.md).
 */
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { projectRoot } from "../stacks/packageRoot";
import { classifyFailure, ExitCode, FailureDocument, resultCount } from "./output";
import { engineErrorDetail, isPulumiCommandFailure } from "./pulumi/engineError";
import { addCwdOption } from "./project";

type Register = (program: Command) => unknown;

interface CatalogueEntry {
    readonly name: string;
    /** Shown in `lustre-dr --help`; the command's own description is shown by `lustre-dr <command> --help`. */
    readonly summary: string;
    readonly load: () => Promise<Register>;
}

// In the order an operator meets them: before deploying, deploying and recovering, then day-to-day checks.
const catalogue: readonly CatalogueEntry[] = [
    { name: "plan", summary: "Show what each stack would declare, offline", load: async () => (await import("./plan/command")).registerPlanCommand },
    { name: "cost", summary: "Monthly cost of the DR posture and its alternative, with expected RTO", load: async () => (await import("./cost/command")).registerCostCommand },
    { name: "deploy", summary: "Create or update both stacks until both sides replicate", load: async () => (await import("./lifecycle/commands")).registerDeployCommand },
    { name: "preview", summary: "Show what the next update of each stack would change", load: async () => (await import("./lifecycle/commands")).registerPreviewCommand },
    { name: "freeze", summary: "Incident, first minute: cut the dr side off from the primary (one short update)", load: async () => (await import("./lifecycle/commands")).registerFreezeCommand },
    { name: "recover", summary: "Incident: freeze, optionally restore the dr bucket, then bring up its file system", load: async () => (await import("./lifecycle/commands")).registerRecoverCommand },
    { name: "failback", summary: "Re-attach both sides and replicate back what was written during the outage", load: async () => (await import("./lifecycle/commands")).registerFailbackCommand },
    { name: "destroy", summary: "Destroy the stacks, keeping the protected buckets and keys", load: async () => (await import("./lifecycle/commands")).registerDestroyCommand },
    { name: "sync-existing", summary: "Replicate objects live replication never saw (S3 Batch Replication)", load: async () => (await import("./replication/syncExisting")).registerSyncExistingCommand },
    { name: "status", summary: "Report the DR pair's health: healthy, degraded or broken", load: async () => (await import("./status/command")).registerStatusCommand },
    { name: "compare", summary: "Compare the two buckets key by key: what differs, what is still replicating", load: async () => (await import("./compare/command")).registerCompareCommand },
    { name: "drill", summary: "Test disaster recovery both ways with canaries and record the result", load: async () => (await import("./drill/command")).registerDrillCommand },
    { name: "restore", summary: "Return a versioned bucket (or a prefix) to a point in time", load: async () => (await import("./restore/command")).registerRestoreCommand },
];

/** The version in package.json, read as a file so that nothing else is loaded for `--version`; from dist/ too. */
export function packageVersion(): string {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/**
 * The command `args` (argv without node and script) runs, or asks help for (`help <command>`): the first word that
 * names one. Undefined for the program itself or an unknown command, which commander then reports.
 */
export function invokedCommand(args: readonly string[]): string | undefined {
    // the value of the global --cwd is a directory, even one named like a command
    return args.find((arg, i) => args[i - 1] !== "--cwd" && catalogue.some((entry) => entry.name === arg));
}

/**
 * The program with every command registered, or, given `args`, with only the invoked command loaded and the
 * others as names with their summaries (enough for help, for "did you mean" and for an unknown-command error).
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
    const program = new Command("lustre-dr")
        .description("Operate the lustre-dr disaster-recovery pair: deploy, recover, drill, restore, status")
        .version(packageVersion(), "-V, --version", "print the lustre-dr version")
        .showHelpAfterError()
        .exitOverride()
        // Every command has options; the unloaded ones have none registered yet, so say so for all of them.
        .configureHelp({ subcommandTerm: (command) => `${command.name()} [options]` });
    addCwdOption(program);
    const wanted = args === undefined ? undefined : invokedCommand(args);
    for (const entry of catalogue) {
        if (args === undefined || entry.name === wanted) {
            (await entry.load())(program);
        } else {
            program.command(entry.name).description(entry.summary);
        }
    }
    return program;
}

/** True when the command line asks for JSON: `--json`, or plan's `--format json`. Options after `--` do not count. */
export function wantsJson(args: readonly string[]): boolean {
    const end = args.indexOf("--");
    const options = end === -1 ? args : args.slice(0, end);
    return options.some((arg, i) => arg === "--json" || arg === "--format=json" || (arg === "--format" && options[i + 1] === "json"));
}

/**
 * Runs the CLI. Whatever stops a command goes through one place: the message on stderr, the exit code from
 * {@link classifyFailure}, and with `--json` an error document on stdout unless the command already printed its result,
 * so stdout always holds exactly one JSON document.
 */
export async function main(argv: string[]): Promise<void> {
    const args = argv.slice(2);
    const json = wantsJson(args);
    const resultsBefore = resultCount();
    const startedIn = process.cwd();
    try {
        const program = await buildProgram(args);
        await program.parseAsync(argv);
    } catch (error) {
        const failure = failureOf(error);
        process.exitCode = failure.error.exitCode;
        if (!(error instanceof CommanderError)) {
            process.stderr.write(`lustre-dr: ${failure.error.message}\n`);
        }
        if (json && failure.error.exitCode !== ExitCode.Ok && resultCount() === resultsBefore) {
            process.stdout.write(`${JSON.stringify(failure, null, 2)}\n`);
        }
    } finally {
        // --cwd moved the process; in-process callers (tests, embedding programs) get their directory back
        process.chdir(startedIn);
    }
}

export function failureOf(error: unknown): FailureDocument {
    if (error instanceof CommanderError) {
        // --help and --version end through here with exit code 0
        const exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
        return { error: { message: error.message.replace(/^error: /, ""), code: "usage", exitCode } };
    }
    // A pulumi run that failed outside an update (selecting or listing stacks): its own lines, not the wrapping.
    const message = isPulumiCommandFailure(error)
        ? `the Pulumi CLI failed: ${engineErrorDetail(error)}`
        : error instanceof Error
          ? error.message
          : String(error);
    return { error: { message, ...classifyFailure(error) } };
}
