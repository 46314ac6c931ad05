import { expect } from "chai";
import { Command } from "commander";
import { addSideOptions, resolveSide, SideOptions } from "../../../infra/aws/sides";
import { UsageError } from "../../../infra/output";
import type { SiteOutputs } from "../../../stacks/outputs";

const drOutputs: SiteOutputs = {
    accountId: "222222222222",
    region: "us-west-2",
    role: "dr",
    bucketName: "lustre-dr-dr-data",
    bucketArn: "arn:aws:s3:::lustre-dr-dr-data",
    replicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-replication",
    batchReplicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
    replicationGrantedTo: [],
    replicationStatus: "active",
};

function parse(args: string[]): SideOptions {
    const command = addSideOptions(new Command("t").exitOverride());
    command.parse(args, { from: "user" });
    return command.opts<SideOptions>();
}

describe("infra/aws/sides", () => {
    it("takes an explicit bucket with its region, profile and endpoint", async () => {
        const options = parse(["--primary-bucket", "b1", "--primary-region", "us-east-1", "--primary-profile", "a", "--primary-endpoint", "http://127.0.0.1:5000"]);
        expect(await resolveSide("primary", options)).to.deep.equal({
            role: "primary",
            bucketName: "b1",
            region: "us-east-1",
            profile: "a",
            endpoint: "http://127.0.0.1:5000",
        });
    });

    it("reads the side's stack (named after the role by default) when no bucket is given", async () => {
        const read: string[] = [];
        const side = await resolveSide("dr", parse([]), async (stack) => {
            read.push(stack);
            return drOutputs;
        });
        expect(read).to.deep.equal(["dr"]);
        expect(side).to.include({ role: "dr", bucketName: "lustre-dr-dr-data", region: "us-west-2" });
        expect(side.outputs).to.equal(drOutputs);
    });

    it("refuses a bucket without region, a bad region and a bad endpoint, naming the flag", async () => {
        const cases: Array<[string[], RegExp]> = [
            [["--dr-bucket", "b"], /--dr-region is missing/],
            [["--dr-bucket", "b", "--dr-region", "mars"], /--dr-region is "mars": expected an AWS region/],
            [["--dr-bucket", "b", "--dr-region", "us-west-2", "--dr-endpoint", "localhost"], /--dr-endpoint is "localhost"/],
            [[], /give --dr-bucket and --dr-region/],
        ];
        for (const [args, message] of cases) {
            const error = await resolveSide("dr", parse(args)).then(() => undefined, (e: unknown) => e);
            expect(error, args.join(" ")).to.be.instanceOf(UsageError);
            expect((error as Error).message).to.match(message);
        }
    });
});
