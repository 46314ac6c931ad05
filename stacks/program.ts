/**
 * The lustre-dr Pulumi program: read and validate config, resolve the peer, decide the handshake, then declare
 * one site. Everything that decides what to build happens before the first resource is registered.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/problems";
import { liveVersioningHistory, VersioningHistoryReader, versioningHistoryProblems } from "./adoption";
import { configNamespace, namespaceKeys, parseSiteConfig, RawSiteConfig, SiteConfig, StackIdentity } from "./config";
import { decideHandshake, PeerOutputs, peerProblems } from "./handshake";
import { readPeerOutputs } from "./peer";
import { verifyPeer } from "./peerPin";
import { roleNameProblems } from "./roles";
import { buildSite, DeploymentIdentity, roleArn, roleNames, SiteStackOutputs } from "./site";

/** Reads the stack's config as raw values; they are validated by parseSiteConfig, not here. */
export function readStackConfig(): RawSiteConfig {
    const config = new pulumi.Config(configNamespace);
    const raw: Record<string, unknown> = {
        awsRegion: new pulumi.Config("aws").get("region"),
        configKeys: Object.keys(pulumi.runtime.allConfig()),
    };
    for (const [key, kind] of Object.entries(namespaceKeys)) {
        raw[key] = kind === "string" ? config.get(key) : kind === "object" ? objectOrText(config, key) : config.getSecret(key);
    }
    return raw;
}

/** A YAML mapping or list as a value; anything else as the text it is, for the schema to name (not a JSON error). */
function objectOrText(config: pulumi.Config, key: string): unknown {
    try {
        return config.getObject<unknown>(key);
    } catch {
        return config.get(key);
    }
}

/** Config problems name the stack file they came from, as `lustre-dr plan` names them. */
function withStackFile<T>(stack: string, parse: () => T): T {
    try {
        return parse();
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new ConfigError(error.problems.map((problem) => ({ ...problem, file: problem.file ?? `Pulumi.${stack}.yaml` })));
        }
        throw error;
    }
}

export function currentStack(): StackIdentity {
    return { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() };
}

/** What the program reads outside Pulumi; tests and the offline plan pass their own. */
export interface ProgramEnvironment {
    /** The versioning history of a bucket to adopt (only asked when `bucket.importExisting` is true). */
    readonly versioningHistory: VersioningHistoryReader;
}

function liveEnvironment(): ProgramEnvironment {
    return { versioningHistory: liveVersioningHistory(new pulumi.Config("aws").get("profile")) };
}

/**
 * The peer's outputs checked against `lustre-dr:peerAccountId` and this side's own rules, or a ConfigError naming
 * every problem. Runs before the first resource is declared: a forged peer must not get as far as a grant.
 */
function trustedPeer(config: SiteConfig, identity: DeploymentIdentity, peerStack: string, outputs: PeerOutputs): PeerOutputs {
    if (config.peerAccountId === undefined) {
        // parseSiteConfig requires the pin whenever the peer is read; this only guards other callers.
        throw new ConfigError([{ key: `${configNamespace}:peerAccountId`, value: undefined, expected: `the account id of ${peerStack}` }]);
    }
    const verified = verifyPeer({ peerStack, accountId: config.peerAccountId, partition: identity.partition }, outputs);
    const problems = [
        ...("problems" in verified ? verified.problems : []),
        ...peerProblems({ region: config.region, encryption: config.bucket.encryption }, peerStack, outputs),
    ];
    if (problems.length > 0 || !("peer" in verified)) {
        throw new ConfigError(problems);
    }
    return verified.peer;
}

export async function lustreDrProgram(raw: RawSiteConfig = readStackConfig(), environment: ProgramEnvironment = liveEnvironment()): Promise<SiteStackOutputs> {
    const self = currentStack();
    const config = withStackFile(self.stack, () => parseSiteConfig(raw, self));
    const nameProblems = roleNameProblems(self);
    if (nameProblems.length > 0) {
        throw new ConfigError(nameProblems);
    }

    if (config.bucket.importExisting && config.bucket.name !== undefined) {
        const history = await environment.versioningHistory(config.bucket.name, config.region);
        const problems = versioningHistoryProblems(config.bucket, history);
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
        if (history === "suspended") {
            pulumi.log.warn(`bucket ${config.bucket.name}: versioning was suspended; objects written meanwhile have only their latest version, so restore cannot reach their earlier states`);
        }
    }

    const caller = await aws.getCallerIdentity();
    const identity: DeploymentIdentity = {
        accountId: caller.accountId,
        partition: caller.arn.split(":")[1],
        project: self.project,
        stack: self.stack,
    };

    // A detached side never reads the peer: during an incident its backend or account may be unreachable.
    const outputs = config.peerStack && !config.detached ? await readPeerOutputs(config.peerStack) : undefined;
    const peer = outputs && config.peerStack ? trustedPeer(config, identity, config.peerStack, outputs) : undefined;

    const handshake = decideHandshake({
        detached: config.detached,
        peerStack: config.peerStack,
        peer,
        selfReplicationRoleArn: roleArn(identity, roleNames(identity).replication),
        objectLock: config.bucket.objectLock !== undefined,
    });
    if (handshake.waitingFor) {
        void pulumi.log.warn(`replication to ${config.peerStack} waits: ${handshake.waitingFor}`);
    }
    return buildSite(config, identity, handshake, { sshPrivateKey: raw.sshPrivateKey });
}
