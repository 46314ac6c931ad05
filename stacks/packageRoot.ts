/**
 * The package's root directory, the nearest one above this file with a package.json: the checkout (this file in
 * stacks/) or the installed package (this file built into dist/stacks/). Everything found relative to the package
 * (package.json, stack files, the Pulumi project, the price table) is found from here, so the build in dist/ finds
 * what the sources do. No imports beyond Node's, so `lustre-dr --version` stays cheap.
 */
import * as fs from "fs";
import * as path from "path";

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
