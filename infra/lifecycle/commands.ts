/**
 * The stack commands' command-line definitions: options, help and actions, without the code they run. Each action
 * loads its module (and with it the Automation API, the AWS SDK) only when it runs, so `lustre-dr <command> --help`
 * and the CLI's start stay fast (BENCHMARKS.md). The implementations are in deploy.ts, preview.ts, freeze.ts,
 * recover.ts, failback.ts and destroy.ts, each with a `run<Command>` function the tests call directly.
 */
import { Command, Option } from "commander";
import { acceptStackNameSynonym, SideRole } from "../aws/sides";
import { createOutput } from "../output";
import type { DeployOptions } from "./deploy";
import type { DestroyCommandOptions } from "./destroy";
import type { FailbackOptions } from "./failback";
import type { FreezeOptions } from "./freeze";
import type { PreviewOptions } from "./preview";
import type { RecoverOptions } from "./recover";

/** Adds `--primary <stack>`, `--dr <stack>` (also taken as `--primary-stack`, `--dr-stack`) and `--<role>-profile`. */
export function addStackOptions(command: Command, roles: readonly SideRole[] = ["primary", "dr"]): Command {
    for (const role of roles) {
        command.addOption(new Option(`--${role} <stack>`, `stack of the ${role} side (or --${role}-stack)`).default(role));
        acceptStackNameSynonym(command, role, "role-flag");
    }
    for (const role of roles) {
        command.addOption(
            new Option(`--${role}-profile <profile>`, `AWS profile of the ${role} account, for its stack operations (default: the environment's credentials)`),
        );
    }
    return command;
}

export function registerDeployCommand(program: Command): void {
    addStackOptions(
        program
            .command("deploy")
            .description("Create or update both stacks, running the replication handshake until both sides replicate (at most 4 updates)"),
    )
        .option("--primary-account-id <id>", "12-digit account of the primary side; pins the dr stack's lustre-dr:peerAccountId to it")
        .option("--dr-account-id <id>", "12-digit account of the dr side; pins the primary stack's lustre-dr:peerAccountId to it")
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: DeployOptions) => {
            const result = await (await import("./deploy")).runDeploy(options, { output: createOutput(options) });
            if (result.verdict !== "converged") {
                throw new (await import("./deploy")).NotConvergedError(result);
            }
        });
}

export function registerPreviewCommand(program: Command): void {
    addStackOptions(program.command("preview").description("Show what the next update of each stack would change; changes nothing"))
        .option("--verbose", "stream the Pulumi engine output (the full diff) to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: PreviewOptions) => {
            await (await import("./preview")).runPreview(options, { output: createOutput(options) });
        });
}

export function registerFreezeCommand(program: Command): void {
    addStackOptions(
        program
            .command("freeze")
            .description(
                "Incident, first minute: detach the dr side from the primary in one short update (recovery.detached=true: no " +
                    "replicas accepted from it, none sent to it). Creates no file system; touches only the dr stack. Re-runnable.",
            ),
        ["dr"],
    )
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: FreezeOptions) => {
            await (await import("./freeze")).runFreeze(options, { output: createOutput(options) });
        });
}

export function registerRecoverCommand(program: Command): void {
    addStackOptions(
        program
            .command("recover")
            .description(
                "Bring up the file system on the dr side from its replicated bucket, touching only the dr stack: freeze (one short " +
                    "update detaching it from the primary), restore the bucket to --restore-to if given, then activate (one update " +
                    "creating the file system). Re-run the same command after an interruption.",
            ),
        ["dr"],
    )
        .option("--restore-to <time>", "after the freeze, return the dr bucket to this ISO 8601 time with a zone (e.g. 2026-11-25T08:00:00Z); adds versions, deletes none")
        .option("--no-detach", "keep replicating with the primary: no freeze, one update (default: freeze first); not with --restore-to")
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: RecoverOptions) => {
            const recovered = await (await import("./recover")).runRecover(options, { output: createOutput(options) });
            if (recovered.verify?.verdict === "differs") {
                process.exitCode = 1;
            }
        });
}

export function registerFailbackCommand(program: Command): void {
    addStackOptions(
        program
            .command("failback")
            .description(
                "After an incident: optionally return the primary bucket to its last good time (--restore-primary-to), re-attach both " +
                    "sides, converge replication, batch-replicate what was written on the dr side during the outage, and with --wait " +
                    "prove the two buckets identical (exit 1 when they differ)",
            ),
    )
        .option("--since <time>", "only objects created on the dr side after this ISO 8601 time: when the dr side was frozen")
        .option(
            "--restore-primary-to <time>",
            "before re-attaching, return the primary bucket to this ISO 8601 time (its last good time, at or before --since) with the restore of `lustre-dr restore`; adds versions, deletes none",
        )
        .option(
            "--wait",
            "wait for the batch replication job, then compare the two buckets key by key (sending again from the dr side the outage writes that did not become current on the primary); exit 1 if they differ",
        )
        .option("--dr-endpoint <url>", "S3 Control endpoint override for the dr side (the job runs in the dr account, with --dr-profile)")
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: FailbackOptions) => {
            await (await import("./failback")).runFailback(options, { output: createOutput(options) });
        });
}

export function registerDestroyCommand(program: Command): void {
    addStackOptions(
        program
            .command("destroy")
            .description("Destroy the stacks but keep the protected buckets and keys (the data); --include-data deletes those too"),
    )
        .addOption(new Option("--only <side>", "destroy only this side").choices(["primary", "dr"]))
        .option("--include-data", "also delete the buckets with every object version and their KMS keys (asks for a typed confirmation)")
        .option("--confirm <stacks>", "the typed confirmation for --include-data, for non-interactive runs: the stack names, in any order, separated by spaces or commas")
        .option("--verbose", "stream the Pulumi engine output to stderr")
        .option("--json", "print the result as JSON")
        .action(async (options: DestroyCommandOptions) => {
            await (await import("./destroy")).runDestroy(options, { output: createOutput(options) });
        });
}
