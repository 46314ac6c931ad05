import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    asRootCommand,
    ClientOs,
    clientOperatingSystems,
    fstabLine,
    installAndMountScript,
    LustreMount,
    lustreMountProblems,
    mountCommand,
    osReleaseIds,
    shellQuote,
    unmountScript,
} from "../../components/clientScript";

const mount: LustreMount = {
    dnsName: "fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com",
    mountName: "abcdefgh",
    mountPoint: "/fsx",
};
const device = "fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com@tcp:/abcdefgh";
const kernel = "5.15.0-1050-aws";

describe("clientScript", () => {
    describe("plain values", () => {
        it("builds the fstab line docs/filesystem.md documents", () => {
            expect(fstabLine(mount)).to.equal(
                `${device} /fsx lustre defaults,relatime,flock,_netdev,x-systemd.automount,x-systemd.requires=network.service 0 0`,
            );
        });

        it("builds a mount command a person can paste", () => {
            expect(mountCommand(mount)).to.equal(`sudo mkdir -p /fsx && sudo mount -t lustre -o relatime,flock ${device} /fsx`);
        });

        it("quotes single quotes so a value stays one shell word", () => {
            const quoted = shellQuote("it's");
            const echoed = spawnSync("bash", ["-c", `printf '%s' ${quoted}`], { encoding: "utf8" });
            expect(echoed.stdout).to.equal("it's");
        });

        it("runs remote scripts through sudo -n unless the user is root", () => {
            expect(asRootCommand("echo hi", "ubuntu")).to.equal("sudo -n bash -c 'echo hi'");
            expect(asRootCommand("echo hi", "root")).to.equal("bash -c 'echo hi'");
        });

        it("refuses values that would break the fstab line or the shell", () => {
            expect(lustreMountProblems(mount)).to.deep.equal([]);
            const problems = lustreMountProblems({ dnsName: "fs x", mountName: "a/b", mountPoint: "fsx" });
            expect(problems).to.have.length(3);
            expect(problems[0]).to.include(`dnsName "fs x"`);
            expect(problems[1]).to.include(`mountName "a/b"`);
            expect(problems[2]).to.include(`mountPoint "fsx"`);
            expect(lustreMountProblems({ ...mount, mountPoint: "/" })).to.have.length(1);
            expect(lustreMountProblems({ ...mount, mountPoint: "/mnt/../etc" })).to.have.length(1);
            expect(() => installAndMountScript({ ...mount, mountPoint: "/my data", os: "al2023" })).to.throw(/mountPoint "\/my data"/);
        });
    });

    describe("executed against stub commands", () => {
        /**
         * A fake host: a temporary LUSTRE_DR_ROOT with an fstab, a mount point inside it, and stub commands first
         * on PATH that log every call and keep the mount state in a file.
         */
        interface Host {
            readonly dir: string;
            readonly mount: LustreMount;
            readonly fstab: string;
            run(script: string, options?: { fail?: string[] }): { status: number | null; stdout: string; stderr: string };
            calls(): string[];
        }

        const stubBodies: Record<string, string> = {
            // Like the kernel, reports the source by NID (an IP address) rather than by DNS name.
            mount: `echo "10.0.1.23@tcp:/\${5##*:/}" > "$STUB_STATE/mounted"`,
            umount: `rm -f "$STUB_STATE/mounted"`,
            findmnt: `if [ -e "$STUB_STATE/mounted" ]; then cat "$STUB_STATE/mounted"; else exit 1; fi`,
            uname: `echo ${kernel}`,
            curl: `echo "-----BEGIN PGP PUBLIC KEY BLOCK-----"`,
            // Writes stdin to the file after -o, as gpg --dearmor does.
            gpg: `while [ $# -gt 0 ]; do if [ "$1" = -o ]; then cat > "$2"; fi; shift; done`,
            "systemd-escape": `echo fsx.automount`,
            systemctl: `if [ "$1" = is-active ]; then [ -e "$STUB_STATE/automount-active" ]; fi`,
            dnf: "",
            "amazon-linux-extras": "",
            "apt-get": "",
            modprobe: "",
        };

        let hosts: string[] = [];

        function fakeHost(initialFstab: string): Host {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lustre-client-"));
            hosts.push(dir);
            const bin = path.join(dir, "bin");
            const state = path.join(dir, "state");
            const fstab = path.join(dir, "root", "etc", "fstab");
            fs.mkdirSync(bin);
            fs.mkdirSync(state);
            fs.mkdirSync(path.dirname(fstab), { recursive: true });
            fs.writeFileSync(fstab, initialFstab);
            for (const [name, body] of Object.entries(stubBodies)) {
                const stub = [
                    "#!/bin/bash",
                    `echo "${name} $*" >> "$STUB_LOG"`,
                    `case " \${STUB_FAIL:-} " in *" ${name} "*) echo "${name}: simulated failure" >&2; exit 1;; esac`,
                    body,
                    "",
                ].join("\n");
                fs.writeFileSync(path.join(bin, name), stub, { mode: 0o755 });
            }
            const log = path.join(dir, "calls.log");
            fs.writeFileSync(log, "");
            return {
                dir,
                fstab,
                mount: { ...mount, mountPoint: path.join(dir, "fsx") },
                run(script, options = {}) {
                    const scriptFile = path.join(dir, "script.sh");
                    fs.writeFileSync(scriptFile, script);
                    const result = spawnSync("bash", [scriptFile], {
                        encoding: "utf8",
                        env: {
                            PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
                            LUSTRE_DR_ROOT: path.join(dir, "root"),
                            STUB_LOG: log,
                            STUB_STATE: state,
                            STUB_FAIL: (options.fail ?? []).join(" "),
                        },
                    });
                    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
                },
                calls: () => fs.readFileSync(log, "utf8").split("\n").filter((line) => line !== ""),
            };
        }

        afterEach(() => {
            for (const dir of hosts) {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            hosts = [];
        });

        const existingFstab = "UUID=1234 / xfs defaults,noatime 1 1\n";
        const installCalls: Record<ClientOs, string[]> = {
            al2023: ["dnf install -y lustre-client"],
            al2: ["amazon-linux-extras install -y lustre"],
            ubuntu2204: ["apt-get -o DPkg::Lock::Timeout=600 update", `apt-get -o DPkg::Lock::Timeout=600 install -y lustre-client-modules-${kernel}`],
        };

        for (const clientOs of clientOperatingSystems) {
            describe(clientOs, () => {
                it("installs, mounts and adds one fstab line; a second run changes nothing", () => {
                    const host = fakeHost(existingFstab);
                    const script = installAndMountScript({ ...host.mount, os: clientOs });

                    const first = host.run(script);
                    expect(first.status, first.stderr).to.equal(0);
                    for (const call of installCalls[clientOs]) {
                        expect(host.calls()).to.include(call);
                    }
                    expect(host.calls()).to.include("modprobe lustre");
                    const mountCall = `mount -t lustre -o relatime,flock ${device} ${host.mount.mountPoint}`;
                    expect(host.calls().filter((c) => c.startsWith("mount "))).to.deep.equal([mountCall]);
                    expect(fs.statSync(host.mount.mountPoint).isDirectory()).to.equal(true);
                    expect(fs.readFileSync(host.fstab, "utf8")).to.equal(`${existingFstab}${fstabLine(host.mount)}\n`);

                    const second = host.run(script);
                    expect(second.status, second.stderr).to.equal(0);
                    expect(second.stdout).to.include("already mounted");
                    expect(host.calls().filter((c) => c.startsWith("mount "))).to.deep.equal([mountCall]);
                    expect(fs.readFileSync(host.fstab, "utf8")).to.equal(`${existingFstab}${fstabLine(host.mount)}\n`);
                });

                it("stops with a clear message and leaves fstab alone when the kernel has no Lustre module", () => {
                    const host = fakeHost(existingFstab);
                    const result = host.run(installAndMountScript({ ...host.mount, os: clientOs }), { fail: ["modprobe"] });
                    expect(result.status).to.not.equal(0);
                    expect(result.stderr).to.include(`the running kernel ${kernel} has no Lustre client module`);
                    expect(fs.readFileSync(host.fstab, "utf8")).to.equal(existingFstab);
                    expect(host.calls().some((c) => c.startsWith("mount "))).to.equal(false);
                });
            });
        }

        const failingInstallStep: Record<ClientOs, string> = { al2023: "dnf", al2: "amazon-linux-extras", ubuntu2204: "apt-get" };
        for (const clientOs of clientOperatingSystems) {
            it(`${clientOs}: a failing ${failingInstallStep[clientOs]} stops the script before modprobe and fstab`, () => {
                const host = fakeHost(existingFstab);
                const result = host.run(installAndMountScript({ ...host.mount, os: clientOs }), { fail: [failingInstallStep[clientOs]] });
                expect(result.status).to.not.equal(0);
                expect(result.stderr).to.match(/lustre-dr: failed \(exit 1\) at: /);
                expect(host.calls()).to.not.include("modprobe lustre");
                expect(fs.readFileSync(host.fstab, "utf8")).to.equal(existingFstab);
            });
        }

        it("ubuntu2204: a failing key download fails the pipeline (pipefail) before apt-get runs", () => {
            const host = fakeHost(existingFstab);
            const result = host.run(installAndMountScript({ ...host.mount, os: "ubuntu2204" }), { fail: ["curl"] });
            expect(result.status).to.not.equal(0);
            expect(host.calls().some((c) => c.startsWith("apt-get"))).to.equal(false);
        });

        it("ubuntu2204: installs the FSx repository key and a source list signed by it", () => {
            const host = fakeHost(existingFstab);
            expect(host.run(installAndMountScript({ ...host.mount, os: "ubuntu2204" })).status).to.equal(0);
            const root = path.join(host.dir, "root");
            expect(fs.readFileSync(path.join(root, "usr/share/keyrings/fsx-ubuntu-public-key.gpg"), "utf8")).to.include("PGP PUBLIC KEY");
            expect(fs.readFileSync(path.join(root, "etc/apt/sources.list.d/fsxlustreclientrepo.list"), "utf8")).to.match(
                /^deb \[signed-by=\/usr\/share\/keyrings\/fsx-ubuntu-public-key\.gpg\] https:\/\/\S+\/ubuntu jammy main\n$/,
            );
        });

        describe("detect (existing hosts over SSH)", () => {
            for (const clientOs of clientOperatingSystems) {
                it(`reads /etc/os-release and installs the ${clientOs} way`, () => {
                    const host = fakeHost(existingFstab);
                    const [id, version] = osReleaseIds[clientOs].split(":");
                    fs.writeFileSync(path.join(host.dir, "root", "etc", "os-release"), `NAME="Some Linux"\nID=${id}\nVERSION_ID="${version}"\n`);
                    const result = host.run(installAndMountScript({ ...host.mount, os: "detect" }));
                    expect(result.status, result.stderr).to.equal(0);
                    const installs = host.calls().filter((c) => /^(dnf|amazon-linux-extras|apt-get) /.test(c));
                    expect(installs).to.deep.equal(installCalls[clientOs]);
                    expect(fs.readFileSync(host.fstab, "utf8")).to.equal(`${existingFstab}${fstabLine(host.mount)}\n`);
                });
            }

            it("refuses an OS it cannot install on, naming it and the supported ones, before touching anything", () => {
                const host = fakeHost(existingFstab);
                fs.writeFileSync(path.join(host.dir, "root", "etc", "os-release"), `ID=debian\nVERSION_ID="12"\n`);
                const result = host.run(installAndMountScript({ ...host.mount, os: "detect" }));
                expect(result.status).to.not.equal(0);
                expect(result.stderr).to.include("this host runs debian:12");
                expect(result.stderr).to.include("Amazon Linux 2023 (amzn:2023), Amazon Linux 2 (amzn:2), Ubuntu 22.04 (ubuntu:22.04)");
                expect(host.calls()).to.deep.equal([]);
                expect(fs.readFileSync(host.fstab, "utf8")).to.equal(existingFstab);
            });
        });

        it("replaces the entry of a previous file system at the same mount point, keeping other lines", () => {
            const host = fakeHost("");
            const old = fstabLine({ ...host.mount, dnsName: "fs-0ld.fsx.eu-west-1.amazonaws.com", mountName: "oldname" });
            fs.writeFileSync(host.fstab, `${existingFstab}${old}\ntmpfs /tmp tmpfs defaults 0 0\n`);
            expect(host.run(installAndMountScript({ ...host.mount, os: "al2023" })).status).to.equal(0);
            expect(fs.readFileSync(host.fstab, "utf8")).to.equal(`${existingFstab}tmpfs /tmp tmpfs defaults 0 0\n${fstabLine(host.mount)}\n`);
        });

        it("the unmount script unmounts, removes exactly its fstab line, and is safe to run again", () => {
            const host = fakeHost(existingFstab);
            expect(host.run(installAndMountScript({ ...host.mount, os: "al2023" })).status).to.equal(0);
            fs.writeFileSync(path.join(host.dir, "state", "automount-active"), "");

            const first = host.run(unmountScript(host.mount));
            expect(first.status, first.stderr).to.equal(0);
            expect(host.calls()).to.include("systemctl stop fsx.automount");
            expect(host.calls()).to.include(`umount ${host.mount.mountPoint}`);
            expect(fs.readFileSync(host.fstab, "utf8")).to.equal(existingFstab);

            fs.rmSync(path.join(host.dir, "state", "automount-active"));
            const second = host.run(unmountScript(host.mount));
            expect(second.status, second.stderr).to.equal(0);
            expect(host.calls().filter((c) => c.startsWith("umount"))).to.have.length(1);
            expect(fs.readFileSync(host.fstab, "utf8")).to.equal(existingFstab);
        });

        it("refuses to stack a mount on another Lustre file system mounted at the mount point", () => {
            const host = fakeHost(existingFstab);
            fs.writeFileSync(path.join(host.dir, "state", "mounted"), "10.0.9.9@tcp:/othername\n");
            const result = host.run(installAndMountScript({ ...host.mount, os: "al2023" }));
            expect(result.status).to.not.equal(0);
            expect(result.stderr).to.include(`already has 10.0.9.9@tcp:/othername mounted, not ${device}`);
            expect(host.calls().some((c) => c.startsWith("mount "))).to.equal(false);
        });

        it("the unmount script leaves another file system mounted at the mount point alone", () => {
            const host = fakeHost(existingFstab);
            fs.writeFileSync(path.join(host.dir, "state", "mounted"), "10.0.9.9@tcp:/othername\n");
            const result = host.run(unmountScript(host.mount));
            expect(result.status, result.stderr).to.equal(0);
            expect(host.calls().some((c) => c.startsWith("umount"))).to.equal(false);
        });

        it("the unmount script fails when the file system is busy, keeping the fstab line", () => {
            const host = fakeHost(existingFstab);
            expect(host.run(installAndMountScript({ ...host.mount, os: "al2" })).status).to.equal(0);
            const result = host.run(unmountScript(host.mount), { fail: ["umount"] });
            expect(result.status).to.not.equal(0);
            expect(fs.readFileSync(host.fstab, "utf8")).to.include(fstabLine(host.mount));
        });
    });

    describe("shellcheck", () => {
        const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        const available = shellcheck.status === 0;

        before(function () {
            if (!available) {
                if (process.env.CI) {
                    throw new Error("shellcheck is not installed, and CI is set: install it (apt-get install -y shellcheck; .ci/run does)");
                }
                console.warn("    (skipped: shellcheck is not installed; apt-get install -y shellcheck, or set CI to make this a failure)");
                this.skip();
            }
        });

        const scripts: [string, string][] = [
            ...clientOperatingSystems.map((clientOs): [string, string] => [`install and mount (${clientOs})`, installAndMountScript({ ...mount, os: clientOs })]),
            ["install and mount (detect)", installAndMountScript({ ...mount, os: "detect" })],
            ["unmount", unmountScript(mount)],
        ];
        for (const [label, script] of scripts) {
            it(`finds nothing in the ${label} script`, () => {
                const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: script, encoding: "utf8" });
                expect(result.stdout + result.stderr).to.equal("");
                expect(result.status).to.equal(0);
            });
        }
    });
});
