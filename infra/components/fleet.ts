/**
 * `turn:aws:Fleet`: the servers of a fleet beyond the stack's first one, their AWS providers, and the
 * fleet's DNS (issue 16; the plan and its rules are infra/fleet.ts, the records infra/dns.ts, the
 * certificates infra/dns01.ts).
 *
 * The stack's first server, `turn` in the provider's region, is declared by infra/index.ts as it
 * always was (top level, default provider) and handed in: a stack that grows from one server into a
 * fleet keeps that server's URNs and provider, and a one-server stack declares no Fleet at all
 * (test/program/fleet-identity.test.ts).
 *
 * Children:
 *  - one explicit `aws.Provider` per other region (`${name}-<region>`), with the stack's `aws:profile`;
 *    the provider's region keeps the default provider. Moving existing resources from the default
 *    provider to an explicit one would show every one of them as changed, and before Pulumi 3.150
 *    replaced them (pulumi/pulumi#18509: explicit providers now ask the provider's DiffConfig, as
 *    default ones always did); keeping the default provider there avoids both.
 *  - one `turn:aws:TurnServer` per other server (`turn-<region>-<n>`), each in its own availability
 *    zone of its region (the zones the account sees there, read at deploy time; fleet.ts placeZones),
 *    each with its own Elastic IP. Each region's first server holds that region's SSM parameters,
 *    written from the home server's one secret; the others read them.
 *  - rolling replacement: each server's instance depends on the previous server's readiness gate in
 *    its region (fleet.ts ServerSlot.after). See README, Scale out, for what Pulumi can and cannot order.
 *  - DNS: Route 53 health checks and records, or Cloudflare DNS-only records (dns.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { TurnConfig } from "../config";
import { placeZones, type ServerSlot } from "../fleet";
import { cloudflareRecords, FLEET_RECORD_TTL, HEALTH_CHECK, route53Records } from "../dns";
import { route53ChallengeStatements, type Dns01Certificate } from "../dns01";
import { buildFleetIceServers, type RTCIceServer } from "../ice";
import { TurnServer, type FleetMember } from "./turn-server";
import { CloudflareDnsRecord } from "./cloudflare";

/** SSM parameter name of a fleet's Cloudflare DNS token, beside the TURN secret's: `/turn-stack/<project>/<stack>/cloudflare-dns-token`. */
export function cloudflareTokenParameterName(secretParameterName: string): string {
    return secretParameterName.replace(/[^/]+$/, "cloudflare-dns-token");
}

/**
 * What a fleet server's TurnServer gets besides the config: its DNS name, its certificate by DNS-01
 * and the IAM rights that go with it. Also used by index.ts for the home server.
 * @param slot the server (fleet.ts planFleet)
 */
export function fleetMember(config: TurnConfig, slot: ServerSlot, secretParameterName: string): FleetMember {
    const names = [config.domain!, slot.hostname!];
    const certificate: Dns01Certificate = config.route53ZoneId
        ? { plugin: "route53", names }
        : { plugin: "cloudflare", names, tokenParameterName: cloudflareTokenParameterName(secretParameterName) };
    return {
        hostname: slot.hostname!,
        certificate,
        roleStatements: config.route53ZoneId ? route53ChallengeStatements(config.route53ZoneId, names) : [],
        cloudflareDnsToken: config.route53ZoneId || !config.cloudflareDnsToken ? undefined : pulumi.secret(config.cloudflareDnsToken),
    };
}

/** A fleet server as the outputs, the canary and the alarms see it. */
export interface FleetServer {
    name: string;
    region: string;
    /** Its own DNS name. */
    hostname: string;
    publicIp: pulumi.Output<string>;
    instanceId: pulumi.Output<string>;
}

/** Arguments of {@link Fleet}. */
export interface FleetArgs {
    config: TurnConfig;
    /** The stack's first server (`turn`, provider's region), declared by index.ts. */
    home: TurnServer;
    secretParameterName: string;
    tags?: Record<string, string>;
}

/** The rest of a fleet: see the module comment. */
export class Fleet extends pulumi.ComponentResource {
    /** Every server, the home server first, then in plan order. */
    readonly servers: FleetServer[];
    /** `RTCIceServer[]`: the latency-routed name, then every server's name, region by region. */
    readonly iceServers: RTCIceServer[];
    /** Per region: the latency-routed name, then that region's servers. */
    readonly iceServersByRegion: Record<string, RTCIceServer[]>;
    /** The explicit AWS provider of each region other than the provider's (which keeps the default provider). */
    readonly providers: ReadonlyMap<string, aws.Provider>;

    constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:aws:Fleet", name, {}, opts);
        const cfg = args.config;
        const plan = cfg.fleet;
        const domain = cfg.domain!;
        const tls = true; // a fleet always has a domain (fleet.ts checkFleet)
        const profile = new pulumi.Config("aws").get("profile");

        const providers = new Map<string, aws.Provider>();
        for (const region of plan.regions) {
            if (region !== plan.homeRegion) providers.set(region, new aws.Provider(`${name}-${region}`, { region: region as aws.Region, ...(profile ? { profile } : {}) }, { parent: this }));
        }
        this.providers = providers;

        const built = new Map<string, TurnServer>();
        for (const region of plan.regions) {
            const provider = providers.get(region);
            const slots = plan.servers.filter((s) => s.region === region);
            if (slots.every((s) => s.home && s.regionLead)) {
                built.set(slots[0].name, args.home); // one server (Route 53 DNS for a single server): nothing to place
                continue;
            }
            // The zones this account sees in the region, Local and Wavelength Zones left out (EC2 DescribeAvailabilityZones).
            const zoneNames = aws.getAvailabilityZonesOutput(
                { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
                { parent: this, provider },
            ).names;
            // In the provider's region the home server keeps the zone it has (turn:availabilityZone or AWS's choice).
            const pinned = region === plan.homeRegion ? args.home.availabilityZone : undefined;
            const zones = pulumi.all([zoneNames, pinned]).apply(([z, p]) => placeZones(region, z, slots.length, p));
            for (const [i, slot] of slots.entries()) {
                if (slot.home && slot.regionLead) {
                    built.set(slot.name, args.home);
                    continue;
                }
                const lead = built.get(slots[0].name);
                const member = fleetMember(cfg, slot, args.secretParameterName);
                const server = new TurnServer(
                    slot.name,
                    {
                        config: cfg,
                        secretParameterName: args.secretParameterName,
                        tags: args.tags,
                        fleet: {
                            ...member,
                            availabilityZone: zones.apply((z) => z[i]),
                            sharedSecret: args.home.sharedSecret,
                            regionParameters: slot.regionLead ? undefined : lead!.regionParameters,
                            cloudflareDnsToken: slot.regionLead ? member.cloudflareDnsToken : undefined,
                            after: slot.after ? [readinessOf(built.get(slot.after)!)] : [],
                        },
                    },
                    { parent: this, ...(provider ? { providers: [provider] } : {}) },
                );
                built.set(slot.name, server);
            }
        }

        this.servers = plan.servers.map((s) => {
            const server = built.get(s.name)!;
            return { name: s.name, region: s.region, hostname: s.hostname ?? domain, publicIp: server.publicIp, instanceId: server.instanceId };
        });
        const ipOf = (serverName: string) => built.get(serverName)!.publicIp;

        if (cfg.route53ZoneId) {
            const zoneId = cfg.route53ZoneId;
            const health = new Map<string, aws.route53.HealthCheck>();
            for (const s of plan.servers) {
                health.set(
                    s.name,
                    new aws.route53.HealthCheck(
                        `${s.name}-health`,
                        { type: HEALTH_CHECK.type, ipAddress: ipOf(s.name), port: HEALTH_CHECK.port, requestInterval: HEALTH_CHECK.requestInterval, failureThreshold: HEALTH_CHECK.failureThreshold, tags: { ...args.tags, Name: `${s.name}-health` } },
                        { parent: this },
                    ),
                );
            }
            const regionRecords: aws.route53.Record[] = [];
            for (const r of route53Records(plan, domain)) {
                const base = { zoneId, name: r.fqdn, type: "A" };
                const routing = r.routing;
                if (routing.kind === "latency-alias") {
                    new aws.route53.Record(
                        r.resourceName,
                        { ...base, setIdentifier: routing.setIdentifier, latencyRoutingPolicies: [{ region: routing.region }], aliases: [{ name: routing.target, zoneId, evaluateTargetHealth: true }] },
                        // The alias target must exist first (Route 53 refuses an alias to a missing name).
                        { parent: this, dependsOn: regionRecords },
                    );
                } else if (routing.kind === "latency") {
                    new aws.route53.Record(
                        r.resourceName,
                        { ...base, ttl: FLEET_RECORD_TTL, records: [ipOf(r.server!)], setIdentifier: routing.setIdentifier, latencyRoutingPolicies: [{ region: routing.region }] },
                        { parent: this },
                    );
                } else {
                    const rec = new aws.route53.Record(
                        r.resourceName,
                        {
                            ...base,
                            ttl: FLEET_RECORD_TTL,
                            records: [ipOf(r.server!)],
                            ...(routing.kind === "multivalue" ? { setIdentifier: routing.setIdentifier, multivalueAnswerRoutingPolicy: true, healthCheckId: health.get(r.server!)!.id } : {}),
                        },
                        { parent: this },
                    );
                    if (routing.kind === "multivalue") regionRecords.push(rec);
                }
            }
        } else if (cfg.cloudflareZoneId) {
            for (const r of cloudflareRecords(plan, domain)) {
                new CloudflareDnsRecord(r.resourceName, { zoneId: cfg.cloudflareZoneId, domain: r.fqdn, address: ipOf(r.server!) }, { parent: this });
            }
        }

        const hosts = (region?: string) => plan.servers.filter((s) => s.hostname && (region === undefined || s.region === region)).map((s) => s.hostname!);
        this.iceServers = buildFleetIceServers(domain, hosts(), tls);
        this.iceServersByRegion = Object.fromEntries(plan.regions.map((region) => [region, buildFleetIceServers(domain, hosts(region), tls)]));
        this.registerOutputs({ servers: this.servers, iceServers: this.iceServers });
    }
}

/** A server's readiness gate; a fleet always has one (fleet.ts refuses turn:readinessCheck false). */
function readinessOf(server: TurnServer): pulumi.Resource {
    if (!server.ready) throw new Error("a fleet server has no readiness gate: turn:readinessCheck must be true (fleet.ts checkFleet)");
    return server.ready;
}
