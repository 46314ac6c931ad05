/**
 * Which config keys the program reads, and the keys that look like they were meant for it but never will be read:
 * a mistyped namespace (`lustre_dr:lustre`, `lustredr:bucket`), an unknown key inside it (`lustre-dr:bukcet`), a
 * dotted key written flat (`lustre-dr:lustre.enabled`), or `aws:regoin`. Pulumi itself ignores all of these, and the
 * stack would quietly deploy with defaults; here each is a problem naming the key that was meant.
 */
import type { ConfigProblem } from "../../components/problems";
import { editDistance, nearest } from "./suggest";

export const configNamespace = "lustre-dr";

/**
 * Every key of the `lustre-dr` namespace and how the program reads it: `string` with Config.get, `object` with
 * Config.getObject (YAML mappings and lists), `secret` with Config.getSecret (never printed).
 */
export const namespaceKeys = {
    role: "string",
    peerStack: "string",
    peerAccountId: "string",
    bucket: "object",
    network: "object",
    lustre: "object",
    clients: "object",
    recovery: "object",
    alarms: "object",
    tags: "object",
    sshPrivateKey: "secret",
} as const;

export type NamespaceKey = keyof typeof namespaceKeys;

export const knownNamespaceKeys = Object.keys(namespaceKeys) as NamespaceKey[];

const normalise = (namespace: string) => namespace.toLowerCase().replace(/[^a-z0-9]/g, "");

/** True for a namespace that is a slip of `lustre-dr` (`lustre_dr`, `lustredr`, `Lustre-DR`, `lustre`, `lsutre-dr`). */
function looksLikeOurs(namespace: string): boolean {
    return namespace !== configNamespace && editDistance(normalise(namespace), normalise(configNamespace)) <= 2;
}

const unread = "is set";

function intendedKey(name: string): string {
    const head = name.split(".")[0];
    const known = (knownNamespaceKeys as readonly string[]).includes(head) ? head : nearest(head, knownNamespaceKeys);
    return known === undefined ? `a key of the ${configNamespace} namespace (${knownNamespaceKeys.join(", ")})` : `${configNamespace}:${known}`;
}

/**
 * Problems with the names of the config keys (fully qualified, as in Pulumi.<stack>.yaml). Values are never shown:
 * a misspelt `lustre-dr:sshPrivatekey` holds a private key.
 */
export function configKeyProblems(keys: Iterable<string>): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const key of keys) {
        const colon = key.indexOf(":");
        const namespace = colon < 0 ? "" : key.slice(0, colon);
        const name = colon < 0 ? key : key.slice(colon + 1);
        if (namespace === configNamespace) {
            if ((knownNamespaceKeys as readonly string[]).includes(name)) {
                continue;
            }
            const head = name.split(".")[0];
            if (name.includes(".") && (knownNamespaceKeys as readonly string[]).includes(head)) {
                problems.push({
                    key,
                    value: undefined,
                    given: unread,
                    expected: `${name.slice(head.length + 1)} nested under ${configNamespace}:${head} (a flat dotted key is never read; \`pulumi config set --path '${key}' <value>\` writes it nested)`,
                });
                continue;
            }
            const suggestion = nearest(name, knownNamespaceKeys);
            problems.push({
                key,
                value: undefined,
                given: unread,
                expected: `no such key${suggestion ? ` (did you mean ${configNamespace}:${suggestion}?)` : ""}; the ${configNamespace} keys are ${knownNamespaceKeys.join(", ")}`,
            });
        } else if (namespace === "aws") {
            if (name !== "region" && editDistance(name.toLowerCase(), "region") <= 2) {
                problems.push({ key, value: undefined, given: unread, expected: "aws:region (this key is never read)" });
            }
        } else if (colon < 0 || looksLikeOurs(namespace)) {
            if (colon < 0 && nearest(name.split(".")[0], knownNamespaceKeys) === undefined) {
                continue;
            }
            problems.push({
                key,
                value: undefined,
                given: unread,
                expected: `${intendedKey(name)}: the namespace is "${configNamespace}"; this key is never read, so the stack would run on defaults`,
            });
        }
    }
    return problems;
}
