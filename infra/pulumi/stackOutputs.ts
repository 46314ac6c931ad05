/**
 * Reads a stack's outputs through the Automation API and checks them against the outputs contract
 * (stacks/outputs.ts) before any command acts on them: a bucket name or role ARN taken from a stack
 * that does not follow the contract could point an operation at the wrong bucket.
 */
import { z } from "zod";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { peerOutputsSchema } from "../../stacks/peer";
import { ReplicationStatus, replicationStatuses, SiteOutputs } from "../../stacks/outputs";
import type { LustreDrWorkspace } from "./workspace";

const optionalText = z.string().min(1).optional();

/** The whole contract: what the peer reads (stacks/peer.ts) plus what operators and the CLI read. */
export const siteOutputsSchema = peerOutputsSchema.extend({
    role: z.enum(["primary", "dr"]),
    batchReplicationRoleArn: z.string().startsWith("arn:"),
    restoreBatchRoleArn: z.string().startsWith("arn:").optional(),
    replicationStatus: z.enum(replicationStatuses as [ReplicationStatus, ...ReplicationStatus[]]),
    fileSystemId: optionalText,
    fileSystemDnsName: optionalText,
    fileSystemMountName: optionalText,
    dataRepositoryAssociationId: optionalText,
    dataRepositoryAssociationIds: z.array(z.string().regex(/^dra-[0-9a-f]+$/)).min(1).optional(),
    dataRepositories: z
        // both end up in the drill's shell scripts and canary keys: plain paths and prefixes only
        .array(z.object({ fileSystemPath: z.string().regex(/^\/[A-Za-z0-9._\/-]*$/).refine((p) => !p.split("/").includes("..")), repositoryPrefix: z.string().regex(/^$|^(?!\.lustre-dr\/)(?:(?!\.{1,2}\/)[A-Za-z0-9!_.*'()-]+\/)+$/) }))
        .min(1)
        .optional(),
    mountCommand: optionalText,
    alarmTopicArn: z.string().startsWith("arn:").optional(),
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/).optional(),
    subnetId: z.string().regex(/^subnet-[0-9a-f]+$/).optional(),
    securityGroupId: z.string().regex(/^sg-[0-9a-f]+$/).optional(),
    clientInstanceIds: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.string().regex(/^i-[0-9a-f]+$/)).optional(),
});

/** Plain values of an Automation API output map (secrets are already decrypted by `--show-secrets`). */
export function outputValues(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
}

/** Validates one stack's outputs, naming the stack and every field that breaks the contract. */
export function parseSiteOutputs(stackName: string, values: Record<string, unknown>): SiteOutputs {
    if (Object.keys(values).length === 0) {
        throw new Error(`stack ${stackName} has no outputs yet: deploy it with \`lustre-dr deploy\` first`);
    }
    const parsed = siteOutputsSchema.safeParse(values);
    if (!parsed.success) {
        const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")} (${issue.message})`).join(", ");
        throw new Error(`stack ${stackName} exports outputs that do not follow the lustre-dr outputs contract: ${fields}`);
    }
    const outputs: SiteOutputs = parsed.data;
    return outputs;
}

/** Outputs of an already selected stack in an open workspace. */
export async function readOutputsOf(workspace: LustreDrWorkspace, stackName: string): Promise<SiteOutputs> {
    const stack = await workspace.selectStack(stackName);
    return parseSiteOutputs(stackName, outputValues(await stack.outputs()));
}
