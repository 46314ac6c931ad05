/**
 * The drill history: one JSON line per drill (a DrillResult), appended, never rewritten, so a crash mid-write
 * costs at most the line being written. The runbook links to it and `lustre-dr status` reads the last entry.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveInProject } from "../project";
import { DrillResult, drillResultSchema } from "./result";

/** `.lustre-dr/drill-history.jsonl` in the project directory (the nearest Pulumi.yaml upwards, infra/project.ts). */
export const defaultDrillHistoryPath = path.join(".lustre-dr", "drill-history.jsonl");

/** The history file: `file` (or the default) relative to the project found from `start`, or to `start` outside any project. */
export function resolveDrillHistoryFile(file: string | undefined, start: string = process.cwd()): string {
    return resolveInProject(file ?? defaultDrillHistoryPath, start);
}

/** Appends one result as one line, creating the file and its directory when needed. */
export async function appendDrillHistory(file: string, result: DrillResult): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.appendFile(file, `${JSON.stringify(result)}\n`, "utf8");
}

/**
 * The most recent drill in the history, or undefined when the file does not exist or holds none. Lines that do
 * not parse as a result of this schema (a torn last write, a future schema) are skipped, not fatal: status must
 * still be able to report.
 */
export async function readLastDrill(file: string): Promise<DrillResult | undefined> {
    let text: string;
    try {
        text = await fs.promises.readFile(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw error;
    }
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0; i -= 1) {
        const line = lines[i].trim();
        if (!line) {
            continue;
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(line);
        } catch {
            continue;
        }
        const result = drillResultSchema.safeParse(parsed);
        if (result.success) {
            return result.data;
        }
    }
    return undefined;
}
