import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { CliRun, runCli } from "../../support/cliRun";
import type { CostComparison } from "../../../infra/cost/estimate";

function run(args: string[]): Promise<CliRun> {
    return runCli(args);
}

describe("lustre-dr cost", () => {
    it("estimates the example configs: pilot light configured, warm standby as the alternative, as JSON", async () => {
        const { stdout, exitCode } = await run(["cost", "--data-gib", "1000", "--change-gib-per-month", "100", "--json"]);
        expect(exitCode).to.equal(0);
        const comparison = JSON.parse(stdout) as CostComparison;
        expect(comparison.configured).to.equal("pilot-light");
        expect(comparison.workload).to.deep.equal({ dataGiB: 1000, changeGiBPerMonth: 100, averageObjectMiB: 8 });
        const pilot = comparison.postures["pilot-light"];
        const warm = comparison.postures["warm-standby"];
        expect(pilot.sides.primary.region).to.equal("us-east-1");
        expect(pilot.sides.dr.region).to.equal("us-west-2");
        // Pulumi.dr.yaml sizes its (disabled) file system like the primary's: 1200 GiB at 125 MB/s/TiB.
        expect(warm.sides.dr.lines[0]).to.include({ item: "FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB", quantity: 1200 });
        expect(warm.monthlyUsd).to.be.greaterThan(pilot.monthlyUsd);
        expect(pilot.rto.maxMinutes).to.be.greaterThan(warm.rto.maxMinutes);
    });

    it("prints a human report with both postures, their RTO and the assumptions", async () => {
        const { stdout, exitCode } = await run(["cost", "--stack", "dr"]);
        expect(exitCode).to.equal(0);
        expect(stdout).to.match(/Prices as of \d{4}-\d{2}-\d{2}/);
        expect(stdout).to.match(/pilot light \(configured\)\s+warm standby/);
        expect(stdout).to.match(/^expected RTO\s+\d+-\d+ min\s+\d+-\d+ min$/m);
        expect(stdout).to.include("pilot light: dr (us-west-2)");
        expect(stdout).to.not.include("pilot light: primary (us-east-1)"); // --stack dr shows only the dr lines
        expect(stdout).to.include("Assumptions:");
    });

    it("rejects a non-numeric size with exit code 2, naming the flag", async () => {
        const { stderr, exitCode } = await run(["cost", "--data-gib", "lots"]);
        expect(exitCode).to.equal(2);
        expect(stderr).to.include('--data-gib is "lots": expected a number >= 0');
    });

    it("shows both sides with --stack both, as plan does, and rejects a stack that is not one of the pair with exit code 2", async () => {
        const both = await run(["cost", "--stack", "both"]);
        expect(both.exitCode).to.equal(0);
        expect(both.stdout).to.include("pilot light: primary (us-east-1)");
        expect(both.stdout).to.include("pilot light: dr (us-west-2)");
        const { stderr, exitCode } = await run(["cost", "--stack", "staging"]);
        expect(exitCode).to.equal(2);
        expect(stderr).to.include('--stack is "staging": expected one of both, primary, dr');
    });
});

describe("lustre-dr cost --refresh-prices", () => {
    it("without credentials, exits 2 saying what it needs and how to run without it", async () => {
        const pricing = mockClient(PricingClient);
        const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
        pricing.on(GetProductsCommand).rejects(noCredentials);
        try {
            const { stderr, exitCode } = await run(["cost", "--refresh-prices", "--json"]);
            expect(exitCode).to.equal(2);
            expect(stderr).to.include("--refresh-prices needs AWS credentials allowed pricing:GetProducts (Could not load credentials from any providers)");
            expect(stderr).to.include("run without it to use the committed price table");
        } finally {
            pricing.restore();
        }
    });

    it("prices with what the API answered and says so in the table's source", async () => {
        const pricing = mockClient(PricingClient);
        pricing.on(GetProductsCommand).resolves({ PriceList: [] });
        try {
            const { stdout, exitCode } = await run(["cost", "--refresh-prices", "--json"]);
            expect(exitCode).to.equal(0);
            const comparison = JSON.parse(stdout) as CostComparison;
            expect(comparison.priceTable.source).to.match(/^AWS Price List API \(GetProducts\) on \d{4}-\d{2}-\d{2} for us-east-1, us-west-2/);
            // nothing answered: every figure is the committed one
            expect(comparison.postures["pilot-light"].sides.primary.lines[0]).to.include({ unitPriceUsd: 0.145 });
        } finally {
            pricing.restore();
        }
    });
});
