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
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "UsageError";
    }
}

/**
 * A missing or unusable prerequisite (no Pulumi CLI, no passphrase, no or bad AWS credentials): the call was right,
 * the machine is not ready. Exit code 2 like a usage error; `code` "environment" in the JSON error.
 */
export class EnvironmentError extends UsageError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "EnvironmentError";
    }
}

/** `code` of the JSON error document: what kind of problem stopped the command. */
export type FailureCode = "usage" | "environment" | "failed";

/** What `--json` prints on stdout when a command stops without a result. */
export interface FailureDocument {
    readonly error: { readonly message: string; readonly code: FailureCode; readonly exitCode: ExitCode };
}

/**
 * AWS SDK errors that mean "no usable credentials", whatever the command: none found, a profile that does not exist,
 * a key AWS does not know, a bad secret, an expired session. An access denied is not among them: the credentials
 * work and the policy said no, which is the operation's answer.
 */
const credentialErrorNames = new Set([
    "CredentialsProviderError",
    "TokenProviderError",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "IncompleteSignature",
    "IncompleteSignatureException",
]);

/** The same problems as the Pulumi engine words them in a failed preview or update (the AWS provider's Go SDK). */
const credentialMessagePattern =
    /no valid credential sources|failed to refresh cached credentials|could not load credentials from any providers|could not resolve credentials using profile|(InvalidClientTokenId|ExpiredToken|InvalidAccessKeyId|SignatureDoesNotMatch)\b/i;

/** True when `error`, or any error in its `cause` chain, is a missing or bad AWS credentials problem. */
export function isCredentialsError(error: unknown): boolean {
    for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
        if (credentialErrorNames.has(current.name) || credentialMessagePattern.test(current.message)) {
            return true;
        }
    }
    return false;
}

/** Classifies what stopped a command, once for every command: the exit code and the JSON error's `code`. */
export function classifyFailure(error: unknown): { code: FailureCode; exitCode: ExitCode } {
    if (error instanceof EnvironmentError || isCredentialsError(error)) {
        return { code: "environment", exitCode: ExitCode.Usage };
    }
    // A config or stack file problem is found before anything is changed, whichever command met it. By name: importing
    // the config modules here would load the whole program for every `--help`.
    if (error instanceof UsageError || (error instanceof Error && (error.name === "ConfigError" || error.name === "StackFileError"))) {
        return { code: "usage", exitCode: ExitCode.Usage };
    }
    return { code: "failed", exitCode: ExitCode.Failed };
}

/** How many results have been written in this process: `main` prints an error document only when none was. */
let resultsWritten = 0;

export function resultCount(): number {
    return resultsWritten;
}

export interface Output {
    /** True when `--json` was given. */
    readonly json: boolean;
    /** A progress line for people, on stderr; silent with `--json`. */
    progress(message: string): void;
    /**
     * The command's result: `human()` as text, or `data` as one JSON document on stdout. Called once per run; when a
     * command fails after it, the result stays the only JSON document (the failure goes to stderr and the exit code).
     */
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
            resultsWritten++;
            streams.out.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
        },
    };
}
