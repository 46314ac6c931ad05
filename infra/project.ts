/**
 * Where the operator's Pulumi project is, found the way the Pulumi CLI finds it: the nearest directory holding a
 * `Pulumi.yaml` (or `Pulumi.yml`), from the working directory upwards; the global `--cwd <dir>` starts the search
 * elsewhere, as `pulumi --cwd` does. The project need not be this package: a program that installs lustre-dr's
 * components as a package is served the same way.
 *
 * Everything lustre-dr reads or writes by relative path (stack files, the drill history, restore plan files, the
 * embedded state backend) is relative to that project directory, not to the directory the command was typed in.
 */
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { parse } from "yaml";
import { projectRoot } from "../stacks/packageRoot";
import { UsageError } from "./output";

/**
 * This package (lustre-dr itself): where its own program, docs and policy pack are, wherever the project is. The
 * package root, also when this runs built from dist/.
 */
export const packageDir = projectRoot;

const projectFileNames = ["Pulumi.yaml", "Pulumi.yml"] as const;

export interface PulumiProject {
    /** The directory holding the project file. */
    readonly dir: string;
    /** The project file itself, `<dir>/Pulumi.yaml` or `<dir>/Pulumi.yml`. */
    readonly file: string;
    /** `name` in the project file. */
    readonly name: string;
    /** `main` in the project file, when set (the program Pulumi runs for deploy and preview). */
    readonly main?: string;
    /** Where the stack files are: `stackConfigDir` in the project file, else the project directory. */
    readonly stackConfigDir: string;
}

function projectFileIn(dir: string): string | undefined {
    return projectFileNames.map((name) => path.join(dir, name)).find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

/** The directories searched from `start` upwards, nearest first. */
export function searchedDirectories(start: string): string[] {
    const dirs: string[] = [];
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        dirs.push(dir);
        if (path.dirname(dir) === dir) {
            return dirs;
        }
    }
}

/** Reads a project file: a YAML document with a string `name` (Pulumi requires one). */
export function readProjectFile(file: string): PulumiProject {
    let document: unknown;
    try {
        document = parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new UsageError(`${file} is not a readable Pulumi project file: ${(error as Error).message.split("\n")[0]}`);
    }
    const fields = (document ?? {}) as { name?: unknown; main?: unknown; stackConfigDir?: unknown };
    if (typeof fields.name !== "string" || fields.name.trim() === "") {
        throw new UsageError(`${file} has no project name: expected a line such as \`name: lustre-dr\``);
    }
    const dir = path.dirname(file);
    return {
        dir,
        file,
        name: fields.name,
        ...(typeof fields.main === "string" ? { main: fields.main } : {}),
        stackConfigDir: typeof fields.stackConfigDir === "string" ? path.resolve(dir, fields.stackConfigDir) : dir,
    };
}

/** The nearest project from `start` upwards, or undefined when there is none up to the file system root. */
export function findProject(start: string = process.cwd()): PulumiProject | undefined {
    for (const dir of searchedDirectories(start)) {
        const file = projectFileIn(dir);
        if (file) {
            return readProjectFile(file);
        }
    }
    return undefined;
}

/** The nearest project, or a UsageError (exit 2) naming every directory that was searched. */
export function requireProject(start: string = process.cwd()): PulumiProject {
    const project = findProject(start);
    if (!project) {
        const searched = searchedDirectories(start);
        throw new UsageError(
            `no Pulumi project found: no Pulumi.yaml in ${searched[0]} or any directory above it (searched ${searched.join(", ")}); ` +
                "run lustre-dr inside the project directory, or give --cwd <project directory>",
        );
    }
    return project;
}

/**
 * Resolves a path the operator gave (or a default) against the project directory; outside any project, against
 * `start`, so commands that need no stack (a drill naming both buckets) still run anywhere.
 */
export function resolveInProject(file: string, start: string = process.cwd()): string {
    return path.resolve(findProject(start)?.dir ?? start, file);
}

/**
 * The stack file of `stack` in the project: `Pulumi.<stack>.yaml` (`.yml` when the project file is), in
 * `stackConfigDir` when the project sets one. A fully qualified `org/project/stack` uses its last part, as Pulumi does.
 */
export function stackFile(project: PulumiProject, stack: string): string {
    const shortName = stack.split("/").pop() ?? stack;
    return path.join(project.stackConfigDir, `Pulumi.${shortName}${path.extname(project.file)}`);
}

/**
 * The global `--cwd <dir>`: checks the directory and makes it the working directory, as `pulumi --cwd` does, so the
 * project search starts there. Returns the function that goes back.
 */
export function enterDirectory(dir: string, from: string = process.cwd()): () => void {
    const target = path.resolve(from, dir);
    if (!fs.existsSync(target) || !fs.statSync(target).isDirectory()) {
        throw new UsageError(`--cwd is ${JSON.stringify(dir)}: ${target} is not a directory`);
    }
    const previous = process.cwd();
    process.chdir(target);
    return () => process.chdir(previous);
}

/**
 * The global `--cwd <dir>` option: before any command's action runs, the working directory becomes `dir`, so the
 * project search and every relative path start there. `main` goes back to the original directory afterwards.
 */
export function addCwdOption(program: Command): Command {
    return program
        .option("--cwd <dir>", "run as if started in this directory: the Pulumi project is the nearest Pulumi.yaml from there upwards")
        .hook("preAction", (thisCommand) => {
            const dir = (thisCommand.opts() as { cwd?: string }).cwd;
            if (dir !== undefined) {
                enterDirectory(dir);
            }
        });
}
