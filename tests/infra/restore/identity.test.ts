import { expect } from "chai";
import {
    compareIdentity,
    describeDifference,
    HeadFacts,
    headFacts,
    ObjectIdentity,
    sameObject,
    tagMap,
} from "../../../infra/restore/identity";

/** An FSx-exported file as HEAD shows it. */
const fsxHead: HeadFacts = {
    metadata: { "file-owner": "1000", "file-group": "1000", "file-permissions": "0100644", "file-mtime": "1732521600000000000ns" },
    contentHeaders: { "Content-Type": "application/octet-stream" },
    checksums: [{ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "AAAAAAAAAAE=" }],
};
const atT: ObjectIdentity = { size: 10, eTag: '"etag-1"', storageClass: "STANDARD", head: fsxHead, tags: { project: "alpha" } };

describe("infra/restore/identity", () => {
    it("is the same object when content, metadata, content headers, storage class and tags all match", () => {
        expect(sameObject(atT, { ...atT })).to.equal(true);
        expect(compareIdentity(atT, { ...atT, storageClass: undefined, eTag: '"copy-etag"' })).to.deep.equal({ differences: [], unread: [] });
    });

    it("finds a chmod 777 or a chown that changed only user metadata", () => {
        const now = { ...atT, head: { ...fsxHead, metadata: { ...fsxHead.metadata, "file-permissions": "0100777", "file-owner": "0" } } };
        expect(sameObject(atT, now)).to.equal(false);
        expect(compareIdentity(atT, now).differences).to.deep.equal([
            { aspect: "metadata", name: "x-amz-meta-file-owner", atT: "1000", now: "0" },
            { aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100644", now: "0100777" },
        ]);
    });

    it("finds metadata added or removed, not only changed", () => {
        const added = { ...atT, head: { ...fsxHead, metadata: { ...fsxHead.metadata, "ransom-id": "42" } } };
        expect(compareIdentity(atT, added).differences).to.deep.equal([{ aspect: "metadata", name: "x-amz-meta-ransom-id", now: "42" }]);
        const { "file-mtime": _dropped, ...rest } = fsxHead.metadata;
        const removed = { ...atT, head: { ...fsxHead, metadata: rest } };
        expect(compareIdentity(atT, removed).differences).to.deep.equal([
            { aspect: "metadata", name: "x-amz-meta-file-mtime", atT: "1732521600000000000ns" },
        ]);
    });

    it("finds each content header change", () => {
        for (const [name, value] of [
            ["Content-Type", "text/html"],
            ["Content-Encoding", "gzip"],
            ["Content-Disposition", "attachment"],
            ["Content-Language", "fr"],
            ["Cache-Control", "no-store"],
            ["Expires", "Wed, 21 Oct 2026 07:28:00 GMT"],
        ] as const) {
            const now = { ...atT, head: { ...fsxHead, contentHeaders: { ...fsxHead.contentHeaders, [name]: value } } };
            expect(compareIdentity(atT, now).differences, name).to.have.length(1);
            expect(compareIdentity(atT, now).differences[0]).to.include({ aspect: "content-headers", name, now: value });
        }
    });

    it("finds a storage class change from the listing alone, treating an absent class as STANDARD", () => {
        expect(compareIdentity({ size: 1, eTag: "e" }, { size: 1, eTag: "e", storageClass: "GLACIER" }).differences).to.deep.equal([
            { aspect: "storage-class", name: "storage class", atT: "STANDARD", now: "GLACIER" },
        ]);
        expect(compareIdentity({ size: 1, eTag: "e", storageClass: "STANDARD_IA" }, { size: 1, eTag: "e" }).differences[0]).to.include({
            atT: "STANDARD_IA",
            now: "STANDARD",
        });
    });

    it("finds tags changed, added or removed", () => {
        expect(compareIdentity(atT, { ...atT, tags: { project: "pwned" } }).differences).to.deep.equal([
            { aspect: "tags", name: "tag project", atT: "alpha", now: "pwned" },
        ]);
        expect(compareIdentity(atT, { ...atT, tags: {} }).differences).to.deep.equal([{ aspect: "tags", name: "tag project", atT: "alpha" }]);
    });

    it("decides content from equal ETags and sizes, or from a stored checksum of the same algorithm and type", () => {
        expect(compareIdentity({ size: 3, eTag: "e" }, { size: 4, eTag: "e" }).differences).to.deep.equal([
            { aspect: "content", name: "size", atT: "3", now: "4" },
        ]);
        const kms = { ...atT, eTag: '"kms-1"' };
        const copy = { ...atT, eTag: '"kms-2"' };
        expect(compareIdentity(kms, copy).differences).to.deep.equal([]);
        const otherBytes = { ...copy, head: { ...fsxHead, checksums: [{ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "AAAAAAAAAAI=" }] } };
        expect(compareIdentity(kms, otherBytes).differences[0]).to.include({ aspect: "content", name: "checksum CRC64NVME" });
        // A composite (multipart) checksum proves nothing about a full-object one, and no checksum proves nothing:
        // content that cannot be proved equal counts as different (a copy is always safe).
        for (const checksums of [[{ algorithm: "CRC64NVME", type: "COMPOSITE", value: "AAAAAAAAAAE=" }], []]) {
            const unprovable = { ...copy, head: { ...fsxHead, checksums } };
            expect(compareIdentity(kms, unprovable).differences[0]).to.include({ aspect: "content", atT: '"kms-1"', now: '"kms-2"' });
        }
    });

    it("never calls unread aspects the same: it says what to read next", () => {
        const listedOnly = { size: 10, eTag: '"e"', storageClass: "STANDARD" };
        expect(compareIdentity(listedOnly, listedOnly)).to.deep.equal({ differences: [], unread: ["metadata", "content-headers", "tags"] });
        expect(sameObject(listedOnly, listedOnly)).to.equal(false);
        expect(compareIdentity(listedOnly, { ...listedOnly, eTag: '"f"' }).unread).to.include("content");
        // After HEAD, the tag count only ever shows a difference: S3 omits it both for "no tags" and "no permission",
        // and equal counts are not equal tags.
        const headed = (tagCount?: number): ObjectIdentity => ({ ...listedOnly, head: { ...fsxHead, ...(tagCount !== undefined ? { tagCount } : {}) } });
        expect(compareIdentity(headed(2), headed(2))).to.deep.equal({ differences: [], unread: ["tags"] });
        expect(compareIdentity(headed(), headed())).to.deep.equal({ differences: [], unread: ["tags"] });
        expect(compareIdentity(headed(1), headed()).differences).to.deep.equal([{ aspect: "tags", name: "tag count", atT: "1", now: "0" }]);
        expect(compareIdentity(headed(1), headed(3)).differences).to.deep.equal([{ aspect: "tags", name: "tag count", atT: "1", now: "3" }]);
        expect(sameObject({ ...headed(), tags: {} }, { ...headed(), tags: {} })).to.equal(true);
    });

    it("reads HEAD responses: lower-cased metadata, content headers, checksums, tag count", () => {
        const facts = headFacts({
            Metadata: { "File-Permissions": "0100644" },
            ContentType: "text/plain",
            ContentEncoding: "",
            CacheControl: "max-age=60",
            ExpiresString: "Thu, 01 Jan 2026 00:00:00 GMT",
            ChecksumCRC64NVME: "AAAAAAAAAAE=",
            ChecksumType: "FULL_OBJECT",
            TagCount: 2,
        });
        expect(facts).to.deep.equal({
            metadata: { "file-permissions": "0100644" },
            contentHeaders: { "Content-Type": "text/plain", "Cache-Control": "max-age=60", Expires: "Thu, 01 Jan 2026 00:00:00 GMT" },
            checksums: [{ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "AAAAAAAAAAE=" }],
            tagCount: 2,
        });
        expect(tagMap([{ Key: "a", Value: "1" }])).to.deep.equal({ a: "1" });
    });

    it("describes a difference on one line", () => {
        expect(describeDifference({ aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100644", now: "0100777" })).to.equal(
            'x-amz-meta-file-permissions: "0100644" at T, "0100777" now',
        );
        expect(describeDifference({ aspect: "tags", name: "tag project", atT: "alpha" })).to.equal('tag project: "alpha" at T, none now');
    });
});
