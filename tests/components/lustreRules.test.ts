import { expect } from "chai";
import {
    checkLustreSettings,
    dataRepositoryPath,
    defaultThroughput,
    LustreFileSystemSettings,
    normaliseRepositoryPrefix,
    UncheckedLustreSettings,
} from "../../components/lustreRules";
import { ConfigProblem, describeProblem } from "../../components/problems";

/** The config defaults (docs/config.md). */
const defaults: UncheckedLustreSettings = {
    deploymentType: "PERSISTENT_2",
    storageType: "SSD",
    storageCapacityGiB: 1200,
    fileSystemPath: "/s3",
    repositoryPrefix: "",
    dataCompression: "LZ4",
    logLevel: "WARN_ERROR",
};

function accepted(overrides: Partial<UncheckedLustreSettings>): LustreFileSystemSettings {
    const check = checkLustreSettings({ ...defaults, ...overrides });
    if (!("settings" in check)) {
        throw new Error(`expected acceptance, got: ${check.problems.map(describeProblem).join("; ")}`);
    }
    return check.settings;
}

function problemsOf(overrides: Partial<UncheckedLustreSettings>): ConfigProblem[] {
    const check = checkLustreSettings({ ...defaults, ...overrides });
    expect(check).not.to.have.property("settings");
    return check.problems;
}

function onlyProblem(overrides: Partial<UncheckedLustreSettings>): ConfigProblem {
    const problems = problemsOf(overrides);
    expect(problems, problems.map(describeProblem).join("; ")).to.have.length(1);
    return problems[0];
}

describe("Lustre settings rules", () => {
    it("accepts the defaults and fills in 125 MB/s/TiB for PERSISTENT_2", () => {
        expect(accepted({})).to.deep.equal({
            deploymentType: "PERSISTENT_2",
            storageType: "SSD",
            storageCapacityGiB: 1200,
            perUnitStorageThroughput: 125,
            dataCompression: "LZ4",
            repositories: [{ fileSystemPath: "/s3", repositoryPrefix: "" }],
            logLevel: "WARN_ERROR",
        });
    });

    describe("deployment and storage type", () => {
        it("refuses SCRATCH_1 because it cannot have a data repository association", () => {
            const problem = onlyProblem({ deploymentType: "SCRATCH_1" });
            expect(problem.key).to.equal("lustre-dr:lustre.deploymentType");
            expect(problem.value).to.equal("SCRATCH_1");
            expect(problem.expected).to.equal(
                'one of "PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2": SCRATCH_1 cannot have a data repository association, so it could not be linked to the bucket',
            );
        });

        it("refuses an unknown deployment type, listing the valid ones", () => {
            expect(onlyProblem({ deploymentType: "PERSISTENT_3" })).to.deep.equal({
                key: "lustre-dr:lustre.deploymentType",
                value: "PERSISTENT_3",
                expected: 'one of "PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2"',
            });
        });

        it("refuses an unknown storage type", () => {
            expect(onlyProblem({ storageType: "NVME" })).to.deep.equal({
                key: "lustre-dr:lustre.storageType",
                value: "NVME",
                expected: 'one of "SSD", "HDD"',
            });
        });

        for (const deploymentType of ["PERSISTENT_2", "SCRATCH_2"]) {
            it(`refuses HDD on ${deploymentType}`, () => {
                expect(onlyProblem({ deploymentType, storageType: "HDD", driveCacheType: "READ" })).to.deep.equal({
                    key: "lustre-dr:lustre.storageType",
                    value: "HDD",
                    expected: `"SSD" for ${deploymentType} (HDD storage exists only on PERSISTENT_1)`,
                });
            });
        }
    });

    describe("drive cache", () => {
        it("requires NONE or READ with HDD", () => {
            expect(onlyProblem({ deploymentType: "PERSISTENT_1", storageType: "HDD", storageCapacityGiB: 6000 })).to.deep.equal({
                key: "lustre-dr:lustre.driveCacheType",
                value: undefined,
                expected: 'one of "NONE", "READ" (required with HDD storage)',
            });
            expect(
                onlyProblem({ deploymentType: "PERSISTENT_1", storageType: "HDD", storageCapacityGiB: 6000, driveCacheType: "WRITE" }).value,
            ).to.equal("WRITE");
        });

        it("refuses a drive cache on SSD", () => {
            expect(onlyProblem({ driveCacheType: "READ" })).to.deep.equal({
                key: "lustre-dr:lustre.driveCacheType",
                value: "READ",
                expected: "no driveCacheType with SSD storage (it is a read cache for HDD only): remove the key",
            });
        });

        it("keeps the drive cache on HDD", () => {
            const settings = accepted({ deploymentType: "PERSISTENT_1", storageType: "HDD", storageCapacityGiB: 6000, driveCacheType: "NONE" });
            expect(settings).to.include({ driveCacheType: "NONE", perUnitStorageThroughput: 12 });
        });
    });

    describe("capacity", () => {
        const ssdMessage = (type: string) => `1200, 2400 or a multiple of 2400 GiB for ${type} SSD (1200, 2400, 4800, 7200, ...)`;

        for (const deploymentType of ["PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2"]) {
            it(`${deploymentType} SSD: accepts 1200, 2400, 4800, 9600 and refuses 1000, 3600, 0`, () => {
                for (const storageCapacityGiB of [1200, 2400, 4800, 9600]) {
                    expect(accepted({ deploymentType, storageCapacityGiB }).storageCapacityGiB).to.equal(storageCapacityGiB);
                }
                for (const storageCapacityGiB of [1000, 3600, 0, -2400]) {
                    expect(onlyProblem({ deploymentType, storageCapacityGiB })).to.deep.equal({
                        key: "lustre-dr:lustre.storageCapacityGiB",
                        value: storageCapacityGiB,
                        expected: ssdMessage(deploymentType),
                    });
                }
            });
        }

        it("PERSISTENT_1 HDD at 12 MB/s/TiB: multiples of 6000", () => {
            const hdd = { deploymentType: "PERSISTENT_1", storageType: "HDD", driveCacheType: "READ", perUnitStorageThroughput: 12 };
            expect(accepted({ ...hdd, storageCapacityGiB: 12000 }).storageCapacityGiB).to.equal(12000);
            expect(onlyProblem({ ...hdd, storageCapacityGiB: 1800 })).to.deep.equal({
                key: "lustre-dr:lustre.storageCapacityGiB",
                value: 1800,
                expected:
                    "a multiple of 6000 GiB for PERSISTENT_1 HDD at 12 MB/s/TiB (6000, 12000, 18000, ...; 12 MB/s/TiB takes multiples of 6000, 40 MB/s/TiB multiples of 1800)",
            });
        });

        it("PERSISTENT_1 HDD at 40 MB/s/TiB: multiples of 1800", () => {
            const hdd = { deploymentType: "PERSISTENT_1", storageType: "HDD", driveCacheType: "READ", perUnitStorageThroughput: 40 };
            expect(accepted({ ...hdd, storageCapacityGiB: 5400 }).storageCapacityGiB).to.equal(5400);
            expect(onlyProblem({ ...hdd, storageCapacityGiB: 1200 }).expected).to.match(/^a multiple of 1800 GiB for PERSISTENT_1 HDD at 40 MB\/s\/TiB/);
        });

        it("refuses a fractional capacity", () => {
            expect(onlyProblem({ storageCapacityGiB: 1200.5 }).key).to.equal("lustre-dr:lustre.storageCapacityGiB");
        });
    });

    describe("per-unit throughput", () => {
        const cases: { type: Partial<UncheckedLustreSettings>; valid: number[]; label: string }[] = [
            { type: {}, valid: [125, 250, 500, 1000], label: "PERSISTENT_2 SSD" },
            { type: { deploymentType: "PERSISTENT_1" }, valid: [50, 100, 200], label: "PERSISTENT_1 SSD" },
            {
                type: { deploymentType: "PERSISTENT_1", storageType: "HDD", driveCacheType: "READ", storageCapacityGiB: 18000 },
                valid: [12, 40],
                label: "PERSISTENT_1 HDD",
            },
        ];
        for (const { type, valid, label } of cases) {
            it(`${label}: accepts ${valid.join(", ")} and lists them when refusing 100 MB/s/TiB or 125`, () => {
                for (const perUnitStorageThroughput of valid) {
                    expect(accepted({ ...type, perUnitStorageThroughput }).perUnitStorageThroughput).to.equal(perUnitStorageThroughput);
                }
                const invalid = valid.includes(100) ? 125 : 100;
                expect(onlyProblem({ ...type, perUnitStorageThroughput: invalid })).to.deep.equal({
                    key: "lustre-dr:lustre.perUnitStorageThroughput",
                    value: invalid,
                    expected: `one of ${valid.join(", ")} MB/s/TiB for ${label}`,
                });
            });
        }

        it("defaults to the lowest throughput of the combination", () => {
            expect(defaultThroughput("PERSISTENT_2", "SSD")).to.equal(125);
            expect(defaultThroughput("PERSISTENT_1", "SSD")).to.equal(50);
            expect(defaultThroughput("PERSISTENT_1", "HDD")).to.equal(12);
            expect(defaultThroughput("SCRATCH_2", "SSD")).to.equal(undefined);
            expect(accepted({ deploymentType: "PERSISTENT_1" }).perUnitStorageThroughput).to.equal(50);
        });

        it("refuses a throughput on scratch and leaves it out when none is given", () => {
            expect(onlyProblem({ deploymentType: "SCRATCH_2", perUnitStorageThroughput: 125 })).to.deep.equal({
                key: "lustre-dr:lustre.perUnitStorageThroughput",
                value: 125,
                expected: "no perUnitStorageThroughput for SCRATCH_2 (scratch throughput is fixed): remove the key",
            });
            expect(accepted({ deploymentType: "SCRATCH_2" })).not.to.have.property("perUnitStorageThroughput");
        });
    });

    describe("encryption", () => {
        it("refuses a KMS key on SCRATCH_2 and accepts one on persistent types", () => {
            const problem = onlyProblem({ deploymentType: "SCRATCH_2", kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" });
            expect(problem.key).to.equal("lustre-dr:lustre.kmsKeyId");
            expect(problem.expected).to.contain("no KMS key on SCRATCH_2").and.contain("PERSISTENT_1 or PERSISTENT_2");
            accepted({ kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" });
            accepted({ deploymentType: "PERSISTENT_1", kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" });
        });
    });

    describe("paths", () => {
        it("requires fileSystemPath to start with /", () => {
            for (const fileSystemPath of ["s3", "", "/with space"]) {
                expect(onlyProblem({ fileSystemPath })).to.deep.equal({
                    key: "lustre-dr:lustre.fileSystemPath",
                    value: fileSystemPath,
                    expected: 'a path inside the file system that starts with "/", such as "/s3" ("/" alone links the whole file system)',
                });
            }
            expect(accepted({ fileSystemPath: "/" }).repositories[0].fileSystemPath).to.equal("/");
            expect(accepted({ fileSystemPath: "/data/s3" }).repositories[0].fileSystemPath).to.equal("/data/s3");
        });

        it("accepts an empty or S3-safe repository prefix and normalises its trailing slash", () => {
            expect(accepted({ repositoryPrefix: "" }).repositories[0].repositoryPrefix).to.equal("");
            expect(accepted({ repositoryPrefix: "projects/shared/" }).repositories[0].repositoryPrefix).to.equal("projects/shared");
            expect(accepted({ repositoryPrefix: "team-a_(2024)" }).repositories[0].repositoryPrefix).to.equal("team-a_(2024)");
        });

        it("refuses a repository prefix with a leading slash, empty or dot segments, or unsafe characters", () => {
            for (const repositoryPrefix of ["/projects", "a//b", "a/../b", "./a", "a b", "/", "a?b"]) {
                const problem = onlyProblem({ repositoryPrefix });
                expect(problem.key).to.equal("lustre-dr:lustre.repositoryPrefix");
                expect(problem.value).to.equal(repositoryPrefix);
                expect(problem.expected).to.match(/^"" \(the whole bucket\) or an S3 key prefix such as "projects\/shared"/);
            }
        });

        it("writes the data repository path with exactly one trailing slash", () => {
            expect(dataRepositoryPath("bucket", "")).to.equal("s3://bucket/");
            expect(dataRepositoryPath("bucket", normaliseRepositoryPrefix("a/b/") ?? "?")).to.equal("s3://bucket/a/b/");
            expect(dataRepositoryPath("bucket", normaliseRepositoryPrefix("a") ?? "?")).to.equal("s3://bucket/a/");
        });
    });

    describe("maintenance window, compression and logging", () => {
        it("accepts d:HH:MM with day 1-7", () => {
            expect(accepted({ weeklyMaintenanceStartTime: "7:03:00" }).weeklyMaintenanceStartTime).to.equal("7:03:00");
            expect(accepted({ weeklyMaintenanceStartTime: "1:23:59" }).weeklyMaintenanceStartTime).to.equal("1:23:59");
        });

        it("refuses other shapes", () => {
            for (const weeklyMaintenanceStartTime of ["0:03:00", "8:03:00", "1:24:00", "1:3:00", "1:03:60", "Sun:03:00", "03:00"]) {
                expect(onlyProblem({ weeklyMaintenanceStartTime })).to.deep.equal({
                    key: "lustre-dr:lustre.weeklyMaintenanceStartTime",
                    value: weeklyMaintenanceStartTime,
                    expected: 'd:HH:MM in UTC, day 1 (Monday) to 7 (Sunday), such as "7:03:00"',
                });
            }
        });

        it("refuses unknown compression and log levels", () => {
            expect(onlyProblem({ dataCompression: "GZIP" })).to.deep.equal({
                key: "lustre-dr:lustre.dataCompression",
                value: "GZIP",
                expected: 'one of "LZ4", "NONE"',
            });
            expect(onlyProblem({ logLevel: "INFO" })).to.deep.equal({
                key: "lustre-dr:lustre.logLevel",
                value: "INFO",
                expected: 'one of "WARN_ERROR", "WARN_ONLY", "ERROR_ONLY", "DISABLED"',
            });
        });
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({
            storageCapacityGiB: 1000,
            perUnitStorageThroughput: 100,
            fileSystemPath: "s3",
            weeklyMaintenanceStartTime: "Sunday",
            driveCacheType: "READ",
        });
        expect(problems.map((p) => p.key)).to.have.members([
            "lustre-dr:lustre.storageCapacityGiB",
            "lustre-dr:lustre.perUnitStorageThroughput",
            "lustre-dr:lustre.fileSystemPath",
            "lustre-dr:lustre.weeklyMaintenanceStartTime",
            "lustre-dr:lustre.driveCacheType",
        ]);
    });

    it("names keys the way the caller wrote them", () => {
        const check = checkLustreSettings({ ...defaults, deploymentType: "SCRATCH_1" }, (field) => `LustreWithRepositoryArgs.${field}`);
        expect(check.problems.map((p) => p.key)).to.deep.equal(["LustreWithRepositoryArgs.deploymentType"]);
    });

    describe("several repositories", () => {
        /** The list form: the short form's keys left out, as a config that uses `repositories` has them. */
        function listed(repositories: UncheckedLustreSettings["repositories"], extra: Partial<UncheckedLustreSettings> = {}): Partial<UncheckedLustreSettings> {
            return { fileSystemPath: undefined, repositoryPrefix: undefined, repositories, ...extra };
        }
        const paths = (count: number) => Array.from({ length: count }, (_, i) => ({ fileSystemPath: `/r${i}`, repositoryPrefix: `r${i}/` }));

        it("accepts one, two and eight repositories, each normalised, in the order given", () => {
            expect(accepted(listed([{ fileSystemPath: "/", repositoryPrefix: "" }])).repositories).to.deep.equal([{ fileSystemPath: "/", repositoryPrefix: "" }]);
            expect(
                accepted(listed([{ fileSystemPath: "/projects", repositoryPrefix: "projects/" }, { fileSystemPath: "/scratch/team-a", repositoryPrefix: "scratch/team-a/" }])).repositories,
            ).to.deep.equal([
                { fileSystemPath: "/projects", repositoryPrefix: "projects" },
                { fileSystemPath: "/scratch/team-a", repositoryPrefix: "scratch/team-a" },
            ]);
            expect(accepted(listed(paths(8))).repositories).to.have.length(8);
        });

        it("refuses nine repositories and an empty list, naming FSx's limit", () => {
            for (const count of [9, 0]) {
                const problem = onlyProblem(listed(paths(count)));
                expect(problem).to.deep.include({ key: "lustre-dr:lustre.repositories", value: count });
                expect(problem.expected).to.contain("1 to 8 repositories");
            }
        });

        it("refuses the list and the short form together", () => {
            const problem = onlyProblem({ fileSystemPath: "/s3", repositoryPrefix: undefined, repositories: paths(1) });
            expect(problem.key).to.equal("lustre-dr:lustre.repositories");
            expect(problem.expected).to.contain("not both").and.contain("lustre-dr:lustre.fileSystemPath");
        });

        it("refuses paths that contain one another, and / beside anything", () => {
            for (const [first, second] of [["/data", "/data/b"], ["/data/", "/data"], ["/", "/b"], ["/a/b", "/a"]]) {
                const problem = onlyProblem(listed([{ fileSystemPath: first, repositoryPrefix: "a/" }, { fileSystemPath: second, repositoryPrefix: "b/" }]));
                expect(problem).to.deep.include({ key: "lustre-dr:lustre.repositories[1].fileSystemPath", value: second });
                expect(problem.expected).to.contain("repositories[0].fileSystemPath");
            }
            expect(accepted(listed([{ fileSystemPath: "/data", repositoryPrefix: "a/" }, { fileSystemPath: "/database", repositoryPrefix: "b/" }])).repositories).to.have.length(2);
        });

        it("refuses prefixes that contain one another, and the whole bucket beside anything", () => {
            for (const [first, second] of [["a/", "a/b/"], ["a/b/", "a/"], ["", "b/"], ["x/", "x/"]]) {
                const problem = onlyProblem(listed([{ fileSystemPath: "/one", repositoryPrefix: first }, { fileSystemPath: "/two", repositoryPrefix: second }]));
                expect(problem).to.deep.include({ key: "lustre-dr:lustre.repositories[1].repositoryPrefix", value: second });
            }
            expect(accepted(listed([{ fileSystemPath: "/one", repositoryPrefix: "ab/" }, { fileSystemPath: "/two", repositoryPrefix: "abc/" }])).repositories).to.have.length(2);
        });

        it("wants list prefixes to end in / and paths to start with /", () => {
            const problems = problemsOf(listed([{ fileSystemPath: "projects", repositoryPrefix: "projects" }]));
            expect(problems.map((p) => p.key)).to.deep.equal(["lustre-dr:lustre.repositories[0].fileSystemPath", "lustre-dr:lustre.repositories[0].repositoryPrefix"]);
            expect(problems[1].expected).to.contain('ends with "/"');
        });

        it("adopts associations only on an adopted file system, each once", () => {
            const adopt = [{ fileSystemPath: "/a", repositoryPrefix: "a/", importAssociationId: "dra-0123456789abcdef0" }];
            expect(onlyProblem(listed(adopt)).expected).to.contain("lustre-dr:lustre.importFileSystemId");
            expect(accepted(listed(adopt, { importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "sg-0123456789abcdef0" })).repositories[0].importAssociationId).to.equal("dra-0123456789abcdef0");
            const twice = [...adopt, { fileSystemPath: "/b", repositoryPrefix: "b/", importAssociationId: "dra-0123456789abcdef0" }];
            expect(onlyProblem(listed(twice, { importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "sg-0123456789abcdef0" })).key).to.equal("lustre-dr:lustre.repositories[1].importAssociationId");
            expect(onlyProblem(listed([{ ...adopt[0], importAssociationId: "assoc-1" }], { importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "sg-0123456789abcdef0" })).value).to.equal("assoc-1");
        });

        const adoptedRepository = { fileSystemPath: "/data", repositoryPrefix: "data/", importAssociationId: "dra-0123456789abcdef0" };
        const adopting = (extra: Partial<UncheckedLustreSettings>) => listed([adoptedRepository], extra);

        it("checks the id of an adopted file system", () => {
            expect(accepted(adopting({ importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "sg-0123456789abcdef0" })).adopt).to.deep.equal({
                fileSystemId: "fs-0123456789abcdef0",
                securityGroupId: "sg-0123456789abcdef0",
            });
            expect(onlyProblem(adopting({ importFileSystemId: "fsx-123", importSecurityGroupId: "sg-0123456789abcdef0" }))).to.deep.include({
                key: "lustre-dr:lustre.importFileSystemId",
                value: "fsx-123",
            });
        });

        it("needs the adopted file system's security group, and only then", () => {
            expect(onlyProblem(adopting({ importFileSystemId: "fs-0123456789abcdef0" })).key).to.equal("lustre-dr:lustre.importSecurityGroupId");
            expect(onlyProblem({ importSecurityGroupId: "sg-0123456789abcdef0" }).expected).to.contain("unless importFileSystemId");
            expect(onlyProblem(adopting({ importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "default" })).value).to.equal("default");
        });

        it("needs the adopted file system's repositories listed: the short form would add an association beside them", () => {
            const problem = onlyProblem({ importFileSystemId: "fs-0123456789abcdef0", importSecurityGroupId: "sg-0123456789abcdef0" });
            expect(problem.key).to.equal("lustre-dr:lustre.repositories");
            expect(problem.expected).to.contain("would create a new association at /s3 beside the existing ones");
        });
    });

    describe("root squash", () => {
        it("accepts UID:GID with client NIDs and ranges, and 0:0 to switch it off", () => {
            expect(accepted({ rootSquash: { uidGid: "65534:65534", noSquashNids: ["10.0.1.10@tcp", "10.0.[2-10].[1-255]@tcp"] } }).rootSquash).to.deep.equal({
                uidGid: "65534:65534",
                noSquashNids: ["10.0.1.10@tcp", "10.0.[2-10].[1-255]@tcp"],
            });
            expect(accepted({ rootSquash: { uidGid: "0:0" } }).rootSquash).to.deep.equal({ uidGid: "0:0", noSquashNids: [] });
        });

        it("refuses ids that are not numbers, out of range, or half zero", () => {
            for (const uidGid of ["nobody:nogroup", "65534", "4294967295:1", "0:65534", "65534:0", "-1:-1", ""]) {
                expect(onlyProblem({ rootSquash: { uidGid } })).to.deep.include({ key: "lustre-dr:lustre.rootSquash.uidGid", value: uidGid });
            }
        });

        it("refuses NIDs FSx would refuse, naming each", () => {
            for (const nid of ["10.0.1.10", "10.0.1.10@o2ib", "10.0.1@tcp", "10.0.1.256@tcp", "10.0.[9-2].1@tcp", "host.example@tcp"]) {
                expect(onlyProblem({ rootSquash: { uidGid: "65534:65534", noSquashNids: [nid] } })).to.deep.include({
                    key: "lustre-dr:lustre.rootSquash.noSquashNids[0]",
                    value: nid,
                });
            }
            const many = Array.from({ length: 65 }, (_, i) => `10.0.0.${i}@tcp`);
            expect(onlyProblem({ rootSquash: { uidGid: "65534:65534", noSquashNids: many } }).key).to.equal("lustre-dr:lustre.rootSquash.noSquashNids");
            expect(onlyProblem({ rootSquash: { uidGid: "0:0", noSquashNids: ["10.0.1.10@tcp"] } }).expected).to.contain("root squash off");
        });
    });
});
