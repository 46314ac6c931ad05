/**
 * Which server-side encryption a side's versions must have, and what a copy made by lustre-dr is written with.
 *
 * Why encryption is part of an object's identity: whoever controls an account can copy every object onto itself
 * under a KMS key they own (`CopyObject` in place with `SSEKMSKeyId`): bytes, checksum and metadata stay the same, a
 * new version is written, and once they disable or schedule the deletion of their key the data cannot be read. A
 * version under a key that is not the side's own is therefore not "the same object", and lustre-dr's own copies name
 * the side's key instead of trusting the bucket's default encryption (the same attacker can change that default).
 *
 * The expected encryption is known only from a side's stack outputs (`kmsKeyArn` for SSE_KMS, none for SSE_S3); a
 * bucket named by flags has none, and the commands say that its encryption was not checked against the stack.
 */
import type { SiteOutputs } from "../../stacks/outputs";
import { UsageError } from "../output";

/** What a side's versions must be encrypted with. */
export type ExpectedEncryption =
    /** SSE-KMS with the side's own customer managed key (the stack's `kmsKeyArn`). */
    | { readonly algorithm: "aws:kms"; readonly kmsKeyArn: string }
    /** SSE-S3: keys S3 owns, which no account can disable or delete. */
    | { readonly algorithm: "AES256" };

/** How one version is encrypted, as its `HeadObject` says. */
export interface ObjectEncryption {
    /** `AES256` (SSE-S3), `aws:kms` (SSE-KMS), `aws:kms:dsse` (DSSE-KMS); absent: S3 reported none. */
    readonly algorithm?: string;
    /** The KMS key's ARN (S3 reports the ARN even when the write named the key by id or alias). */
    readonly kmsKeyId?: string;
}

const keyArnPattern = /^arn:([^:]+):kms:([^:]+):(\d{12}):key\/([^/*?\s]+)$/;

/**
 * The encryption a side's stack promises, or `undefined` without stack outputs. Refuses a `kmsKeyArn` that is not a
 * key of the side's own account and region: a forged output naming an outside key would otherwise make lustre-dr
 * accept, and write, versions under that key.
 */
export function expectedEncryption(outputs: Pick<SiteOutputs, "accountId" | "region" | "kmsKeyArn" | "bucketName"> | undefined): ExpectedEncryption | undefined {
    if (outputs === undefined) {
        return undefined;
    }
    if (outputs.kmsKeyArn === undefined) {
        return { algorithm: "AES256" };
    }
    const parts = keyArnPattern.exec(outputs.kmsKeyArn);
    if (!parts || parts[3] !== outputs.accountId || parts[2] !== outputs.region) {
        throw new UsageError(
            `the stack of bucket ${outputs.bucketName} exports kmsKeyArn ${JSON.stringify(outputs.kmsKeyArn)}: expected a KMS key ARN ` +
                `(arn:<partition>:kms:${outputs.region}:${outputs.accountId}:key/<id>) of the stack's own account ${outputs.accountId} and region ${outputs.region}`,
        );
    }
    return { algorithm: "aws:kms", kmsKeyArn: outputs.kmsKeyArn };
}

/** The encryption facts of a `HeadObject` response. */
export function encryptionOf(head: { readonly ServerSideEncryption?: string; readonly SSEKMSKeyId?: string }): ObjectEncryption {
    return {
        ...(head.ServerSideEncryption !== undefined && head.ServerSideEncryption !== "" ? { algorithm: head.ServerSideEncryption } : {}),
        ...(head.SSEKMSKeyId !== undefined && head.SSEKMSKeyId !== "" ? { kmsKeyId: head.SSEKMSKeyId } : {}),
    };
}

/**
 * Two encryptions are the same when the algorithm and the KMS key are. The S3 Bucket Key flag is not compared: it
 * changes how often S3 calls KMS, not which key can decrypt the data.
 */
export function sameEncryption(a: ObjectEncryption, b: ObjectEncryption): boolean {
    return (a.algorithm ?? "") === (b.algorithm ?? "") && (a.kmsKeyId ?? "") === (b.kmsKeyId ?? "");
}

/**
 * Whether a version's encryption is the expected one. On an SSE-S3 side a version S3 reports no encryption for is
 * accepted too: S3 has encrypted every new object since January 2023, so it is older than that (or an emulator's),
 * and like SSE-S3 it has no key anyone could disable.
 */
export function isExpected(encryption: ObjectEncryption, expected: ExpectedEncryption): boolean {
    if (expected.algorithm === "AES256") {
        return sameEncryption(encryption, { algorithm: "AES256" }) || sameEncryption(encryption, {});
    }
    return sameEncryption(encryption, { algorithm: "aws:kms", kmsKeyId: expected.kmsKeyArn });
}

/** `SSE-KMS arn:aws:kms:...`, `SSE-S3 (AES256)`, `none`: one value for an operator. */
export function describeEncryption(encryption: ObjectEncryption | ExpectedEncryption): string {
    const algorithm = encryption.algorithm;
    const key = "kmsKeyArn" in encryption ? encryption.kmsKeyArn : "kmsKeyId" in encryption ? encryption.kmsKeyId : undefined;
    if (algorithm === undefined) return "none";
    if (algorithm === "AES256") return "SSE-S3 (AES256)";
    const name = algorithm === "aws:kms" ? "SSE-KMS" : algorithm === "aws:kms:dsse" ? "DSSE-KMS" : algorithm;
    return key === undefined ? `${name} (no key reported)` : `${name} ${key}`;
}

/**
 * The encryption headers of a copy lustre-dr writes (CopyObject, CreateMultipartUpload): the side's own key when it
 * is known, so that a bucket default changed by an attacker, or the source version's key, is never carried forward;
 * without it, none (S3 then applies the bucket's default encryption).
 */
export function copyEncryption(expected: ExpectedEncryption | undefined): {
    ServerSideEncryption?: "aws:kms" | "AES256";
    SSEKMSKeyId?: string;
    BucketKeyEnabled?: boolean;
} {
    if (expected === undefined) return {};
    if (expected.algorithm === "AES256") return { ServerSideEncryption: "AES256" };
    // The stack's bucket encryption enables S3 Bucket Keys (components/replicatedBucket.ts): copies match it.
    return { ServerSideEncryption: "aws:kms", SSEKMSKeyId: expected.kmsKeyArn, BucketKeyEnabled: true };
}
