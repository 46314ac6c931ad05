/** Every policy of the lustre-dr pack. infra/policy/index.ts serves them; tests import this list, never the pack. */
import type { Policies } from "@pulumi/policy";
import { dataResourcesProtected } from "./dataResourcesProtected";
import { lustreFileSystemLinked } from "./lustreFileSystemLinked";
import { lustreFileSystemSettings } from "./lustreFileSystemSettings";
import { noNotificationOnLinkedBucket } from "./noNotificationOnLinkedBucket";
import { replicatedBucketEncryption } from "./replicatedBucketEncryption";
import { replicatedBucketPublicAccess } from "./replicatedBucketPublicAccess";
import { replicatedBucketTlsOnly } from "./replicatedBucketTlsOnly";
import { replicatedBucketVersioning } from "./replicatedBucketVersioning";
import { replicationRoleScope } from "./replicationRoleScope";
import { replicationRules } from "./replicationRules";

export const lustreDrPolicies: Policies = [
    replicatedBucketVersioning,
    replicatedBucketPublicAccess,
    replicatedBucketTlsOnly,
    replicatedBucketEncryption,
    replicationRules,
    lustreFileSystemSettings,
    lustreFileSystemLinked,
    noNotificationOnLinkedBucket,
    replicationRoleScope,
    dataResourcesProtected,
];
