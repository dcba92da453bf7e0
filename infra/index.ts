/**
 * turn-stack's Pulumi program: read and validate config, build the TURN
 * server and/or the Cloudflare TURN key for the stack's mode, export outputs.
 * Everything else lives in components and pure modules beside this file.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseTurnConfig, secretParameterNameFor, type TurnConfig } from "./config";
import { TurnServer } from "./components/turn-server";
import { Fleet, fleetMember } from "./components/fleet";
import { Monitoring } from "./components/monitoring";
import { Canary } from "./components/canary";
import { CloudflareDnsRecord, CloudflareTurnKey } from "./components/cloudflare";
import { CLOUDFLARE_TURN_URLS } from "./cloudflare-api";
import type { RTCIceServer } from "./ice";

/**
 * The validated config. A config error becomes a `pulumi.RunError`: Pulumi's
 * Node.js runtime prints a RunError's message alone, without the stack trace
 * and "unhandled exception" it prints for any other error
 * (@pulumi/pulumi cmd/run/run.js, uncaughtHandler: "Always hide the stack for RunErrors").
 * Thrown before any resource is declared, listing every bad key.
 */
function validatedConfig(): TurnConfig {
    try {
        return parseTurnConfig(pulumi.runtime.allConfig());
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
const config = validatedConfig();
const project = pulumi.getProject();
const stack = pulumi.getStack();

/** The own server's name: its resources' prefix, and the canary's and alarms' `Server` dimension. */
const serverName = "turn";
/** A fleet's first server in the provider's region is this one (infra/fleet.ts HOME_SERVER_NAME): same name, same resources. */
const homeSlot = config.fleet.servers.find((s) => s.home && s.regionLead)!;
const server = config.selfHosted
    ? new TurnServer(serverName, {
          config,
          secretParameterName: secretParameterNameFor(project, stack),
          tags: { "turn-stack:project": project, "turn-stack:stack": stack },
          ...(config.fleet.isFleet ? { fleet: fleetMember(config, homeSlot, secretParameterNameFor(project, stack)) } : {}),
      })
    : undefined;

// The fleet's other servers, providers and DNS (issue 16); also the Route 53 record of a single server.
const fleet =
    server && (config.fleet.isFleet || config.route53ZoneId)
        ? new Fleet(serverName, { config, home: server, secretParameterName: secretParameterNameFor(project, stack), tags: { "turn-stack:project": project, "turn-stack:stack": stack } })
        : undefined;

const cloudflareKey =
    config.mode === "self-hosted"
        ? undefined
        : new CloudflareTurnKey("cloudflare-turn", {
              accountId: config.cloudflareAccountId!,
              keyName: `${project}-${stack}`,
              apiToken: new pulumi.Config("cloudflare").getSecret("apiToken"),
          });

/**
 * Every server of the stack (one, or a fleet's; infra/fleet.ts), for the canary (it probes every server over the
 * internet from the provider's region), the alarms (a server of another region comes with its region and provider:
 * CloudWatch alarms on EC2 metrics are regional) and the capacity output.
 */
const stackServers = server
    ? fleet && config.fleet.isFleet
        ? fleet.servers
        : [{ name: serverName, region: homeSlot.region, hostname: config.domain ?? "", publicIp: server.publicIp, instanceId: server.instanceId }]
    : [];
const monitoredServers = stackServers.map((s) => ({
    name: s.name,
    instanceId: s.instanceId,
    tls: config.domain !== undefined,
    instanceType: config.instanceType,
    ...(s.region !== homeSlot.region ? { region: s.region, provider: fleet!.providers.get(s.region)! } : {}),
}));

// Alarms to an SNS topic, the dashboard, the optional egress cost budget (issue 14): for the stack's servers.
const monitoring = server
    ? new Monitoring("monitoring", {
          project,
          stack,
          servers: monitoredServers,
          monthlyEgressBudgetGb: config.monthlyEgressBudgetGb,
          alarmEmail: config.alarmEmail,
          egressCostBudget: config.egressCostBudget,
          canaryScheduleMinutes: config.canary ? config.canaryScheduleMinutes : undefined,
          tags: { "turn-stack:project": project, "turn-stack:stack": stack },
      })
    : undefined;

// The TURN canary (issue 14): a Lambda that makes a real allocation on every listener of the stack's servers on a
// schedule (turn:canary is on only with an own server: config.ts refuses it in cloudflare mode).
const canary =
    server && config.canary
        ? new Canary("canary", {
              project,
              stack,
              servers: stackServers.map((s) => ({ name: s.name, host: s.publicIp, domain: config.domain })),
              secretParameterName: server.secretParameterName,
              scheduleMinutes: config.canaryScheduleMinutes,
              tags: { "turn-stack:project": project, "turn-stack:stack": stack },
          })
        : undefined;

if (server && config.cloudflareZoneId) {
    new CloudflareDnsRecord("turn-dns", { zoneId: config.cloudflareZoneId, domain: config.domain!, address: server.publicIp });
}

/** `self-hosted`, `cloudflare` or `both`. */
export const mode = config.mode;
/** The Elastic IP clients reach (null in cloudflare mode). */
export const publicIp = server?.publicIp ?? null;
/** DNS name of the server, when `turn:domain` is set. */
export const hostname = server && config.domain ? config.domain : null;
/** The own server's TURN URLs (null in cloudflare mode); a fleet's: those of the latency-routed name. */
export const turnServerUrls = fleet?.iceServers[0].urls ?? (server ? server.iceServers.apply((s) => s[0].urls) : null);
/** A fleet's servers (name, region, own DNS name, Elastic IP, instance); null for a single server. */
export const servers = config.fleet.isFleet && fleet ? fleet.servers : null;
/** A fleet's ICE servers per region: the latency-routed name, then that region's servers; null for a single server. */
export const iceServersByRegion = config.fleet.isFleet && fleet ? fleet.iceServersByRegion : null;
/** `RTCIceServer[]` URLs for the mode, own relay first, no credentials: mint them per call (`npm run ice`). */
export const iceServers: pulumi.Output<RTCIceServer[]> = pulumi
    .output(config.fleet.isFleet && fleet ? fleet.iceServers : (server?.iceServers ?? []))
    .apply((own) => [...own, ...(cloudflareKey ? [{ urls: [...CLOUDFLARE_TURN_URLS] }] : [])]);
export const realm = config.selfHosted ? config.realm : null;
/** Lifetime of minted credentials, seconds. */
export const credentialTtlSeconds = config.credentialTtlSeconds;
/** TURN REST API shared secret (secret output: `pulumi stack output sharedSecret --show-secrets`). */
export const sharedSecret = server?.sharedSecret ?? null;
export const secretParameterName = server?.secretParameterName ?? null;
export const instanceId = server?.instanceId ?? null;
/** Cloudflare TURN key id and its bearer token (secret). */
export const cloudflareTurnKeyId = cloudflareKey?.keyId ?? null;
export const cloudflareTurnKey = cloudflareKey?.key ?? null;
/** The canary's Lambda function name (null without a canary): `aws lambda invoke --function-name <it> out.json` runs it once. */
export const canaryFunctionName = canary?.functionName ?? null;
/** What `npm run capacity -- --outputs <file>` reads: each server's instance type, the region and the egress budget (null without an own server). */
export const capacity = monitoring
    ? { servers: stackServers.map((s) => ({ name: s.name, instanceType: config.instanceType })), region: monitoring.region, monthlyEgressBudgetGb: config.monthlyEgressBudgetGb }
    : null;
