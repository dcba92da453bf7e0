/**
 * The DNS records of a fleet (issue 16), as data: which names point where, with which routing
 * and health check. components/fleet.ts turns them into Route 53 or Cloudflare resources.
 *
 * Route 53 (`turn:route53ZoneId`): a tree, so a dead server leaves its region's answers and a
 * dead region leaves the latency answer (Route 53 Developer Guide, "How health checks work in
 * complex Amazon Route 53 configurations"):
 *  - each server: a health check on TCP 3478 of its Elastic IP, and a simple A record
 *    `<region>-<n>.<domain>`;
 *  - each region: multivalue answer A records at `<region>.<domain>`, one per server, each with its
 *    server's health check (Route 53 answers with up to eight healthy ones; "Multivalue answer
 *    routing");
 *  - `<domain>`: one latency alias record per region (set identifier = region, latency region =
 *    region) to `<region>.<domain>` with evaluate target health, so a region whose servers all fail
 *    their checks is skipped for the next-lowest-latency region ("Latency-based routing"; "Values
 *    specific for latency alias records", Evaluate target health).
 *
 * Cloudflare (`turn:cloudflareZoneId`): DNS-only A records. Cloudflare DNS has no latency routing and
 * no health checks on plain records: several A records with one name are answered round-robin, dead
 * or alive (Cloudflare DNS docs, "Round-robin DNS"). Steering by location and health is Cloudflare
 * Load Balancing, a paid add-on (README, Scale out). So: `<region>-<n>.<domain>` per server and one
 * `<domain>` A record per server; clients fall back to the server names in the ICE list.
 *
 * Pure: no `@pulumi/*` import.
 */
import type { FleetPlan, ServerSlot } from "./fleet";
import { TURN_PORT } from "./listeners";

/** TTL of the fleet's records, seconds: short, so a replaced or failed server's name moves quickly (Route 53 allows 0 to 2147483647). */
export const FLEET_RECORD_TTL = 60;

/**
 * Route 53 health check on a server's TURN listener: TCP connect to 3478 (Route 53 API Reference,
 * HealthCheckConfig: Type TCP, IPAddress, Port; RequestInterval 10 or 30 s, FailureThreshold 1 to 10).
 * 30 s × 3 failures: a dead server leaves DNS in about 90 s plus the TTL.
 */
export const HEALTH_CHECK = { type: "TCP", port: TURN_PORT, requestInterval: 30, failureThreshold: 3 } as const;

/** One record, named for Pulumi. */
export interface DnsRecordSpec {
    /** Pulumi resource name. */
    resourceName: string;
    /** Fully qualified name, no trailing dot. */
    fqdn: string;
    /** The server whose Elastic IP the record holds (not for alias records). */
    server?: string;
    /** Route 53 routing: simple, multivalue (with the server's health check) or latency alias. */
    routing:
        | { kind: "simple" }
        | { kind: "multivalue"; setIdentifier: string }
        | { kind: "latency"; setIdentifier: string; region: string }
        | { kind: "latency-alias"; setIdentifier: string; region: string; target: string };
}

/** The region's multivalue name, `<region>.<domain>`. */
export function regionName(region: string, domain: string): string {
    return `${region}.${domain}`;
}

function requireHostname(s: ServerSlot): string {
    if (!s.hostname) throw new Error(`server ${s.name} has no DNS name: a fleet needs turn:domain (fleet.ts checkFleet)`);
    return s.hostname;
}

/** Pulumi name of a region's latency record for `<domain>`: the same for one server and for a fleet, so growing updates it in place. */
export function latencyRecordName(region: string): string {
    return `turn-${region}-latency-record`;
}

/**
 * Route 53 records of a plan (see the module comment). Health checks are one per server, named
 * `${server.name}-health`. A single server gets one latency record for `<domain>` holding its
 * address: Route 53 refuses a latency record beside a simple one of the same name and type, so the
 * record a stack starts with is already the kind a fleet needs, and growing into one turns it
 * into the alias record in place.
 */
export function route53Records(plan: FleetPlan, domain: string): DnsRecordSpec[] {
    if (!plan.isFleet) {
        const s = plan.servers[0];
        return [{ resourceName: latencyRecordName(s.region), fqdn: domain, server: s.name, routing: { kind: "latency", setIdentifier: s.region, region: s.region } }];
    }
    const records: DnsRecordSpec[] = [];
    for (const s of plan.servers) {
        const host = requireHostname(s);
        records.push({ resourceName: `${s.name}-host-record`, fqdn: host, server: s.name, routing: { kind: "simple" } });
        records.push({ resourceName: `${s.name}-region-record`, fqdn: regionName(s.region, domain), server: s.name, routing: { kind: "multivalue", setIdentifier: host.slice(0, -domain.length - 1) } });
    }
    for (const region of plan.regions) {
        records.push({
            resourceName: latencyRecordName(region),
            fqdn: domain,
            routing: { kind: "latency-alias", setIdentifier: region, region, target: regionName(region, domain) },
        });
    }
    return records;
}

/**
 * Cloudflare records of a plan: per server `<region>-<n>.<domain>` and a `<domain>` record. The home
 * server's `<domain>` record is the one a single server always had (index.ts `turn-dns`), so it is
 * not listed here.
 */
export function cloudflareRecords(plan: FleetPlan, domain: string): DnsRecordSpec[] {
    const records: DnsRecordSpec[] = [];
    for (const s of plan.servers) {
        records.push({ resourceName: `${s.name}-host-dns`, fqdn: requireHostname(s), server: s.name, routing: { kind: "simple" } });
        if (!(s.home && s.regionLead)) records.push({ resourceName: `${s.name}-dns`, fqdn: domain, server: s.name, routing: { kind: "simple" } });
    }
    return records;
}
