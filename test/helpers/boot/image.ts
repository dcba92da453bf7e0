/**
 * The Debian root file system the boot test starts from, per release (12 bookworm,
 * 13 trixie: infra/debian.ts), and the local apt repository its user data installs
 * packages from.
 *
 * Base: `mmdebstrap --variant=minbase <suite>` (debootstrap's minbase set) plus the packages Debian's EC2
 * images install (debian-cloud-images, config_space/<release>/package_config/EC2
 * and CLOUD, both `install-norec`, the same list for 12 and 13: awscli,
 * cloud-init, cloud-guest-utils, amazon-ec2-utils, openssh-server,
 * ssh-import-id; not cloud-initramfs-growroot, which needs a kernel and an
 * initramfs a container has not) and what those images get from Debian's
 * "important" priority and the user data relies on (systemd as init, curl,
 * ca-certificates, procps, iproute2, sudo), with `LANG=C.UTF-8` as the cloud
 * images set it. mmdebstrap's --include installs no Recommends, like `install-norec`.
 * Building takes about a minute or more under load, so the result is kept as a zstd-compressed tarball in
 * the cache directory (TURN_STACK_CACHE, default /var/cache/turn-stack), keyed
 * on the recipe below: change the recipe and a new base is built; delete the
 * directory to rebuild from today's packages.
 *
 * Repository: the packages the user data asks for and every dependency the
 * base lacks (Recommends included, as on the VM), downloaded from Debian by
 * apt and indexed with dpkg-scanpackages. For the host's own release (bookworm
 * here) the host's apt and its lists; for another release a private apt root
 * with that release's sources (main, -updates, -security; the host's apt
 * configuration is not touched). Also cached, keyed on the base and the
 * package list.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN_RELEASES, type DebianRelease } from "../../../infra/debian";
import { ROOT } from "../stack-config";

/** The release the boot helpers use when none is given (the one they booted before turn:debianRelease existed). */
export const DEFAULT_BOOT_RELEASE: DebianRelease = "12";
/** Debian's code name for a release (bookworm, trixie). */
export const suiteOf = (release: DebianRelease): string => DEBIAN_RELEASES[release].codename;
export const MIRROR = "http://deb.debian.org/debian";
/** What Debian's EC2 images install beyond the base system (package_config/EC2 and CLOUD, the same for 12 and 13). */
export const EC2_IMAGE_PACKAGES = ["awscli", "cloud-init", "cloud-guest-utils", "amazon-ec2-utils", "openssh-server", "ssh-import-id"] as const;
/** Packages a Debian cloud image has that the user data relies on, beyond minbase: the EC2 image's list and what it gets from "important". */
export const BASE_PACKAGES = [
    ...EC2_IMAGE_PACKAGES,
    "systemd",
    "systemd-sysv",
    "dbus",
    // cloud-init 22.4 imports cryptography (via jsonschema/oauthlib), which needs it; minbase lacks it.
    "python3-cffi-backend",
    "iproute2",
    "ca-certificates",
    "curl",
    "procps",
    "netbase",
    // Debian's cloud images give the default user sudo; cloud-init's users module expects it.
    "sudo",
] as const;
/** Bump when the way the base is built changes. */
const RECIPE_VERSION = 3;

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
    /** The Debian release it is (infra/debian.ts). */
    release: DebianRelease;
}

/** Where the base of `release` is cached, and its key (the recipe's hash). */
export function basePath(release: DebianRelease = DEFAULT_BOOT_RELEASE): { tarball: string; key: string } {
    const suite = suiteOf(release);
    const k = key(RECIPE_VERSION, suite, "minbase", BASE_PACKAGES);
    return { tarball: join(cacheDir(), `debian-${suite}-base-${k}.tar.zst`), key: k };
}

/**
 * The cached base tarball of `release` (default Debian 12). When it is missing it is built with mmdebstrap in a
 * child process (prebuild.ts) under an exclusive lock on `<tarball>.lock` (flock(1)), so a build already running in
 * the background (vitest's global setup starts one at the beginning of the run) is waited for, never repeated.
 */
export function baseImage(log: (l: string) => void = () => {}, release: DebianRelease = DEFAULT_BOOT_RELEASE): BaseImage {
    const { tarball, key: k } = basePath(release);
    if (!existsSync(tarball)) {
        log(`Debian ${release} (${suiteOf(release)}) base not cached: building it, or waiting for the build under way (${tarball}.lock)`);
        prebuildLocked(`${tarball}.lock`, ["base", release], log);
        if (!existsSync(tarball)) throw new Error(`building the Debian ${release} base left no ${tarball}`);
        return { tarball, key: k, built: true, release };
    }
    return { tarball, key: k, built: false, release };
}

/** Run test/helpers/boot/prebuild.ts with `args` under flock(1) on `lock`, forwarding its output to `log`; throws if it fails. */
function prebuildLocked(lock: string, args: string[], log: (l: string) => void): void {
    const r = spawnSync("flock", [lock, process.execPath, "--import", "tsx", join(ROOT, "test", "helpers", "boot", "prebuild.ts"), ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new Error(`flock is required (util-linux): ${r.error.message}`);
    for (const l of r.stdout.split("\n").filter(Boolean)) log(l);
    if (r.status !== 0) throw new Error(`prebuild.ts ${args.join(" ")} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
}

/** Build the base of `release` now (the caller holds the lock; prebuild.ts). */
export function buildBase(release: DebianRelease, log: (l: string) => void): void {
    const suite = suiteOf(release);
    const { tarball } = basePath(release);
    if (existsSync(tarball)) return;
    const work = mkdtempSync(join(cacheDir(), "build-"));
    try {
        log(`building the Debian ${release} (${suite}) base with mmdebstrap; cached at ${tarball}`);
        // mmdebstrap(1) (Debian's package, 1.3.5 on bookworm) instead of debootstrap: apt resolves and downloads the
        // whole set in parallel and dpkg installs it in two runs (essential, then the rest), where debootstrap fetches
        // one .deb after another and unpacks them in many dpkg calls; cold, both built side by side on a loaded machine,
        // 149-151 s became 53-80 s (README "Boot test", Time). The same package set: minbase is debootstrap's minbase
        // (Essential, Priority: required, apt; mmdebstrap(1) VARIANTS), --include adds the list with its hard
        // dependencies and no Recommends, from the same mirror and suite (main only, as debootstrap wrote it).
        // Where the two differ, apt chose: a dependency satisfied by a Provides or a later alternative pulls no
        // extra package (no transitional lsb-base, which sysvinit-utils provides; no python3-importlib-resources
        // or -typing-extensions, and on 12 no python3-importlib-metadata, -zipp, -more-itertools, where the
        // release's python3 is the other alternative), as in Debian's cloud images, which FAI installs with apt.
        // Bookworm's init-system-helpers depends on `usrmerge | usr-is-merged`: apt would take usrmerge and perl, so
        // 12 gets mmdebstrap's merged-usr hooks (/usr merged up front and usr-is-merged installed, as debootstrap
        // does); trixie's base-files merges /usr itself.
        // dpkg runs with force-unsafe-io (no fsync per file) during the build only: its dpkg.cfg.d file is removed
        // before the tarball is written. --skip=cleanup/reproducible keeps the machine-id systemd's postinst wrote
        // and the logs, as debootstrap did; its cleanup removes apt's lists and cache (`apt-get clean` and the rm
        // after debootstrap before). Debian's cloud images set a UTF-8 locale; without one cloud-init's locale
        // module fails (trixie's /etc/default/locale is a symlink to ../locale.conf: the shell writes through it).
        const out = join(work, "base.tar.zst");
        run(
            "mmdebstrap",
            [
                "--mode=root",
                "--variant=minbase",
                `--include=${BASE_PACKAGES.join(",")}`,
                ...(suite === "bookworm" ? ["--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr"] : []),
                "--dpkgopt=force-unsafe-io",
                "--skip=cleanup/reproducible",
                `--customize-hook=rm "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"`,
                `--customize-hook=echo LANG=C.UTF-8 > "$1/etc/default/locale"`,
                `--customize-hook=mkdir -p "$1/var/lib/apt/lists/partial"`,
                suite,
                out,
                MIRROR,
            ],
            { env: { ...process.env, TMPDIR: work } },
        );
        renameSync(out, tarball);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

/** Extract the base into `dir` (which must not exist yet). */
export function extractBase(base: BaseImage, dir: string): void {
    mkdirSync(dir, { recursive: true });
    run("tar", ["--zstd", "-C", dir, "--numeric-owner", "--xattrs", "-xf", base.tarball]);
}

/** Where the repository for `base` and `packages` is cached. */
export function aptRepositoryPath(base: { key: string; release: DebianRelease }, packages: string[]): string {
    return join(cacheDir(), `apt-${suiteOf(base.release)}-${key(base.key, [...packages].sort())}`);
}

/**
 * A flat apt repository (`deb [trusted=yes] http://host/ ./`) with `packages`
 * and every dependency missing from the base (Recommends too, as apt on the VM
 * installs them), resolved by apt against the base's dpkg status, from the
 * base's release (the host's apt for the host's release, else a private apt
 * root: {@link aptOptions}). Built when missing under a lock, like {@link baseImage}.
 * @param _rootDir unused (the base's dpkg status is read from its tarball); kept for callers
 * @returns the repository directory (contains Packages and the .deb files)
 */
export function aptRepository(base: BaseImage, _rootDir: string, packages: string[], log: (l: string) => void = () => {}): string {
    const dir = aptRepositoryPath(base, packages);
    if (existsSync(join(dir, "Packages"))) return dir;
    prebuildLocked(`${dir}.lock`, ["repo", base.release, ...packages], log);
    if (!existsSync(join(dir, "Packages"))) throw new Error(`building the apt repository left no ${dir}/Packages`);
    return dir;
}

/** The release this machine runs (its apt's lists are that release's). */
function hostSuite(): string | undefined {
    try {
        return /^VERSION_CODENAME=(.+)$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    } catch {
        return undefined;
    }
}

/**
 * apt options that resolve packages from `release`: none for the host's own release (its apt and lists), else a
 * private apt root in the cache (`apt-root-<suite>`: its own sources.list with the release's main, -updates and
 * -security, signed by Debian's archive keyring, its own lists, updated now); the host's apt configuration and
 * lists are not touched.
 */
export function aptOptions(release: DebianRelease, log: (l: string) => void = () => {}): string[] {
    const suite = suiteOf(release);
    if (hostSuite() === suite) return [];
    const dir = join(cacheDir(), `apt-root-${suite}`);
    mkdirSync(join(dir, "lists/partial"), { recursive: true });
    mkdirSync(join(dir, "cache/archives/partial"), { recursive: true });
    const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
    writeFileSync(
        join(dir, "sources.list"),
        `deb [signed-by=${keyring}] ${MIRROR} ${suite} main\ndeb [signed-by=${keyring}] ${MIRROR} ${suite}-updates main\ndeb [signed-by=${keyring}] http://deb.debian.org/debian-security ${suite}-security main\n`,
    );
    const opts = [
        "-o", `Dir::Etc::SourceList=${join(dir, "sources.list")}`,
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", `Dir::State::Lists=${join(dir, "lists")}`,
        "-o", `Dir::Cache=${join(dir, "cache")}`,
        "-o", "Debug::NoLocking=true",
    ];
    log(`apt-get update for ${suite} in ${dir}`);
    run("apt-get", ["-q", ...opts, "update"]);
    return opts;
}

/** Build the repository now (the caller holds the lock; prebuild.ts). */
export function buildAptRepository(release: DebianRelease, packages: string[], log: (l: string) => void): void {
    const base = basePath(release);
    const sorted = [...packages].sort();
    const dir = aptRepositoryPath({ key: base.key, release }, sorted);
    if (existsSync(join(dir, "Packages"))) return;
    log(`downloading ${sorted.join(", ")} and their dependencies from Debian ${release} into ${dir}`);
    const tmp = mkdtempSync(join(cacheDir(), "apt-"));
    try {
        // The base's dpkg status, from its tarball: what the VM has before the user data runs.
        run("tar", ["--zstd", "-C", tmp, "-xf", base.tarball, "./var/lib/dpkg/status"]);
        const status = join(tmp, "status");
        renameSync(join(tmp, "var/lib/dpkg/status"), status);
        rmSync(join(tmp, "var"), { recursive: true });
        const debs = join(tmp, "debs");
        mkdirSync(join(debs, "partial"), { recursive: true });
        run("apt-get", [
            "-q",
            "-y",
            ...aptOptions(release, log),
            "-o", `Dir::State::status=${status}`,
            "-o", `Dir::Cache::archives=${debs}`,
            "-o", "Debug::NoLocking=true",
            "-o", "APT::Install-Recommends=true",
            "install",
            "--download-only",
            ...sorted,
        ]);
        rmSync(join(debs, "partial"), { recursive: true });
        rmSync(join(debs, "lock"), { force: true });
        if (!readdirSync(debs).some((f) => f.endsWith(".deb"))) throw new Error(`apt downloaded nothing for ${sorted.join(", ")}`);
        const index = run("dpkg-scanpackages", ["--multiversion", "."], { cwd: debs });
        writeFileSync(join(debs, "Packages"), index);
        // A Release file with the index's hash, so apt reads the flat repository without
        // complaining that it has none (it is unsigned: sources.list marks it trusted=yes).
        const sha = createHash("sha256").update(index).digest("hex");
        writeFileSync(join(debs, "Release"), `Origin: turn-stack boot test\nLabel: turn-stack boot test\nSHA256:\n ${sha} ${Buffer.byteLength(index)} Packages\n`);
        rmSync(dir, { recursive: true, force: true });
        renameSync(debs, dir);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
}

/** `execFileSync` in a chroot, for preparing an extracted base before boot. */
export function chroot(root: string, ...args: string[]): string {
    return execFileSync("chroot", [root, ...args], { encoding: "utf8" });
}
