import type { ResourceValidationPolicy } from "@pulumi/policy";
import { types } from "../stackModel";

/** Resources whose deletion loses data or the service: the bucket holds every version, the file system the live data. */
export const protectedTypes: readonly string[] = [types.bucket, types.lustre];

/**
 * `protect` makes `pulumi destroy` and replacements stop before deleting data. Advisory: a test stack may
 * deliberately opt out (`protect: false`), and an operator unprotects on purpose to retire a side.
 */
export const dataResourcesProtected: ResourceValidationPolicy = {
    name: "data-resources-protected",
    description: "S3 buckets and FSx for Lustre file systems are protected resources (protect: true).",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: (args, reportViolation) => {
        if (protectedTypes.includes(args.type) && !args.opts.protect) {
            reportViolation(
                `${args.name} (${args.type}) is not protected; declare it with { protect: true } (lustre-dr components do ` +
                    `by default) so that destroy or a replacing change cannot delete its data.`,
            );
        }
    },
};
