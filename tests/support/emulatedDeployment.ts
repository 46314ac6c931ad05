/**
 * Stands in for the Pulumi engine applying the program to AWS, for tests that drive the CLI through the fake Pulumi CLI
 * (tests/support/fakePulumi.ts) and then look at AWS (the moto emulator). After every fake `up`, it makes the side's
 * bucket in its emulator what the program would make it from that stack's outputs: versioning, encryption, the bucket
 * policy from components/policyDocuments.ts and the replication rule from components/replicationRule.ts.
 *
 * The fake's stacks use SSE-S3 (they export no `kmsKeyArn`), so the emulated buckets do too.
 *
 * Two things moto 5.2.5 cannot hold faithfully are kept here, for tests to answer S3's reads with:
 * - the replication configuration: moto answers GetBucketReplication with `DeleteMarkerReplication: Disabled` and
 *   without `SourceSelectionCriteria`, whatever was put (moto/s3/responses.py, get_bucket_replication);
 * - the bucket policy's TLS-only statement: moto applies a Deny to object requests without evaluating its condition
 *   (moto/iam/access_control.py, _check_conditions has no `aws:SecureTransport`), so over the emulator's plain HTTP
 *   it would deny every object request. moto holds the policy without it; `policies` holds the whole document.
 */
import {
    BucketLocationConstraint,
    CreateBucketCommand,
    DeleteBucketReplicationCommand,
    PutBucketEncryptionCommand,
    PutBucketPolicyCommand,
    PutBucketReplicationCommand,
    PutBucketVersioningCommand,
    ReplicationConfiguration,
    ReplicationRule,
    S3Client,
} from "@aws-sdk/client-s3";
import { bucketPolicy, PolicyDocument } from "../../components/policyDocuments";
import { replicationRule } from "../../components/replicationRule";
import type { SideRole } from "../../infra/aws/sides";
import type { SiteOutputs } from "../../stacks/outputs";
import { emulatorCredentials, MotoServer } from "../emulator/moto";
import type { FakePulumiCommand } from "./fakePulumi";
import { valueOf } from "./pulumiMocks";

/** S3's spelling of a provider-shaped value: `destination.replicaKmsKeyId` -> `Destination.ReplicaKmsKeyID`. */
export function toS3Shape(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(toS3Shape);
    }
    if (value === null || typeof value !== "object") {
        return value;
    }
    const renamed: Record<string, string> = { id: "ID", replicaKmsKeyId: "ReplicaKmsKeyID" };
    return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .map(([key, v]) => [renamed[key] ?? key.charAt(0).toUpperCase() + key.slice(1), toS3Shape(v)]),
    );
}

export class EmulatedDeployment {
    /** Replication configurations as the program puts them, by bucket. */
    readonly replication = new Map<string, ReplicationConfiguration>();
    /** Bucket policies as the program puts them, by bucket (JSON, as GetBucketPolicy returns them). */
    readonly policies = new Map<string, string>();

    constructor(
        private readonly fake: FakePulumiCommand,
        private readonly servers: Record<SideRole, MotoServer>,
    ) {
        const run = fake.run.bind(fake);
        fake.run = async (args, cwd, env, onOutput) => {
            const result = await run(args, cwd, env, onOutput);
            if (args[0] === "up") {
                await this.apply(args[args.indexOf("--stack") + 1]);
            }
            return result;
        };
    }

    /** The outputs of every stack that has been deployed. */
    deployed(): SiteOutputs[] {
        return [...this.fake.stacks.values()].map((stack) => stack.outputs as unknown as SiteOutputs).filter((o) => o.bucketName !== undefined);
    }

    private client(outputs: SiteOutputs): S3Client {
        return new S3Client({
            region: outputs.region,
            endpoint: this.servers[outputs.role as SideRole].endpoint,
            forcePathStyle: true,
            credentials: emulatorCredentials,
        });
    }

    async apply(stackName: string): Promise<void> {
        const outputs = this.fake.stacks.get(stackName)?.outputs as unknown as SiteOutputs | undefined;
        if (!outputs?.bucketName) {
            return;
        }
        const s3 = this.client(outputs);
        const Bucket = outputs.bucketName;
        try {
            await s3
                .send(
                    new CreateBucketCommand({
                        Bucket,
                        ...(outputs.region === "us-east-1"
                            ? {}
                            : { CreateBucketConfiguration: { LocationConstraint: outputs.region as BucketLocationConstraint } }),
                    }),
                )
                .catch((error: Error) => {
                    if (error.name !== "BucketAlreadyOwnedByYou") {
                        throw error;
                    }
                });
            await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
            await s3.send(
                new PutBucketEncryptionCommand({
                    Bucket,
                    ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
                }),
            );
            const policy = (await valueOf(
                bucketPolicy({ bucketArn: outputs.bucketArn, peerReplicationRoleArn: outputs.replicationGrantedTo[0] }),
            )) as PolicyDocument;
            this.policies.set(Bucket, JSON.stringify(policy));
            const enforceable = { ...policy, Statement: policy.Statement.filter((statement) => statement.Sid !== "DenyInsecureTransport") };
            await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(enforceable) }));

            const peer = this.deployed().find((o) => o.role !== outputs.role);
            if (outputs.replicationStatus === "active" && peer) {
                const rule = replicationRule({
                    destinationBucketArn: peer.bucketArn,
                    destinationAccountId: peer.accountId !== outputs.accountId ? peer.accountId : undefined,
                    sourceUsesKms: false,
                    replicationTimeControl: true,
                });
                const configuration: ReplicationConfiguration = { Role: outputs.replicationRoleArn, Rules: [toS3Shape(rule) as ReplicationRule] };
                await s3.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration: configuration }));
                this.replication.set(Bucket, configuration);
            } else {
                await s3.send(new DeleteBucketReplicationCommand({ Bucket }));
                this.replication.delete(Bucket);
            }
        } finally {
            s3.destroy();
        }
    }
}
