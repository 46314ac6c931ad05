import type { ResourceValidationPolicy } from "@pulumi/policy";
import { types } from "../stackModel";

/** Every problem of one file system's inputs, each naming the input to change. */
export function lustreSettingsProblems(props: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (props.fileSystemTypeVersion !== "2.15") {
        problems.push(
            `fileSystemTypeVersion is ${JSON.stringify(props.fileSystemTypeVersion ?? null)}; set "2.15" ` +
                `(data repository associations need Lustre 2.12 or 2.15, and 2.15 is the supported line).`,
        );
    }
    // The provider's default deployment type is SCRATCH_1, so leaving it out is SCRATCH_1 too.
    const deploymentType = props.deploymentType ?? "SCRATCH_1";
    if (deploymentType === "SCRATCH_1") {
        problems.push(
            `deploymentType is SCRATCH_1${props.deploymentType === undefined ? " (the provider's default)" : ""}, which cannot ` +
                `have a data repository association; use PERSISTENT_2, PERSISTENT_1 or SCRATCH_2.`,
        );
    }
    if (props.automaticBackupRetentionDays !== 0) {
        problems.push(
            `automaticBackupRetentionDays is ${JSON.stringify(props.automaticBackupRetentionDays ?? null)}; set 0. FSx cannot ` +
                `back up a file system linked to S3: the versioned, replicated bucket is the durable copy.`,
        );
    }
    if (props.copyTagsToBackups === true) {
        problems.push(`copyTagsToBackups is true; remove it (backups are off on a file system linked to S3).`);
    }
    return problems;
}

/**
 * Settings FSx needs on a file system linked to S3. A resource policy, so it runs on the inputs before the file
 * system is created or changed.
 */
export const lustreFileSystemSettings: ResourceValidationPolicy = {
    name: "lustre-file-system-settings",
    description:
        "Every FSx for Lustre file system runs Lustre 2.15, is not SCRATCH_1, and has automatic backups off (unsupported with S3 links).",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        if (args.type !== types.lustre) {
            return;
        }
        for (const problem of lustreSettingsProblems(args.props)) {
            reportViolation(`${args.name}: ${problem}`);
        }
    },
};
