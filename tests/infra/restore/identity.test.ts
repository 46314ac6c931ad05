import { expect } from "chai";
import {
    compareIdentity,
    describeDifference,
    encryptionAgainstExpected,
    HeadFacts,
    headFacts,
    ObjectIdentity,
    sameObject,
    tagMap,
} from "../../../infra/restore/identity";

const ownKey = "arn:aws:kms:us-east-1:111111111111:key/own";
const attackerKey = "arn:aws:kms:us-east-1:999999999999:key/attacker";
/** An FSx-exported file as HEAD shows it. */
const fsxHead: HeadFacts = {
    metadata: { "file-owner": "1000", "file-group": "1000", "file-permissions": "0100644", "file-mtime": "1732521600000000000ns" },
    contentHeaders: { "Content-Type": "application/octet-stream" },
    checksums: [{ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "AAAAAAAAAAE=" }],
    encryption: { algorithm: "aws:kms", kmsKeyId: ownKey },
};
const atT: ObjectIdentity = { size: 10, eTag: '"etag-1"', storageClass: "STANDARD", head: fsxHead, tags: { project: "alpha" } };

describe("infra/restore/identity", () => {
    it("is the same object when content, metadata, content headers, storage class, encryption and tags all match", () => {
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
        expect(compareIdentity(listedOnly, listedOnly)).to.deep.equal({ differences: [], unread: ["metadata", "content-headers", "encryption", "tags"] });
        // Across the pair encryption is each side's own business (encryptionAgainstExpected), never unread here.
        expect(compareIdentity(listedOnly, listedOnly, { encryption: "across" }).unread).to.deep.equal(["metadata", "content-headers", "tags"]);
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
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: ownKey,
            BucketKeyEnabled: true,
        });
        expect(facts).to.deep.equal({
            metadata: { "file-permissions": "0100644" },
            contentHeaders: { "Content-Type": "text/plain", "Cache-Control": "max-age=60", Expires: "Thu, 01 Jan 2026 00:00:00 GMT" },
            checksums: [{ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "AAAAAAAAAAE=" }],
            tagCount: 2,
            encryption: { algorithm: "aws:kms", kmsKeyId: ownKey },
        });
        expect(headFacts({}).encryption).to.deep.equal({});
        expect(tagMap([{ Key: "a", Value: "1" }])).to.deep.equal({ a: "1" });
    });

    it("describes a difference on one line", () => {
        expect(describeDifference({ aspect: "metadata", name: "x-amz-meta-file-permissions", atT: "0100644", now: "0100777" })).to.equal(
            'x-amz-meta-file-permissions: "0100644" at T, "0100777" now',
        );
        expect(describeDifference({ aspect: "tags", name: "tag project", atT: "alpha" })).to.equal('tag project: "alpha" at T, none now');
    });

    describe("encryption", () => {
        const under = (encryption: HeadFacts["encryption"]): ObjectIdentity => ({ ...atT, eTag: '"other-etag"', head: { ...fsxHead, encryption } });

        it("within one bucket, a copy in place under another KMS key is a difference even with the same bytes and metadata", () => {
            const reencrypted = under({ algorithm: "aws:kms", kmsKeyId: attackerKey });
            expect(compareIdentity(atT, reencrypted).differences).to.deep.equal([
                { aspect: "encryption", name: "encryption", atT: `SSE-KMS ${ownKey}`, now: `SSE-KMS ${attackerKey}` },
            ]);
            // Knowing the side's own key does not excuse a foreign one.
            expect(compareIdentity(atT, reencrypted, { expected: { algorithm: "aws:kms", kmsKeyArn: ownKey } }).differences).to.have.length(1);
            // A change of algorithm is a difference too, either way.
            expect(compareIdentity(atT, under({ algorithm: "AES256" })).differences[0]).to.include({ aspect: "encryption", now: "SSE-S3 (AES256)" });
            expect(compareIdentity(atT, under({})).differences[0]).to.include({ aspect: "encryption", now: "none" });
        });

        it("within one bucket, the side's own encryption is accepted where T's differed (a restore's copy compares the same on a re-run)", () => {
            const beforeAdoption = { ...atT, head: { ...fsxHead, encryption: { algorithm: "AES256" } } };
            const restoredCopy = under({ algorithm: "aws:kms", kmsKeyId: ownKey });
            expect(compareIdentity(beforeAdoption, restoredCopy).differences).to.have.length(1);
            expect(compareIdentity(beforeAdoption, restoredCopy, { expected: { algorithm: "aws:kms", kmsKeyArn: ownKey } })).to.deep.equal({ differences: [], unread: [] });
            // The bucket-key flag is not part of the identity: it is not even read.
            expect(compareIdentity(atT, under({ algorithm: "aws:kms", kmsKeyId: ownKey }))).to.deep.equal({ differences: [], unread: [] });
        });

        it("across the pair, keys are not compared with each other but each side with its own expected encryption", () => {
            const drKey = "arn:aws:kms:eu-west-1:222222222222:key/dr";
            const replica = under({ algorithm: "aws:kms", kmsKeyId: drKey });
            expect(compareIdentity(atT, replica, { encryption: "across" })).to.deep.equal({ differences: [], unread: [] });
            const encryptions = { primary: { algorithm: "aws:kms", kmsKeyId: attackerKey }, dr: { algorithm: "aws:kms", kmsKeyId: drKey } };
            expect(encryptionAgainstExpected("primary", { algorithm: "aws:kms", kmsKeyArn: ownKey }, encryptions)).to.deep.equal({
                aspect: "encryption",
                name: `encryption on the primary side (expected SSE-KMS ${ownKey})`,
                atT: `SSE-KMS ${attackerKey}`,
                now: `SSE-KMS ${drKey}`,
            });
            expect(encryptionAgainstExpected("dr", { algorithm: "aws:kms", kmsKeyArn: drKey }, encryptions)).to.equal(undefined);
            expect(encryptionAgainstExpected("dr", { algorithm: "AES256" }, encryptions)).to.include({ name: "encryption on the dr side (expected SSE-S3 (AES256))" });
            expect(encryptionAgainstExpected("dr", { algorithm: "AES256" }, { ...encryptions, dr: { algorithm: "AES256" } })).to.equal(undefined);
        });
    });
});
