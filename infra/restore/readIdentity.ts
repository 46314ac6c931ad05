/**
 * Reads just enough about two versions of a key to decide whether they are the same object (identity.ts), in
 * stages from cheap to dear: the listing's facts (free), then one `HeadObject` per version, then one
 * `GetObjectTagging` per version only when nothing differs yet (HEAD's tag count can show different counts, never
 * equal tags). A stage runs only while nothing differs yet, unless every difference is wanted (`exhaustive`, for
 * `restore --verify`). The two versions may live in different buckets reached with different credentials (`compare`
 * reads one version on each side of the pair).
 */
import { GetObjectTaggingCommand, HeadObjectCommand, HeadObjectCommandOutput, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { describeEncryption, encryptionOf } from "./encryption";
import { compareIdentity, headFacts, IdentityComparison, IdentityDifference, IdentityOptions, ObjectIdentity, tagMap } from "./identity";

/** One version as listed. */
export interface ListedVersion {
    readonly versionId: string;
    readonly size: number;
    readonly eTag?: string;
    readonly storageClass?: string;
}

/** Requests spent deciding identity; the caller passes one object to add to across keys. */
export interface IdentityReads {
    head: number;
    tagging: number;
}

export interface CompareVersionsOptions {
    readonly signal?: AbortSignal;
    /** Read every stage even after a difference is found, to report all differences. @default false */
    readonly exhaustive?: boolean;
    /** Counts the reads made. */
    readonly reads?: IdentityReads;
    /** How encryption counts (identity.ts): within one bucket by default; `compare` passes `across`. */
    readonly identity?: IdentityOptions;
}

/** S3's `ExpectedBucketOwner` parameter, when an owner is expected. */
export function owner(expectedOwner: string | undefined): { ExpectedBucketOwner?: string } {
    return expectedOwner !== undefined ? { ExpectedBucketOwner: expectedOwner } : {};
}

function listed(version: ListedVersion): ObjectIdentity {
    return {
        size: version.size,
        ...(version.eTag !== undefined ? { eTag: version.eTag } : {}),
        ...(version.storageClass !== undefined ? { storageClass: version.storageClass } : {}),
    };
}

/** One version of `key` and where it lives: restore passes one bucket twice, `compare` the two buckets of the pair. */
export interface VersionAt {
    /** A client with the credentials, region and endpoint of the bucket's side. */
    readonly client: S3Client;
    readonly bucket: string;
    /** The account that must own the bucket (S3's `ExpectedBucketOwner` on each read). */
    readonly expectedOwner?: string;
    readonly version: ListedVersion;
    /** A `HeadObject` of this version already made (with `ChecksumMode: ENABLED`): it is not read again. */
    readonly head?: Omit<HeadObjectCommandOutput, "$metadata">;
}

export interface VersionsComparison extends IdentityComparison {
    /** The two `HeadObject` responses, when that stage ran (their `ReplicationStatus` tells whether a copy is in flight). */
    readonly heads?: readonly [Omit<HeadObjectCommandOutput, "$metadata">, Omit<HeadObjectCommandOutput, "$metadata">];
}

/**
 * Compares two versions of `key`, `a` and `b`, each read with its own client from its own bucket. The result has no
 * `unread` aspects: whatever the listing could not decide was read. Differences name `a`'s value `atT` and `b`'s
 * `now` (identity.ts's words; `compare` passes the primary as `a` and the dr side as `b`).
 */
export async function compareVersionsAcross(key: string, a: VersionAt, b: VersionAt, options: CompareVersionsOptions = {}): Promise<VersionsComparison> {
    const { signal, exhaustive = false, reads, identity = {} } = options;
    let identityA = listed(a.version);
    let identityB = listed(b.version);
    let comparison = compareIdentity(identityA, identityB, identity);
    const settled = () => comparison.unread.length === 0 || (!exhaustive && comparison.differences.length > 0);
    if (settled()) {
        return comparison;
    }
    const head = async (at: VersionAt) => {
        if (at.head) return at.head;
        if (reads) reads.head++;
        return at.client.send(new HeadObjectCommand({ Bucket: at.bucket, Key: key, VersionId: at.version.versionId, ChecksumMode: "ENABLED", ...owner(at.expectedOwner) }), { abortSignal: signal });
    };
    const answers = await Promise.allSettled([head(a), head(b)]);
    const customerKey = customerKeyDifference(answers);
    if (customerKey) {
        return { differences: [customerKey], unread: [] };
    }
    const heads = [settledValue(answers[0]), settledValue(answers[1])] as const;
    identityA = { ...identityA, head: headFacts(heads[0]) };
    identityB = { ...identityB, head: headFacts(heads[1]) };
    comparison = compareIdentity(identityA, identityB, identity);
    if (settled()) {
        return { ...comparison, heads };
    }
    const tags = async (at: VersionAt) => {
        if (reads) reads.tagging++;
        return tagMap((await at.client.send(new GetObjectTaggingCommand({ Bucket: at.bucket, Key: key, VersionId: at.version.versionId, ...owner(at.expectedOwner) }), { abortSignal: signal })).TagSet);
    };
    const [tagsA, tagsB] = await Promise.all([tags(a), tags(b)]);
    return { ...compareIdentity({ ...identityA, tags: tagsA }, { ...identityB, tags: tagsB }, identity), heads };
}

type HeadAnswer = PromiseSettledResult<Omit<HeadObjectCommandOutput, "$metadata">>;

function settledValue<T>(answer: PromiseSettledResult<T>): T {
    if (answer.status === "rejected") throw answer.reason;
    return answer.value;
}

/**
 * A version S3 will not even HEAD (400 Bad Request) while the other version of the comparison answers is encrypted
 * with a customer-provided key (SSE-C), which S3 does not keep: whoever wrote it holds the only key, the same
 * ransomware as a foreign KMS key. It is an encryption difference (restore then copies T's version back), not a
 * failed read that would leave it in place. Any other failure is thrown as before.
 */
function customerKeyDifference(answers: readonly [HeadAnswer, HeadAnswer]): IdentityDifference | undefined {
    const badRequest = (answer: HeadAnswer) => answer.status === "rejected" && (answer.reason as S3ServiceException).$metadata?.httpStatusCode === 400;
    const [a, b] = answers;
    if (badRequest(a) === badRequest(b)) {
        return undefined;
    }
    const unreadable = "unreadable without a customer-provided key (SSE-C?): HEAD answered 400";
    const readable = (answer: HeadAnswer) => (answer.status === "fulfilled" ? describeEncryption(encryptionOf(answer.value)) : unreadable);
    return { aspect: "encryption", name: "encryption", atT: readable(a), now: readable(b) };
}

/**
 * Compares the version at T of `key` with its current version, both in `bucket`. The result has no `unread`
 * aspects: whatever the listing could not decide was read.
 */
export async function compareVersions(
    client: S3Client,
    bucket: string,
    key: string,
    atT: ListedVersion,
    now: ListedVersion,
    options: CompareVersionsOptions = {},
): Promise<IdentityComparison> {
    const { differences, unread } = await compareVersionsAcross(key, { client, bucket, version: atT }, { client, bucket, version: now }, options);
    return { differences, unread };
}
