/**
 * Reads docs/runbook.md the way an operator does: the `npx lustre-dr ...` lines of its `sh` blocks, in order, each with
 * the `text` block that shows its expected output. tests/runbook.test.ts runs them, so the document cannot drift from
 * the CLI.
 */

export interface RunbookCommand {
    /** 1-based line in the runbook, for failure messages. */
    readonly line: number;
    /** The `## ` heading the command is under. */
    readonly section: string;
    /** `VAR=value` assignments before the command. */
    readonly env: Readonly<Record<string, string>>;
    /** Arguments after `npx lustre-dr`, up to a shell operator (`>`, `|`, `&&`, `;`). */
    readonly argv: readonly string[];
    /** The `text` block following this command's `sh` block, when this is the block's last command. */
    readonly expected?: readonly string[];
}

const shellOperators = new Set([">", ">>", "|", "&&", "||", ";", "2>", "2>&1"]);

/** Splits a shell line into words: whitespace-separated, single and double quotes kept together, `#` comments dropped. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    let current = "";
    let quote: string | undefined;
    let inWord = false;
    for (const char of line) {
        if (quote) {
            if (char === quote) {
                quote = undefined;
            } else {
                current += char;
            }
        } else if (char === "'" || char === '"') {
            quote = char;
            inWord = true;
        } else if (/\s/.test(char)) {
            if (inWord) {
                words.push(current);
                current = "";
                inWord = false;
            }
        } else if (char === "#" && !inWord) {
            break;
        } else {
            current += char;
            inWord = true;
        }
    }
    if (inWord) {
        words.push(current);
    }
    return words;
}

function parseCommand(text: string): { env: Record<string, string>; argv: string[] } | undefined {
    const words = shellWords(text);
    const env: Record<string, string> = {};
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
        const [name, ...value] = words.shift()!.split("=");
        env[name] = value.join("=");
    }
    if (words[0] !== "npx" || words[1] !== "lustre-dr") {
        return undefined;
    }
    const rest = words.slice(2);
    const end = rest.findIndex((word) => shellOperators.has(word));
    return { env, argv: end >= 0 ? rest.slice(0, end) : rest };
}

export function runbookCommands(markdown: string): RunbookCommand[] {
    const lines = markdown.split("\n");
    const commands: RunbookCommand[] = [];
    let section = "";
    /** Commands of the last `sh` block, waiting to see whether a `text` block follows it. */
    let lastBlock: RunbookCommand[] = [];
    let sinceLastBlock = 0;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.startsWith("## ")) {
            section = line.slice(3).trim();
        }
        const fence = /^```(\w*)\s*$/.exec(line);
        if (!fence) {
            if (line.trim() !== "") {
                sinceLastBlock++;
            }
            continue;
        }
        const body: string[] = [];
        let j = i + 1;
        for (; j < lines.length && !lines[j].startsWith("```"); j++) {
            body.push(lines[j]);
        }
        const language = fence[1];
        if (language === "sh") {
            lastBlock = [];
            body.forEach((text, k) => {
                const parsed = parseCommand(text);
                if (parsed) {
                    lastBlock.push({ line: i + 2 + k, section, ...parsed });
                }
            });
            commands.push(...lastBlock);
        } else if (language === "text" && lastBlock.length > 0 && sinceLastBlock === 0) {
            // A text block right after an sh block (blank lines only between) is its last command's output.
            const last = lastBlock[lastBlock.length - 1];
            commands[commands.indexOf(last)] = { ...last, expected: body };
            lastBlock = [];
        }
        sinceLastBlock = 0;
        i = j;
    }
    return commands;
}

/**
 * The `npx lustre-dr ...` commands quoted inline in the prose (`like this`, possibly across a line break): they are not
 * run, but they must still parse, so that a renamed flag cannot survive in a sentence.
 */
export function inlineCommands(markdown: string): string[][] {
    const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
    const commands: string[][] = [];
    for (const match of prose.matchAll(/`(npx lustre-dr [^`]+)`/g)) {
        const parsed = parseCommand(match[1].replace(/\s+/g, " "));
        if (parsed) {
            commands.push(parsed.argv);
        }
    }
    return commands;
}

const anyLines = "<...>";

function linePattern(expected: string): RegExp {
    const parts = expected.trimEnd().split(/<[^>]*>/);
    const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+"));
    return new RegExp(`^${escaped.join(".*?")}\\s*$`);
}

/**
 * Whether `actual` shows `expected`: consecutive expected lines match consecutive output lines, a line `<...>` matches
 * any number of lines, `<anything>` inside a line matches any text. The output may go on after the last expected line;
 * it must start with the first one unless the block starts with `<...>`.
 * Returns undefined when it matches, else the first expected line that could not be placed.
 */
export function unmatchedLine(expected: readonly string[], actual: string): string | undefined {
    const output = actual.split("\n");
    const match = (e: number, a: number): boolean => {
        if (e === expected.length) {
            return true;
        }
        if (expected[e].trim() === anyLines) {
            for (let next = a; next <= output.length; next++) {
                if (match(e + 1, next)) {
                    return true;
                }
            }
            return false;
        }
        return a < output.length && linePattern(expected[e]).test(output[a]) && match(e + 1, a + 1);
    };
    if (match(0, 0)) {
        return undefined;
    }
    // Report the longest matching prefix's next line, to say what is missing.
    for (let length = expected.length - 1; length >= 0; length--) {
        const prefix = expected.slice(0, length);
        if (unmatchedLine(prefix, actual) === undefined) {
            return expected[length];
        }
    }
    return expected[0];
}
