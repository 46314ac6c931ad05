/**
 * The FSx for Lustre settings lustre-dr accepts, as plain rules (design.md §7): which deployment and storage types
 * can carry an S3 data repository association, which capacities and per-unit throughputs each combination allows,
 * and the shape of the paths and the maintenance window.
 *
 * Everything here is pure. The stack calls `checkLustreSettings` while it validates config, before any resource
 * is registered; `LustreWithRepository` calls it again on its own args, so other programs get the same messages.
 */
import type { ConfigProblem } from "./problems";

/** Deployment types that support data repository associations (SCRATCH_1 does not). */
export const lustreDeploymentTypes = ["PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2"] as const;
export type LustreDeploymentType = (typeof lustreDeploymentTypes)[number];

export const lustreStorageTypes = ["SSD", "HDD"] as const;
export type LustreStorageType = (typeof lustreStorageTypes)[number];

/** Read cache in front of HDD storage; required with HDD, refused with SSD. */
export const lustreDriveCacheTypes = ["NONE", "READ"] as const;
export type LustreDriveCacheType = (typeof lustreDriveCacheTypes)[number];

export const lustreDataCompressionTypes = ["LZ4", "NONE"] as const;
export type LustreDataCompressionType = (typeof lustreDataCompressionTypes)[number];

/** CloudWatch Logs levels for data repository events. */
export const lustreLogLevels = ["WARN_ERROR", "WARN_ONLY", "ERROR_ONLY", "DISABLED"] as const;
export type LustreLogLevel = (typeof lustreLogLevels)[number];

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

/** Settings of one file system as they arrive (from config or from a component's args), not yet checked. */
export interface UncheckedLustreSettings {
    readonly deploymentType: string;
    readonly storageType: string;
    readonly storageCapacityGiB: number;
    readonly perUnitStorageThroughput?: number;
    readonly driveCacheType?: string;
    readonly dataCompression: string;
    readonly fileSystemPath: string;
    readonly repositoryPrefix: string;
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
    readonly fileSystemPath: string;
    /** Normalised: "" (whole bucket) or `a/b` without leading or trailing slash. */
    readonly repositoryPrefix: string;
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

    if (!raw.fileSystemPath.startsWith("/") || /[\s\u0000-\u001f]/.test(raw.fileSystemPath) || raw.fileSystemPath.length > 4096) {
        problem("fileSystemPath", 'a path inside the file system that starts with "/", such as "/s3" ("/" alone links the whole file system)');
    }

    const repositoryPrefix = normaliseRepositoryPrefix(raw.repositoryPrefix);
    if (repositoryPrefix === undefined) {
        problem(
            "repositoryPrefix",
            `"" (the whole bucket) or an S3 key prefix such as "projects/shared": segments of letters, digits and !_.*'()- separated by "/", no leading "/", no "." or ".." segments`,
        );
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
        repositoryPrefix === undefined
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
            fileSystemPath: raw.fileSystemPath,
            repositoryPrefix,
            ...(raw.weeklyMaintenanceStartTime === undefined ? {} : { weeklyMaintenanceStartTime: raw.weeklyMaintenanceStartTime }),
            logLevel,
        },
    };
}
