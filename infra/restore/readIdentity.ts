/**
 * Reads just enough about two versions of a key to decide whether they are the same object (identity.ts), in
 * stages from cheap to dear: the listing's facts (free), then one `HeadObject` per version, then one
 * `GetObjectTagging` per version only when nothing differs yet (HEAD's tag count can show different counts, never
 * equal tags). A stage runs only while nothing differs yet, unless every difference is wanted (`exhaustive`, for
 * `restore --verify`).
 */
import { GetObjectTaggingCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { compareIdentity, headFacts, IdentityComparison, ObjectIdentity, tagMap } from "./identity";

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
}

function listed(version: ListedVersion): ObjectIdentity {
    return {
        size: version.size,
        ...(version.eTag !== undefined ? { eTag: version.eTag } : {}),
        ...(version.storageClass !== undefined ? { storageClass: version.storageClass } : {}),
    };
}

/**
 * Compares the version at T of `key` with its current version. The result has no `unread` aspects: whatever the
 * listing could not decide was read.
 */
export async function compareVersions(
    client: S3Client,
    bucket: string,
    key: string,
    atT: ListedVersion,
    now: ListedVersion,
    options: CompareVersionsOptions = {},
): Promise<IdentityComparison> {
    const { signal, exhaustive = false, reads } = options;
    let a = listed(atT);
    let b = listed(now);
    let comparison = compareIdentity(a, b);
    const settled = () => comparison.unread.length === 0 || (!exhaustive && comparison.differences.length > 0);
    if (settled()) {
        return comparison;
    }
    const head = async (versionId: string) => {
        if (reads) reads.head++;
        return headFacts(await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, ChecksumMode: "ENABLED" }), { abortSignal: signal }));
    };
    const [headAtT, headNow] = await Promise.all([head(atT.versionId), head(now.versionId)]);
    a = { ...a, head: headAtT };
    b = { ...b, head: headNow };
    comparison = compareIdentity(a, b);
    if (settled()) {
        return comparison;
    }
    const tags = async (versionId: string) => {
        if (reads) reads.tagging++;
        return tagMap((await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }), { abortSignal: signal })).TagSet);
    };
    const [tagsAtT, tagsNow] = await Promise.all([tags(atT.versionId), tags(now.versionId)]);
    return compareIdentity({ ...a, tags: tagsAtT }, { ...b, tags: tagsNow });
}
