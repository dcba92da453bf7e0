/**
 * EC2 instance families turn-stack knows the CPU architecture of, so it can
 * pick the matching Debian AMI of turn:debianRelease (`arm64` or `amd64`, Debian's names) before
 * anything is created. Source: AWS EC2 "Instance types" documentation; Graviton
 * families carry a `g` after the generation digit (t4g, c7gn, ...).
 */

/** Debian's name for the architecture an AMI is built for. */
export type DebianArch = "arm64" | "amd64";

const ARM64_FAMILIES = new Set([
    "a1", "t4g",
    "c6g", "c6gd", "c6gn", "c7g", "c7gd", "c7gn", "c8g", "c8gd", "c8gn",
    "m6g", "m6gd", "m7g", "m7gd", "m8g", "m8gd",
    "r6g", "r6gd", "r7g", "r7gd", "r8g", "r8gd",
    "x2gd", "im4gn", "is4gen", "i4g", "i8g",
]);

const AMD64_FAMILIES = new Set([
    "t2", "t3", "t3a",
    "c5", "c5a", "c5ad", "c5d", "c5n", "c6a", "c6i", "c6id", "c6in", "c7a", "c7i", "c7i-flex", "c8i",
    "m5", "m5a", "m5ad", "m5d", "m5dn", "m5n", "m5zn", "m6a", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7i", "m7i-flex", "m8i",
    "r5", "r5a", "r5ad", "r5b", "r5d", "r5dn", "r5n", "r6a", "r6i", "r6id", "r6idn", "r6in", "r7a", "r7i", "r7iz", "r8i",
]);

/** Families whose baseline network bandwidth is a fraction of their burst figure (credit-based). */
const BURSTABLE_FAMILIES = new Set(["t2", "t3", "t3a", "t4g"]);

/** What turn-stack knows about an instance type. */
export interface InstanceTypeInfo {
    /** e.g. `c7gn` */
    family: string;
    /** e.g. `large` */
    size: string;
    arch: DebianArch;
    /** true for T-family types, whose network baseline is low (t4g.small: 0.128 Gbps). */
    burstable: boolean;
}

/**
 * Parse an EC2 instance type name and look up its architecture.
 * @param instanceType e.g. `t4g.small`, `c7gn.large`
 * @returns the family, size, architecture and whether it is burstable,
 *   or `undefined` when the family is not one turn-stack knows
 */
export function instanceTypeInfo(instanceType: string): InstanceTypeInfo | undefined {
    const m = /^([a-z][a-z0-9-]*)\.([a-z0-9]+)$/.exec(instanceType);
    if (!m) return undefined;
    const [, family, size] = m;
    const arch: DebianArch | undefined = ARM64_FAMILIES.has(family)
        ? "arm64"
        : AMD64_FAMILIES.has(family)
          ? "amd64"
          : undefined;
    return arch ? { family, size, arch, burstable: BURSTABLE_FAMILIES.has(family) } : undefined;
}

/** Every family turn-stack knows, for error messages. */
export function knownFamilies(): string[] {
    return [...ARM64_FAMILIES, ...AMD64_FAMILIES].sort();
}
