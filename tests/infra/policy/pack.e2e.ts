/**
 * The shipped pack, end to end: started the way `pulumi up --policy-pack infra/policy` starts it (Pulumi's
 * run-policy-pack runner, working directory infra/policy, dependencies from the root node_modules, ts-node
 * type-checking index.ts), then asked over the analyzer gRPC protocol what the engine asks at the end of an update.
 *
 * Not part of the unit suite (booting the pack type-checks it, which takes seconds); .ci/run runs it:
 *     npx mocha --no-config -r ts-node/register/transpile-only -r tests/hooks.ts tests/infra/policy/pack.e2e.ts
 */
import * as path from "path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { lustreDrPolicies } from "../../../infra/policy/policies";
import { types } from "../../../infra/policy/stackModel";
import { convergedPair } from "./pair";
import { broken, declare, recordOf, StackUnderPolicy } from "./policyHarness";
import { ServingPlugin, startPlugin } from "../../support/pulumiPlugin";

const packDir = path.join(__dirname, "..", "..", "..", "infra", "policy");

/** Starts the pack as `pulumi up --policy-pack` does. */
function startPack(): ServingPlugin {
    return startPlugin("@pulumi/pulumi/cmd/run-policy-pack", ["127.0.0.1:0", "."], packDir, "the policy pack");
}

/** One resource as the engine sends it in AnalyzeStack. */
function analyzerResources(under: StackUnderPolicy): analyzer.AnalyzerResource[] {
    return under.records.map((record) => {
        const resource = new analyzer.AnalyzerResource()
            .setType(record.type)
            .setName(record.name)
            .setUrn(record.urn)
            .setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(record.outputs))))
            .setOptions(new analyzer.AnalyzerResourceOptions().setProtect(record.protect).setCustomtimeouts(new analyzer.AnalyzerResourceOptions.CustomTimeouts()))
            .setDependenciesList(record.dependencies);
        if (record.parent) {
            resource.setParent(record.parent);
        }
        if (record.custom && record.type.startsWith("aws:")) {
            resource.setProvider(
                new analyzer.AnalyzerProviderResource()
                    .setType("pulumi:providers:aws")
                    .setName("default_7_x")
                    .setUrn(`urn:pulumi:${under.stack}::lustre-dr::pulumi:providers:aws::default_7_x`)
                    .setProperties(Struct.fromJavaScript({ region: under.region })),
            );
        }
        for (const [key, urns] of Object.entries(record.propertyDependencies)) {
            resource.getPropertydependenciesMap().set(key, new analyzer.AnalyzerPropertyDependencies().setUrnsList(urns));
        }
        return resource;
    });
}

describe("the policy pack served over the analyzer protocol", function () {
    this.timeout(120_000);
    let pack: ReturnType<typeof startPack>;
    let client: AnalyzerClient;

    before(async () => {
        pack = startPack();
        client = new AnalyzerClient(`127.0.0.1:${await pack.port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.process.kill();
    });

    function analyzeStack(under: StackUnderPolicy): Promise<analyzer.AnalyzeDiagnostic[]> {
        const request = new analyzer.AnalyzeStackRequest().setResourcesList(analyzerResources(under));
        return new Promise((resolve, reject) =>
            client.analyzeStack(request, (error, response) => (error ? reject(error) : resolve(response.getDiagnosticsList()))),
        );
    }

    it("serves every policy of the list as lustre-dr", async () => {
        const info = await new Promise<analyzer.AnalyzerInfo>((resolve, reject) =>
            client.getAnalyzerInfo(new Empty(), (error, response) => (error ? reject(error) : resolve(response))),
        );
        expect(info.getName()).to.equal("lustre-dr");
        expect(info.getPoliciesList().map((policy) => policy.getName())).to.deep.equal(lustreDrPolicies.map((policy) => policy.name));
    });

    it("finds nothing in the converged pair as shipped", async () => {
        const { primary, dr } = await convergedPair();
        expect((await analyzeStack(primary)).map((d) => d.getMessage())).to.deep.equal([]);
        expect((await analyzeStack(dr)).map((d) => d.getMessage())).to.deep.equal([]);
    });

    it("reports a mandatory violation on the resource when delete markers stop replicating", async () => {
        const { primary } = await convergedPair();
        const noDeleteMarkers = broken(primary, (records) =>
            declare(recordOf(records, types.replication), (props) => (props.rules[0].deleteMarkerReplication = { status: "Disabled" })),
        );
        const diagnostics = await analyzeStack(noDeleteMarkers);
        expect(diagnostics).to.have.length(1);
        expect(diagnostics[0].getPolicyname()).to.equal("replication-rules-for-dr");
        expect(diagnostics[0].getEnforcementlevel()).to.equal(analyzer.EnforcementLevel.MANDATORY);
        expect(diagnostics[0].getUrn()).to.equal(recordOf(noDeleteMarkers.records, types.replication).urn);
        expect(diagnostics[0].getMessage()).to.contain('set deleteMarkerReplication.status "Enabled"');
    });

    it("in a preview, relates resources whose bucket id is unknown, and defers only the checks that need unknown values", async () => {
        // How the engine marks a value a preview does not know yet (e.g. the id or ARN of a bucket not created yet).
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const { primary } = await convergedPair();
        const preview = broken(primary, (records) => {
            for (const type of [types.versioning, types.publicAccessBlock, types.encryption, types.replication]) {
                recordOf(records, type).outputs.bucket = unknown;
            }
            recordOf(records, types.bucketPolicy).outputs.policy = unknown;
        });
        const diagnostics = await analyzeStack(preview);
        expect(diagnostics.map((d) => [d.getPolicyname(), d.getEnforcementlevel()])).to.deep.equal([
            ["replicated-bucket-tls-only", analyzer.EnforcementLevel.ADVISORY],
        ]);
        expect(diagnostics[0].getMessage()).to.contain("can't run policy 'replicated-bucket-tls-only'").and.contain("during preview");
    });
});
