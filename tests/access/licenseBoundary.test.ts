/**
 * @cloud-copilot/iam-simulate and @cloud-copilot/iam-policy are AGPL-3.0: lustre-dr (Apache-2.0) may use them to
 * test itself, never ship them. They stay devDependencies, and nothing outside tests/ imports them.
 */
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";

const root = join(__dirname, "..", "..");
const testOnlyPackages = /@cloud-copilot\//;
const skipped = new Set(["node_modules", ".git", ".venv", "tests"]);

function sourceFiles(directory: string): string[] {
    return readdirSync(directory).flatMap((entry) => {
        if (skipped.has(entry) && directory === root) {
            return [];
        }
        if (entry === "node_modules") {
            return [];
        }
        const path = join(directory, entry);
        if (statSync(path).isDirectory()) {
            return sourceFiles(path);
        }
        return /\.(ts|js|mjs|cjs)$/.test(entry) ? [path] : [];
    });
}

describe("AGPL test-only dependencies", () => {
    it("are devDependencies, never dependencies", () => {
        const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
            dependencies?: Record<string, string>;
            devDependencies?: Record<string, string>;
        };
        expect(Object.keys(manifest.dependencies ?? {}).filter((name) => testOnlyPackages.test(name))).to.deep.equal([]);
        expect(Object.keys(manifest.devDependencies ?? {})).to.include.members(["@cloud-copilot/iam-simulate", "@cloud-copilot/iam-policy"]);
    });

    it("are imported by no file outside tests/", () => {
        const files = sourceFiles(root);
        expect(files.map((file) => relative(root, file))).to.include("components/policyDocuments.ts");
        const offenders = files.filter((file) => testOnlyPackages.test(readFileSync(file, "utf8"))).map((file) => relative(root, file));
        expect(offenders, "files outside tests/ that mention an AGPL test-only package").to.deep.equal([]);
    });
});
