/**
 * lustre-dr's reusable components, for this program and for other Pulumi programs.
 *
 * ```ts
 * import { ReplicatedBucket } from "lustre-dr";
 * ```
 */
export { BucketEncryption, ObjectLockMode, ReplicatedBucket } from "./replicatedBucket";
export type { ObjectLockRetention, ReplicatedBucketArgs, ReplicationDestination } from "./replicatedBucket";
export { LustreClient, LustreClientKind, amiParameterName, instanceArchitecture } from "./lustreClient";
export type { InstanceClientArgs, LustreClientArgs, MountedFileSystem, SshClientArgs } from "./lustreClient";
export { ClientOs, fstabLine, installAndMountScript, mountCommand, unmountScript } from "./clientScript";
export type { LustreMount } from "./clientScript";
export { LustreNetwork, createdNetworkCidrProblems, privateSubnetCidr, ssmEndpointServices } from "./lustreNetwork";
export type { CreatedNetworkArgs, ExistingNetworkArgs, LustreNetworkArgs } from "./lustreNetwork";
export { LustreWithRepository, dataRepositoryAssociationTimeout, dataRepositoryEvents, lustrePortRanges } from "./lustreWithRepository";
export type { LustreRepositoryArgs, LustreRootSquashArgs, LustreWithRepositoryArgs } from "./lustreWithRepository";
export {
    LustreDataCompressionType,
    LustreDeploymentType,
    LustreDriveCacheType,
    LustreLogLevel,
    LustreStorageType,
    checkLustreSettings,
    dataRepositoryPath,
    defaultThroughput,
    lustreDeploymentTypes,
    lustreStorageTypes,
} from "./lustreRules";
export type {
    LustreFileSystemSettings,
    UncheckedLustreSettings,
} from "./lustreRules";
export { ReplicationAlarms } from "./replicationAlarms";
export type { ReplicationAlarmsArgs, WatchedReplication } from "./replicationAlarms";
export { WriteActivityAlarms, requestMetricCount, requestMetricsFilterId } from "./writeActivityAlarms";
export type { WriteActivityAlarmsArgs } from "./writeActivityAlarms";
export { replicationRule, replicationRuleId, replicationTimeMinutes } from "./replicationRule";
export type { ReplicationRuleArgs } from "./replicationRule";
export * as policies from "./policyDocuments";
export { ConfigError, describeProblem } from "./problems";
export type { ConfigProblem } from "./problems";
