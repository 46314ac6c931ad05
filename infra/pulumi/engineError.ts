/**
 * Errors of the Pulumi CLI as the Automation API reports them: a CommandError whose message is
 * "code: N\n stdout: ...\n stderr: ...\n err?: ...". Operators need the engine's own lines, not the wrapping. Light
 * on purpose (no Automation API import): the CLI's failure path uses it for every command.
 */

/** True for the Automation API's wrapping of a failed `pulumi` run. */
export function isPulumiCommandFailure(error: unknown): boolean {
    return error instanceof Error && /^code: -?\d+\n stdout: /.test(error.message);
}

/** The engine's own error lines from a failed CLI run, without the Automation API's wrapping. */
export function engineErrorDetail(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const stderr = /stderr: ([\s\S]*?)(?:\n err\?:|$)/.exec(message)?.[1] ?? message;
    const lines = stderr.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "");
    return lines.slice(-12).join("\n");
}
