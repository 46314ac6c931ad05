/**
 * The shell scripts that attach a host to an FSx for Lustre file system, shared by both LustreClient kinds: EC2
 * user data (run once by cloud-init) and the `remote.Command` of an existing host over SSH.
 *
 * Pure functions from plain values to script text, so they are tested by running them (against stub commands and
 * a temporary fstab) and by shellcheck, without Pulumi.
 *
 * Test hook: the scripts read `LUSTRE_DR_ROOT` (default: empty) and prefix it to every configuration file they
 * edit (`/etc/fstab`, the apt key and source list on Ubuntu), the way `DESTDIR` works for `make install`. Nothing
 * sets it on a real host; tests point it at a temporary directory so no test ever edits the machine's own files.
 */

/**
 * Operating systems the install step knows; each installs the client the way the FSx guide documents it. An `as
 * const` object with a type of the same name, the form the component package's schema turns into an enum.
 */
export const ClientOs = {
    /** Amazon Linux 2023. */
    al2023: "al2023",
    /** Amazon Linux 2 with the 5.10 kernel. */
    al2: "al2",
    /** Ubuntu 22.04 LTS. */
    ubuntu2204: "ubuntu2204",
} as const;
export type ClientOs = (typeof ClientOs)[keyof typeof ClientOs];

export const clientOperatingSystems: readonly ClientOs[] = Object.values(ClientOs);

/** Where a file system is mounted: the file system's DNS name and mount name, and the directory on the host. */
export interface LustreMount {
    /** The file system's DNS name. @example "fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com" */
    readonly dnsName: string;
    /** The file system's Lustre mount name (`fsx` on SCRATCH_1, generated otherwise). @example "abcdefgh" */
    readonly mountName: string;
    /** Absolute directory on the client. @example "/fsx" */
    readonly mountPoint: string;
}

export interface ClientScriptArgs extends LustreMount {
    /**
     * The host's operating system, or `detect` to choose the install steps on the host from `/etc/os-release`
     * (for existing hosts reached over SSH, whose OS the config does not state).
     */
    readonly os: ClientOs | "detect";
}

/** Mount options for an interactive mount (docs/filesystem.md); fstab adds boot-time ordering on top. */
export const mountOptions = "relatime,flock";
export const fstabOptions = `defaults,${mountOptions},_netdev,x-systemd.automount,x-systemd.requires=network.service`;

// Values end up inside shell words and fstab fields: fstab fields cannot hold whitespace, so refuse anything but
// the characters AWS uses in these names, and absolute paths without spaces.
const dnsNamePattern = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const mountNamePattern = /^[A-Za-z0-9_]+$/;
const mountPointPattern = /^\/[A-Za-z0-9._/-]*$/;

/** What a mount point must be, as a phrase for messages. */
export const mountPointRule = `an absolute directory other than "/", of letters, digits, ".", "_", "-" and "/", without ".."`;

export function isValidMountPoint(mountPoint: string): boolean {
    return mountPointPattern.test(mountPoint) && mountPoint !== "/" && !mountPoint.split("/").includes("..");
}

/** Problems with a mount's values, as sentences; empty when it is usable. */
export function lustreMountProblems(mount: LustreMount): string[] {
    const problems: string[] = [];
    if (!dnsNamePattern.test(mount.dnsName)) {
        problems.push(`dnsName ${JSON.stringify(mount.dnsName)} is not a DNS name (letters, digits, dots and hyphens)`);
    }
    if (!mountNamePattern.test(mount.mountName)) {
        problems.push(`mountName ${JSON.stringify(mount.mountName)} is not a Lustre mount name (letters, digits, underscores)`);
    }
    if (!isValidMountPoint(mount.mountPoint)) {
        problems.push(`mountPoint ${JSON.stringify(mount.mountPoint)} is not ${mountPointRule}`);
    }
    return problems;
}

function checked(mount: LustreMount): LustreMount {
    const problems = lustreMountProblems(mount);
    if (problems.length > 0) {
        throw new Error(`cannot generate a Lustre client script: ${problems.join("; ")}`);
    }
    return mount;
}

/** Quotes a value as one shell word. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `<dns>@tcp:/<mountName>`, what mount and fstab call the device. */
export function lustreSource(mount: Pick<LustreMount, "dnsName" | "mountName">): string {
    return `${mount.dnsName}@tcp:/${mount.mountName}`;
}

/** The one line the client script keeps in fstab. */
export function fstabLine(mount: LustreMount): string {
    return `${lustreSource(mount)} ${mount.mountPoint} lustre ${fstabOptions} 0 0`;
}

/** The command a person runs to mount the file system by hand on a host with the client installed. */
export function mountCommand(mount: LustreMount): string {
    const { mountPoint } = checked(mount);
    return `sudo mkdir -p ${mountPoint} && sudo mount -t lustre -o ${mountOptions} ${lustreSource(mount)} ${mountPoint}`;
}

const osNames: Record<ClientOs, string> = {
    al2023: "Amazon Linux 2023",
    al2: "Amazon Linux 2",
    ubuntu2204: "Ubuntu 22.04",
};

/** `ID:VERSION_ID` from /etc/os-release for each supported OS. */
export const osReleaseIds: Record<ClientOs, string> = {
    al2023: "amzn:2023",
    al2: "amzn:2",
    ubuntu2204: "ubuntu:22.04",
};

// The FSx guide's Ubuntu steps ("Installing the Lustre client"): the repository's signing key, a source list
// signed by it, then the client modules built for the running kernel.
const ubuntuKeyUrl = "https://fsx-lustre-client-repo-public-keys.s3.amazonaws.com/fsx-ubuntu-public-key.asc";
const ubuntuRepoUrl = "https://fsx-lustre-client-repo.s3.amazonaws.com/ubuntu";
const ubuntuKeyring = "/usr/share/keyrings/fsx-ubuntu-public-key.gpg";
const ubuntuSourceList = "/etc/apt/sources.list.d/fsxlustreclientrepo.list";

function installSteps(os: ClientOs): string[] {
    switch (os) {
        case "al2023":
            return ["dnf install -y lustre-client"];
        case "al2":
            return ["amazon-linux-extras install -y lustre"];
        case "ubuntu2204":
            return [
                `mkdir -p "\${root}${ubuntuKeyring.slice(0, ubuntuKeyring.lastIndexOf("/"))}" "\${root}${ubuntuSourceList.slice(0, ubuntuSourceList.lastIndexOf("/"))}"`,
                `curl -fsSL ${ubuntuKeyUrl} | gpg --dearmor --yes -o "\${root}${ubuntuKeyring}"`,
                `echo "deb [signed-by=${ubuntuKeyring}] ${ubuntuRepoUrl} jammy main" > "\${root}${ubuntuSourceList}"`,
                "export DEBIAN_FRONTEND=noninteractive",
                // On first boot unattended-upgrades holds the dpkg lock for minutes: wait for it instead of failing.
                "apt-get -o DPkg::Lock::Timeout=600 update",
                // Only the running kernel's modules: installing linux-aws would need a reboot before modprobe works.
                `apt-get -o DPkg::Lock::Timeout=600 install -y "lustre-client-modules-$(uname -r)"`,
            ];
    }
}

function fixedInstall(os: ClientOs): string[] {
    return [`os_name=${shellQuote(osNames[os])}`, `echo "lustre-dr: installing the Lustre client for $os_name"`, ...installSteps(os)];
}

function detectedInstall(): string[] {
    const branches = clientOperatingSystems.flatMap((os) => [
        `    ${osReleaseIds[os]})`,
        `        os_name=${shellQuote(osNames[os])}`,
        `        echo "lustre-dr: installing the Lustre client for $os_name"`,
        ...installSteps(os).map((step) => `        ${step}`),
        "        ;;",
    ]);
    const supported = clientOperatingSystems.map((os) => `${osNames[os]} (${osReleaseIds[os]})`).join(", ");
    return [
        `os_release="\${root}/etc/os-release"`,
        "# shellcheck source=/dev/null",
        `detected="$(. "$os_release" && echo "\${ID:-}:\${VERSION_ID:-}")"`,
        `case "$detected" in`,
        ...branches,
        "    *)",
        `        echo "lustre-dr: this host runs $detected (ID:VERSION_ID from /etc/os-release); the Lustre client install supports ${supported}" >&2`,
        "        exit 1",
        "        ;;",
        "esac",
    ];
}

const header = [
    "#!/bin/bash",
    "# Generated by lustre-dr (components/clientScript.ts); edit the generator, not this copy.",
    "set -euo pipefail",
    `trap 'echo "lustre-dr: failed (exit $?) at: $BASH_COMMAND" >&2' ERR`,
    "",
    "# LUSTRE_DR_ROOT prefixes every configuration file this script edits; tests point it at a temporary",
    "# directory. It is empty on real hosts.",
    `root="\${LUSTRE_DR_ROOT:-}"`,
    `fstab="\${root}/etc/fstab"`,
];

// What Lustre file system, if any, is mounted at the mount point (findmnt exits 1 when none is).
const mountedHere = [`mounted="$(findmnt --noheadings --output SOURCE --mountpoint "$mount_point" --types lustre || true)"`];

/**
 * Rewrites fstab through a temporary file (`$updated`, written by `edit`) and copies it back in place, keeping the
 * file's owner and mode; then tells systemd, which generates its mount units from fstab. Indented for an `if` body.
 */
function rewriteFstab(edit: readonly string[]): string[] {
    return [
        `updated="$(mktemp)"`,
        ...edit,
        `cat "$updated" > "$fstab"`,
        `rm -f "$updated"`,
        "if command -v systemctl > /dev/null; then",
        "    systemctl daemon-reload",
        "fi",
    ].map((line) => `    ${line}`);
}

function mountVariables(mount: LustreMount): string[] {
    return [
        `device=${shellQuote(lustreSource(mount))}`,
        `mount_name=${shellQuote(mount.mountName)}`,
        `mount_point=${shellQuote(mount.mountPoint)}`,
        `fstab_line=${shellQuote(fstabLine(mount))}`,
    ];
}

/**
 * Installs the Lustre client for `os`, checks the kernel can load it, keeps exactly one fstab line for the mount
 * point and mounts unless a Lustre file system is already mounted there. Safe to run any number of times.
 */
export function installAndMountScript(args: ClientScriptArgs): string {
    const mount = checked(args);
    const lines = [
        ...header,
        ...mountVariables(mount),
        "",
        ...(args.os === "detect" ? detectedInstall() : fixedInstall(args.os)),
        "",
        "if ! modprobe lustre; then",
        `    echo "lustre-dr: the running kernel $(uname -r) has no Lustre client module, so ${lustreSource(mount)} cannot be mounted." >&2`,
        `    echo "lustre-dr: install a kernel the FSx Lustre client supports for $os_name (see the FSx guide, Installing the Lustre client), reboot, and run this again." >&2`,
        "    exit 1",
        "fi",
        "",
        `mkdir -p "$mount_point"`,
        `if ! grep -qxF "$fstab_line" "$fstab"; then`,
        "    # Drop any other Lustre entry for this mount point (a replaced file system), keep every other line.",
        ...rewriteFstab([
            `MOUNT_POINT="$mount_point" awk '!($2 == ENVIRON["MOUNT_POINT"] && $3 == "lustre")' "$fstab" > "$updated"`,
            `printf '%s\\n' "$fstab_line" >> "$updated"`,
        ]),
        "fi",
        "",
        // Lustre reports the source by NID (the server's IP), not by DNS name, so compare the mount name.
        ...mountedHere,
        `if [ -z "$mounted" ]; then`,
        `    mount -t lustre -o ${mountOptions} "$device" "$mount_point"`,
        `    echo "lustre-dr: mounted $device at $mount_point"`,
        `elif [ "\${mounted##*:/}" = "$mount_name" ]; then`,
        `    echo "lustre-dr: $device is already mounted at $mount_point"`,
        "else",
        `    echo "lustre-dr: $mount_point already has $mounted mounted, not $device; unmount it or choose another mount point, then run this again." >&2`,
        "    exit 1",
        "fi",
        "",
    ];
    return lines.join("\n");
}

/**
 * Undoes the mount: stops the systemd automount, unmounts, and removes exactly the fstab line the install script
 * added. Leaves the client package and the (empty) mount point directory. Safe to run any number of times.
 */
export function unmountScript(mount: LustreMount): string {
    checked(mount);
    const lines = [
        ...header,
        ...mountVariables(mount),
        "",
        "if command -v systemctl > /dev/null; then",
        `    automount_unit="$(systemd-escape --path --suffix=automount "$mount_point")"`,
        `    if systemctl is-active --quiet "$automount_unit"; then`,
        `        systemctl stop "$automount_unit"`,
        "    fi",
        "fi",
        ...mountedHere,
        `if [ -n "$mounted" ] && [ "\${mounted##*:/}" = "$mount_name" ]; then`,
        `    umount "$mount_point"`,
        `    echo "lustre-dr: unmounted $device from $mount_point"`,
        "fi",
        `if grep -qxF "$fstab_line" "$fstab"; then`,
        ...rewriteFstab([`FSTAB_LINE="$fstab_line" awk '$0 != ENVIRON["FSTAB_LINE"]' "$fstab" > "$updated"`]),
        "fi",
        "",
    ];
    return lines.join("\n");
}

/**
 * A one-line remote command that runs `script` with bash as root, whatever the login shell is: `sudo -n` fails
 * at once instead of waiting for a password when the user may not sudo without one.
 */
export function asRootCommand(script: string, user: string): string {
    return `${user === "root" ? "" : "sudo -n "}bash -c ${shellQuote(script)}`;
}
