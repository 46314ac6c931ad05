/**
 * Turns schema issues into problems in plain words: the key as the user writes it, the value given and what
 * is allowed. No zod phrasing ("Invalid discriminator value", "expected a value of type string") reaches a user.
 */
import type { z } from "zod";
import type { ConfigProblem } from "../../components/problems";
import { nearest } from "./suggest";

/** Prefix of an unrecognized-keys message that carries the object's valid keys (see `strictKeys`). */
const validKeysMarker = "valid keys: ";

/** The error option of a strict object: its unknown-key issues carry the keys it does accept. */
export function strictKeys(keys: readonly string[]): { error: (issue: { code?: string }) => string | undefined } {
    return { error: (issue) => (issue.code === "unrecognized_keys" ? `${validKeysMarker}${keys.join(",")}` : undefined) };
}

/** `lustre-dr:clients[0].name` from the config key and the path inside its value. */
export function keyAt(top: string, path: readonly PropertyKey[]): string {
    return path.map(String).reduce((key, part) => (/^\d+$/.test(part) ? `${key}[${part}]` : `${key}.${part}`), top);
}

export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((value, part) => {
        if (value !== null && typeof value === "object") {
            return (value as Record<PropertyKey, unknown>)[part];
        }
        return undefined;
    }, raw);
}

const typeWords: Record<string, string> = {
    string: "text",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    array: "a list",
    object: "a mapping of keys to values",
    record: "a mapping of keys to values",
};

/** True for zod's own wording, which is replaced; messages this project wrote are kept as they are. */
function isGeneric(message: string): boolean {
    return /^Invalid\b|^Too (small|big)|^Expected\b|^Unrecognized/.test(message);
}

/** The same wording as the Lustre rules (components/lustreRules.ts): `one of "SSE_KMS", "SSE_S3"`. */
function listOf(values: readonly unknown[]): string {
    return `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
}

/** One problem per issue (one per key for unknown keys), named under `top` (e.g. `lustre-dr:bucket`). */
export function problemsFromIssue(top: string, raw: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
    return problemsOfIssue(top, raw, issue).map((problem) => ({ ...problem, ...summary(problem.value) }));
}

/** A large mapping or list is described by its size: the message is about the key, not a dump of its value. */
function summary(value: unknown): { given?: string } {
    if (value === null || typeof value !== "object" || JSON.stringify(value).length <= 100) {
        return {};
    }
    const size = Array.isArray(value) ? value.length : Object.keys(value).length;
    return { given: `is a ${Array.isArray(value) ? "list" : "mapping"} of ${size} entries` };
}

function problemsOfIssue(top: string, raw: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
    const key = keyAt(top, issue.path);
    const value = valueAt(raw, issue.path);
    if (issue.code === "unrecognized_keys") {
        const valid = issue.message.startsWith(validKeysMarker) ? issue.message.slice(validKeysMarker.length).split(",") : [];
        return issue.keys.map((unknown) => {
            const suggestion = nearest(unknown, valid);
            return {
                key: keyAt(key, [unknown]),
                value: valueAt(raw, [...issue.path, unknown]),
                expected:
                    `no such key in ${key}` +
                    (suggestion ? ` (did you mean ${suggestion}?)` : "") +
                    (valid.length > 0 ? `; its keys are ${valid.join(", ")}` : ""),
            };
        });
    }
    if (!isGeneric(issue.message)) {
        return [{ key, value, expected: issue.message }];
    }
    switch (issue.code) {
        case "invalid_value":
            return [{ key, value, expected: issue.values.length === 1 ? String(issue.values[0]) : listOf(issue.values) }];
        case "invalid_type":
            return [{ key, value, expected: typeWords[issue.expected] ?? `a value of type ${issue.expected}` }];
        case "too_small":
            if (issue.origin === "array") {
                return [{ key, value, expected: `a list of at least ${String(issue.minimum)}` }];
            }
            if (issue.origin === "string") {
                return [{ key, value, expected: `text of at least ${String(issue.minimum)} character${issue.minimum === 1 ? "" : "s"}` }];
            }
            return [{ key, value, expected: `a number >= ${String(issue.minimum)}` }];
        case "too_big":
            if (issue.origin === "string") {
                return [{ key, value, expected: `text of at most ${String(issue.maximum)} characters` }];
            }
            if (issue.origin === "array") {
                return [{ key, value, expected: `a list of at most ${String(issue.maximum)}` }];
            }
            return [{ key, value, expected: `a number <= ${String(issue.maximum)}` }];
        default:
            return [{ key, value, expected: issue.message }];
    }
}
