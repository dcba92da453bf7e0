/**
 * The Debian releases turn-stack runs on (`turn:debianRelease`), and what differs between them.
 *
 * - 13 (trixie): Debian's stable release since 2025-08-09; cloud-init 25.1, coturn 4.6.1-2, curl 8.14.
 *   The default for new stacks.
 * - 12 (bookworm): regular security support ended 2026-06-10; Debian LTS continues until 2028-06-30
 *   (wiki.debian.org/LTS). cloud-init 22.4, coturn 4.6.1-1, curl 7.88.
 *
 * The user data is the same for both (the boot test boots it on each); only the AMI differs. The official
 * AMIs are published by the Debian cloud team's AWS account as `debian-<major>-<arch>-<yyyymmdd>-<build>`
 * (wiki.debian.org/Cloud/AmazonEC2Image).
 *
 * Pure: no `@pulumi/*` import.
 */
import type { DebianArch } from "./instance-types";

/** Releases turn-stack supports, by major version, with Debian's code name. */
export const DEBIAN_RELEASES = {
    "12": { codename: "bookworm" },
    "13": { codename: "trixie" },
} as const;

export type DebianRelease = keyof typeof DEBIAN_RELEASES;

/** Release for new stacks: Debian's current stable. */
export const DEFAULT_DEBIAN_RELEASE: DebianRelease = "13";

/** AWS account that publishes the official Debian AMIs (Debian cloud team, wiki.debian.org/Cloud/AmazonEC2Image). */
export const DEBIAN_AMI_OWNER = "136693071363";

/** True for a `turn:debianRelease` value turn-stack supports. */
export function isDebianRelease(v: string): v is DebianRelease {
    return Object.prototype.hasOwnProperty.call(DEBIAN_RELEASES, v);
}

/**
 * A `turn:debianRelease` value as the stack config carries it (a string; YAML's `13` arrives as "13").
 * @returns the release (the default when unset), or what is wrong with the value
 */
export function parseDebianRelease(raw: string | undefined): { release: DebianRelease } | { problem: string } {
    if (raw === undefined) return { release: DEFAULT_DEBIAN_RELEASE };
    const v = raw.trim();
    if (isDebianRelease(v)) return { release: v };
    const names = Object.entries(DEBIAN_RELEASES).map(([k, r]) => `${k} (${r.codename})`);
    return { problem: `must be one of ${names.join(", ")}: the Debian releases whose official AMIs and packages turn-stack is booted on` };
}

/**
 * The EC2 `DescribeImages` filters for the newest official AMI of a release and architecture: the name pattern
 * (`debian-13-arm64-2*`: dated builds only, not the `-daily-` ones) and the EC2 architecture name
 * (`arm64`, `x86_64`; EC2 API Reference, Image `architecture`).
 */
export function amiFilters(release: DebianRelease, arch: DebianArch): { name: string; values: string[] }[] {
    return [
        { name: "name", values: [`debian-${release}-${arch}-2*`] },
        { name: "architecture", values: [arch === "arm64" ? "arm64" : "x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
    ];
}
