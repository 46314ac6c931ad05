import { expect } from "chai";
import { CliRun, runCli } from "../../support/cliRun";
import type { StackPlan } from "../../../infra/plan/model";

function run(args: string[]): Promise<CliRun> {
    return runCli(args);
}

describe("lustre-dr plan", () => {
    it("prints one stack as JSON on stdout, progress on stderr only without --json", async () => {
        const { stdout, stderr, exitCode } = await run(["plan", "--stack", "dr", "--json"]);
        expect(exitCode).to.equal(0);
        expect(stderr).to.equal("");
        const plans = JSON.parse(stdout) as StackPlan[];
        expect(plans.map((p) => p.stack)).to.deep.equal(["dr"]);
        expect(plans[0].resources.map((r) => r.type)).to.include("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    });

    it("prints the table by default, with progress on stderr", async () => {
        const table = await run(["plan", "--stack", "primary"]);
        expect(table.exitCode).to.equal(0);
        expect(table.stderr).to.include("Planning primary");
        expect(table.stdout).to.match(/^Stack primary \(primary, us-east-1\): \d+ resources$/m);
        expect(table.stdout).to.match(/^ {2}data-bucket +aws:s3\/bucket:Bucket +data$/m);
        // the Mermaid format is the diagram docs/architecture.md embeds, checked there
    });

    it("rejects an unknown format with exit code 2", async () => {
        const { stderr, exitCode } = await run(["plan", "--format", "dot"]);
        expect(exitCode).to.equal(2);
        expect(stderr).to.match(/Allowed choices are table, json, mermaid/);
    });
});
