/**
 * S3's general-purpose bucket naming rules, so a bad name fails at validation instead of mid-deployment.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const reservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
const reservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Returns what is wrong with `name` as phrases of what would be valid; empty when S3 would accept it. */
export function bucketNameProblems(name: string): string[] {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) {
        problems.push(`3 to 63 characters (this name has ${name.length})`);
    }
    if (!/^[a-z0-9.-]*$/.test(name)) {
        problems.push("only lowercase letters, digits, dots and hyphens");
    }
    if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
        problems.push("a name that begins and ends with a lowercase letter or digit");
    }
    if (name.includes("..")) {
        problems.push("no two adjacent dots");
    }
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
        problems.push("a name that is not formatted as an IP address");
    }
    for (const prefix of reservedPrefixes) {
        if (name.startsWith(prefix)) {
            problems.push(`a name that does not start with the reserved prefix "${prefix}"`);
        }
    }
    for (const suffix of reservedSuffixes) {
        if (name.endsWith(suffix)) {
            problems.push(`a name that does not end with the reserved suffix "${suffix}"`);
        }
    }
    return problems;
}

/** `arn:aws:s3:::name` -> `name` (S3 bucket ARNs carry no region or account). */
export function bucketNameFromArn(arn: string): string {
    return arn.slice(arn.lastIndexOf(":") + 1);
}
