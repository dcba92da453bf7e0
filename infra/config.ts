/**
 * turn-stack's configuration: the `turn:*` keys, their defaults, and the
 * validation that runs before any resource is declared.
 *
 * Pure: no `@pulumi/*` import. `infra/index.ts` passes in the raw stack config
 * (`pulumi.runtime.allConfig()`: every value a string, arrays as JSON), and gets
 * back a validated {@link TurnConfig} or a {@link ConfigError} listing every bad
 * key with its value and what is allowed.
 */
import ipaddr from "ipaddr.js";
import { checkRelayPortRange, type PortRange } from "./port-range";
import { instanceTypeInfo, knownFamilies, type DebianArch } from "./instance-types";

/** Config namespace: the Pulumi project name. */
export const NAMESPACE = "turn";

/** Types Pulumi's project schema allows for config declarations. */
type KeyType = "string" | "integer" | "boolean" | "array";

/** One declared config key, mirrored in `Pulumi.yaml` (a test keeps them equal). */
export interface KeySpec {
    type: KeyType;
    default: string | number | boolean | string[];
    description: string;
}

export { MIN_UNPRIVILEGED_PORT, MIN_RELAY_PORTS } from "./port-range";
/** Bounds for TURN REST API credential lifetime, seconds (172800 is Cloudflare's maximum too). */
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 172_800;

/** Every `turn:*` key, with type, default and description. */
export const CONFIG_KEYS = {
    mode: { type: "string", default: "self-hosted", description: "self-hosted (own coturn VM), cloudflare (only a Cloudflare Realtime TURN key, no VM), or both (own relay first, Cloudflare as fallback)." },
    cloudflareAccountId: { type: "string", default: "", description: "Cloudflare account id (32 hex characters); required in cloudflare and both modes, with a token in cloudflare:apiToken (secret) or CLOUDFLARE_API_TOKEN." },
    cloudflareZoneId: { type: "string", default: "", description: "Cloudflare zone id of turn:domain. Set: a DNS-only A record for the domain pointing at the Elastic IP (self-hosted and both modes)." },
    realm: { type: "string", default: "", description: "TURN realm (RFC 8489 §14.9). Empty: the domain if set, else 'turn-stack'." },
    domain: { type: "string", default: "", description: "DNS name pointing at the Elastic IP. Enables TLS (Let's Encrypt at boot) and turns: URLs. Empty: IP only, no TLS." },
    acmeEmail: { type: "string", default: "", description: "Contact email for the Let's Encrypt account (only with a domain). Empty: register without email." },
    instanceType: { type: "string", default: "t4g.small", description: "EC2 instance type. Its family must be known (Graviton arm64 or x86 amd64) to pick the Debian 12 AMI." },
    amiId: { type: "string", default: "", description: "Pin a Debian 12 AMI id. Empty: look up the newest official Debian 12 AMI once; later releases do not replace the server." },
    availabilityZone: { type: "string", default: "", description: "Availability zone for the subnet, e.g. eu-west-1a. Empty: AWS chooses." },
    vpcCidr: { type: "string", default: "10.73.0.0/24", description: "IPv4 CIDR of the stack's own VPC and subnet (private, /16 to /28)." },
    relayMinPort: { type: "integer", default: 49152, description: "Lowest UDP relay port (coturn min-port)." },
    relayMaxPort: { type: "integer", default: 65535, description: "Highest UDP relay port (coturn max-port)." },
    clientCidrs: { type: "array", default: ["0.0.0.0/0"], description: "IPv4 CIDRs allowed to reach the TURN listeners and relay ports." },
    credentialTtlSeconds: { type: "integer", default: 3600, description: "Lifetime of minted TURN REST API credentials, seconds (60 to 172800)." },
    userQuota: { type: "integer", default: 10, description: "Concurrent allocations per TURN username (coturn user-quota)." },
    totalQuota: { type: "integer", default: 2000, description: "Concurrent allocations on the server (coturn total-quota); at most the relay range size." },
    protectAddress: { type: "boolean", default: false, description: "Protect the Elastic IP from deletion (pulumi protect)." },
    readinessCheck: { type: "boolean", default: true, description: "pulumi up waits until the new server answers a real TURN allocation on every listener (off for runners that cannot reach it)." },
    expiresAt: { type: "string", default: "", description: "Test stacks only: ISO 8601 time after which the sweep destroys the stack (set by npm run stack:test)." },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Operating modes (turn:mode). */
export const MODES = ["self-hosted", "cloudflare", "both"] as const;
export type Mode = (typeof MODES)[number];

/** Validated configuration. */
export interface TurnConfig {
    mode: Mode;
    /** True when the stack runs its own coturn VM (self-hosted, both). */
    selfHosted: boolean;
    /** Cloudflare account id, set in cloudflare and both modes. */
    cloudflareAccountId?: string;
    /** Cloudflare zone id for the domain's A record. */
    cloudflareZoneId?: string;
    realm: string;
    /** Undefined when no domain: no TLS listeners, no `turns:` URLs. */
    domain?: string;
    acmeEmail?: string;
    instanceType: string;
    /** Debian architecture of the instance type. */
    arch: DebianArch;
    /** True for T-family types (low network baseline). */
    burstable: boolean;
    amiId?: string;
    availabilityZone?: string;
    vpcCidr: string;
    /** The relay port range (`turn:relayMinPort` to `turn:relayMaxPort`), checked by port-range.ts. */
    relayPortRange: PortRange;
    clientCidrs: string[];
    credentialTtlSeconds: number;
    userQuota: number;
    totalQuota: number;
    protectAddress: boolean;
    readinessCheck: boolean;
    /** Test stacks: when the sweep may destroy the stack. */
    expiresAt?: Date;
}

/** Thrown by {@link parseTurnConfig}; `problems` holds one line per bad key. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid turn-stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * True for a fully qualified DNS host name (RFC 1123): at least two labels,
 * letters, digits and inner hyphens, 63 per label, 253 in all, not an IP.
 */
export function isHostname(name: string): boolean {
    if (name.length > 253 || ipaddr.isValid(name)) return false;
    const labels = name.split(".");
    return labels.length >= 2 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/**
 * Validate raw stack config and apply defaults.
 *
 * @param raw the stack's config as Pulumi hands it to a program: keys
 *   `turn:<key>` (other namespaces are ignored but `cloudflare:apiToken`,
 *   whose presence is checked), every value a string, arrays and objects as JSON text.
 * @param env environment, for `CLOUDFLARE_API_TOKEN` (the Cloudflare
 *   provider's other token source); default `process.env`
 * @returns the validated config
 * @throws ConfigError listing every problem (`turn:<key> = <value>: <what is allowed>`),
 *   including unknown `turn:*` keys, so nothing half-valid is ever deployed
 */
export function parseTurnConfig(raw: Record<string, string>, env: Record<string, string | undefined> = process.env): TurnConfig {
    const problems: string[] = [];
    const bad = (key: ConfigKey, value: unknown, allowed: string) =>
        problems.push(`${NAMESPACE}:${key} = ${JSON.stringify(value)}: ${allowed}`);

    for (const full of Object.keys(raw)) {
        const [ns, key] = full.split(":", 2);
        if (ns === NAMESPACE && !(key in CONFIG_KEYS)) {
            problems.push(`${full} is not a turn-stack key; known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`);
        }
    }
    const rawOf = (key: ConfigKey): string | undefined => raw[`${NAMESPACE}:${key}`];

    const str = (key: ConfigKey): string => {
        const v = rawOf(key);
        return (v ?? (CONFIG_KEYS[key].default as string)).trim();
    };
    const int = (key: ConfigKey): number => {
        const v = rawOf(key);
        if (v === undefined) return CONFIG_KEYS[key].default as number;
        const n = Number(v.trim());
        if (v.trim() === "" || !Number.isInteger(n)) {
            bad(key, v, "must be a whole number");
            return NaN;
        }
        return n;
    };
    const bool = (key: ConfigKey): boolean => {
        const v = rawOf(key);
        if (v === undefined) return CONFIG_KEYS[key].default as boolean;
        if (v === "true" || v === "false") return v === "true";
        bad(key, v, "must be true or false");
        return false;
    };
    const list = (key: ConfigKey): string[] => {
        const v = rawOf(key);
        if (v === undefined) return [...(CONFIG_KEYS[key].default as readonly string[])];
        try {
            const parsed: unknown = JSON.parse(v);
            if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed.map((x) => x.trim());
        } catch {
            /* reported below */
        }
        bad(key, v, "must be a list of strings, e.g. [\"203.0.113.0/24\"]");
        return [];
    };

    // mode and Cloudflare
    const mode = str("mode") as Mode;
    if (!MODES.includes(mode)) bad("mode", mode, `must be one of ${MODES.join(", ")}`);
    const selfHosted = mode !== "cloudflare";
    const cloudflareAccountId = str("cloudflareAccountId");
    const cloudflareZoneId = str("cloudflareZoneId");
    const hex32 = /^[0-9a-f]{32}$/;
    if (mode === "cloudflare" || mode === "both") {
        if (!hex32.test(cloudflareAccountId)) {
            bad("cloudflareAccountId", cloudflareAccountId, `must be your Cloudflare account id (32 lowercase hex characters) in ${mode} mode`);
        }
        if (!raw["cloudflare:apiToken"] && !env.CLOUDFLARE_API_TOKEN) {
            problems.push(
                `cloudflare:apiToken is not set and CLOUDFLARE_API_TOKEN is empty: ${mode} mode needs a Cloudflare API token with Calls Write ` +
                    `(pulumi config set --secret cloudflare:apiToken <token>)`,
            );
        }
    } else if (cloudflareAccountId && !hex32.test(cloudflareAccountId)) {
        bad("cloudflareAccountId", cloudflareAccountId, "must be 32 lowercase hex characters, or empty");
    }

    // domain and realm
    const domain = str("domain").toLowerCase();
    if (domain && !isHostname(domain)) {
        bad("domain", domain, "must be a fully qualified DNS name such as turn.example.com (letters, digits, hyphens; no IP, no trailing dot), or empty");
    }
    if (cloudflareZoneId) {
        if (!hex32.test(cloudflareZoneId)) bad("cloudflareZoneId", cloudflareZoneId, "must be a Cloudflare zone id (32 lowercase hex characters), or empty");
        else if (!domain) bad("cloudflareZoneId", cloudflareZoneId, "needs turn:domain: the A record is for that name");
        else if (!selfHosted) bad("cloudflareZoneId", cloudflareZoneId, "has nothing to point at in cloudflare mode (no Elastic IP); use self-hosted or both");
    }
    const realm = str("realm") || domain || "turn-stack";
    if (realm.length > 127 || !/^[\x21-\x7e]+$/.test(realm)) {
        bad("realm", realm, "must be 1 to 127 printable ASCII characters without spaces (RFC 8489 §14.9)");
    }
    const acmeEmail = str("acmeEmail");
    if (acmeEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(acmeEmail)) {
        bad("acmeEmail", acmeEmail, "must be an email address, or empty");
    }

    // instance
    const instanceType = str("instanceType");
    const info = instanceTypeInfo(instanceType);
    if (!info) {
        bad("instanceType", instanceType, `must be <family>.<size> with a family whose architecture turn-stack knows: ${knownFamilies().join(", ")}`);
    }
    const amiId = str("amiId");
    if (amiId && !/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(amiId)) {
        bad("amiId", amiId, "must be an AMI id like ami-0123456789abcdef0, or empty to look up Debian 12");
    }
    const availabilityZone = str("availabilityZone");
    if (availabilityZone && !/^[a-z]{2}(-[a-z0-9]+)+[a-z]$/.test(availabilityZone)) {
        bad("availabilityZone", availabilityZone, "must be an availability zone name like eu-west-1a, or empty");
    }
    const vpcCidr = str("vpcCidr");
    const vpcProblem = checkCidr(vpcCidr);
    if (vpcProblem) {
        bad("vpcCidr", vpcCidr, vpcProblem);
    } else {
        const [net, bits] = ipaddr.IPv4.parseCIDR(vpcCidr);
        if (bits < 16 || bits > 28 || net.range() !== "private") {
            bad("vpcCidr", vpcCidr, "must be a private (RFC 1918) IPv4 CIDR from /16 to /28, as AWS VPCs require");
        }
    }

    // relay range: the rules live in port-range.ts
    const relay = checkRelayPortRange(int("relayMinPort"), int("relayMaxPort"), { min: `${NAMESPACE}:relayMinPort`, max: `${NAMESPACE}:relayMaxPort` });
    for (const p of relay.problems) bad(p.end === "min" ? "relayMinPort" : "relayMaxPort", p.value, p.allowed);

    // clients
    const clientCidrs = list("clientCidrs");
    if (rawOf("clientCidrs") !== undefined && clientCidrs.length === 0 && !problems.some((p) => p.startsWith(`${NAMESPACE}:clientCidrs`))) {
        bad("clientCidrs", clientCidrs, "must name at least one IPv4 CIDR (0.0.0.0/0 for anywhere)");
    }
    for (const cidr of clientCidrs) {
        const p = checkCidr(cidr);
        if (p) bad("clientCidrs", cidr, p);
    }
    if (new Set(clientCidrs).size !== clientCidrs.length) bad("clientCidrs", clientCidrs, "must not list a CIDR twice");

    // credentials and quotas
    const credentialTtlSeconds = int("credentialTtlSeconds");
    if (Number.isInteger(credentialTtlSeconds) && (credentialTtlSeconds < MIN_TTL_SECONDS || credentialTtlSeconds > MAX_TTL_SECONDS)) {
        bad("credentialTtlSeconds", credentialTtlSeconds, `must be from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS} seconds`);
    }
    const userQuota = int("userQuota");
    const totalQuota = int("totalQuota");
    if (Number.isInteger(userQuota) && userQuota < 1) bad("userQuota", userQuota, "must be at least 1");
    if (Number.isInteger(totalQuota) && Number.isInteger(userQuota) && totalQuota < userQuota) {
        bad("totalQuota", totalQuota, `must be at least turn:userQuota (${userQuota})`);
    }
    if (Number.isInteger(totalQuota) && relay.range && totalQuota > relay.range.size) {
        bad("totalQuota", totalQuota, `must not exceed the relay range size (${relay.range.size} ports from ${relay.range.min} to ${relay.range.max})`);
    }
    const protectAddress = bool("protectAddress");
    const readinessCheck = bool("readinessCheck");
    const expiresRaw = str("expiresAt");
    const expiresAt = expiresRaw ? new Date(expiresRaw) : undefined;
    if (expiresRaw && (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(expiresRaw) || Number.isNaN(expiresAt!.getTime()))) {
        bad("expiresAt", expiresRaw, "must be an ISO 8601 time with zone, e.g. 2026-12-01T12:00:00Z, or empty");
    }

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        mode,
        selfHosted,
        cloudflareAccountId: cloudflareAccountId || undefined,
        cloudflareZoneId: cloudflareZoneId || undefined,
        realm,
        domain: domain || undefined,
        acmeEmail: acmeEmail || undefined,
        instanceType,
        arch: info!.arch,
        burstable: info!.burstable,
        amiId: amiId || undefined,
        availabilityZone: availabilityZone || undefined,
        vpcCidr,
        relayPortRange: relay.range!, // set: no problems were found
        clientCidrs,
        credentialTtlSeconds,
        userQuota,
        totalQuota,
        protectAddress,
        readinessCheck,
        expiresAt,
    };
}

/** Why `cidr` is not a usable IPv4 CIDR, or undefined when it is. */
function checkCidr(cidr: string): string | undefined {
    if (!ipaddr.isValidCIDR(cidr)) return "must be an IPv4 CIDR such as 203.0.113.0/24";
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    if (addr.kind() !== "ipv4") return "must be IPv4: the relay is IPv4-only (see README, IPv6)";
    const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
    if (network !== addr.toString()) return `has host bits set; did you mean ${network}/${bits}?`;
    return undefined;
}
