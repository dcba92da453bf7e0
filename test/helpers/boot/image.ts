/**
 * The Debian 12 root file system the boot test starts from, and the local apt
 * repository its user data installs packages from.
 *
 * Base: `debootstrap --variant=minbase bookworm` plus what a Debian 12 cloud
 * image has and the user data relies on (systemd as init, cloud-init, curl,
 * ca-certificates, procps, iproute2), with `LANG=C.UTF-8` as the cloud images
 * set it. Building takes 75-90 s on 2 cores, so the result is kept as a
 * zstd-compressed tarball in the cache directory (TURN_STACK_CACHE, default
 * /var/cache/turn-stack), keyed on the recipe below: change the recipe and a
 * new base is built; delete the directory to rebuild from today's packages.
 *
 * Repository: the packages the user data asks for and every dependency the
 * base lacks (Recommends included, as on the VM), downloaded with the host's
 * apt from Debian and indexed with dpkg-scanpackages. Also cached, keyed on
 * the base and the package list.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SUITE = "bookworm";
export const MIRROR = "http://deb.debian.org/debian";
/** Packages a Debian 12 cloud image has that the user data relies on, beyond minbase. */
export const BASE_PACKAGES = [
    "systemd",
    "systemd-sysv",
    "dbus",
    "cloud-init",
    // cloud-init 22.4 imports cryptography (via jsonschema/oauthlib), which needs it; minbase lacks it.
    "python3-cffi-backend",
    "iproute2",
    "ca-certificates",
    "curl",
    "procps",
    "netbase",
    // Debian's cloud images run sshd and give the default user sudo; cloud-init's ssh and users modules expect them.
    "openssh-server",
    "sudo",
] as const;
/** Bump when the way the base is built changes. */
const RECIPE_VERSION = 1;

export function cacheDir(): string {
    const dir = process.env.TURN_STACK_CACHE ?? "/var/cache/turn-stack";
    mkdirSync(dir, { recursive: true });
    return dir;
}

function key(...parts: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/** Run a host command; returns stdout, throws with its output (or an install hint when missing) on failure. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
    if (r.error) throw new Error(`${cmd} is required (apt-get install it): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
    return r.stdout;
}

export interface BaseImage {
    /** zstd tarball of the root file system. */
    tarball: string;
    key: string;
    /** True when it was built now rather than taken from the cache. */
    built: boolean;
}

/** The cached base tarball, built with debootstrap when missing. */
export function baseImage(log: (l: string) => void = () => {}): BaseImage {
    const k = key(RECIPE_VERSION, SUITE, "minbase", BASE_PACKAGES);
    const tarball = join(cacheDir(), `debian-${SUITE}-base-${k}.tar.zst`);
    if (existsSync(tarball)) return { tarball, key: k, built: false };
    const work = mkdtempSync(join(cacheDir(), "build-"));
    const root = join(work, "root");
    try {
        log(`building the Debian ${SUITE} base with debootstrap (about 90 s); cached at ${tarball}`);
        run("debootstrap", ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, SUITE, root, MIRROR]);
        // Debian's cloud images set a UTF-8 locale; without one cloud-init's locale module fails.
        writeFileSync(join(root, "etc/default/locale"), "LANG=C.UTF-8\n");
        run("chroot", [root, "apt-get", "clean"]);
        rmSync(join(root, "var/lib/apt/lists"), { recursive: true, force: true });
        mkdirSync(join(root, "var/lib/apt/lists/partial"), { recursive: true });
        const tmp = `${tarball}.tmp`;
        run("tar", ["--zstd", "-C", root, "--numeric-owner", "--xattrs", "-cf", tmp, "."]);
        renameSync(tmp, tarball);
        return { tarball, key: k, built: true };
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

/** Extract the base into `dir` (which must not exist yet). */
export function extractBase(base: BaseImage, dir: string): void {
    mkdirSync(dir, { recursive: true });
    run("tar", ["--zstd", "-C", dir, "--numeric-owner", "--xattrs", "-xf", base.tarball]);
}

/**
 * A flat apt repository (`deb [trusted=yes] http://host/ ./`) with `packages`
 * and every dependency missing from the base (Recommends too, as apt on the VM
 * installs them), resolved by the host's apt against the base's dpkg status.
 * @param rootDir an extracted base, for its dpkg status
 * @returns the repository directory (contains Packages and the .deb files)
 */
export function aptRepository(base: BaseImage, rootDir: string, packages: string[], log: (l: string) => void = () => {}): string {
    const sorted = [...packages].sort();
    const dir = join(cacheDir(), `apt-${SUITE}-${key(base.key, sorted)}`);
    if (existsSync(join(dir, "Packages"))) return dir;
    log(`downloading ${sorted.join(", ")} and their dependencies from Debian into ${dir}`);
    const tmp = mkdtempSync(join(cacheDir(), "apt-"));
    try {
        mkdirSync(join(tmp, "partial"));
        run("apt-get", [
            "-q",
            "-y",
            "-o", `Dir::State::status=${join(rootDir, "var/lib/dpkg/status")}`,
            "-o", `Dir::Cache::archives=${tmp}`,
            "-o", "Debug::NoLocking=true",
            "-o", "APT::Install-Recommends=true",
            "install",
            "--download-only",
            ...sorted,
        ]);
        rmSync(join(tmp, "partial"), { recursive: true });
        rmSync(join(tmp, "lock"), { force: true });
        const debs = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
        if (debs.length === 0) throw new Error(`apt downloaded nothing for ${sorted.join(", ")}`);
        const index = run("dpkg-scanpackages", ["--multiversion", "."], { cwd: tmp });
        writeFileSync(join(tmp, "Packages"), index);
        // A Release file with the index's hash, so apt reads the flat repository without
        // complaining that it has none (it is unsigned: sources.list marks it trusted=yes).
        const sha = createHash("sha256").update(index).digest("hex");
        writeFileSync(join(tmp, "Release"), `Origin: turn-stack boot test\nLabel: turn-stack boot test\nSHA256:\n ${sha} ${Buffer.byteLength(index)} Packages\n`);
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
        return dir;
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
}

/** `execFileSync` in a chroot, for preparing an extracted base before boot. */
export function chroot(root: string, ...args: string[]): string {
    return execFileSync("chroot", [root, ...args], { encoding: "utf8" });
}
