import { expect } from "chai";
import { inlineCommands, runbookCommands, shellWords, unmatchedLine } from "./runbook";

const fence = "```";
const markdown = [
    "## 1. First",
    `${fence}sh`,
    "AWS_PROFILE=dr npx lustre-dr status --json > before.json   # keep it",
    "sudo mount -t lustre x /fsx",
    "npx lustre-dr status --only 'dr'",
    fence,
    "",
    `${fence}text`,
    "degraded: <...>",
    fence,
    "## 2. Second",
    `${fence}sh`,
    "npx lustre-dr recover",
    fence,
    "Prose between the blocks: the text block below is not recover's output.",
    `${fence}text`,
    "anything",
    fence,
].join("\n");

describe("tests/support/runbook (the runbook walk's reader)", () => {
    it("splits shell words with quotes and drops comments", () => {
        expect(shellWords(`a 'b c' "d" e # f g`)).to.deep.equal(["a", "b c", "d", "e"]);
    });

    it("finds the lustre-dr lines of sh blocks, with env, sections and the text block right after them", () => {
        expect(runbookCommands(markdown)).to.deep.equal([
            { line: 3, section: "1. First", env: { AWS_PROFILE: "dr" }, argv: ["status", "--json"] },
            { line: 5, section: "1. First", env: {}, argv: ["status", "--only", "dr"], expected: ["degraded: <...>"] },
            { line: 13, section: "2. Second", env: {}, argv: ["recover"] },
        ]);
    });

    it("finds the commands quoted in the prose, also across a line break, but not those in code blocks", () => {
        const prose = "Run `npx lustre-dr status\n--only dr` or `npx lustre-dr destroy --help`; not `pulumi up`.\n" + markdown;
        expect(inlineCommands(prose)).to.deep.equal([
            ["status", "--only", "dr"],
            ["destroy", "--help"],
        ]);
    });

    it("matches expected output line by line, <...> as any lines, <x> as any text, from the first line", () => {
        const output = "degraded: dr: detached\n\ndr  s3://b (r)\n  versioning  ok  Enabled\n  replication ok  none";
        expect(unmatchedLine(["degraded: <reason>", "<...>", "  versioning  ok  Enabled"], output)).to.equal(undefined);
        expect(unmatchedLine(["<...>", "  versioning  ok  Enabled", "  replication ok  none"], output)).to.equal(undefined);
        expect(unmatchedLine(["healthy"], output)).to.equal("healthy");
        expect(unmatchedLine(["<...>", "  versioning  ok  Suspended"], output)).to.equal("  versioning  ok  Suspended");
        // Without <...>, expected lines must be consecutive in the output.
        expect(unmatchedLine(["degraded: <reason>", "  versioning  ok  Enabled"], output)).to.equal("  versioning  ok  Enabled");
    });
});
