/**
 * A throwaway copy of the project's Pulumi.yaml (and optionally more files) for Automation API tests, so the
 * embedded state directory and any stack settings the SDK writes never land in the repository.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const projectRoot = path.resolve(__dirname, "..", "..");

export interface TempProject {
    readonly dir: string;
    remove(): void;
}

export function tempProject(extraFiles: Record<string, string> = {}): TempProject {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-project-"));
    fs.copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const [file, content] of Object.entries(extraFiles)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
    }
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** An environment with a passphrase and without any backend setting of the machine running the tests. */
export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, PULUMI_CONFIG_PASSPHRASE: "test-passphrase", ...overrides };
}
