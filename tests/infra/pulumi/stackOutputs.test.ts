import { expect } from "chai";
import { createStackOutputsReader } from "../../../infra/pulumi/outputsReader";
import { parseSiteOutputs } from "../../../infra/pulumi/stackOutputs";
import { resolveSide } from "../../../infra/aws/sides";
import { FakePulumiCommand } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";

const drOutputs = {
    accountId: "222222222222",
    region: "us-west-2",
    role: "dr",
    bucketName: "lustre-dr-dr-222222222222",
    bucketArn: "arn:aws:s3:::lustre-dr-dr-222222222222",
    replicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-replication",
    batchReplicationRoleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-batch-replication",
    replicationGrantedTo: ["arn:aws:iam::111111111111:role/lustre-dr-primary-replication"],
    replicationStatus: "active",
};

describe("infra/pulumi/stackOutputs", () => {
    let project: TempProject;
    beforeEach(() => {
        project = tempProject();
    });
    afterEach(() => project.remove());

    it("reads a stack's outputs with the CLI (masked, then with secrets) and validates them", async () => {
        const fake = new FakePulumiCommand({});
        fake.addStack("dr");
        fake.stacks.get("dr")!.outputs = drOutputs;
        const read = createStackOutputsReader({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

        const outputs = await read("dr");

        // Outputs of a stack deployed before objectLockEnabled was exported read as "no Object Lock".
        expect(outputs).to.deep.equal({ ...drOutputs, objectLockEnabled: false });
        expect(fake.invocations.filter((args) => args[0] === "stack")).to.deep.equal([
            ["stack", "select", "--stack", "dr"],
            ["stack", "output", "--json", "--stack", "dr"],
            ["stack", "output", "--json", "--show-secrets", "--stack", "dr"],
        ]);
    });

    it("is the reader resolveSide takes for --dr-stack", async () => {
        const fake = new FakePulumiCommand({});
        fake.addStack("dr-west");
        fake.stacks.get("dr-west")!.outputs = drOutputs;
        const read = createStackOutputsReader({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

        const side = await resolveSide("dr", { drStack: "dr-west" }, read);

        expect(side).to.include({ role: "dr", bucketName: "lustre-dr-dr-222222222222", region: "us-west-2" });
    });

    it("says a stack without outputs has not been deployed", () => {
        expect(() => parseSiteOutputs("dr", {})).to.throw(/stack dr has no outputs yet: deploy it/);
    });

    it("names every field that breaks the contract", () => {
        const broken = { ...drOutputs, accountId: "2222", replicationStatus: "paused", batchReplicationRoleArn: undefined };
        expect(() => parseSiteOutputs("dr", broken)).to.throw(/stack dr exports outputs that do not follow.*accountId.*batchReplicationRoleArn.*replicationStatus/);
    });

    it("takes repositories only as plain paths and prefixes (they reach the drill's scripts and canary keys)", () => {
        const withRepositories = (dataRepositories: unknown) => parseSiteOutputs("dr", { ...drOutputs, dataRepositories });
        expect(withRepositories([{ fileSystemPath: "/projects", repositoryPrefix: "projects/" }, { fileSystemPath: "/s3", repositoryPrefix: "" }]).dataRepositories).to.have.length(2);
        for (const forged of [
            { fileSystemPath: "/x';rm -rf /;'", repositoryPrefix: "x/" },
            { fileSystemPath: "/../etc", repositoryPrefix: "x/" },
            { fileSystemPath: "/x", repositoryPrefix: "../" },
            { fileSystemPath: "/x", repositoryPrefix: ".lustre-dr/" },
            { fileSystemPath: "/x", repositoryPrefix: "no-slash" },
        ]) {
            expect(() => withRepositories([forged]), JSON.stringify(forged)).to.throw(/dataRepositories/);
        }
    });
});
