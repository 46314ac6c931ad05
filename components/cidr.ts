/**
 * The one IPv4 CIDR rule of lustre-dr: four decimal numbers 0-255, a prefix /0 to /32, and no host bits set.
 * `10.0.5.0/16` is refused although AWS would silently widen it to `10.0.0.0/16` in a security group rule: an
 * operator who wrote it almost always meant `10.0.5.0/24`, and granting a whole /16 by accident is a security hole.
 * Every CIDR the config takes (`network.cidr`, `network.clientCidrs`) goes through `ipv4CidrProblem`.
 */

/** A parsed IPv4 range: the address as a 32-bit number and the prefix length. */
export interface Ipv4Cidr {
    readonly address: number;
    readonly prefix: number;
}

const cidrPattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The range written in `text`, or undefined when it is not an IPv4 CIDR (host bits are allowed here). */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
    const match = cidrPattern.exec(text);
    if (!match) {
        return undefined;
    }
    const octets = match.slice(1, 5);
    // "010" is octal to some tools and decimal to others: refuse the ambiguity.
    if (octets.some((o) => o.length > 1 && o.startsWith("0"))) {
        return undefined;
    }
    const numbers = octets.map(Number);
    const prefix = Number(match[5]);
    if (numbers.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    return { address: numbers.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
    return `${[24, 16, 8, 0].map((shift) => Math.floor(cidr.address / 2 ** shift) % 256).join(".")}/${cidr.prefix}`;
}

/** The range with its host bits cleared: where a range of this prefix that contains the address starts. */
export function networkOf(cidr: Ipv4Cidr): Ipv4Cidr {
    return { address: cidr.address - (cidr.address % 2 ** (32 - cidr.prefix)), prefix: cidr.prefix };
}

export const ipv4CidrRule = "an IPv4 range such as 10.0.0.0/16: four numbers 0-255, then /0 to /32";

/** What is wrong with `text` as a range, in words (`expected ...`), or undefined when it is a valid range. */
export function ipv4CidrProblem(text: string): string | undefined {
    const parsed = parseIpv4Cidr(text);
    if (parsed === undefined) {
        return ipv4CidrRule;
    }
    const network = networkOf(parsed);
    if (network.address !== parsed.address) {
        const narrower = { address: parsed.address, prefix: narrowestPrefixFor(parsed.address) };
        return (
            `a range that starts on its boundary: ${text} has host bits set. ` +
            `The /${parsed.prefix} that contains it is ${formatIpv4Cidr(network)}; did you mean ${formatIpv4Cidr(network)} or ${formatIpv4Cidr(narrower)}?`
        );
    }
    return undefined;
}

/** The longest prefix (smallest range) at which `address` has no host bits, but at least a /24: the likely intent. */
function narrowestPrefixFor(address: number): number {
    let prefix = 32;
    while (prefix > 0 && address % 2 ** (32 - (prefix - 1)) === 0) {
        prefix -= 1;
    }
    return Math.max(prefix, 24);
}

/** Whether the IPv4 address `address` (dotted) lies inside `range`. */
export function cidrContains(range: Ipv4Cidr, address: string): boolean {
    const parsed = parseIpv4Cidr(`${address}/32`);
    if (parsed === undefined) {
        return false;
    }
    const size = 2 ** (32 - range.prefix);
    return parsed.address >= networkOf(range).address && parsed.address < networkOf(range).address + size;
}
