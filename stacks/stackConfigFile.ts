/**
 * Reads a `Pulumi.<stack>.yaml` into the program's raw config, for tests and offline tools (plan, cost)
 * that evaluate the program without the Pulumi CLI.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { configNamespace, RawSiteConfig } from "./config";
import { projectRoot } from "./packageRoot";

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
