/**
 * Rules that need more than one key, or the stack's own identity, to judge a value. Each rule runs when the keys it
 * reads parsed (a key with a problem of its own is already reported), so independent problems all surface at once.
 */
import { cidrContains, parseIpv4Cidr } from "../../components/cidr";
import { createdNetworkCidrProblems } from "../../components/lustreNetwork";
import type { ConfigProblem } from "../../components/problems";
import { bucketNameProblems } from "../bucketName";
import { configNamespace } from "./namespace";
import type { SiteValues } from "./schema";

export type SiteRole = "primary" | "dr";

/** The stack's own identity, from the Pulumi engine. */
export interface StackIdentity {
    readonly organization: string;
    readonly project: string;
    readonly stack: string;
}

export interface RuleInput {
    /** The keys that parsed; a key with a problem of its own is absent. */
    readonly values: Partial<SiteValues>;
    /** The role after its default; absent when it is unknown. */
    readonly role?: SiteRole;
    /** `lustre.enabled` after its role-dependent default; absent when unknown. */
    readonly lustreEnabled?: boolean;
    readonly self: StackIdentity;
    /** Whether the secret `lustre-dr:sshPrivateKey` is set (its value is never read here). */
    readonly hasSshPrivateKey: boolean;
}

type Rule = (input: RuleInput) => ConfigProblem[];

const key = (name: string) => `${configNamespace}:${name}`;

const peerStackRule: Rule = ({ values: { peerStack }, self }) => {
    if (peerStack === undefined) {
        return [];
    }
    const [organization, project, stack] = peerStack.split("/");
    if (organization === self.organization && project === self.project && stack === self.stack) {
        return [{ key: key("peerStack"), value: peerStack, expected: `the other side's stack, not this stack (${self.organization}/${self.project}/${self.stack})` }];
    }
    if (project !== self.project) {
        return [
            {
                key: key("peerStack"),
                value: peerStack,
                expected: `a stack of this project, ${organization}/${self.project}/<stack>: both sides of the pair run the same program (project "${self.project}"), and a stack of project "${project}" exports none of the outputs replication needs`,
            },
        ];
    }
    return [];
};

/** A peer's outputs are only believed against a pin; a detached side never reads its peer, so it needs none. */
const peerAccountIdRule: Rule = ({ values: { peerStack, peerAccountId, recovery } }) =>
    peerStack === undefined || peerAccountId !== undefined || recovery?.detached === true
        ? []
        : [
              {
                  key: key("peerAccountId"),
                  value: undefined,
                  expected: `the 12-digit account id of the peer stack ${peerStack}, required while peerStack is set: the peer's outputs are only trusted when they name this account (pulumi config set ${configNamespace}:peerAccountId 123456789012)`,
              },
          ];

const bucketNameRule: Rule = ({ values: { bucket } }) =>
    bucket?.name === undefined ? [] : bucketNameProblems(bucket.name).map((expected) => ({ key: key("bucket.name"), value: bucket.name, expected }));

const createdNetworkRule: Rule = ({ values: { network, awsRegion } }) => {
    if (network === undefined || !("create" in network)) {
        return [];
    }
    const problems = createdNetworkCidrProblems(network.cidr, key("network.cidr"));
    const zone = network.availabilityZone;
    if (zone !== undefined && awsRegion !== undefined && !(zone.startsWith(awsRegion) && /^[a-z]$/.test(zone.slice(awsRegion.length)))) {
        problems.push({ key: key("network.availabilityZone"), value: zone, expected: `an availability zone of ${awsRegion}, such as ${awsRegion}a` });
    }
    return problems;
};

/** The file system, and clients declared ahead of a recovery, need a network to be created in. */
const networkNeededRule: Rule = ({ values: { network, clients }, lustreEnabled }) => {
    if (network !== undefined) {
        return [];
    }
    if (lustreEnabled === true) {
        return [{ key: key("network"), value: undefined, expected: "a network when lustre.enabled is true: {vpcId, subnetId, clientCidrs} of an existing one, or {create: true}" }];
    }
    if (lustreEnabled === false && clients !== undefined && clients.length > 0) {
        return [
            {
                key: key("network"),
                value: undefined,
                expected: `a network for the clients (${clients.map((c) => c.name).join(", ")}): they are created on recovery, with the file system, in this network ({vpcId, subnetId, clientCidrs} or {create: true})`,
            },
        ];
    }
    return [];
};

const clientRules: Rule = ({ values: { clients, network }, hasSshPrivateKey }) => {
    if (clients === undefined) {
        return [];
    }
    const problems: ConfigProblem[] = [];
    const seen = new Set<string>();
    clients.forEach((client, index) => {
        if (seen.has(client.name)) {
            problems.push({ key: key(`clients[${index}].name`), value: client.name, expected: "a name no other client uses" });
        }
        seen.add(client.name);
        if (client.kind === "instance" && client.os === "ubuntu2204" && network !== undefined && "create" in network) {
            problems.push({
                key: key(`clients[${index}].os`),
                value: client.os,
                expected:
                    '"al2023" or "al2" on a network built by the stack (network.create: true): it has no internet path, and Ubuntu installs the Lustre client from the Ubuntu archive and the FSx apt repository (docs/filesystem.md, Network); use an existing network with a NAT for ubuntu2204',
            });
        }
        if (client.kind === "ssh" && network !== undefined && parseIpv4Cidr(`${client.host}/32`) !== undefined) {
            const ranges = "create" in network ? [network.cidr, ...network.clientCidrs] : network.clientCidrs;
            const inside = ranges.some((range) => {
                const parsed = parseIpv4Cidr(range);
                return parsed !== undefined && cidrContains(parsed, client.host);
            });
            if (!inside) {
                problems.push({
                    key: key(`clients[${index}].host`),
                    value: client.host,
                    expected: `an address inside a range allowed to mount (${ranges.length > 0 ? ranges.join(", ") : "none yet"}): add its range to ${key("network.clientCidrs")}, or the file system's security group will refuse it`,
                });
            }
        }
    });
    const sshClients = clients.filter((client) => client.kind === "ssh").map((client) => client.name);
    if (sshClients.length > 0 && !hasSshPrivateKey) {
        problems.push({
            key: key("sshPrivateKey"),
            value: undefined,
            expected: `the private key the ssh clients (${sshClients.join(", ")}) log in with, set as a secret: pulumi config set --secret ${configNamespace}:sshPrivateKey < key.pem`,
        });
    }
    return problems;
};

/** Adopting existing resources: what an import needs that the config alone can tell. */
const adoptionRule: Rule = ({ values: { bucket, network, lustre } }) => {
    const problems: ConfigProblem[] = [];
    if (bucket?.importExisting && bucket.name === undefined) {
        problems.push({ key: key("bucket.name"), value: undefined, expected: "the name of the existing bucket to adopt (bucket.importExisting is true)" });
    }
    if (bucket?.adoptWithoutHistory && !bucket.importExisting) {
        problems.push({
            key: key("bucket.adoptWithoutHistory"),
            value: true,
            expected: "only together with bucket.importExisting: true (it accepts an adopted bucket whose versioning was never enabled)",
        });
    }
    const importFileSystemId = lustre?.importFileSystemId;
    if (importFileSystemId !== undefined && network !== undefined && "create" in network) {
        problems.push({
            key: key("network"),
            value: { create: true },
            expected: `the existing network of the adopted file system ${importFileSystemId}: {vpcId, subnetId, clientCidrs} (an adopted file system stays in its own subnet)`,
        });
    }
    return problems;
};

/** Every cross-key rule, in the order their problems are listed. */
export const siteRules: readonly Rule[] = [peerStackRule, peerAccountIdRule, bucketNameRule, createdNetworkRule, adoptionRule, networkNeededRule, clientRules];
