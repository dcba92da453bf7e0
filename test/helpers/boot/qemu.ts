/**
 * The same user data booted in a full VM under qemu, for what a container
 * cannot show: sysctls, the kernel (nftables on a real kernel, coturn's real
 * open-files limit) and cloud-init's own network setup. Used by
 * `npm run test:vm` (not part of `npm test`: it needs qemu-system-x86, and
 * without KVM the boot takes minutes).
 *
 * Image: the boot test's Debian 12 base plus Debian's cloud kernel
 * (linux-image-cloud-amd64) and ifupdown with isc-dhcp-client (cloud-init's
 * network renderer on Debian 12 cloud images), installed once with
 * `systemd-nspawn --pipe` and cached beside the base. Each run writes the
 * prepared root into a fresh ext4 image (`mkfs.ext4 -d`, no loop device) and
 * boots it with qemu's direct kernel boot, its NIC a tap device in the test's
 * edge namespace. The seed adds a NoCloud `network-config` (10.73.0.10/24,
 * the address the stack renders) and an SSH key for cloud-init's default
 * user, so the test can look inside; the user data is unchanged.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { createNetns, type Netns } from "../netns";
import { makeTestPki, type TestPki } from "../tls-certs";
import { baseImage, cacheDir, DEFAULT_BOOT_RELEASE, extractBase, aptRepository, run, suiteOf, type BaseImage } from "./image";
import { EDGE_IP, VM_IP, bootSteps, cloudConfig, prepareRoot, startStandins, type BootOptions } from "./vm";
import { exited, stopChild } from "./container";

const VM_PACKAGES = ["linux-image-cloud-amd64", "ifupdown", "isc-dhcp-client"];

/** The base plus a kernel, as a cached tarball (built when missing). */
export function vmImage(base: BaseImage, log: (l: string) => void): BaseImage {
    const tarball = join(cacheDir(), `debian-vm-${base.key}.tar.zst`);
    if (existsSync(tarball)) return { tarball, key: `vm-${base.key}`, built: false, release: base.release };
    const work = mkdtempSync(join(cacheDir(), "vm-build-"));
    try {
        const root = join(work, "root");
        extractBase(base, root);
        log(`installing ${VM_PACKAGES.join(", ")} into the VM image`);
        const suite = suiteOf(base.release);
        writeFileSync(join(root, "etc/apt/sources.list"), `deb http://deb.debian.org/debian ${suite} main\ndeb http://deb.debian.org/debian ${suite}-updates main\ndeb http://deb.debian.org/debian-security ${suite}-security main\n`);
        run("systemd-nspawn", ["-q", `--directory=${root}`, "--register=no", "--keep-unit", "--pipe", "--resolv-conf=replace-host", "sh", "-c",
            `export DEBIAN_FRONTEND=noninteractive; apt-get -q update && apt-get -q -y --no-install-recommends install ${VM_PACKAGES.join(" ")} && apt-get clean && rm -rf /var/lib/apt/lists/*`]);
        const tmp = `${tarball}.tmp`;
        run("tar", ["--zstd", "-C", root, "--numeric-owner", "--xattrs", "-cf", tmp, "."]);
        renameSync(tmp, tarball);
        return { tarball, key: `vm-${base.key}`, built: true, release: base.release };
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

export interface BootedQemu {
    edge: Netns;
    pki: TestPki;
    work: string;
    requests: Record<string, any>[];
    timings: Record<string, number>;
    /** Run a shell command in the VM as root (ssh as the default user, then sudo). */
    ssh(script: string): { status: number | null; stdout: string; stderr: string };
    consoleLog: string;
    teardown(): Promise<void>;
}

export async function bootQemu(o: BootOptions): Promise<BootedQemu> {
    const log = o.log ?? (() => {});
    const { timings, lap, cleanups, teardown } = bootSteps(log);
    try {
        const base = baseImage(log, o.release ?? DEFAULT_BOOT_RELEASE);
        const image = vmImage(base, log);
        lap("image");
        const work = mkdtempSync("/var/tmp/turn-stack-vm-");
        cleanups.push(() => rmSync(work, { recursive: true, force: true }));
        const root = join(work, "root");
        extractBase(image, root);
        const repo = aptRepository(image, root, cloudConfig(o.userData).packages ?? [], log);

        const pki = makeTestPki(`ssm.${o.region}.amazonaws.com`);
        cleanups.push(() => pki.cleanup());
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "id_ed25519")]);
        prepareRoot(root, o, pki, {
            // gateway4, not routes: cloud-init 22.4's ifupdown renderer writes routes as `route add`, which needs net-tools.
            network: { version: 2, ethernets: { eth0: { addresses: [`${VM_IP}/24`], gateway4: EDGE_IP } } },
            publicKeys: [readFileSync(join(work, "id_ed25519.pub"), "utf8").trim()],
        });
        const kernel = join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz-"))!);
        const initrd = join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("initrd.img-"))!);
        const disk = join(work, "disk.raw");
        run("truncate", ["-s", "6G", disk]);
        run("mkfs.ext4", ["-q", "-L", "root", "-d", root, disk]);
        lap("prepare");

        const edge = createNetns("ts-vm-edge");
        cleanups.push(() => edge.remove());
        const tap = `tsvm${process.pid % 100000}`;
        edge.run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        edge.run("ip", "addr", "add", `${EDGE_IP}/24`, "dev", tap);
        edge.run("ip", "link", "set", tap, "up");
        const requests: Record<string, any>[] = [];
        const standins = await startStandins(edge, repo, pki, o, requests);
        cleanups.push(() => stopChild(standins));

        // Software emulation by default: on this machine /dev/kvm exists, but nested KVM either
        // aborts qemu (-cpu host/max) or hangs the kernel (-cpu qemu64). TURN_STACK_VM_ACCEL=kvm opts in.
        const kvm = process.env.TURN_STACK_VM_ACCEL === "kvm";
        const consoleLog = join(work, "console.log");
        const out = createWriteStream(consoleLog);
        const qemu = spawn(edge.prefix[0], [...edge.prefix.slice(1), "qemu-system-x86_64",
            "-machine", kvm ? "q35,accel=kvm" : "q35,accel=tcg", "-cpu", kvm ? "host" : "max", "-smp", "2", "-m", "2048",
            "-nographic", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd, "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0",
            "-drive", `file=${disk},if=virtio,format=raw`,
            "-netdev", `tap,id=n0,ifname=${tap},script=no,downscript=no`, "-device", "virtio-net-pci,netdev=n0"], { stdio: ["ignore", "pipe", "pipe"] });
        qemu.stdout!.pipe(out);
        qemu.stderr!.pipe(out);
        cleanups.push(() => stopChild(qemu));
        log(`qemu started (${kvm ? "KVM" : "software emulation, a few minutes"}); console in ${consoleLog}`);

        const ssh = (script: string) => {
            const r = spawnSync(edge.prefix[0], [...edge.prefix.slice(1), "ssh", "-i", join(work, "id_ed25519"), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", `debian@${VM_IP}`, "sudo", "sh", "-c", JSON.stringify(script)], { encoding: "utf8", timeout: 60_000 });
            return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
        };
        const deadline = Date.now() + (o.timeoutMs ?? 20 * 60_000);
        for (;;) {
            if (exited(qemu)) throw new Error(`qemu exited (${qemu.exitCode ?? qemu.signalCode}):\n${readFileSync(consoleLog, "utf8").slice(-3000)}`);
            const s = ssh("systemctl is-active cloud-final.service").stdout.trim();
            if (s === "active" || s === "failed") break;
            if (Date.now() > deadline) throw new Error(`timed out waiting for cloud-final.service; console:\n${readFileSync(consoleLog, "utf8").slice(-3000)}`);
            await new Promise((r) => setTimeout(r, 3000));
        }
        lap("bootToCloudFinal");
        return { edge, pki, work, requests, timings, ssh, consoleLog, teardown };
    } catch (e) {
        await teardown();
        throw e;
    }
}
