/**
 * Reads a `Pulumi.<stack>.yaml` into the program's raw config, for tests and offline tools (plan, cost)
 * that evaluate the program without the Pulumi CLI.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { configNamespace, RawSiteConfig } from "./config";
import { projectRoot } from "./packageRoot";

export function stackConfigPath(stack: string): string {
    return path.join(projectRoot, `Pulumi.${stack}.yaml`);
}

/** A stack file that cannot be read at all (missing, not YAML, not a stack file): nothing in it can be judged. */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        detail: string,
    ) {
        super(`${file}: ${detail}`);
        this.name = "StackFileError";
    }
}

function readText(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
            const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file))?.[1];
            throw new StackFileError(
                file,
                `no such stack file${stack ? `: create it (pulumi stack init ${stack}) from the example Pulumi.${stack === "dr" ? "dr" : "primary"}.yaml and docs/config.md` : ""}`,
            );
        }
        if (code === "EACCES" || code === "EISDIR") {
            throw new StackFileError(file, code === "EACCES" ? "cannot be read (permission denied)" : "is a directory, not a stack file");
        }
        throw error;
    }
}

/** The raw config of a stack file; keys outside `aws:region` and the lustre-dr namespace are ignored. */
export function readStackConfigFile(file: string): RawSiteConfig {
    const document = parseDocument(readText(file), { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
        const first = document.errors[0];
        const where = first.linePos?.[0] ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}: ` : "";
        throw new StackFileError(file, `not valid YAML: ${where}${first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
    }
    const content: unknown = document.toJS();
    if (content !== null && (typeof content !== "object" || Array.isArray(content))) {
        throw new StackFileError(file, "expected a YAML mapping with a config: section");
    }
    const config: unknown = (content as { config?: unknown } | null)?.config ?? {};
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new StackFileError(file, "config: must be a mapping of keys such as aws:region and lustre-dr:bucket");
    }
    const entries = config as Record<string, unknown>;
    const raw: Record<string, unknown> = { awsRegion: entries["aws:region"], configKeys: Object.keys(entries) };
    const prefix = `${configNamespace}:`;
    for (const [key, value] of Object.entries(entries)) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        }
    }
    return raw;
}

/** How a command names a stack file in messages: relative to where the operator stands when that is shorter. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
    const relative = path.relative(cwd, file);
    return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Reads both stack files of a pair. Every file that cannot be read is named in one StackFileError; the configs are
 * then validated together by parseStackPair (stacks/config/pair.ts).
 */
export function readStackFiles<R extends string>(files: Readonly<Record<R, string>>): Record<R, RawSiteConfig> {
    const raws: Partial<Record<R, RawSiteConfig>> = {};
    const failures: StackFileError[] = [];
    for (const role of Object.keys(files) as R[]) {
        try {
            raws[role] = readStackConfigFile(files[role]);
        } catch (error) {
            if (!(error instanceof StackFileError)) {
                throw error;
            }
            failures.push(new StackFileError(displayPath(error.file), error.message.slice(error.file.length + 2)));
        }
    }
    if (failures.length === 1) {
        throw failures[0];
    }
    if (failures.length > 1) {
        throw new StackFileError(failures.map((f) => f.file).join(", "), `\n${failures.map((f) => `  - ${f.message}`).join("\n")}`);
    }
    return raws as Record<R, RawSiteConfig>;
}
