/**
 * What "the same object" means for restore, `restore --verify`, the batch restore and `compare`: two versions of a key
 * are the same object when they have the same content, user metadata, content headers, storage class, server-side
 * encryption and tags.
 *
 * Bytes alone are not enough. FSx for Lustre exports POSIX ownership, permissions and mtime as user metadata
 * (`x-amz-meta-file-owner`, `-file-group`, `-file-permissions`, `-file-mtime`), so an attacker's `chmod 777` or
 * `chown` changes only metadata; a content-type, storage-class or tag change leaves the bytes alone too. So does a
 * copy in place under a KMS key the attacker owns, which they can then disable: ransomware without touching a byte
 * (encryption.ts). Within one bucket the current version must have T's encryption or the side's own; across the two
 * sides of the pair the keys differ by design (replicas are re-encrypted under the destination's key), so there each
 * side's version is held to its own side's expected encryption instead ({@link encryptionAgainstExpected}).
 *
 * This module is pure: it compares what was read about two versions and says what differs, and which aspects could
 * not be compared with what was read (so the caller reads more: a HEAD, then the tags). Reading is done by
 * `readIdentity.ts`; deciding never needs more than the facts passed in here.
 */
import type { HeadObjectCommandOutput, Tag } from "@aws-sdk/client-s3";
import { describeEncryption, encryptionOf, ExpectedEncryption, isExpected, ObjectEncryption, sameEncryption } from "./encryption";

/** The parts of an object's identity, in the order they are compared (cheapest to observe first). */
export const identityAspects = ["content", "storage-class", "metadata", "content-headers", "encryption", "tags"] as const;
export type IdentityAspect = (typeof identityAspects)[number];

/** The content headers S3 stores with a version and a copy with `MetadataDirective: COPY` keeps. */
export const contentHeaderNames = ["Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"] as const;
export type ContentHeaderName = (typeof contentHeaderNames)[number];
export type ContentHeaders = Readonly<Partial<Record<ContentHeaderName, string>>>;

/** A checksum S3 stored with a version (`HeadObject` with `ChecksumMode: ENABLED`). */
export interface StoredChecksum {
    /** e.g. `CRC64NVME`, `SHA256`. */
    readonly algorithm: string;
    /** `FULL_OBJECT` or `COMPOSITE` (a multipart object's checksum of part checksums). */
    readonly type?: string;
    readonly value: string;
}

/** What one `HeadObject` (with `ChecksumMode: ENABLED`) tells about a version. */
export interface HeadFacts {
    /** User metadata (`x-amz-meta-*`), names lower-cased as S3 stores them, without the prefix. */
    readonly metadata: Readonly<Record<string, string>>;
    readonly contentHeaders: ContentHeaders;
    /** Empty when the version has no stored checksum. */
    readonly checksums: readonly StoredChecksum[];
    /** S3's `x-amz-tagging-count`, when it sent one (it omits it for a version without tags, and without permission). */
    readonly tagCount?: number;
    /** `ServerSideEncryption` and `SSEKMSKeyId`. */
    readonly encryption: ObjectEncryption;
}

/** What is known about one version: the listing's facts always, a HEAD's and the tags when they were read. */
export interface ObjectIdentity {
    readonly size: number;
    readonly eTag?: string;
    /** From the listing; absent means STANDARD (HEAD omits the header for STANDARD). */
    readonly storageClass?: string;
    /** Absent: not read yet. */
    readonly head?: HeadFacts;
    /** `GetObjectTagging`'s tag set; absent: not read yet. */
    readonly tags?: Readonly<Record<string, string>>;
}

/** One way the current version differs from the version at T. */
export interface IdentityDifference {
    readonly aspect: IdentityAspect;
    /** What differs: `size`, `ETag`, `checksum`, `x-amz-meta-file-permissions`, `Content-Type`, `tag owner`... */
    readonly name: string;
    /** The value at T; absent when the version at T had none. */
    readonly atT?: string;
    /** The value now; absent when the current version has none. */
    readonly now?: string;
}

/** How encryption counts in {@link compareIdentity}. */
export interface IdentityOptions {
    /**
     * `same-bucket` (restore, `restore --verify`: two versions of one bucket): the current version must have T's
     * encryption or `expected`. `across` (`compare`: one version on each side of the pair): not compared here, because
     * each side has its own key; {@link encryptionAgainstExpected} checks each side. @default "same-bucket"
     */
    readonly encryption?: "same-bucket" | "across";
    /**
     * The bucket's own encryption (its stack's), in `same-bucket` mode: a current version under it is not an encryption
     * difference even when T's version was written under another (before adoption, or a rotated key), so a restore's
     * copy, written under it, compares the same on a re-run. @default unknown: T's encryption only
     */
    readonly expected?: ExpectedEncryption;
}

export interface IdentityComparison {
    readonly differences: readonly IdentityDifference[];
    /** Aspects the facts passed in cannot decide: read more (HEAD for content/metadata/headers, then the tags). */
    readonly unread: readonly IdentityAspect[];
}

/** True only when everything was compared and nothing differs. */
export function sameObject(atT: ObjectIdentity, now: ObjectIdentity, options: IdentityOptions = {}): boolean {
    const { differences, unread } = compareIdentity(atT, now, options);
    return differences.length === 0 && unread.length === 0;
}

/**
 * Compares the version at T with the current version, aspect by aspect. Never guesses "same": an aspect the facts
 * cannot decide is returned as `unread`, and content that cannot be proved equal (different ETags and no common
 * stored checksum) is a difference, because copying it again is always safe and leaving it never is.
 */
export function compareIdentity(atT: ObjectIdentity, now: ObjectIdentity, options: IdentityOptions = {}): IdentityComparison {
    const differences: IdentityDifference[] = [];
    const unread: IdentityAspect[] = [];
    const content = compareContent(atT, now);
    if (content === "unread") unread.push("content");
    else differences.push(...content);

    const classAtT = normalStorageClass(atT.storageClass);
    const classNow = normalStorageClass(now.storageClass);
    if (classAtT !== classNow) {
        differences.push({ aspect: "storage-class", name: "storage class", atT: classAtT, now: classNow });
    }

    const withinBucket = (options.encryption ?? "same-bucket") === "same-bucket";
    if (atT.head && now.head) {
        differences.push(...compareMaps("metadata", "x-amz-meta-", atT.head.metadata, now.head.metadata));
        differences.push(...compareMaps("content-headers", "", atT.head.contentHeaders, now.head.contentHeaders));
        if (withinBucket) {
            differences.push(...compareEncryption(atT.head.encryption, now.head.encryption, options.expected));
        }
    } else {
        unread.push("metadata", "content-headers");
        if (withinBucket) unread.push("encryption");
    }

    const tags = compareTags(atT, now);
    if (tags === "unread") unread.push("tags");
    else differences.push(...tags);
    return { differences, unread };
}

function compareContent(atT: ObjectIdentity, now: ObjectIdentity): IdentityDifference[] | "unread" {
    if (atT.size !== now.size) {
        return [{ aspect: "content", name: "size", atT: String(atT.size), now: String(now.size) }];
    }
    // Equal ETags and sizes: for a single-part unencrypted or SSE-S3 object the ETag is the MD5 of the bytes, and a
    // copy of such a version has its source's ETag. A multipart or SSE-KMS ETag is not a content hash, but two such
    // ETags are equal only for the same upload's bytes.
    if (atT.eTag !== undefined && atT.eTag === now.eTag) {
        return [];
    }
    if (!atT.head || !now.head) {
        return "unread";
    }
    const headNow = now.head;
    // CopyObject copies the source's checksum; S3 has stored a CRC64NVME for every upload without one since
    // December 2024. Only a checksum of the same algorithm and type on both sides proves anything.
    const common = atT.head.checksums.find((a) => headNow.checksums.some((b) => b.algorithm === a.algorithm && b.type === a.type));
    if (common) {
        const other = headNow.checksums.find((b) => b.algorithm === common.algorithm && b.type === common.type);
        return other?.value === common.value ? [] : [{ aspect: "content", name: `checksum ${common.algorithm}`, atT: common.value, now: other?.value }];
    }
    return [
        {
            aspect: "content",
            name: "ETag (no common stored checksum to prove equal bytes)",
            ...(atT.eTag !== undefined ? { atT: atT.eTag } : {}),
            ...(now.eTag !== undefined ? { now: now.eTag } : {}),
        },
    ];
}

/** Within one bucket: the current version must have T's encryption, or the bucket's own (`expected`). */
function compareEncryption(atT: ObjectEncryption, now: ObjectEncryption, expected: ExpectedEncryption | undefined): IdentityDifference[] {
    if (sameEncryption(atT, now) || (expected !== undefined && isExpected(now, expected))) {
        return [];
    }
    return [{ aspect: "encryption", name: "encryption", atT: describeEncryption(atT), now: describeEncryption(now) }];
}

/**
 * Across the pair: a version on `side` whose encryption is not that side's expected one, as a difference named after
 * the side and its expected encryption (`atT` holds the primary's encryption, `now` the dr side's, as in the rest of
 * a cross-side comparison). `undefined` when it is as expected.
 */
export function encryptionAgainstExpected(
    side: "primary" | "dr",
    expected: ExpectedEncryption,
    encryptions: { readonly primary: ObjectEncryption; readonly dr: ObjectEncryption },
): IdentityDifference | undefined {
    if (isExpected(encryptions[side], expected)) {
        return undefined;
    }
    return {
        aspect: "encryption",
        name: `encryption on the ${side} side (expected ${describeEncryption(expected)})`,
        atT: describeEncryption(encryptions.primary),
        now: describeEncryption(encryptions.dr),
    };
}

function compareTags(atT: ObjectIdentity, now: ObjectIdentity): IdentityDifference[] | "unread" {
    if (atT.tags && now.tags) {
        return compareMaps("tags", "tag ", atT.tags, now.tags);
    }
    // HEAD's tag count can only show a difference. S3 omits the header both for a version without tags and for a
    // caller without permission to read tags, so a missing count is not a zero, and equal counts are not equal tags.
    // A count on one side only is a difference (whoever may see one version's tags may see the other's).
    const countAtT = atT.tags ? Object.keys(atT.tags).length : atT.head?.tagCount;
    const countNow = now.tags ? Object.keys(now.tags).length : now.head?.tagCount;
    if (countAtT === undefined && countNow === undefined) {
        return "unread";
    }
    if (countAtT !== countNow && atT.head && now.head) {
        return [{ aspect: "tags", name: "tag count", atT: String(countAtT ?? 0), now: String(countNow ?? 0) }];
    }
    return "unread";
}

/** S3 lists the default class as STANDARD and HEAD omits it: both mean STANDARD. */
export function normalStorageClass(storageClass: string | undefined): string {
    return storageClass === undefined || storageClass === "" ? "STANDARD" : storageClass;
}

function compareMaps(
    aspect: IdentityAspect,
    label: string,
    atT: Readonly<Record<string, string | undefined>>,
    now: Readonly<Record<string, string | undefined>>,
): IdentityDifference[] {
    const names = [...new Set([...Object.keys(atT), ...Object.keys(now)])].sort();
    const differences: IdentityDifference[] = [];
    for (const name of names) {
        const a = atT[name];
        const b = now[name];
        if (a !== b) {
            differences.push({ aspect, name: `${label}${name}`, ...(a !== undefined ? { atT: a } : {}), ...(b !== undefined ? { now: b } : {}) });
        }
    }
    return differences;
}

/** One line for an operator: `x-amz-meta-file-permissions: "0644" at T, "0777" now`. */
export function describeDifference(difference: IdentityDifference): string {
    const show = (value: string | undefined) => (value === undefined ? "none" : JSON.stringify(value));
    return `${difference.name}: ${show(difference.atT)} at T, ${show(difference.now)} now`;
}

const checksumAlgorithms = ["CRC64NVME", "CRC32", "CRC32C", "SHA1", "SHA256", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"] as const;

/** The facts of a `HeadObject` response (made with `ChecksumMode: ENABLED`, else no checksums are returned). */
export function headFacts(head: Omit<HeadObjectCommandOutput, "$metadata">): HeadFacts {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(head.Metadata ?? {})) {
        metadata[name.toLowerCase()] = value;
    }
    const headers: Partial<Record<ContentHeaderName, string>> = {};
    const set = (name: ContentHeaderName, value: string | undefined) => {
        if (value !== undefined && value !== "") headers[name] = value;
    };
    set("Content-Type", head.ContentType);
    set("Content-Encoding", head.ContentEncoding);
    set("Content-Disposition", head.ContentDisposition);
    set("Content-Language", head.ContentLanguage);
    set("Cache-Control", head.CacheControl);
    // The raw header when the SDK kept it (it also fails to parse non-HTTP dates), else the parsed date.
    set("Expires", head.ExpiresString ?? head.Expires?.toUTCString());
    const checksums: StoredChecksum[] = [];
    for (const algorithm of checksumAlgorithms) {
        const value = head[`Checksum${algorithm}`];
        if (value !== undefined) {
            checksums.push({ algorithm, value, ...(head.ChecksumType !== undefined ? { type: head.ChecksumType } : {}) });
        }
    }
    return {
        metadata,
        contentHeaders: headers,
        checksums,
        ...(head.TagCount !== undefined ? { tagCount: head.TagCount } : {}),
        encryption: encryptionOf(head),
    };
}

/** `GetObjectTagging`'s tag set as a map. */
export function tagMap(tagSet: readonly Tag[] | undefined): Record<string, string> {
    return Object.fromEntries((tagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
}
