import { expect } from "chai";
import { jobToken, reportPrefix, restoreJobRequest, runIdFor } from "../../../../infra/restore/batch/job";
import { keyFromManifest, manifestFileFor, manifestKey, manifestLine, runPrefix } from "../../../../infra/restore/batch/manifest";
import { describeFailure, parseCsv, parseReportCsv, parseReportManifest } from "../../../../infra/restore/batch/report";

describe("infra/restore/batch: manifest", () => {
    it("writes bucket, URL-encoded key and version id, byte for byte", () => {
        const lines = [
            manifestLine("acme-dr", "photos/jpgs/objectkey4", "6EqlikJJxLTsHsnbZbSRffn24_eh5Ny4"),
            manifestLine("acme-dr", "object key with spaces", "null"),
            manifestLine("acme-dr", "a+b/c d+e.txt", "v.1-_"),
            manifestLine("acme-dr", "données/été/ünï😀.dat", "3HL4kqtJlcpXroDTDmJ"),
            manifestLine("acme-dr", "q?x=1&y=%41,\"z\"\n#", "null"),
            manifestLine("acme-dr", "dir/", "null"),
        ].join("");
        const expected =
            "acme-dr,photos/jpgs/objectkey4,6EqlikJJxLTsHsnbZbSRffn24_eh5Ny4\n" +
            "acme-dr,object%20key%20with%20spaces,null\n" +
            "acme-dr,a%2Bb/c%20d%2Be.txt,v.1-_\n" +
            "acme-dr,donn%C3%A9es/%C3%A9t%C3%A9/%C3%BCn%C3%AF%F0%9F%98%80.dat,3HL4kqtJlcpXroDTDmJ\n" +
            "acme-dr,q%3Fx%3D1%26y%3D%2541%2C%22z%22%0A%23,null\n" +
            "acme-dr,dir/,null\n";
        expect(Buffer.from(lines, "utf8").equals(Buffer.from(expected, "utf8"))).to.equal(true, lines);
    });

    it("decodes what it encodes, and never writes + for a space", () => {
        for (const key of ["a b", "a+b", "ü/😀 +%2B", "x,y\nz"]) {
            expect(keyFromManifest(manifestKey(key))).to.equal(key);
            expect(manifestKey(key)).to.not.match(/[ ,\n"]|\+/);
        }
    });

    it("refuses a version id that is not S3's (it would break the CSV row)", () => {
        expect(() => manifestLine("b", "k", "a,b")).to.throw(/cannot go into a batch manifest/);
        expect(() => manifestLine("b", "k", "")).to.throw(/cannot go into a batch manifest/);
    });

    it("names local manifests per storage class and the run's reserved prefix", () => {
        expect(manifestFileFor("out/restore.csv", "STANDARD")).to.equal("out/restore.csv");
        expect(manifestFileFor("out/restore.csv", "STANDARD_IA")).to.equal("out/restore.STANDARD_IA.csv");
        expect(manifestFileFor("out.d/manifest", "GLACIER_IR")).to.equal("out.d/manifest.GLACIER_IR");
        expect(runPrefix("r1")).to.equal(".lustre-dr/restore/r1/");
    });
});

describe("infra/restore/batch: run id and job request", () => {
    const T = new Date("2026-11-25T08:00:00Z");

    it("derives the run id from bucket, prefix and T, so the same command finds the same run", () => {
        const id = runIdFor("acme-dr", "", T);
        expect(id).to.match(/^20261125T080000Z-[0-9a-f]{10}$/);
        expect(runIdFor("acme-dr", "", T)).to.equal(id);
        expect(runIdFor("acme-dr", "p/", T)).to.not.equal(id);
        expect(runIdFor("acme-dr", "", new Date(T.getTime() + 1))).to.not.equal(id);
        expect(runIdFor("other", "", T)).to.not.equal(id);
    });

    it("derives CreateJob's idempotency token from run, attempt and storage class (at most 64 characters)", () => {
        const token = jobToken("r", 1, "STANDARD");
        expect(token).to.have.length(64).and.equal(jobToken("r", 1, "STANDARD"));
        expect(new Set([token, jobToken("r", 2, "STANDARD"), jobToken("r", 1, "STANDARD_IA"), jobToken("s", 1, "STANDARD")]).size).to.equal(4);
    });

    it("copies the listed versions in place, keeping metadata, tags and the storage class, reporting failures to the run prefix", () => {
        const args = {
            accountId: "222222222222",
            bucketArn: "arn:aws:s3:::acme-dr",
            roleArn: "arn:aws:iam::222222222222:role/lustre-dr-dr-restore-batch",
            runId: "20261125T080000Z-abc",
            attempt: 2,
            manifestArn: "arn:aws:s3:::acme-dr/.lustre-dr/restore/20261125T080000Z-abc/attempt-2/manifest-STANDARD_IA.csv",
            manifestETag: "0123abcd",
            copies: 1234,
        };
        expect(restoreJobRequest({ ...args, storageClass: "STANDARD_IA" })).to.deep.equal({
            AccountId: "222222222222",
            ConfirmationRequired: false,
            Operation: { S3PutObjectCopy: { TargetResource: "arn:aws:s3:::acme-dr", MetadataDirective: "COPY", StorageClass: "STANDARD_IA" } },
            Manifest: {
                Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key", "VersionId"] },
                Location: { ObjectArn: args.manifestArn, ETag: "0123abcd" },
            },
            Report: {
                Enabled: true,
                Bucket: "arn:aws:s3:::acme-dr",
                Prefix: ".lustre-dr/restore/20261125T080000Z-abc/reports",
                Format: "Report_CSV_20180820",
                ReportScope: "FailedTasksOnly",
                ExpectedBucketOwner: "222222222222",
            },
            Priority: 10,
            RoleArn: args.roleArn,
            ClientRequestToken: jobToken(args.runId, 2, "STANDARD_IA"),
            Description: "lustre-dr restore 20261125T080000Z-abc attempt 2 STANDARD_IA: 1234 copies",
        });
        // STANDARD is S3's default: no StorageClass; no tagging or encryption fields: the sources' tags, the bucket's key.
        const standard = restoreJobRequest({ ...args, storageClass: "STANDARD" }).Operation?.S3PutObjectCopy;
        expect(standard).to.deep.equal({ TargetResource: "arn:aws:s3:::acme-dr", MetadataDirective: "COPY" });
        expect(reportPrefix("r")).to.equal(".lustre-dr/restore/r/reports");
    });
});

describe("infra/restore/batch: completion report", () => {
    const manifestJson = JSON.stringify({
        Format: "Report_CSV_20180820",
        ReportCreationDate: "2026-11-25T10:48:39.725Z",
        Results: [
            { TaskExecutionStatus: "succeeded", Bucket: "acme-dr", MD5Checksum: "83b1", Key: ".lustre-dr/restore/r/reports/job-7/results/ok.csv" },
            { TaskExecutionStatus: "failed", Bucket: "acme-dr", MD5Checksum: "22ee", Key: ".lustre-dr/restore/r/reports/job-7/results/failed.csv" },
        ],
        ReportSchema: "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
    });

    it("lists the result files, or only the failed ones", () => {
        expect(parseReportManifest(manifestJson).map((file) => file.key)).to.have.length(2);
        expect(parseReportManifest(manifestJson, true)).to.deep.equal([
            { taskExecutionStatus: "failed", bucket: "acme-dr", key: ".lustre-dr/restore/r/reports/job-7/results/failed.csv" },
        ]);
    });

    it("reads failed rows: decoded keys, HTTP status and error code in either order, quoted messages", () => {
        const csv =
            'acme-dr,a%20b%2Bc/%C3%BC.txt,v1,failed,403,AccessDenied,"Access Denied, says ""S3"""\r\n' +
            "acme-dr,big.bin,null,failed,InvalidRequest,400,The specified copy source is larger than the maximum allowable size\n" +
            "acme-dr,archived,v3,failed,403,InvalidObjectState,\n";
        const rows = parseReportCsv(csv);
        expect(rows).to.deep.equal([
            { bucket: "acme-dr", key: "a b+c/ü.txt", versionId: "v1", status: "failed", httpStatus: 403, errorCode: "AccessDenied", message: 'Access Denied, says "S3"' },
            {
                bucket: "acme-dr",
                key: "big.bin",
                versionId: "null",
                status: "failed",
                httpStatus: 400,
                errorCode: "InvalidRequest",
                message: "The specified copy source is larger than the maximum allowable size",
            },
            { bucket: "acme-dr", key: "archived", versionId: "v3", status: "failed", httpStatus: 403, errorCode: "InvalidObjectState", message: "" },
        ]);
        expect(describeFailure(rows[0])).to.equal('AccessDenied (403): Access Denied, says "S3"');
        expect(describeFailure(rows[2])).to.equal("InvalidObjectState (403)");
    });

    it("parses CSV quoting and line ends", () => {
        expect(parseCsv('a,"b,c"\n"d\ne",f\r\ng')).to.deep.equal([["a", "b,c"], ["d\ne", "f"], ["g"]]);
    });
});
