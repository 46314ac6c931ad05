/**
 * The FSx for Lustre settings lustre-dr accepts, as plain rules (docs/filesystem.md): which deployment and storage types
 * can carry an S3 data repository association, which capacities and per-unit throughputs each combination allows,
 * and the shape of the paths and the maintenance window.
 *
 * Everything here is pure. The stack calls `checkLustreSettings` while it validates config, before any resource
 * is registered; `LustreWithRepository` calls it again on its own args, so other programs get the same messages.
 */
import type { ConfigProblem } from "./problems";

// Each enumeration is an `as const` object with a type of the same name: the form the component package's schema
// analyzer (index.ts, PulumiPlugin.yaml) turns into an enum for other languages. TypeScript callers pass the strings.
const valuesOf = <T extends Record<string, string>>(enumeration: T): readonly T[keyof T][] => Object.values(enumeration) as T[keyof T][];

/** Deployment types that support data repository associations (SCRATCH_1 does not). */
export const LustreDeploymentType = {
    /** Latest persistent type: SSD, 125 to 1000 MB/s per TiB. */
    PERSISTENT_2: "PERSISTENT_2",
    /** Older persistent type: SSD or HDD. */
    PERSISTENT_1: "PERSISTENT_1",
    /** Not replicated within the Availability Zone; for temporary data. */
    SCRATCH_2: "SCRATCH_2",
} as const;
export type LustreDeploymentType = (typeof LustreDeploymentType)[keyof typeof LustreDeploymentType];
export const lustreDeploymentTypes = valuesOf(LustreDeploymentType);

/** Storage media of the file system. */
export const LustreStorageType = { SSD: "SSD", HDD: "HDD" } as const;
export type LustreStorageType = (typeof LustreStorageType)[keyof typeof LustreStorageType];
export const lustreStorageTypes = valuesOf(LustreStorageType);

/** Read cache in front of HDD storage; required with HDD, refused with SSD. */
export const LustreDriveCacheType = { NONE: "NONE", READ: "READ" } as const;
export type LustreDriveCacheType = (typeof LustreDriveCacheType)[keyof typeof LustreDriveCacheType];
export const lustreDriveCacheTypes = valuesOf(LustreDriveCacheType);

/** Compression of the file system's data. */
export const LustreDataCompressionType = { LZ4: "LZ4", NONE: "NONE" } as const;
export type LustreDataCompressionType = (typeof LustreDataCompressionType)[keyof typeof LustreDataCompressionType];
export const lustreDataCompressionTypes = valuesOf(LustreDataCompressionType);

/** CloudWatch Logs levels for data repository events. */
export const LustreLogLevel = {
    /** Warnings and errors. */
    WARN_ERROR: "WARN_ERROR",
    WARN_ONLY: "WARN_ONLY",
    ERROR_ONLY: "ERROR_ONLY",
    /** No logging. */
    DISABLED: "DISABLED",
} as const;
export type LustreLogLevel = (typeof LustreLogLevel)[keyof typeof LustreLogLevel];
export const lustreLogLevels = valuesOf(LustreLogLevel);

/** Per-unit storage throughput (MB/s/TiB) each persistent combination allows; scratch takes none. */
export const perUnitThroughputs = {
    PERSISTENT_2: [125, 250, 500, 1000],
    PERSISTENT_1_SSD: [50, 100, 200],
    PERSISTENT_1_HDD: [12, 40],
} as const;

/** PERSISTENT_1 HDD capacity comes in fixed units that depend on the throughput. */
export const hddCapacityUnitGiB: Readonly<Record<number, number>> = { 12: 6000, 40: 1800 };

/** SSD capacity (SCRATCH_2, PERSISTENT_1 SSD, PERSISTENT_2): 1200, 2400, then multiples of 2400 GiB. */
export const ssdCapacityStepGiB = 2400;

/** FSx's quota of data repository associations per file system. */
export const maxDataRepositories = 8;

/** FSx's limit on `NoSquashNids` entries. */
export const maxNoSquashNids = 64;

/** One data repository association as it arrives, not yet checked. */
export interface UncheckedDataRepository {
    readonly fileSystemPath: string;
    readonly repositoryPrefix: string;
    /** Adopt this existing association (`dra-...`) instead of creating one; only on an adopted file system. */
    readonly importAssociationId?: string;
}

/** One checked data repository association. */
export interface DataRepository {
    /** Where the repository appears inside the file system, e.g. `/s3`. */
    readonly fileSystemPath: string;
    /** Normalised: "" (whole bucket) or `a/b` without leading or trailing slash. */
    readonly repositoryPrefix: string;
    readonly importAssociationId?: string;
}

/** Root squash as it arrives: `uidGid` such as "65534:65534", and the client NIDs that keep root. */
export interface UncheckedRootSquash {
    readonly uidGid: string;
    readonly noSquashNids?: readonly string[];
}

export interface RootSquash {
    /** `UID:GID` root is mapped to; "0:0" switches root squash off. */
    readonly uidGid: string;
    readonly noSquashNids: readonly string[];
}

export interface AdoptedFileSystem {
    readonly fileSystemId: string;
    readonly securityGroupId: string;
}

/** Settings of one file system as they arrive (from config or from a component's args), not yet checked. */
export interface UncheckedLustreSettings {
    readonly deploymentType: string;
    readonly storageType: string;
    readonly storageCapacityGiB: number;
    readonly perUnitStorageThroughput?: number;
    readonly driveCacheType?: string;
    readonly dataCompression: string;
    /** Short form of one repository; refused together with `repositories`. @default "/s3" */
    readonly fileSystemPath?: string;
    /** Short form of one repository; refused together with `repositories`. @default "" */
    readonly repositoryPrefix?: string;
    /** One to eight repositories, each its own association. */
    readonly repositories?: readonly UncheckedDataRepository[];
    readonly rootSquash?: UncheckedRootSquash;
    /** Adopt this existing file system (`fs-...`) instead of creating one. */
    readonly importFileSystemId?: string;
    /** The adopted file system's security group (FSx does not report it); client rules go there. */
    readonly importSecurityGroupId?: string;
    readonly weeklyMaintenanceStartTime?: string;
    readonly logLevel: string;
    /** A customer-managed KMS key for the file system's own storage; only persistent types honour one. */
    readonly kmsKeyId?: unknown;
}

/** Settings that passed every rule, with the type-dependent defaults filled in. */
export interface LustreFileSystemSettings {
    readonly deploymentType: LustreDeploymentType;
    readonly storageType: LustreStorageType;
    readonly storageCapacityGiB: number;
    /** Absent on scratch file systems. */
    readonly perUnitStorageThroughput?: number;
    /** Present exactly when storageType is HDD. */
    readonly driveCacheType?: LustreDriveCacheType;
    readonly dataCompression: LustreDataCompressionType;
    /** One to eight associations with non-overlapping paths and prefixes; the short form becomes one entry. */
    readonly repositories: readonly DataRepository[];
    readonly rootSquash?: RootSquash;
    /** The existing file system to adopt, and the security group its clients' rules go into. */
    readonly adopt?: AdoptedFileSystem;
    readonly weeklyMaintenanceStartTime?: string;
    readonly logLevel: LustreLogLevel;
}

export type LustreSettingsCheck = { readonly problems: []; readonly settings: LustreFileSystemSettings } | { readonly problems: ConfigProblem[] };

/** Names a setting the way the user wrote it; the stack uses `lustre-dr:lustre.<field>`. */
export type SettingKey = (field: keyof UncheckedLustreSettings) => string;

export const configSettingKey: SettingKey = (field) => `lustre-dr:lustre.${field}`;

export function isPersistent(deploymentType: LustreDeploymentType): boolean {
    return deploymentType !== "SCRATCH_2";
}

function includes<T extends string | number>(values: readonly T[], value: unknown): value is T {
    return (values as readonly unknown[]).includes(value);
}

function listOf(values: readonly (string | number)[]): string {
    return values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v))).join(", ");
}

/** Allowed per-unit throughputs for a combination; `[]` means the setting must be left out. */
export function allowedThroughputs(deploymentType: LustreDeploymentType, storageType: LustreStorageType): readonly number[] {
    switch (deploymentType) {
        case "PERSISTENT_2":
            return perUnitThroughputs.PERSISTENT_2;
        case "PERSISTENT_1":
            return storageType === "HDD" ? perUnitThroughputs.PERSISTENT_1_HDD : perUnitThroughputs.PERSISTENT_1_SSD;
        case "SCRATCH_2":
            return [];
    }
}

/** The throughput used when none is given: the cheapest the combination allows (125 on PERSISTENT_2). */
export function defaultThroughput(deploymentType: LustreDeploymentType, storageType: LustreStorageType): number | undefined {
    return allowedThroughputs(deploymentType, storageType)[0];
}

/** Whether `capacityGiB` is a size FSx accepts for the combination; explains the valid sizes when not. */
export function capacityRule(
    deploymentType: LustreDeploymentType,
    storageType: LustreStorageType,
    perUnitStorageThroughput: number | undefined,
): { readonly accepts: (capacityGiB: number) => boolean; readonly expected: string } {
    if (deploymentType === "PERSISTENT_1" && storageType === "HDD") {
        const unit = perUnitStorageThroughput === undefined ? undefined : hddCapacityUnitGiB[perUnitStorageThroughput];
        if (unit === undefined) {
            return {
                accepts: () => true, // judged once the throughput is valid; the throughput problem is reported instead
                expected: "",
            };
        }
        return {
            accepts: (capacity) => capacity > 0 && capacity % unit === 0,
            expected: `a multiple of ${unit} GiB for PERSISTENT_1 HDD at ${perUnitStorageThroughput} MB/s/TiB (${unit}, ${2 * unit}, ${3 * unit}, ...; 12 MB/s/TiB takes multiples of 6000, 40 MB/s/TiB multiples of 1800)`,
        };
    }
    return {
        accepts: (capacity) => capacity === 1200 || (capacity > 0 && capacity % ssdCapacityStepGiB === 0),
        expected: `1200, 2400 or a multiple of 2400 GiB for ${deploymentType} ${storageType} (1200, 2400, 4800, 7200, ...)`,
    };
}

/** `d:HH:MM` in UTC, day 1 = Monday ... 7 = Sunday. */
const maintenanceWindow = /^[1-7]:([01]\d|2[0-3]):[0-5]\d$/;

/** S3 "safe" key characters, segment by segment: FSx writes the prefix into event configurations and paths. */
const prefixSegment = /^[A-Za-z0-9!_.*'()-]+$/;

/** `""`, `a`, `a/b/`, ... -> `""`, `a`, `a/b`; `undefined` when the prefix is not a usable S3 key prefix. */
export function normaliseRepositoryPrefix(prefix: string): string | undefined {
    const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    if (trimmed === "") {
        return prefix === "" ? "" : undefined;
    }
    const segments = trimmed.split("/");
    return segments.every((s) => prefixSegment.test(s) && s !== "." && s !== "..") ? trimmed : undefined;
}

/**
 * `s3://bucket/prefix/`, always with the trailing slash: FSx reports the path that way, and writing it without
 * the slash makes every update show a diff.
 */
export function dataRepositoryPath(bucketName: string, normalisedPrefix: string): string {
    return normalisedPrefix === "" ? `s3://${bucketName}/` : `s3://${bucketName}/${normalisedPrefix}/`;
}

/**
 * Checks one file system's settings against every rule and returns all problems at once, or the settings
 * typed and completed (the default throughput of the combination filled in).
 */
export function checkLustreSettings(raw: UncheckedLustreSettings, keyOf: SettingKey = configSettingKey): LustreSettingsCheck {
    const problems: ConfigProblem[] = [];
    const problem = (field: keyof UncheckedLustreSettings, expected: string): void => {
        problems.push({ key: keyOf(field), value: raw[field], expected });
    };

    let deploymentType: LustreDeploymentType | undefined;
    if (raw.deploymentType === "SCRATCH_1") {
        problem(
            "deploymentType",
            `one of ${listOf(lustreDeploymentTypes)}: SCRATCH_1 cannot have a data repository association, so it could not be linked to the bucket`,
        );
    } else if (includes(lustreDeploymentTypes, raw.deploymentType)) {
        deploymentType = raw.deploymentType;
    } else {
        problem("deploymentType", `one of ${listOf(lustreDeploymentTypes)}`);
    }

    let storageType: LustreStorageType | undefined;
    if (includes(lustreStorageTypes, raw.storageType)) {
        storageType = raw.storageType;
        if (storageType === "HDD" && deploymentType !== undefined && deploymentType !== "PERSISTENT_1") {
            problem("storageType", `"SSD" for ${deploymentType} (HDD storage exists only on PERSISTENT_1)`);
            storageType = undefined;
        }
    } else {
        problem("storageType", `one of ${listOf(lustreStorageTypes)}`);
    }

    let driveCacheType: LustreDriveCacheType | undefined;
    if (storageType === "HDD") {
        if (includes(lustreDriveCacheTypes, raw.driveCacheType)) {
            driveCacheType = raw.driveCacheType;
        } else {
            problem("driveCacheType", `one of ${listOf(lustreDriveCacheTypes)} (required with HDD storage)`);
        }
    } else if (storageType === "SSD" && raw.driveCacheType !== undefined) {
        problem("driveCacheType", "no driveCacheType with SSD storage (it is a read cache for HDD only): remove the key");
    }

    let throughput: number | undefined;
    if (deploymentType !== undefined && storageType !== undefined) {
        const allowed = allowedThroughputs(deploymentType, storageType);
        if (allowed.length === 0) {
            if (raw.perUnitStorageThroughput !== undefined) {
                problem("perUnitStorageThroughput", `no perUnitStorageThroughput for ${deploymentType} (scratch throughput is fixed): remove the key`);
            }
        } else if (raw.perUnitStorageThroughput === undefined) {
            throughput = allowed[0];
        } else if (allowed.includes(raw.perUnitStorageThroughput)) {
            throughput = raw.perUnitStorageThroughput;
        } else {
            problem("perUnitStorageThroughput", `one of ${listOf(allowed)} MB/s/TiB for ${deploymentType} ${storageType}`);
        }
        const capacity = capacityRule(deploymentType, storageType, throughput);
        if (!Number.isInteger(raw.storageCapacityGiB) || !capacity.accepts(raw.storageCapacityGiB)) {
            problem("storageCapacityGiB", capacity.expected);
        }
    }

    let dataCompression: LustreDataCompressionType | undefined;
    if (includes(lustreDataCompressionTypes, raw.dataCompression)) {
        dataCompression = raw.dataCompression;
    } else {
        problem("dataCompression", `one of ${listOf(lustreDataCompressionTypes)}`);
    }

    let logLevel: LustreLogLevel | undefined;
    if (includes(lustreLogLevels, raw.logLevel)) {
        logLevel = raw.logLevel;
    } else {
        problem("logLevel", `one of ${listOf(lustreLogLevels)}`);
    }

    const repositories = checkRepositories(raw, keyOf, problems);
    const rootSquash = raw.rootSquash === undefined ? undefined : checkRootSquash(raw.rootSquash, keyOf("rootSquash"), problems);
    if (raw.importFileSystemId !== undefined && !fileSystemIdPattern.test(raw.importFileSystemId)) {
        problem("importFileSystemId", 'the id of an existing FSx for Lustre file system, such as "fs-0123456789abcdef0"');
    }
    if (raw.importFileSystemId !== undefined && raw.repositories === undefined) {
        // The short form would add a new association at /s3 beside the ones the file system already has.
        problem(
            "repositories",
            `the adopted file system's associations, each with its importAssociationId (and any new one without): with importFileSystemId the one-repository short form would create a new association at ${raw.fileSystemPath ?? "/s3"} beside the existing ones`,
        );
    }
    if (raw.importSecurityGroupId !== undefined && !/^sg-[0-9a-f]{8,17}$/.test(raw.importSecurityGroupId)) {
        problem("importSecurityGroupId", 'the id of the adopted file system\'s security group, such as "sg-0123456789abcdef0"');
    } else if (raw.importFileSystemId !== undefined && raw.importSecurityGroupId === undefined) {
        problem("importSecurityGroupId", `the id of a security group of ${raw.importFileSystemId} (FSx does not report it; lustre-dr adds its clients' Lustre rules there)`);
    } else if (raw.importFileSystemId === undefined && raw.importSecurityGroupId !== undefined) {
        problem("importSecurityGroupId", "no security group unless importFileSystemId adopts a file system (a created file system gets its own group)");
    }

    if (raw.weeklyMaintenanceStartTime !== undefined && !maintenanceWindow.test(raw.weeklyMaintenanceStartTime)) {
        problem("weeklyMaintenanceStartTime", 'd:HH:MM in UTC, day 1 (Monday) to 7 (Sunday), such as "7:03:00"');
    }

    if (raw.kmsKeyId !== undefined && deploymentType === "SCRATCH_2") {
        problem("kmsKeyId", "no KMS key on SCRATCH_2 (scratch file systems are always encrypted with an FSx-managed key); use PERSISTENT_1 or PERSISTENT_2 for a customer-managed key");
    }

    if (
        problems.length > 0 ||
        deploymentType === undefined ||
        storageType === undefined ||
        dataCompression === undefined ||
        logLevel === undefined ||
        repositories === undefined
    ) {
        return { problems };
    }
    return {
        problems: [],
        settings: {
            deploymentType,
            storageType,
            storageCapacityGiB: raw.storageCapacityGiB,
            ...(throughput === undefined ? {} : { perUnitStorageThroughput: throughput }),
            ...(driveCacheType === undefined ? {} : { driveCacheType }),
            dataCompression,
            repositories,
            ...(rootSquash === undefined ? {} : { rootSquash }),
            ...(raw.importFileSystemId !== undefined && raw.importSecurityGroupId !== undefined
                ? { adopt: { fileSystemId: raw.importFileSystemId, securityGroupId: raw.importSecurityGroupId } }
                : {}),
            ...(raw.weeklyMaintenanceStartTime === undefined ? {} : { weeklyMaintenanceStartTime: raw.weeklyMaintenanceStartTime }),
            logLevel,
        },
    };
}

const fileSystemIdPattern = /^fs-[0-9a-f]{8,17}$/;
const associationIdPattern = /^dra-[0-9a-f]{8,17}$/;

const fileSystemPathRule = 'a path inside the file system that starts with "/", such as "/s3" ("/" alone links the whole file system)';
const repositoryPrefixRule = `"" (the whole bucket) or an S3 key prefix such as "projects/shared": segments of letters, digits and !_.*'()- separated by "/", no leading "/", no "." or ".." segments`;

function isFileSystemPath(path: string): boolean {
    return path.startsWith("/") && !/[\s\u0000-\u001f]/.test(path) && path.length <= 4096;
}

/** `/a/b/` -> `/a/b`; `/` stays `/`. */
function trimPath(path: string): string {
    return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Whether one path (or prefix) contains the other, segment-wise; `root` contains everything. */
function nested(a: string, b: string, root: string): boolean {
    const within = (outer: string, inner: string): boolean => outer === root || inner === outer || inner.startsWith(outer.endsWith("/") ? outer : `${outer}/`);
    return within(a, b) || within(b, a);
}

/**
 * The repositories of one file system: the list form, or the short form (`fileSystemPath`, `repositoryPrefix`) as one
 * entry. FSx processes associations one at a time and refuses paths that contain one another; prefixes that contain
 * one another would import the same objects twice and export each file to two keys, so they are refused too.
 */
function checkRepositories(raw: UncheckedLustreSettings, keyOf: SettingKey, problems: ConfigProblem[]): DataRepository[] | undefined {
    const before = problems.length;
    const listed = raw.repositories;
    if (listed !== undefined && (raw.fileSystemPath !== undefined || raw.repositoryPrefix !== undefined)) {
        problems.push({
            key: keyOf("repositories"),
            value: listed,
            expected: `either repositories or the one-repository short form (fileSystemPath, repositoryPrefix), not both: move ${keyOf(raw.fileSystemPath !== undefined ? "fileSystemPath" : "repositoryPrefix")} into the list`,
        });
        return undefined;
    }
    if (listed === undefined) {
        const fileSystemPath = raw.fileSystemPath ?? "/s3";
        const repositoryPrefix = normaliseRepositoryPrefix(raw.repositoryPrefix ?? "");
        if (!isFileSystemPath(fileSystemPath)) {
            problems.push({ key: keyOf("fileSystemPath"), value: raw.fileSystemPath, expected: fileSystemPathRule });
        }
        if (repositoryPrefix === undefined) {
            problems.push({ key: keyOf("repositoryPrefix"), value: raw.repositoryPrefix, expected: repositoryPrefixRule });
        }
        return problems.length > before || repositoryPrefix === undefined ? undefined : [{ fileSystemPath, repositoryPrefix }];
    }
    const listKey = keyOf("repositories");
    if (listed.length < 1 || listed.length > maxDataRepositories) {
        problems.push({
            key: listKey,
            value: listed.length,
            expected: `1 to ${maxDataRepositories} repositories (FSx allows at most ${maxDataRepositories} data repository associations per file system)`,
        });
        return undefined;
    }
    const checked: DataRepository[] = [];
    listed.forEach((entry, index) => {
        const key = (field: keyof UncheckedDataRepository): string => `${listKey}[${index}].${field}`;
        if (!isFileSystemPath(entry.fileSystemPath)) {
            problems.push({ key: key("fileSystemPath"), value: entry.fileSystemPath, expected: fileSystemPathRule });
        }
        const prefix = entry.repositoryPrefix === "" || entry.repositoryPrefix.endsWith("/") ? normaliseRepositoryPrefix(entry.repositoryPrefix) : undefined;
        if (prefix === undefined) {
            problems.push({ key: key("repositoryPrefix"), value: entry.repositoryPrefix, expected: `${repositoryPrefixRule}; in the list form it ends with "/" (such as "projects/shared/")` });
        }
        if (entry.importAssociationId !== undefined) {
            if (!associationIdPattern.test(entry.importAssociationId)) {
                problems.push({ key: key("importAssociationId"), value: entry.importAssociationId, expected: 'the id of an existing data repository association, such as "dra-0123456789abcdef0"' });
            } else if (raw.importFileSystemId === undefined) {
                problems.push({ key: key("importAssociationId"), value: entry.importAssociationId, expected: `no association id unless the file system is adopted too (${keyOf("importFileSystemId")})` });
            }
        }
        checked.forEach((earlier, earlierIndex) => {
            if (isFileSystemPath(entry.fileSystemPath) && nested(trimPath(earlier.fileSystemPath), trimPath(entry.fileSystemPath), "/")) {
                problems.push({
                    key: key("fileSystemPath"),
                    value: entry.fileSystemPath,
                    expected: `a path that neither contains nor lies inside ${listKey}[${earlierIndex}].fileSystemPath (${JSON.stringify(earlier.fileSystemPath)}): FSx refuses overlapping association paths, and "/" only as the only repository`,
                });
            }
            if (prefix !== undefined && nested(earlier.repositoryPrefix, prefix, "")) {
                problems.push({
                    key: key("repositoryPrefix"),
                    value: entry.repositoryPrefix,
                    expected: `a prefix that neither contains nor lies inside ${listKey}[${earlierIndex}].repositoryPrefix (${JSON.stringify(earlier.repositoryPrefix === "" ? "" : `${earlier.repositoryPrefix}/`)}): two associations would import and export the same objects ("" only as the only repository)`,
                });
            }
            if (entry.importAssociationId !== undefined && entry.importAssociationId === earlier.importAssociationId) {
                problems.push({ key: key("importAssociationId"), value: entry.importAssociationId, expected: `an association no other repository adopts (${listKey}[${earlierIndex}] adopts it)` });
            }
        });
        checked.push({
            fileSystemPath: entry.fileSystemPath,
            repositoryPrefix: prefix ?? entry.repositoryPrefix,
            ...(entry.importAssociationId === undefined ? {} : { importAssociationId: entry.importAssociationId }),
        });
    });
    return problems.length > before ? undefined : checked;
}

/** UIDs and GIDs FSx accepts in a root squash setting. */
const maxUidGid = 4294967294;

/** One NID part: a number or a `[low-high]` range, each 0-255. */
function isNidPart(part: string): boolean {
    const octet = (text: string): boolean => /^\d{1,3}$/.test(text) && Number(text) <= 255;
    const range = /^\[(\d{1,3})-(\d{1,3})\]$/.exec(part);
    return range ? octet(range[1]) && octet(range[2]) && Number(range[1]) <= Number(range[2]) : octet(part);
}

/** A client NID as FSx takes it: `10.0.1.6@tcp`, or with ranges `10.0.[2-10].[1-255]@tcp`. */
export function isLustreNid(nid: string): boolean {
    const match = /^(.+)@tcp$/.exec(nid);
    if (!match || nid.length < 11 || nid.length > 43) {
        return false;
    }
    const parts = match[1].split(".");
    return parts.length === 4 && parts.every(isNidPart);
}

/**
 * Root squash: root on a client becomes `uidGid` on the file system, except on the clients listed in `noSquashNids`.
 * "0:0" switches it off (and then no NID list makes sense).
 */
function checkRootSquash(raw: UncheckedRootSquash, key: string, problems: ConfigProblem[]): RootSquash | undefined {
    const before = problems.length;
    const match = /^(\d{1,10}):(\d{1,10})$/.exec(raw.uidGid);
    const ids = match ? [Number(match[1]), Number(match[2])] : undefined;
    if (ids === undefined || ids.some((id) => id > maxUidGid) || (ids[0] === 0) !== (ids[1] === 0)) {
        problems.push({
            key: `${key}.uidGid`,
            value: raw.uidGid,
            expected: `UID:GID, both from 1 to ${maxUidGid}, such as "65534:65534" (nobody:nogroup) to squash root; "0:0" switches root squash off`,
        });
    }
    const nids = raw.noSquashNids ?? [];
    if (nids.length > maxNoSquashNids) {
        problems.push({ key: `${key}.noSquashNids`, value: nids.length, expected: `at most ${maxNoSquashNids} NIDs (FSx's limit)` });
    }
    nids.forEach((nid, index) => {
        if (!isLustreNid(nid)) {
            problems.push({
                key: `${key}.noSquashNids[${index}]`,
                value: nid,
                expected: 'a client NID: an IPv4 address followed by "@tcp", such as "10.0.1.10@tcp", or a range such as "10.0.[2-10].[1-255]@tcp"',
            });
        }
    });
    if (ids !== undefined && ids[0] === 0 && ids[1] === 0 && nids.length > 0) {
        problems.push({ key: `${key}.noSquashNids`, value: nids, expected: 'no NIDs while uidGid is "0:0" (root squash off): exempting clients only means something when root is squashed' });
    }
    return problems.length > before ? undefined : { uidGid: raw.uidGid, noSquashNids: [...nids] };
}
