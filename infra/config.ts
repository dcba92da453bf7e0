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
import { checkRelayPortRange, DEFAULT_RELAY_PORT_RANGE, type PortRange } from "./port-range";
import { maxClientCidrs, securityRuleCounts, SG_RULES_PER_DIRECTION_QUOTA, SG_RULES_QUOTA_CODE } from "./network";
import { isSupportedRegion, AWS_PARTITION } from "./aws-region";
import { instanceTypeInfo, knownFamilies, type DebianArch } from "./instance-types";
import { DEFAULT_DEBIAN_RELEASE, parseDebianRelease, type DebianRelease } from "./debian";
import { SHARED_SECRET_PATTERN } from "./rotation";
import { consumerNameProblem } from "./credentials";
import { revocationsValue } from "./reaper";
import { checkMonitoring, MONITORING_KEYS, type MonitoringConfig } from "./monitoring-config";
import { checkFleet, FLEET_KEYS, planFleet, type FleetConfig } from "./fleet";
import { CANARY_CONFIG_KEYS, checkCanarySettings, type CanarySettings } from "./canary/settings";

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
    instanceType: { type: "string", default: "t4g.small", description: "EC2 instance type. Its family must be known (Graviton arm64 or x86 amd64) to pick the Debian AMI." },
    amiId: { type: "string", default: "", description: "Pin an AMI id of turn:debianRelease. Empty: look up the newest official Debian AMI of that release once; later builds do not replace the server." },
    debianRelease: { type: "integer", default: 13, description: "Debian release of the server: 13 (trixie, the default for new stacks) or 12 (bookworm). Changing it replaces the server (the Elastic IP is kept)." },
    availabilityZone: { type: "string", default: "", description: "Availability zone for the subnet, e.g. eu-west-1a. Empty: AWS chooses." },
    vpcCidr: { type: "string", default: "10.73.0.0/24", description: "IPv4 CIDR of the stack's own VPC and subnet (private, /16 to /28)." },
    relayMinPort: { type: "integer", default: 49152, description: "Lowest UDP relay port (coturn min-port)." },
    relayMaxPort: { type: "integer", default: 65535, description: "Highest UDP relay port (coturn max-port)." },
    clientCidrs: { type: "array", default: ["0.0.0.0/0"], description: "IPv4 CIDRs allowed to reach the TURN listeners and relay ports. At most 11 with a domain, 15 without (AWS's default 60 inbound rules per security group)." },
    securityGroupRuleQuota: { type: "integer", default: 60, description: "Your account's quota of inbound (and of outbound) rules per security group (AWS quota L-0EA8095F, default 60). Raise it in Service Quotas first, then here, to allow more turn:clientCidrs." },
    credentialTtlSeconds: { type: "integer", default: 3600, description: "Lifetime of minted TURN REST API credentials, seconds (60 to 172800)." },
    userQuota: { type: "integer", default: 10, description: "Concurrent allocations per TURN username (coturn user-quota)." },
    totalQuota: { type: "integer", default: 2000, description: "Concurrent allocations on the server (coturn total-quota); at most the relay range size." },
    protectAddress: { type: "boolean", default: false, description: "Protect the Elastic IP from deletion (pulumi protect)." },
    readinessCheck: { type: "boolean", default: true, description: "pulumi up waits until the new server answers a real TURN allocation on every listener (off for runners that cannot reach it)." },
    expiresAt: { type: "string", default: "", description: "Test stacks only: ISO 8601 time after which the sweep destroys the stack (set by npm run stack:test)." },
    sharedSecret: { type: "string", default: "", description: "The current TURN REST API shared secret, a Pulumi secret set by npm run rotate-secret (never by hand). Empty: the secret generated at the first pulumi up." },
    previousSharedSecret: { type: "string", default: "", description: "The secret before the last rotation, a Pulumi secret set by npm run rotate-secret; coturn accepts it until turn:secretRotatedAt plus the longest credential lifetime." },
    secretRotatedAt: { type: "string", default: "", description: "ISO 8601 time of the last rotation (set by npm run rotate-secret); the previous secret's overlap starts here." },
    revokedConsumers: { type: "array", default: [], description: "Revoked consumers as <name>=<ISO 8601 until> (set by npm run revoke): the VM closes their sessions and keeps closing them until then." },
    // Monitoring (issue 14): infra/monitoring-config.ts.
    ...MONITORING_KEYS,
    // Fleet (issue 16): infra/fleet.ts.
    ...FLEET_KEYS,
    // Canary (issue 14): infra/canary/settings.ts.
    ...CANARY_CONFIG_KEYS,
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Operating modes (turn:mode). */
export const MODES = ["self-hosted", "cloudflare", "both"] as const;
export type Mode = (typeof MODES)[number];

/** Validated configuration. */
export interface TurnConfig extends MonitoringConfig, FleetConfig, CanarySettings {
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
    /** `turn:debianRelease`: the Debian release whose AMI the server runs (debian.ts). */
    debianRelease: DebianRelease;
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
    /** The current shared secret after a rotation (`turn:sharedSecret`); undefined: the generated one. Wrap in a Pulumi secret. */
    sharedSecret?: string;
    /** The secret before the last rotation and when it was rotated (`turn:previousSharedSecret`, `turn:secretRotatedAt`); see rotation.ts. */
    previousSharedSecret?: string;
    secretRotatedAt?: Date;
    /** `turn:revokedConsumers`: consumer name -> until when its sessions are closed (reaper.ts revocationsValue). */
    revokedConsumers: Record<string, Date>;
}

/** Largest revocation list: an SSM Standard-tier parameter value holds at most 4 KB (SSM API Reference, PutParameter Value). */
export const MAX_REVOCATIONS_BYTES = 4096;

/** ISO 8601 time with zone, as turn-stack's time keys take it. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * One `turn:revokedConsumers` entry, `<consumer>=<ISO 8601 until>`, e.g. `neko=2026-12-01T12:00:00Z`.
 * @returns the parsed entry, or `problem` naming what is wrong (the consumer name rule is credentials.ts consumerNameProblem)
 */
export function parseRevocation(entry: string): { name: string; until: Date } | { problem: string } {
    const eq = entry.indexOf("=");
    if (eq < 0) return { problem: "must be <consumer>=<ISO 8601 until>, e.g. neko=2026-12-01T12:00:00Z (set by npm run revoke)" };
    const [name, untilRaw] = [entry.slice(0, eq), entry.slice(eq + 1)];
    const nameProblem = consumerNameProblem("consumer", name);
    if (nameProblem) return { problem: nameProblem };
    const until = new Date(untilRaw);
    if (untilRaw.length > 40 || !ISO_TIME.test(untilRaw) || Number.isNaN(until.getTime())) {
        return { problem: `until ${JSON.stringify(untilRaw)}: must be an ISO 8601 time with zone, e.g. 2026-12-01T12:00:00Z` };
    }
    return { name, until };
}

/** The `turn:revokedConsumers` entry for a revocation: `<name>=<until, ISO 8601 UTC>`. */
export function revocationEntry(name: string, until: Date): string {
    return `${name}=${until.toISOString()}`;
}

/**
 * The `turn:revokedConsumers` list after `npm run revoke`: the entries still running at `now`, plus the consumer
 * until `until` (a consumer revoked again keeps the later time), or without it when `until` is undefined (--undo);
 * sorted by name, so the same revocations give the same config.
 * @param current the stack's list (parseTurnConfig revokedConsumers)
 */
export function revokedList(current: Record<string, Date>, consumer: string, until: Date | undefined, now: Date): string[] {
    const next = Object.entries(current).filter(([name, t]) => t > now && name !== consumer);
    if (until) next.push([consumer, current[consumer] && current[consumer] > until ? current[consumer] : until]);
    return next.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, t]) => revocationEntry(name, t));
}

/** Longest Pulumi project or stack name: "limited to 100 characters" (Pulumi CLI, stack name validation). */
export const MAX_PULUMI_NAME_LENGTH = 100;

/**
 * SSM parameter name of a stack's TURN shared secret, unique per account and
 * region: `/turn-stack/<project>/<stack>/static-auth-secret`. It also sits in the
 * user data (the VM fetches the secret by it), so its length counts there.
 * @param project Pulumi project name, @param stack Pulumi stack name (each at most 100 characters)
 */
export function secretParameterNameFor(project: string, stack: string): string {
    return `/turn-stack/${project}/${stack}/static-auth-secret`;
}

/** Thrown by {@link parseTurnConfig}; `problems` holds one line per bad key. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid turn-stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Longest email address: a 256-octet path minus its angle brackets (RFC 5321 §4.5.3.1.3). */
export const MAX_EMAIL_LENGTH = 254;
/** Longest local part (before the @) of an email address (RFC 5321 §4.5.3.1.1). */
export const MAX_EMAIL_LOCAL_LENGTH = 64;
/** Longest realm: fewer than 128 characters (RFC 8489 §14.9). */
export const MAX_REALM_LENGTH = 127;
/** Longest availability zone name accepted (Wavelength zones, the longest today, have 23). */
export const MAX_AVAILABILITY_ZONE_LENGTH = 64;
/** Longest instance type name accepted (the longest today, e.g. u7in-32tb.224xlarge, have about 20). */
export const MAX_INSTANCE_TYPE_LENGTH = 32;
/** Upper bound for turn:securityGroupRuleQuota: inbound rules × security groups per interface may not exceed 1,000 (Amazon VPC quotas). */
export const MAX_SG_RULE_QUOTA = 1000;

/**
 * True for an email address turn-stack can hand to certbot in the user data:
 * at most 254 characters (RFC 5321 §4.5.3.1), a local part of 1 to 64 letters,
 * digits and `.`, `_`, `+`, `-` (a subset of RFC 5322's dot-atom that needs no
 * shell quoting), and a domain that {@link isHostname} accepts.
 */
export function isAcmeEmail(email: string): boolean {
    const at = email.lastIndexOf("@");
    if (email.length > MAX_EMAIL_LENGTH || at < 1) return false;
    const local = email.slice(0, at);
    return local.length <= MAX_EMAIL_LOCAL_LENGTH && /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*$/.test(local) && isHostname(email.slice(at + 1).toLowerCase());
}

/** What {@link isAcmeEmail} allows, for the refusal of every email key (`turn:acmeEmail`, `turn:alarmEmail`). */
export const EMAIL_ALLOWED =
    `must be an email address of at most ${MAX_EMAIL_LENGTH} characters (RFC 5321 §4.5.3.1): up to ${MAX_EMAIL_LOCAL_LENGTH} letters, digits, ` +
    "'.', '_', '+', '-' before the @ and a DNS name after it; or empty";

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
    if (realm.length > MAX_REALM_LENGTH || !/^[\x21-\x7e]+$/.test(realm)) {
        bad("realm", realm, `must be 1 to ${MAX_REALM_LENGTH} printable ASCII characters without spaces (RFC 8489 §14.9)`);
    }
    const acmeEmail = str("acmeEmail");
    if (acmeEmail && !isAcmeEmail(acmeEmail)) {
        bad("acmeEmail", acmeEmail, EMAIL_ALLOWED);
    }

    // AWS region: as the AWS provider reads it (aws:region, else AWS_REGION, else AWS_DEFAULT_REGION).
    const [regionSource, region] = raw["aws:region"] !== undefined ? ["aws:region", raw["aws:region"]] : env.AWS_REGION ? ["AWS_REGION", env.AWS_REGION] : env.AWS_DEFAULT_REGION ? ["AWS_DEFAULT_REGION", env.AWS_DEFAULT_REGION] : [];
    if (selfHosted && regionSource && !isSupportedRegion(region!)) {
        problems.push(
            `${regionSource} = ${JSON.stringify(region)}: must be a region of the standard AWS partition (${AWS_PARTITION}), e.g. eu-west-1 or us-east-1; ` +
                "AWS China (cn-*), GovCloud (us-gov-*), the ISO partitions and the European Sovereign Cloud are not supported (README, Regions)",
        );
    }

    // instance
    const instanceType = str("instanceType");
    const info = instanceType.length <= MAX_INSTANCE_TYPE_LENGTH ? instanceTypeInfo(instanceType) : undefined;
    if (!info) {
        bad("instanceType", instanceType, `must be <family>.<size> with a family whose architecture turn-stack knows: ${knownFamilies().join(", ")}`);
    }
    const amiId = str("amiId");
    if (amiId && !/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(amiId)) {
        bad("amiId", amiId, "must be an AMI id like ami-0123456789abcdef0, or empty to look up the official Debian AMI of turn:debianRelease");
    }
    const debianRelease = parseDebianRelease(rawOf("debianRelease"));
    if ("problem" in debianRelease) bad("debianRelease", rawOf("debianRelease"), debianRelease.problem);
    const availabilityZone = str("availabilityZone");
    if (availabilityZone && (availabilityZone.length > MAX_AVAILABILITY_ZONE_LENGTH || !/^[a-z]{2}(-[a-z0-9]+)+[a-z]$/.test(availabilityZone))) {
        bad("availabilityZone", availabilityZone, `must be an availability zone name like eu-west-1a (at most ${MAX_AVAILABILITY_ZONE_LENGTH} characters), or empty`);
    } else if (availabilityZone && region && isSupportedRegion(region) && !availabilityZone.startsWith(`${region}-`) && !new RegExp(`^${region}[a-z]$`).test(availabilityZone)) {
        bad("availabilityZone", availabilityZone, `must be a zone of the stack's region ${region} (${regionSource}), e.g. ${region}a, or empty`);
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

    // Security group quota: count the rules the program declares (network.ts), per direction.
    const sgQuota = int("securityGroupRuleQuota");
    if (Number.isInteger(sgQuota) && (sgQuota < 1 || sgQuota > MAX_SG_RULE_QUOTA)) {
        bad("securityGroupRuleQuota", sgQuota, `must be from 1 to ${MAX_SG_RULE_QUOTA}: your account's "Inbound or outbound rules per security group" (AWS default ${SG_RULES_PER_DIRECTION_QUOTA})`);
    } else if (selfHosted && Number.isInteger(sgQuota)) {
        const plan = { relayPortRange: relay.range ?? DEFAULT_RELAY_PORT_RANGE };
        const counts = securityRuleCounts({ ...plan, clientCidrs, tls: domain !== "" });
        const fit = `${maxClientCidrs({ ...plan, tls: true }, sgQuota)} CIDRs fit with a domain, ${maxClientCidrs({ ...plan, tls: false }, sgQuota)} without`;
        const more =
            `merge CIDRs into fewer, larger blocks, or ask AWS for more: Service Quotas console, Amazon Virtual Private Cloud (Amazon VPC), ` +
            `"Inbound or outbound rules per security group" (${SG_RULES_QUOTA_CODE}; aws service-quotas request-service-quota-increase --service-code vpc ` +
            `--quota-code ${SG_RULES_QUOTA_CODE} --desired-value <n>), then set turn:securityGroupRuleQuota to the granted value`;
        for (const [dir, n] of [["inbound", counts.ingress], ["outbound", counts.egress]] as const) {
            if (n > sgQuota) {
                bad("clientCidrs", clientCidrs, `${clientCidrs.length} CIDRs make ${n} ${dir} security group rules; the quota is ${sgQuota} per direction (turn:securityGroupRuleQuota): ${fit}; ${more}`);
            }
        }
    }

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
    if (expiresRaw && (expiresRaw.length > 40 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(expiresRaw) || Number.isNaN(expiresAt!.getTime()))) {
        bad("expiresAt", expiresRaw, "must be an ISO 8601 time with zone, e.g. 2026-12-01T12:00:00Z, or empty");
    }

    // rotation (rotation.ts): secrets are never echoed, only their length
    const secretProblem = (key: ConfigKey, v: string) =>
        problems.push(`${NAMESPACE}:${key} = (secret, ${v.length} characters): must be 32 to 127 letters, digits, '_' or '-' (set it with npm run rotate-secret, not by hand)`);
    const sharedSecret = str("sharedSecret");
    const previousSharedSecret = str("previousSharedSecret");
    const rotatedRaw = str("secretRotatedAt");
    const secretRotatedAt = rotatedRaw ? new Date(rotatedRaw) : undefined;
    if (sharedSecret && !SHARED_SECRET_PATTERN.test(sharedSecret)) secretProblem("sharedSecret", sharedSecret);
    if (previousSharedSecret && !SHARED_SECRET_PATTERN.test(previousSharedSecret)) secretProblem("previousSharedSecret", previousSharedSecret);
    if (rotatedRaw && (rotatedRaw.length > 40 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(rotatedRaw) || Number.isNaN(secretRotatedAt!.getTime()))) {
        bad("secretRotatedAt", rotatedRaw, "must be an ISO 8601 time with zone, e.g. 2026-12-01T12:00:00Z, or empty");
    }
    if (Boolean(previousSharedSecret) !== Boolean(rotatedRaw) || (previousSharedSecret && !sharedSecret)) {
        problems.push(`${NAMESPACE}:previousSharedSecret and ${NAMESPACE}:secretRotatedAt come together, with ${NAMESPACE}:sharedSecret: all three are set by npm run rotate-secret`);
    } else if (previousSharedSecret && previousSharedSecret === sharedSecret) {
        problems.push(`${NAMESPACE}:previousSharedSecret equals ${NAMESPACE}:sharedSecret: a rotation makes a new secret (npm run rotate-secret)`);
    }

    // revocations (reaper.ts): one entry per consumer
    const revokedConsumers: Record<string, Date> = {};
    for (const entry of list("revokedConsumers")) {
        const r = parseRevocation(entry);
        if ("problem" in r) bad("revokedConsumers", entry, r.problem);
        else if (r.name in revokedConsumers) bad("revokedConsumers", entry, `names consumer ${r.name} twice; one entry per consumer`);
        else revokedConsumers[r.name] = r.until;
    }
    // The list reaches the VM as one SSM String parameter of the Standard tier: at most 4 KB (SSM API Reference, PutParameter Value).
    const revocationsBytes = Buffer.byteLength(revocationsValue(revokedConsumers));
    if (revocationsBytes > MAX_REVOCATIONS_BYTES) {
        bad("revokedConsumers", `${Object.keys(revokedConsumers).length} entries`, `make ${revocationsBytes} bytes in SSM, at most ${MAX_REVOCATIONS_BYTES}: npm run revoke drops entries whose time has passed`);
    }

    // monitoring (monitoring-config.ts): the alarm email uses the same address rule as turn:acmeEmail
    const monitoring = checkMonitoring(str("alarmEmail"), int("monthlyEgressBudgetGb"), bool("egressCostBudget"), { test: isAcmeEmail, allowed: EMAIL_ALLOWED });
    for (const p of monitoring.problems) bad(p.key, p.value, p.allowed);

    // fleet (fleet.ts): regions × servers per region, its DNS provider and quotas
    const regions = list("regions");
    const serversPerRegion = int("serversPerRegion");
    const route53ZoneId = str("route53ZoneId") || undefined;
    problems.push(
        ...checkFleet({
            regions,
            serversPerRegion,
            homeRegion: region,
            homeRegionSource: regionSource,
            selfHosted,
            domain: domain || undefined,
            route53ZoneId,
            cloudflareZoneId: cloudflareZoneId || undefined,
            cloudflareDnsToken: str("cloudflareDnsToken") || undefined,
            amiId: amiId || undefined,
            readinessCheck,
        }),
    );

    // canary (canary/settings.ts): on/off by mode, and its schedule
    const canary = checkCanarySettings({ canary: rawOf("canary"), canaryScheduleMinutes: rawOf("canaryScheduleMinutes") }, mode, selfHosted);
    problems.push(...canary.problems);

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        ...canary.settings,
        route53ZoneId,
        cloudflareDnsToken: str("cloudflareDnsToken") || undefined,
        fleet: planFleet(regions, serversPerRegion, region ?? "", domain || undefined),
        ...monitoring.settings,
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
        debianRelease: "release" in debianRelease ? debianRelease.release : DEFAULT_DEBIAN_RELEASE,
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
        sharedSecret: sharedSecret || undefined,
        previousSharedSecret: previousSharedSecret || undefined,
        secretRotatedAt,
        revokedConsumers,
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
