/**
 * The one region parser of lustre-dr: `aws:region` in the stack config and every `--region` flag of the CLI.
 *
 * A region that does not exist (`us-est-1`, `us-west-9`) passes any pattern, then fails deep inside a deployment
 * or a drill with an endpoint error. So regions are checked against a static list per partition, dated: a region
 * AWS opens after that date is refused until the list is updated here (one line, with its partition).
 */
import { nearest } from "./suggest";

export type Partition = "aws" | "aws-cn" | "aws-us-gov";

/** When the list below was last compared with AWS's region list (Regions and Zones, billing codes page). */
export const regionsAsOf = "2026-12-02";

export const partitionRegions: Readonly<Record<Partition, readonly string[]>> = {
    aws: [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
        "af-south-1",
        "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
        "il-central-1", "me-south-1", "me-central-1",
    ],
    "aws-cn": ["cn-north-1", "cn-northwest-1"],
    "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
};

const allRegions: readonly string[] = Object.values(partitionRegions).flat();

/** The partition a region belongs to, or undefined when the region is not on the list. */
export function partitionOf(region: string): Partition | undefined {
    return (Object.keys(partitionRegions) as Partition[]).find((partition) => partitionRegions[partition].includes(region));
}

export function isKnownRegion(region: string): boolean {
    return allRegions.includes(region);
}

/**
 * What is wrong with `value` as a region, as an `expected ...` phrase (with the nearest real region when there is
 * one), or undefined when it is a region on the list.
 */
export function regionProblem(value: string): string | undefined {
    if (isKnownRegion(value)) {
        return undefined;
    }
    const suggestion = nearest(value, allRegions);
    return (
        `an AWS region that exists${suggestion ? ` (did you mean ${suggestion}?)` : ", such as us-east-1"}; ` +
        `known regions as of ${regionsAsOf}: ${allRegions.join(", ")}`
    );
}
