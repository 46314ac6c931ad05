import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planStackFiles } from "../../infra/plan/command";
import { UsageError } from "../../infra/output";
import { ConfigError, ConfigProblem } from "../../components/problems";
import { runCli } from "../support/cliRun";
import { parseStackPair, StackFileConfig } from "../../stacks/config/pair";
import { readStackConfigFile, readStackFiles, StackFileError, stackConfigPath } from "../../stacks/stackConfigFile";

const examples = { primary: fs.readFileSync(stackConfigPath("primary"), "utf8"), dr: fs.readFileSync(stackConfigPath("dr"), "utf8") };

/** Scratch copies of the example stack files, edited the way people break them. */
function scratch(edit: { primary?: (text: string) => string; dr?: (text: string) => string } = {}): { dir: string; primary: string; dr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-dr-pair-"));
    fs.copyFileSync(path.join(path.dirname(stackConfigPath("primary")), "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const files = { dir, primary: path.join(dir, "Pulumi.primary.yaml"), dr: path.join(dir, "Pulumi.dr.yaml") };
    fs.writeFileSync(files.primary, (edit.primary ?? ((t) => t))(examples.primary));
    fs.writeFileSync(files.dr, (edit.dr ?? ((t) => t))(examples.dr));
    return files;
}

function side(stack: "primary" | "dr", raw: StackFileConfig["raw"]): StackFileConfig {
    return { file: `Pulumi.${stack}.yaml`, identity: { organization: "organization", project: "lustre-dr", stack }, raw };
}

function pairProblemsOf(primary: StackFileConfig["raw"], dr: StackFileConfig["raw"]): ConfigProblem[] {
    try {
        parseStackPair(side("primary", primary), side("dr", dr));
    } catch (error) {
        if (error instanceof ConfigError) {
            return [...error.problems];
        }
        throw error;
    }
    throw new Error("expected the pair to be rejected");
}

async function planFailure(files: { dir: string }): Promise<string> {
    try {
        await planStackFiles({ primary: "primary", dr: "dr", stack: "both" }, false, files.dir);
    } catch (error) {
        expect(error).to.be.instanceOf(UsageError);
        return (error as Error).message;
    }
    throw new Error("expected plan to refuse the files");
}

describe("the two stack files of a pair", () => {
    const primary = readStackConfigFile(stackConfigPath("primary"));
    const dr = readStackConfigFile(stackConfigPath("dr"));

    it("accepts the shipped examples", () => {
        const pair = parseStackPair(side("primary", primary), side("dr", dr));
        expect([pair.primary.role, pair.dr.role]).to.deep.equal(["primary", "dr"]);
    });

    it("refuses two primaries, one bucket name on both sides, one region and different encryption, naming the file", () => {
        const problems = pairProblemsOf(
            { ...primary, bucket: { name: "acme-lustre-data" } },
            { ...dr, role: "primary", awsRegion: "us-east-1", bucket: { name: "acme-lustre-data", encryption: "SSE_S3" } },
        );
        expect(problems.map((p) => [p.file, p.key])).to.deep.equal([
            ["Pulumi.dr.yaml", "lustre-dr:role"],
            ["Pulumi.dr.yaml", "lustre-dr:bucket.name"],
            ["Pulumi.dr.yaml", "aws:region"],
            ["Pulumi.dr.yaml", "lustre-dr:bucket.encryption"],
        ]);
        expect(problems[0].expected).to.contain('"dr": Pulumi.primary.yaml is the primary side already');
    });

    it("refuses a peerStack that names neither file's stack", () => {
        const [problem] = pairProblemsOf({ ...primary, peerStack: "organization/lustre-dr/prod-dr", peerAccountId: "222222222222" }, dr);
        expect(problem).to.include({ file: "Pulumi.primary.yaml", key: "lustre-dr:peerStack", value: "organization/lustre-dr/prod-dr" });
        expect(problem.expected).to.contain("organization/lustre-dr/dr");
    });

    it("reports the problems of both files at once", () => {
        const problems = pairProblemsOf({ ...primary, awsRegion: "us-est-1" }, { ...dr, lustre: { storageCapacityGiB: 1000 } });
        expect(problems.map((p) => `${p.file} ${p.key}`)).to.deep.equal(["Pulumi.primary.yaml aws:region", "Pulumi.dr.yaml lustre-dr:lustre.storageCapacityGiB"]);
    });

    describe("plan and cost on broken files", () => {
        it("plan names every problem of both files and exits 2", async () => {
            const files = scratch({
                primary: (t) => t.replace("aws:region: us-east-1", "aws:region: us-est-1").replace("lustre-dr:lustre:", "lustre_dr:lustre:"),
                dr: (t) => t.replace("storageCapacityGiB: 1200", "storageCapacityGiB: 1000").replace("lustre-dr:role: dr", "lustre-dr:role: primary"),
            });
            const message = await planFailure(files);
            expect(message).to.contain("Pulumi.primary.yaml: aws:region is \"us-est-1\"");
            expect(message).to.contain("Pulumi.primary.yaml: lustre_dr:lustre is set: expected lustre-dr:lustre");
            expect(message).to.contain("Pulumi.dr.yaml: lustre-dr:lustre.storageCapacityGiB is 1000");
            expect(message).to.contain("Pulumi.dr.yaml: lustre-dr:role is \"primary\"");
        });

        it("a YAML syntax error or a missing file is a usage error naming the file, never ENOENT", async () => {
            const broken = scratch({ dr: (t) => t.replace("lustre-dr:bucket:", "lustre-dr:bucket: [") });
            const yaml = await planFailure(broken);
            expect(yaml).to.match(/Pulumi\.dr\.yaml: not valid YAML: line \d+, column \d+/);
            const missing = scratch();
            fs.rmSync(missing.dr);
            const run = await runCli(["--cwd", missing.dir, "plan"]);
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.contain("Pulumi.dr.yaml").and.not.contain("ENOENT");
        });

        it("a duplicate key is a YAML error, not a silent override", () => {
            const files = scratch({ dr: (t) => `${t}\n  lustre-dr:role: primary\n` });
            expect(() => readStackFiles(files)).to.throw(StackFileError, /Pulumi\.dr\.yaml: not valid YAML: line \d+, column \d+: Map keys must be unique/);
        });

        it("cost validates both files together, exit 2", async () => {
            const files = scratch({ dr: (t) => t.replace("encryption: SSE_KMS", "encryption: SSE_S3") });
            const run = await runCli(["--cwd", files.dir, "cost"]);
            expect(run.exitCode).to.equal(2);
            expect(run.stderr).to.match(/cannot estimate: .*Pulumi\.dr\.yaml: lustre-dr:bucket\.encryption is "SSE_S3": expected "SSE_KMS", as in/s);
        });
    });
});
