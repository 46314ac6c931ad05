import { expect } from "chai";
import { detachedKey } from "../../infra/lifecycle/freeze";
import { activationConfig } from "../../infra/lifecycle/recover";
import { planStacks } from "../../infra/plan/run";
import { parseSiteConfig, RawSiteConfig } from "../../stacks/config";
import { lustreDrProgram } from "../../stacks/program";
import { createdOnRecovery } from "../../stacks/site";
import { readStackConfigFile, stackConfigPath } from "../../stacks/stackConfigFile";
import { MockedRun, publicAmiInvokes, runWithMocks } from "../support/pulumiMocks";

const clientType = "lustre-dr:filesystem:LustreClient";
const instanceType = "aws:ec2/instance:Instance";
const fileSystemType = "aws:fsx/lustreFileSystem:LustreFileSystem";

/** Pulumi.dr.yaml as shipped, with clients declared ahead of an incident. */
const drWithClients: RawSiteConfig = {
    ...readStackConfigFile(stackConfigPath("dr")),
    clients: [
        { name: "render-1", kind: "instance", instanceType: "c6i.2xlarge", mountPoint: "/mnt/lustre" },
        { name: "render-2", kind: "instance" },
    ],
};

/** `pulumi config set-all --path` on raw config: `lustre-dr:lustre.enabled=true` sets `lustre.enabled` to true. */
function withPathConfig(raw: RawSiteConfig, settings: Record<string, { value: string }>): RawSiteConfig {
    const next = structuredClone({ ...raw }) as Record<string, unknown>;
    for (const [key, { value }] of Object.entries(settings)) {
        const [top, ...path] = key.replace(/^lustre-dr:/, "").split(".");
        let node = (next[top] ??= {}) as Record<string, unknown>;
        for (const part of path.slice(0, -1)) {
            node = (node[part] ??= {}) as Record<string, unknown>;
        }
        node[path[path.length - 1]] = JSON.parse(value) as unknown;
    }
    return next as RawSiteConfig;
}

function deployDr(raw: RawSiteConfig): Promise<MockedRun<unknown>> {
    return runWithMocks(() => lustreDrProgram(raw, { versioningHistory: async () => "unknown" }), { stack: "dr", world: { invokes: publicAmiInvokes } });
}

describe("dr clients declared ahead of an incident (pilot light)", () => {
    it("are accepted while lustre.enabled is false, and nothing is declared for them", async () => {
        const config = parseSiteConfig(drWithClients, { organization: "organization", project: "lustre-dr", stack: "dr" });
        expect(config.lustre.enabled).to.equal(false);
        expect(config.clients.map((c) => c.name)).to.deep.equal(["render-1", "render-2"]);
        const run = await deployDr(drWithClients);
        expect(run.ofType(clientType)).to.be.empty;
        expect(run.ofType(instanceType)).to.be.empty;
        expect(run.ofType(fileSystemType)).to.be.empty;
    });

    it("appear in plan as created on recovery", async () => {
        expect(createdOnRecovery(parseSiteConfig(drWithClients, { organization: "o", project: "lustre-dr", stack: "dr" }))).to.deep.equal([
            "file system PERSISTENT_2 SSD 1200 GiB, in a new network 10.80.0.0/16: created on recovery",
            "client render-1 (instance c6i.2xlarge, al2023, mounted at /mnt/lustre): created on recovery",
            "client render-2 (instance m6i.large, al2023, mounted at /fsx): created on recovery",
        ]);
        const [plan] = await planStacks({ configs: { primary: readStackConfigFile(stackConfigPath("primary")), dr: drWithClients } }, ["dr"]);
        expect(plan.onRecovery).to.have.length(3);
        expect(plan.resources.filter((r) => r.type === clientType)).to.be.empty;
        const [primaryPlan] = await planStacks({ configs: { primary: readStackConfigFile(stackConfigPath("primary")), dr: drWithClients } }, ["primary"]);
        expect(primaryPlan.onRecovery).to.equal(undefined);
    });

    it("come up with the file system when recover sets what it sets (detached, then lustre.enabled=true)", async () => {
        const recovered = withPathConfig(withPathConfig(drWithClients, { [detachedKey]: { value: "true" } }), activationConfig());
        expect((recovered.lustre as { enabled: unknown }).enabled).to.equal(true);
        const run = await deployDr(recovered);
        expect(run.ofType(fileSystemType)).to.have.length(1);
        expect(run.ofType(clientType).map((r) => r.name)).to.deep.equal(["client-render-1", "client-render-2"]);
        const instances = run.ofType(instanceType);
        expect(instances.map((r) => r.inputs.instanceType)).to.deep.equal(["c6i.2xlarge", "m6i.large"]);
        // in the network the recovery created, mounting the new file system at each client's mount point
        expect(instances.every((r) => r.inputs.subnetId === "network-private-id")).to.equal(true);
        expect(String(instances[0].inputs.userData)).to.include(" /mnt/lustre lustre ");
    });
});
