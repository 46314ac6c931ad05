import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { associationsOf, ofType, types } from "../stackModel";

/** Events that keep file system and bucket in step in both directions. */
export const requiredEvents = ["NEW", "CHANGED", "DELETED"] as const;

interface S3Policies {
    autoImportPolicy?: { events?: unknown };
    autoExportPolicy?: { events?: unknown };
}

function missingEvents(events: unknown): string[] {
    const present = Array.isArray(events) ? events : [];
    return requiredEvents.filter((event) => !present.includes(event));
}

/** What one association lacks, or an empty list when it syncs every change both ways. */
export function associationProblems(association: PolicyResource): string[] {
    const s3 = association.props.s3 as S3Policies | undefined;
    const problems: string[] = [];
    const imports = missingEvents(s3?.autoImportPolicy?.events);
    if (imports.length > 0) {
        problems.push(`s3.autoImportPolicy.events lacks ${imports.join(", ")}`);
    }
    const exports = missingEvents(s3?.autoExportPolicy?.events);
    if (exports.length > 0) {
        problems.push(`s3.autoExportPolicy.events lacks ${exports.join(", ")}`);
    }
    return problems;
}

/**
 * A file system is only recoverable through its bucket: every change must be exported to it (and so replicated)
 * and every replicated change imported from it.
 */
export const lustreFileSystemLinked: StackValidationPolicy = {
    name: "lustre-file-system-linked-to-bucket",
    description:
        "Every FSx for Lustre file system has a data repository association importing and exporting NEW, CHANGED and DELETED.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: (args, reportViolation) => {
        for (const fileSystem of ofType(args.resources, types.lustre)) {
            const associations = associationsOf(fileSystem, args.resources);
            if (associations.length === 0) {
                reportViolation(
                    `file system ${fileSystem.name} has no aws.fsx.DataRepositoryAssociation: link it to its bucket with ` +
                        `s3.autoImportPolicy.events and s3.autoExportPolicy.events both ["NEW", "CHANGED", "DELETED"].`,
                    fileSystem.urn,
                );
                continue;
            }
            for (const association of associations) {
                const problems = associationProblems(association);
                if (problems.length > 0) {
                    reportViolation(
                        `${association.name} (file system ${fileSystem.name}): ${problems.join("; ")}; ` +
                            `set both event lists to ["NEW", "CHANGED", "DELETED"] so every change reaches the bucket and comes back from it.`,
                        association.urn,
                    );
                }
            }
        }
    },
};
