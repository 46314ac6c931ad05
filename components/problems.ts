/**
 * One problem with a user-facing input: which key, the value given, and what would be valid.
 * Validators return every problem they find, so a user fixes a configuration in one pass.
 */
export interface ConfigProblem {
    /** Full key path as the user writes it, e.g. `lustre-dr:lustre.storageCapacityGiB`. */
    readonly key: string;
    /** The value that was given (`undefined` when a required key is missing). */
    readonly value: unknown;
    /** What is valid, as a phrase: `one of 1200, 2400 or a multiple of 2400`. */
    readonly expected: string;
    /**
     * How to say what was given when the value must not be printed (it may be a secret) or is not one value,
     * e.g. `is set`. @default `is <value as JSON>`, or `is missing` when the value is undefined
     */
    readonly given?: string;
    /** The file the key was read from, e.g. `Pulumi.dr.yaml`, when known. */
    readonly file?: string;
}

export function describeProblem(problem: ConfigProblem): string {
    const given = problem.given ?? (problem.value === undefined ? "is missing" : `is ${JSON.stringify(problem.value)}`);
    return `${problem.file ? `${problem.file}: ` : ""}${problem.key} ${given}: expected ${problem.expected}`;
}

/** Thrown before any resource is registered or any API is called when an input is invalid. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${describeProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}
