/**
 * The weekly drill job of .github/workflows/deploy.yml: it runs `status --sample` after the drill, with flags the
 * CLI knows and a sample size it accepts (actionlint, in .ci/run, checks the workflow's syntax, not our flags).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { buildProgram } from "../../infra/cli";
import { parseSampleRequest } from "../../infra/status/sampleKeys";

interface Step {
    readonly id?: string;
    readonly uses?: string;
    readonly name?: string;
    readonly if?: string;
    readonly run?: string;
}

const workflow = parse(fs.readFileSync(path.join(__dirname, "..", "..", ".github", "workflows", "deploy.yml"), "utf8")) as {
    on: { schedule?: { cron: string }[] };
    jobs: Record<string, { if?: string; steps: Step[] }>;
};

/** The words after `npx lustre-dr` in a step's script, line continuations joined. */
function lustreDrArgs(step: Step): string[] {
    const script = (step.run ?? "").replace(/\\\n\s*/g, " ");
    const match = /npx lustre-dr ([^>\n]*)/.exec(script);
    return match ? match[1].trim().split(/\s+/) : [];
}

describe(".github/workflows/deploy.yml: the weekly drill job", () => {
    const drill = workflow.jobs.drill;
    const steps = drill.steps;
    const statusAt = steps.findIndex((s) => lustreDrArgs(s)[0] === "status");
    const drillAt = steps.findIndex((s) => lustreDrArgs(s)[0] === "drill");

    it("runs on the weekly schedule", () => {
        expect(workflow.on.schedule?.map((s) => s.cron)).to.deep.equal(["17 6 * * 1"]);
        expect(drill.if).to.contain("github.event_name == 'schedule'");
    });

    it("runs status with --sample after the drill, even when the drill failed, keeping the JSON", () => {
        expect(drillAt).to.be.at.least(0);
        expect(statusAt).to.be.greaterThan(drillAt);
        // after a failed drill, but not after a cancel or without credentials (it would only report the missing profiles)
        expect(steps[statusAt].if).to.equal("${{ !cancelled() && steps.profiles.outcome == 'success' }}");
        expect(steps.some((s) => s.id === "profiles" && (s.uses ?? "").endsWith("aws-profiles")), "the credentials step status depends on").to.equal(true);
        const args = lustreDrArgs(steps[statusAt]);
        const size = args[args.indexOf("--sample") + 1];
        expect(args).to.include("--sample");
        expect(parseSampleRequest(size, undefined)?.size).to.equal(200);
        expect(args).to.include("--json");
        expect(steps[statusAt].run).to.match(/> status\.json\s*$/);
    });

    it("passes status only flags the command has", async function () {
        this.timeout(30_000);
        const status = (await buildProgram()).commands.find((c) => c.name() === "status");
        const known = new Set(status?.options.map((o) => o.long));
        const flags = lustreDrArgs(steps[statusAt]).filter((word) => word.startsWith("--"));
        expect(flags.filter((flag) => !known.has(flag))).to.deep.equal([]);
    });
});
