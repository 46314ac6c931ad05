/**
 * The mock runner for tests: the generic one from infra/plan/mockRunner.ts, with the attributes AWS would compute
 * (ARNs, DNS names) filled in, so components that read them back can be asserted on.
 */
import { ComputedState, MockedRun, MockWorld, RecordedResource, resolveAll, runWithMocks as runGeneric, valueOf } from "../../infra/plan/mockRunner";

export type { MockedRun, MockWorld, RecordedResource };
export { resolveAll, valueOf };

/** Attributes AWS computes that components read back (ARNs), derived from the inputs like AWS would. */
const computedState: ComputedState = (type, name, inputs, accountId, region) => {
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = (inputs.bucket as string | undefined) ?? `${name}-0123abc`;
            return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.amazonaws.com` };
        }
        case "aws:iam/role:Role": {
            const roleName = (inputs.name as string | undefined) ?? name;
            return { name: roleName, arn: `arn:aws:iam::${accountId}:role/${roleName}` };
        }
        case "aws:iam/instanceProfile:InstanceProfile": {
            const profileName = (inputs.name as string | undefined) ?? name;
            return { name: profileName, arn: `arn:aws:iam::${accountId}:instance-profile/${profileName}` };
        }
        case "aws:kms/key:Key":
            return { arn: `arn:aws:kms:${region}:${accountId}:key/${name}-key-id`, keyId: `${name}-key-id` };
        case "aws:fsx/lustreFileSystem:LustreFileSystem":
            // The mock id of every resource is `${name}-id`; FSx derives the DNS name from the file system id.
            return { dnsName: `${name}-id.fsx.us-east-1.amazonaws.com`, mountName: "abcdefgh" };
        case "aws:cloudwatch/logGroup:LogGroup": {
            const logGroupName = (inputs.name as string | undefined) ?? `${(inputs.namePrefix as string | undefined) ?? name}0123abc`;
            return { name: logGroupName, arn: `arn:aws:logs:us-east-1:${accountId}:log-group:${logGroupName}` };
        }
        case "aws:sns/topic:Topic":
            return { arn: `arn:aws:sns:us-east-1:${accountId}:${name}` };
        default:
            return {};
    }
};

/**
 * Answers the SSM public-parameter lookups LustreClient makes for AMIs, the way SSM would: one AMI id per parameter.
 * Pass as `world.invokes` (or spread into it) when a program builds instance clients.
 */
export const publicAmiInvokes: NonNullable<MockWorld["invokes"]> = {
    "aws:ssm/getParameter:getParameter": (inputs) => {
        const name = String(inputs.name);
        if (!name.startsWith("/aws/service/")) {
            throw new Error(`unexpected SSM parameter ${name}`);
        }
        return { name, value: "ami-0123456789abcdef0", insecureValue: "ami-0123456789abcdef0", type: "String", arn: `arn:aws:ssm:us-east-1::parameter${name}`, id: name, version: 1 };
    },
};

/** Runs `program` with mocks and waits until every resource registration has been answered (runs are serialised). */
export function runWithMocks<T>(
    program: () => T | Promise<T>,
    options: { stack: string; project?: string; organization?: string; world?: MockWorld },
): Promise<MockedRun<T>> {
    return runGeneric(program, {
        ...options,
        computedState,
        // A bucket's id is its name, as in AWS; child resources refer to it by id.
        idOf: (type, name, state) => (type === "aws:s3/bucket:Bucket" ? String(state.bucket) : `${name}-id`),
    });
}
