/**
 * Reads a `Pulumi.<stack>.yaml` into the program's raw config, for tests and offline tools (plan, cost)
 * that evaluate the program without the Pulumi CLI.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { configNamespace, RawSiteConfig } from "./config";

/**
 * The package's root directory, the nearest one above this file with a package.json: the checkout (this file in
 * stacks/) or the installed package (this file built into dist/stacks/). Stack files, the Pulumi project and the
 * price table are found from it the same way in both.
 */
export const projectRoot = packageRootAbove(__dirname);

function packageRootAbove(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no package.json in ${start} or any directory above it`);
        }
    }
}

export function stackConfigPath(stack: string): string {
    return path.join(projectRoot, `Pulumi.${stack}.yaml`);
}

/** The raw config of a stack file; keys outside `aws:region` and the lustre-dr namespace are ignored. */
export function readStackConfigFile(file: string): RawSiteConfig {
    const document = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const config = document?.config ?? {};
    const raw: Record<string, unknown> = { awsRegion: config["aws:region"], configKeys: Object.keys(config) };
    const prefix = `${configNamespace}:`;
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        }
    }
    return raw;
}
