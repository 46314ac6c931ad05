/**
 * compare holds each side's versions to that side's own encryption (its stack's KMS key), against two moto servers:
 * moto reports ServerSideEncryption and SSEKMSKeyId on HEAD and applies a bucket's default SSE-KMS to PutObject. Each
 * side gets its own key, as replicas are re-encrypted under the destination's key.
 */
import { CopyObjectCommand, PutBucketEncryptionCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { CompareSide, compareBuckets } from "../../../infra/compare/compare";
import { compareKeyAcross } from "../../../infra/compare/key";
import { describeCompare } from "../../../infra/compare/report";
import type { ExpectedEncryption } from "../../../infra/restore/encryption";
import { emulatorPair } from "../../emulator/moto";
import { EmulatedBucketPair, emulatedBucketPair } from "../../emulator/replicationCopier";
import { createKmsKey } from "../../support/kms";

type Role = "primary" | "dr";

describe("infra/compare: each side's encryption (moto)", function () {
    this.timeout(60_000);
    let buckets: EmulatedBucketPair;
    let keys: Record<Role | "attacker", string>;

    beforeEach(async () => {
        buckets = await emulatedBucketPair(await emulatorPair(), "kmsid", { replication: false });
        keys = {
            primary: await createKmsKey(buckets.primary.endpoint, buckets.primary.region, "primary"),
            dr: await createKmsKey(buckets.dr.endpoint, buckets.dr.region, "dr"),
            attacker: await createKmsKey(buckets.primary.endpoint, buckets.primary.region, "attacker"),
        };
        for (const role of ["primary", "dr"] as const) {
            await buckets[role].client.send(
                new PutBucketEncryptionCommand({
                    Bucket: buckets[role].bucket,
                    ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keys[role] }, BucketKeyEnabled: true }] },
                }),
            );
        }
    });

    const side = (role: Role, expected?: ExpectedEncryption): CompareSide => ({
        side: role,
        client: buckets[role].client,
        bucket: buckets[role].bucket,
        region: buckets[role].region,
        ...(expected ? { expectedEncryption: expected } : {}),
    });
    const own = (role: Role): ExpectedEncryption => ({ algorithm: "aws:kms", kmsKeyArn: keys[role] });
    const putBoth = async (key: string) => {
        for (const role of ["primary", "dr"] as const) {
            await buckets[role].client.send(new PutObjectCommand({ Bucket: buckets[role].bucket, Key: key, Body: `contents of ${key}`, Metadata: { "file-permissions": "0100644" } }));
        }
    };
    const reencrypt = (role: Role, key: string, kmsKey: string) =>
        buckets[role].client.send(
            new CopyObjectCommand({ Bucket: buckets[role].bucket, Key: key, CopySource: `${buckets[role].bucket}/${key}`, MetadataDirective: "COPY", ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKey }),
        );

    it("is identical when each side's versions are under that side's own key (the keys differ between the sides)", async () => {
        await putBoth("a.txt");
        await putBoth("dir/b.bin");
        const result = await compareBuckets(side("primary", own("primary")), side("dr", own("dr")));
        expect(result.verdict).to.equal("identical");
        expect(result.expectedEncryption).to.deep.equal({ primary: own("primary"), dr: own("dr") });
        expect(describeCompare(result)).to.include(`encryption: primary versions held to SSE-KMS ${keys.primary}; dr versions held to SSE-KMS ${keys.dr}`);
    });

    it("finds a key the attacker re-encrypted on the primary under their own key, even while its copy is still replicating", async () => {
        await putBoth("a.txt");
        await putBoth("home/alice/thesis.tex");
        await reencrypt("primary", "home/alice/thesis.tex", keys.attacker);
        const pending = async () => "PENDING";
        const result = await compareBuckets(side("primary", own("primary")), side("dr", own("dr")), { replicationStatus: pending });
        expect(result.verdict).to.equal("differs");
        expect(result).to.include({ same: 1, pending: 0 });
        expect(result.differing.changed).to.equal(1);
        const [divergence] = result.first;
        expect(divergence).to.include({ key: "home/alice/thesis.tex", kind: "changed" });
        expect(divergence.kind === "changed" && divergence.differences).to.deep.equal([
            {
                aspect: "encryption",
                name: `encryption on the primary side (expected SSE-KMS ${keys.primary})`,
                atT: `SSE-KMS ${keys.attacker}`,
                now: `SSE-KMS ${keys.dr}`,
            },
        ]);
        expect(describeCompare(result)).to.include(`"home/alice/thesis.tex": encryption on the primary side (expected SSE-KMS ${keys.primary}): primary "SSE-KMS ${keys.attacker}"`);

        // status --sample's path: no listing, each side's current version read by HEAD.
        const sampled = await compareKeyAcross(side("primary", own("primary")), side("dr", own("dr")), "home/alice/thesis.tex", { tags: true });
        expect(sampled).to.include({ kind: "changed" });

        // Buckets named by flags: no stack says which key is whose, so nothing is held to one, and the report says so.
        const unchecked = await compareBuckets(side("primary"), side("dr"));
        expect(unchecked.verdict).to.equal("identical");
        expect(unchecked.expectedEncryption).to.deep.equal({});
        expect(describeCompare(unchecked)).to.include("encryption: not checked");
    });

    it("finds a dr version under a key that is not the dr side's (a replication rule rewritten to name the attacker's key)", async () => {
        await putBoth("x");
        await reencrypt("dr", "x", keys.primary);
        const result = await compareBuckets(side("primary", own("primary")), side("dr", own("dr")));
        expect(result.verdict).to.equal("differs");
        const [divergence] = result.first;
        expect(divergence.kind === "changed" && divergence.differences.map((d) => d.name)).to.deep.equal([`encryption on the dr side (expected SSE-KMS ${keys.dr})`]);
        // Held only on the side whose stack is known.
        expect((await compareBuckets(side("primary", own("primary")), side("dr"))).verdict).to.equal("identical");
    });
});
