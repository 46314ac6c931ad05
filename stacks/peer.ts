/**
 * Reads the peer side's outputs through one StackReference, as plain values (README.md, "The replication handshake").
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { PeerOutputs } from "./handshake";

/** The outputs a peer must export to be replicated with; infra/pulumi/stackOutputs.ts extends it to the whole contract. */
export const peerOutputsSchema = z.object({
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    bucketName: z.string().min(1),
    bucketArn: z.string().startsWith("arn:"),
    kmsKeyArn: z.string().startsWith("arn:").optional(),
    replicationRoleArn: z.string().startsWith("arn:"),
    batchReplicationRoleArn: z.string().startsWith("arn:").optional(),
    replicationGrantedTo: z.array(z.string()).default([]),
    objectLockEnabled: z.boolean().default(false),
});

const outputNames = Object.keys(peerOutputsSchema.shape) as (keyof PeerOutputs)[];

/**
 * The peer's outputs, or undefined while the peer stack exists but has not exported a bucket yet.
 * A peer whose outputs do not match the contract is an error: replicating to a half-understood peer could
 * send data to the wrong place.
 */
export async function readPeerOutputs(peerStack: string, opts?: pulumi.CustomResourceOptions): Promise<PeerOutputs | undefined> {
    const reference = new pulumi.StackReference("peer", { name: peerStack }, opts);
    const values: Record<string, unknown> = {};
    for (const name of outputNames) {
        const details = await reference.getOutputDetails(name);
        values[name] = details.value ?? details.secretValue;
    }
    if (values.bucketArn === undefined) {
        return undefined;
    }
    const parsed = peerOutputsSchema.safeParse(values);
    if (!parsed.success) {
        const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")} (${issue.message})`).join(", ");
        throw new Error(`peer stack ${peerStack} exports outputs lustre-dr cannot use: ${fields}`);
    }
    return parsed.data;
}
