/**
 * A fleet: `turn:regions` × `turn:serversPerRegion` TURN servers behind
 * latency-routed DNS (issue 16). Pure planning: which servers exist, their
 * Pulumi names, DNS names, availability-zone slots and the order in which a
 * change may replace them, plus the validation of the fleet keys.
 *
 * One server (no `turn:regions`, or just the provider's region, and
 * `turn:serversPerRegion` 1) is not a fleet: the program declares exactly the
 * resources it declared before fleets existed (test/program/fleet-identity.test.ts).
 *
 * Pure: no `@pulumi/*` import.
 */
import { AWS_PARTITION, STANDARD_REGIONS, STANDARD_REGIONS_SOURCE } from "./aws-region";

/**
 * Pulumi name of the first server in the provider's region. It is the name the
 * single server always had, so a stack that grows into a fleet keeps that server
 * (same URNs, same default provider) and only adds the others.
 */
export const HOME_SERVER_NAME = "turn";

/**
 * Most servers per region: one per availability zone, and "each Region has at
 * least three Availability Zones" (AWS Regions and Availability Zones,
 * https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
 * How many zones an account really sees in a region (us-west-1 shows many
 * accounts two) is only known at deploy time: the component reads the region's
 * zones (ec2 DescribeAvailabilityZones) and fails naming the region when there are
 * fewer than servers (components/fleet.ts).
 */
export const MIN_ZONES_PER_REGION = 3;

/**
 * Default Elastic IP addresses per region: 5 ("EC2-VPC Elastic IPs", Service Quotas
 * code L-0263D0A3; Amazon EC2 User Guide, "Elastic IP address quota"). Each server holds one.
 */
export const EIP_QUOTA = { perRegion: 5, code: "L-0263D0A3", name: "EC2-VPC Elastic IPs" } as const;

/**
 * Default VPCs per region: 5 (Amazon VPC User Guide, "Amazon VPC quotas", VPCs per
 * Region, code L-F678F1CE; internet gateways per region follow it, L-A4707A72). Each
 * server has its own VPC (components/turn-server.ts), and the region's default VPC
 * counts too, so 4 are left for servers in an account that kept it.
 */
export const VPC_QUOTA = { perRegion: 5, code: "L-F678F1CE", name: "VPCs per Region", takenByDefaultVpc: 1 } as const;

/** The fleet's `turn:*` keys (config.ts CONFIG_KEYS spreads them; Pulumi.yaml declares them too). */
export const FLEET_KEYS = {
    regions: { type: "array", default: [] as string[], description: "AWS regions of a fleet, e.g. [eu-west-1, us-east-1]; must include aws:region. Empty: one region, the provider's (aws:region)." },
    serversPerRegion: { type: "integer", default: 1, description: "TURN servers per region, each in its own availability zone with its own Elastic IP (at most 3). More than one server in all makes a fleet: needs turn:domain and a DNS provider." },
    route53ZoneId: { type: "string", default: "", description: "Route 53 hosted zone id of turn:domain (e.g. Z0123456789ABCDEFGHIJ). Set: per-server names and the latency-routed turn:domain with health checks on TCP 3478, certificates by DNS-01." },
    cloudflareDnsToken: { type: "string", default: "", description: "A fleet with turn:cloudflareZoneId: a Cloudflare API token with Zone / DNS / Edit on that zone only, a Pulumi secret (pulumi config set --secret). The servers use it for DNS-01 certificates." },
} as const;

/** A Cloudflare API token as the VM's certbot ini file can carry it: letters, digits, `_` and `-`, 20 to 200 (Cloudflare's tokens are 40 today). */
export const CLOUDFLARE_TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

/** The validated fleet settings in TurnConfig. */
export interface FleetConfig {
    /** `turn:route53ZoneId`, or undefined. */
    route53ZoneId?: string;
    /** `turn:cloudflareDnsToken` (a fleet with Cloudflare DNS), or undefined. Wrap in a Pulumi secret. */
    cloudflareDnsToken?: string;
    /** The servers to declare (one, named {@link HOME_SERVER_NAME}, unless a fleet). */
    fleet: FleetPlan;
}

/** One server of the plan. */
export interface ServerSlot {
    /** Pulumi name of its `turn:aws:TurnServer`: {@link HOME_SERVER_NAME}, or `turn-<region>-<n>`. */
    name: string;
    region: string;
    /** 1-based position in its region. */
    index: number;
    /** True in the provider's region: the server's resources use the default AWS provider. */
    home: boolean;
    /** True for the region's first server, which holds the region's SSM parameters. */
    regionLead: boolean;
    /**
     * The server whose readiness gate this one's instance waits for (the previous one in its
     * region), so a change replaces one server of a region at a time; undefined for the first.
     */
    after?: string;
    /** DNS name of this server in a fleet, `<region>-<n>.<domain>`; undefined for a single server. */
    hostname?: string;
}

/** The stack's servers. */
export interface FleetPlan {
    /** Regions in `turn:regions` order (the provider's region alone when the key is empty). */
    regions: string[];
    serversPerRegion: number;
    /** The provider's region (`aws:region` or the AWS environment). */
    homeRegion: string;
    servers: ServerSlot[];
    /** More than one server: latency DNS, per-server names, DNS-01 certificates, rolling replacement. */
    isFleet: boolean;
}

/** The fleet keys as validated by {@link checkFleet}. */
export interface FleetInput {
    /** `turn:regions` as given (may be empty). */
    regions: string[];
    serversPerRegion: number;
    /** The provider's region and where it came from (`aws:region`, `AWS_REGION`, ...); undefined when none is set. */
    homeRegion?: string;
    homeRegionSource?: string;
    selfHosted: boolean;
    domain?: string;
    route53ZoneId?: string;
    cloudflareZoneId?: string;
    /** `turn:amiId`, if pinned. */
    amiId?: string;
    /** `turn:cloudflareDnsToken`; never echoed in messages. */
    cloudflareDnsToken?: string;
    readinessCheck: boolean;
}

/** Pulumi name of server `index` (1-based) of `region`. */
export function serverName(region: string, index: number, homeRegion: string): string {
    return region === homeRegion && index === 1 ? HOME_SERVER_NAME : `${HOME_SERVER_NAME}-${region}-${index}`;
}

/** DNS name of server `index` of `region` in a fleet: `<region>-<n>.<domain>`, e.g. `eu-west-1-2.turn.example.com`. */
export function serverHostname(region: string, index: number, domain: string): string {
    return `${region}-${index}.${domain}`;
}

/**
 * The servers of a valid fleet, region by region, in `turn:regions` order.
 * @param regions `turn:regions`; empty means the home region alone
 * @param domain `turn:domain`, for the per-server names (a fleet has one)
 */
export function planFleet(regions: string[], serversPerRegion: number, homeRegion: string, domain?: string): FleetPlan {
    const list = regions.length > 0 ? regions : [homeRegion];
    const isFleet = list.length * serversPerRegion > 1;
    const servers: ServerSlot[] = [];
    for (const region of list) {
        for (let index = 1; index <= serversPerRegion; index++) {
            servers.push({
                name: serverName(region, index, homeRegion),
                region,
                index,
                home: region === homeRegion,
                regionLead: index === 1,
                after: index > 1 ? serverName(region, index - 1, homeRegion) : undefined,
                hostname: isFleet && domain ? serverHostname(region, index, domain) : undefined,
            });
        }
    }
    return { regions: list, serversPerRegion, homeRegion, servers, isFleet };
}

/**
 * Availability zones for a region's servers, one distinct zone each.
 * @param zones the zone names the account sees in the region (DescribeAvailabilityZones, state
 *   `available`, opt-in not required: Local and Wavelength Zones left out)
 * @param count servers in the region
 * @param pinned zone of the region's first server when it is fixed already (the home server keeps
 *   the zone it was created in, `turn:availabilityZone` or AWS's choice): the others take the rest
 * @returns `count` zone names, the first being `pinned` when given; others in name order
 * @throws Error naming the region's zones when there are fewer than `count`
 */
export function placeZones(region: string, zones: string[], count: number, pinned?: string): string[] {
    const sorted = [...new Set(zones)].sort();
    const rest = sorted.filter((z) => z !== pinned);
    const placed = pinned ? [pinned, ...rest.slice(0, count - 1)] : rest.slice(0, count);
    if (placed.length < count || (pinned && !sorted.includes(pinned))) {
        throw new Error(
            `turn:serversPerRegion = ${count}: region ${region} offers this account ${sorted.length} availability zone(s) (${sorted.join(", ") || "none"})` +
                `${pinned && !sorted.includes(pinned) ? `, not including ${pinned}` : ""}; servers of one region sit in distinct zones, so at most ${sorted.length} fit there`,
        );
    }
    return placed;
}

/** Longest DNS name written without the trailing dot: 255 octets on the wire (RFC 1035 §2.3.4), as config.ts isHostname. */
export const MAX_DNS_NAME_LENGTH = 253;
/** The DNS-01 challenge label (RFC 8555 §8.4) in front of each certificate name. */
export const ACME_CHALLENGE_PREFIX = "_acme-challenge.";

/** Route 53 hosted zone id: `Z` and up to 31 capital letters or digits (Route 53 API Reference, HostedZone Id: at most 32 characters). */
export const ROUTE53_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/**
 * Validate the fleet keys. Every problem is returned at once, each naming the key, its value and
 * what is allowed, in config.ts's `turn:<key> = <value>: <allowed>` form.
 * @returns problems (empty when valid)
 */
export function checkFleet(f: FleetInput): string[] {
    const problems: string[] = [];
    const bad = (key: string, value: unknown, allowed: string) => problems.push(`turn:${key} = ${JSON.stringify(value)}: ${allowed}`);

    if (f.route53ZoneId !== undefined) {
        if (f.route53ZoneId.startsWith("/hostedzone/")) bad("route53ZoneId", f.route53ZoneId, `must be the zone id alone, e.g. ${f.route53ZoneId.slice("/hostedzone/".length)}`);
        else if (!ROUTE53_ZONE_ID.test(f.route53ZoneId)) bad("route53ZoneId", f.route53ZoneId, "must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ (Z and up to 31 capital letters or digits), or empty");
        if (f.cloudflareZoneId !== undefined) bad("route53ZoneId", f.route53ZoneId, "and turn:cloudflareZoneId are both set: choose one DNS provider for turn:domain");
        if (!f.domain) bad("route53ZoneId", f.route53ZoneId, "needs turn:domain: the records are for that name");
        if (!f.selfHosted) bad("route53ZoneId", f.route53ZoneId, "has nothing to point at in cloudflare mode (no server); use self-hosted or both");
    }

    if (f.cloudflareDnsToken !== undefined) {
        const what = `(secret, ${f.cloudflareDnsToken.length} characters)`;
        if (!CLOUDFLARE_TOKEN.test(f.cloudflareDnsToken)) problems.push(`turn:cloudflareDnsToken = ${what}: must be a Cloudflare API token (20 to 200 letters, digits, '_' or '-')`);
        if (f.cloudflareZoneId === undefined) problems.push(`turn:cloudflareDnsToken = ${what}: is only used with turn:cloudflareZoneId (a fleet's DNS-01 certificates); remove it`);
    }
    const fleetKeysSet = f.regions.length > 0 || f.serversPerRegion !== 1;
    if (Number.isInteger(f.serversPerRegion) && f.serversPerRegion < 1) {
        bad("serversPerRegion", f.serversPerRegion, "must be a whole number of at least 1");
    }
    if (!f.selfHosted && fleetKeysSet) {
        bad(f.regions.length > 0 ? "regions" : "serversPerRegion", f.regions.length > 0 ? f.regions : f.serversPerRegion, "is for the own relay; cloudflare mode runs no server (use self-hosted or both)");
        return problems;
    }
    const standard = STANDARD_REGIONS as readonly string[];
    for (const r of f.regions) {
        if (!standard.includes(r)) {
            bad("regions", r, `is not a region of the standard AWS partition (${AWS_PARTITION}); known regions (${STANDARD_REGIONS_SOURCE}): ${STANDARD_REGIONS.join(", ")}`);
        }
    }
    const dupes = [...new Set(f.regions.filter((r, i) => f.regions.indexOf(r) !== i))];
    if (dupes.length > 0) bad("regions", f.regions, `lists ${dupes.join(", ")} more than once; name each region once and set turn:serversPerRegion for more servers per region`);
    if (f.regions.length > 0 && f.homeRegion !== undefined && !f.regions.includes(f.homeRegion)) {
        bad(
            "regions",
            f.regions,
            `must include the provider's region ${f.homeRegion} (${f.homeRegionSource}): its first server is the stack's server "${HOME_SERVER_NAME}", which keeps its resources and the default provider when the stack grows; change ${f.homeRegionSource} to one of the listed regions, or add ${f.homeRegion}`,
        );
    }
    if ((f.regions.length > 0 || f.serversPerRegion > 1) && f.homeRegion === undefined) {
        problems.push(`aws:region is not set (nor AWS_REGION, AWS_DEFAULT_REGION): a fleet (turn:regions, turn:serversPerRegion) needs it to place the stack's first server "${HOME_SERVER_NAME}" (pulumi config set aws:region <region>)`);
    }

    const n = f.serversPerRegion;
    if (Number.isInteger(n) && n > 1) {
        const limits: [number, string][] = [
            [MIN_ZONES_PER_REGION, `servers of one region sit in distinct availability zones, and AWS promises at least ${MIN_ZONES_PER_REGION} per region (the zones your account sees are checked again at deploy time)`],
            [VPC_QUOTA.perRegion - VPC_QUOTA.takenByDefaultVpc, `each server has its own VPC and the default quota is ${VPC_QUOTA.perRegion} ${VPC_QUOTA.name} (${VPC_QUOTA.code}), one of them the default VPC`],
            [EIP_QUOTA.perRegion, `each server holds an Elastic IP and the default quota is ${EIP_QUOTA.perRegion} ${EIP_QUOTA.name} per region (${EIP_QUOTA.code})`],
        ];
        for (const [max, why] of limits) if (n > max) bad("serversPerRegion", n, `must be at most ${max}: ${why}`);
    }

    const regionCount = f.regions.length > 0 ? new Set(f.regions).size : 1;
    if (f.amiId !== undefined && regionCount > 1) {
        bad("amiId", f.amiId, `pins one AMI, and an AMI id belongs to one region (EC2 User Guide, "Copy an AMI"): leave it empty in a fleet over ${regionCount} regions, so each region looks up its own Debian AMI`);
    }
    const total = regionCount * (Number.isInteger(n) && n > 0 ? n : 1);
    if (total > 1) {
        const shape = `${regionCount} region(s) × ${n} server(s)`;
        if (!f.domain) bad("domain", "", `a fleet (${shape}) needs a DNS name: the latency-routed name clients use, with a name per server below it`);
        else {
            // The longest name the fleet writes: the DNS-01 challenge of the longest server name (dns01.ts).
            const longestRegion = [...(f.regions.length > 0 ? f.regions : [f.homeRegion ?? ""])].sort((a, b) => b.length - a.length)[0];
            const longest = ACME_CHALLENGE_PREFIX + serverHostname(longestRegion, Number.isInteger(n) && n > 0 ? n : 1, f.domain);
            if (longest.length > MAX_DNS_NAME_LENGTH) {
                bad(
                    "domain",
                    f.domain,
                    `is too long for a fleet: its longest name, ${longest.slice(0, 40)}... (the DNS-01 challenge of a server's name), has ${longest.length} characters; ` +
                        `DNS names have at most ${MAX_DNS_NAME_LENGTH} (RFC 1035 §2.3.4), so with these regions the domain may have ${f.domain.length - (longest.length - MAX_DNS_NAME_LENGTH)}`,
                );
            }
        }
        if (f.route53ZoneId === undefined && f.cloudflareZoneId === undefined) {
            bad("route53ZoneId", "", `a fleet (${shape}) needs a DNS provider for turn:domain: set turn:route53ZoneId (latency routing with health checks) or turn:cloudflareZoneId (plain round-robin records; README, Scale out)`);
        }
        if (f.cloudflareZoneId !== undefined && f.route53ZoneId === undefined && f.selfHosted && f.cloudflareDnsToken === undefined) {
            problems.push(
                `turn:cloudflareDnsToken is not set: a fleet (${shape}) with turn:cloudflareZoneId gets its certificates by DNS-01 and needs a Cloudflare API token ` +
                    "with Zone / DNS / Edit on that zone only (pulumi config set --secret turn:cloudflareDnsToken <token>; README, Scale out)",
            );
        }
        if (!f.readinessCheck) {
            bad("readinessCheck", false, `a fleet (${shape}) replaces its servers one at a time, each after the previous one's readiness gate passed; without the gate a change could take a whole region down`);
        }
    }
    return problems;
}
