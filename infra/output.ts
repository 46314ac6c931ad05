/**
 * Conventions every lustre-dr command follows: human output by default, `--json` for machines,
 * progress on stderr so stdout stays parseable, and three exit codes.
 */
export enum ExitCode {
    Ok = 0,
    /** The operation ran and failed, or found a problem (a drill that missed its objective). */
    Failed = 1,
    /** Bad arguments or a missing prerequisite (CLI not installed, passphrase not set): nothing was changed. */
    Usage = 2,
}

/** A problem with how the command was called or with its environment; exits with code 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export interface Output {
    /** True when `--json` was given. */
    readonly json: boolean;
    /** A progress line for people, on stderr; silent with `--json`. */
    progress(message: string): void;
    /** The command's result: `human()` as text, or `data` as one JSON document on stdout. */
    result(data: unknown, human: () => string): void;
}

export function createOutput(options: { json?: boolean }, streams = { out: process.stdout, err: process.stderr }): Output {
    const json = options.json === true;
    return {
        json,
        progress(message) {
            if (!json) {
                streams.err.write(`${message}\n`);
            }
        },
        result(data, human) {
            streams.out.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
        },
    };
}
