/**
 * lustre-dr as another Pulumi program gets it: `npm run build`, `npm pack`, the tarball installed into a temporary
 * project, then that project's plain-JavaScript program (tests/package/consumer.js) run by plain `node` under the
 * Pulumi mock runtime, and the installed `lustre-dr --help`.
 *
 * How the tarball is installed: tests send nothing beyond 127.0.0.1, and npm cannot resolve the package's
 * dependency ranges offline, so this does what npm does for the package itself (unpack the tarball into
 * node_modules/lustre-dr, link its `bin` into node_modules/.bin) and provides the dependencies the way a registry
 * install would, from a node_modules one level up, which links to this checkout's. lustre-dr is not in there:
 * the consumer can only resolve it from the tarball, and the test checks that it did.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";

const root = path.join(__dirname, "..", "..");
/** npm and the CLI run on the Node.js that runs the tests. */
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

interface PackResult {
    readonly filename: string;
    readonly files: { readonly path: string }[];
}

interface ConsumerReport {
    readonly resolved: string;
    readonly typeScriptLoaded: boolean;
    readonly registered: { readonly type: string; readonly name: string }[];
    readonly bucketName: string;
    readonly fsMount: string;
    readonly clientMount: string;
    readonly instanceId: string;
}

describe("lustre-dr as a package: built, packed, installed into another program", function () {
    this.timeout(600_000);
    let work: string;
    let consumer: string;
    let packed: PackResult;

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-pack-"));
        // npm runs no lifecycle scripts here (and the package needs none), so the build is its own step
        run("npm", ["run", "--silent", "build"], root);
        [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], root)) as PackResult[];

        consumer = path.join(work, "consumer");
        const installed = path.join(consumer, "node_modules", "lustre-dr");
        fs.mkdirSync(installed, { recursive: true });
        fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { "lustre-dr": `file:../${packed.filename}` } }));
        run("tar", ["-xzf", path.join(work, packed.filename), "-C", installed, "--strip-components=1"], work);
        const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as { bin: Record<string, string> };
        fs.mkdirSync(path.join(consumer, "node_modules", ".bin"));
        for (const [name, file] of Object.entries(manifest.bin)) {
            fs.symlinkSync(path.join("..", "lustre-dr", file), path.join(consumer, "node_modules", ".bin", name));
        }
        fs.symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"), "dir");
        fs.copyFileSync(path.join(__dirname, "consumer.js"), path.join(consumer, "index.js"));
    });

    after(() => {
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("ships the JavaScript build with declarations, the CLI and its price table, and no TypeScript sources or tests", () => {
        const files = packed.files.map((f) => f.path);
        expect(files).to.include.members([
            "package.json",
            "README.md",
            "bin/lustre-dr.js",
            "dist/components/index.js",
            "dist/components/index.d.ts",
            "dist/components/replicatedBucket.d.ts",
            "dist/infra/cli.js",
            "infra/cost/prices.json",
        ]);
        expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
        expect(files.filter((f) => /^(tests|bench|\.venv|node_modules)\//.test(f))).to.deep.equal([]);
    });

    it("gives another program ReplicatedBucket, LustreWithRepository and LustreClient under plain node", () => {
        const report = JSON.parse(run(process.execPath, ["index.js"], consumer)) as ConsumerReport;
        expect(report.resolved).to.equal(path.join(fs.realpathSync(consumer), "node_modules", "lustre-dr", "dist", "components", "index.js"));
        expect(report.typeScriptLoaded).to.equal(false);
        const types = report.registered.map((r) => r.type);
        expect(types).to.include.members([
            "lustre-dr:storage:ReplicatedBucket",
            "lustre-dr:filesystem:LustreWithRepository",
            "lustre-dr:filesystem:LustreClient",
            "aws:s3/bucket:Bucket",
            "aws:fsx/lustreFileSystem:LustreFileSystem",
            "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
            "aws:ec2/instance:Instance",
        ]);
        // SSE-S3 as asked: no KMS key
        expect(types).to.not.include("aws:kms/key:Key");
        expect(report.bucketName).to.equal("data-bucket-physical");
        expect(report.fsMount).to.match(/mount -t lustre .*fs-fs-id\.fsx\.eu-west-1\.amazonaws\.com@tcp:\/abcdefgh \/fsx$/);
        expect(report.clientMount).to.equal(report.fsMount);
        expect(report.instanceId).to.equal("client-instance-id");
    });

    it("runs the installed CLI from the build, without ts-node: lustre-dr --help and --version", () => {
        expect(fs.existsSync(path.join(consumer, "node_modules", "lustre-dr", "infra", "cli.ts"))).to.equal(false);
        const help = run("npx", ["--offline", "--no-install", "lustre-dr", "--help"], consumer);
        expect(help).to.match(/^Usage: lustre-dr /);
        for (const command of ["deploy", "recover", "drill", "restore", "status"]) {
            expect(help).to.include(command);
        }
        // files the CLI reads relative to the package (package.json here) are found from dist/ too
        const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
        expect(run("npx", ["--offline", "--no-install", "lustre-dr", "--version"], consumer).trim()).to.equal(manifest.version);
    });
});
