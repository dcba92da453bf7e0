/**
 * The fleet (issue 16) as the real program declares it under Pulumi's mocks: 2 regions × 2 servers
 * with Route 53 and with Cloudflare, and a single server with Route 53. Each run is dumped by
 * test/helpers/resource-dump.ts (every registration with its parent, provider, inputs and
 * dependencies, every invoke with its provider).
 *
 * The rolling order is proven on the declared dependency graph: test/helpers/rollout.ts replays a
 * change that replaces every instance the way Pulumi's engine schedules steps (a resource's step
 * starts once the steps of everything it depends on are done; a delete-before-replace instance is
 * gone from its step's start until its readiness gate passes) and counts serving servers per region.
 */
import { execFile } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { RegisteredResource, ResourceDump } from "../helpers/resource-dump";
import { ROOT } from "../helpers/stack-config";
import { MOCK_PUBLIC_IP } from "../helpers/mock-program";
import { replaceAllInstances } from "../helpers/rollout";

const ZONE = "Z0123456789ABCDEFGHIJ";
const CF_ZONE = "0123456789abcdef0123456789abcdef";
const CF_TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789_-AB";
const FLEET = { "turn:regions": '["eu-west-1","us-east-1"]', "turn:serversPerRegion": "2" };
const SERVERS = ["turn", "turn-eu-west-1-2", "turn-us-east-1-1", "turn-us-east-1-2"];

function dump(overrides: Record<string, string>): Promise<ResourceDump> {
    return new Promise((resolve, reject) =>
        execFile(
            process.execPath,
            ["--import", "tsx", join(ROOT, "test", "helpers", "resource-dump.ts"), "prod", JSON.stringify(overrides)],
            { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CLOUDFLARE_API_TOKEN: "" } },
            (err, stdout, stderr) => (err ? reject(new Error(`program run failed:\n${stderr}`)) : resolve(JSON.parse(stdout))),
        ),
    );
}

const named = (d: ResourceDump, name: string, type?: string): RegisteredResource => {
    const r = d.resources.find((x) => x.name === name && (type === undefined || x.type === type));
    if (!r) throw new Error(`no resource named ${name}`);
    return r;
};
const ofType = (d: ResourceDump, type: string) => d.resources.filter((r) => r.type === type);
const userData = (d: ResourceDump, server: string) => gunzipSync(Buffer.from(named(d, `${server}-instance`).inputs.userDataBase64 as string, "base64")).toString("utf8");
const depNames = (r: RegisteredResource) => r.dependencies.map((u) => u.slice(u.lastIndexOf("::") + 2));
/** A secret input as resource-dump records it: Pulumi's secret signature and the value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const secretValue = (v: any): string => {
    if (v?.[SECRET_SIG] !== "1b47061264138c4ac30d75fd1eb44270") throw new Error(`not a secret: ${JSON.stringify(v)}`);
    return v.value;
};
const policy = (d: ResourceDump, server: string) => JSON.parse(named(d, `${server}-role-policy`).inputs.policy as string) as { Statement: any[] };

let route53: ResourceDump;
let cloudflare: ResourceDump;
let single: ResourceDump;
beforeAll(async () => {
    [route53, cloudflare, single] = await Promise.all([
        dump({ ...FLEET, "turn:route53ZoneId": ZONE }),
        dump({ ...FLEET, "turn:cloudflareZoneId": CF_ZONE, "turn:cloudflareDnsToken": CF_TOKEN }),
        dump({ "turn:route53ZoneId": ZONE }),
    ]);
}, 180_000);

describe("2 regions × 2 servers with Route 53", () => {
    test("four servers: the stack's own turn as it always was, the others under the fleet; one explicit provider, for the other region", () => {
        const servers = ofType(route53, "turn:aws:TurnServer");
        expect(servers.map((s) => s.name).sort()).toEqual([...SERVERS].sort());
        expect(named(route53, "turn", "turn:aws:TurnServer").urn).toBe("urn:pulumi:prod::turn::turn:aws:TurnServer::turn");
        for (const n of SERVERS.slice(1)) expect(named(route53, n, "turn:aws:TurnServer").parent).toBe("urn:pulumi:prod::turn::turn:aws:Fleet::turn");
        const providers = ofType(route53, "pulumi:providers:aws");
        expect(providers.map((p) => [p.name, p.inputs.region])).toEqual([["turn-us-east-1", "us-east-1"]]);
        const ref = `${providers[0].urn}::${providers[0].name}-id`;
        // Every AWS resource of a us-east-1 server goes through that provider; the provider's region keeps the default one.
        // (The alarms' regions are the monitoring test's below.)
        for (const r of route53.resources.filter((x) => x.type.startsWith("aws:") && !x.name.startsWith("monitoring-"))) {
            // Route 53 is global: its health checks and records stay with the default provider.
            const inUsEast = /^turn-us-east-1-\d-/.test(r.name) && !r.type.startsWith("aws:route53/");
            expect(r.provider, r.urn).toBe(inUsEast ? ref : "");
        }
        // The data sources of us-east-1 (AMI, region, zones) are asked through its provider too.
        const usInvokes = route53.invokes.filter((i) => i.provider === ref).map((i) => i.token).sort();
        // (two servers' AMI and region, the region's zones, and the alarms' region)
        expect(usInvokes).toEqual(["aws:ec2/getAmi:getAmi", "aws:ec2/getAmi:getAmi", "aws:index/getAvailabilityZones:getAvailabilityZones", "aws:index/getRegion:getRegion", "aws:index/getRegion:getRegion", "aws:index/getRegion:getRegion"]);
    });

    test("distinct availability zones per region; the home server keeps the zone AWS gave it", () => {
        const az = (s: string) => named(route53, `${s}-subnet`).inputs.availabilityZone;
        expect(az("turn")).toBeUndefined(); // as a single server: AWS chooses (the mocks answer eu-west-1b)
        expect(az("turn-eu-west-1-2")).toBe("eu-west-1a");
        expect([az("turn-us-east-1-1"), az("turn-us-east-1-2")]).toEqual(["us-east-1a", "us-east-1b"]);
    });

    test("each server its own Elastic IP; each region's first server holds its parameters, all with the stack's one secret", () => {
        const ips = new Set(SERVERS.map((s) => (route53.outputs!.servers as any[]).find((x) => x.name === s).publicIp));
        expect(ips.size).toBe(4);
        expect(ofType(route53, "aws:ec2/eip:Eip")).toHaveLength(4);
        expect(ofType(route53, "random:index/randomPassword:RandomPassword").map((r) => r.name).sort()).toEqual(["turn-cli-password", "turn-secret", "turn-us-east-1-1-cli-password"]);
        const secrets = ofType(route53, "aws:ssm/parameter:Parameter").filter((p) => p.name.endsWith("-secret-param") && !p.name.includes("previous"));
        expect(secrets.map((p) => [p.name, p.inputs.name]).sort()).toEqual([
            ["turn-secret-param", "/turn-stack/turn/prod/static-auth-secret"],
            ["turn-us-east-1-1-secret-param", "/turn-stack/turn/prod/static-auth-secret"],
        ]);
        expect(new Set(secrets.map((p) => secretValue(p.inputs.value))).size).toBe(1);
        // The second server of a region reads its first server's parameters.
        expect(policy(route53, "turn-us-east-1-2").Statement[0].Resource).toEqual(policy(route53, "turn-us-east-1-1").Statement[0].Resource);
        // The VM works in its own region (here: where it fetches the SSM agent from).
        expect(userData(route53, "turn-us-east-1-2")).toContain("https://s3.us-east-1.amazonaws.com/amazon-ssm-us-east-1/");
    });

    test("rolling order: each server's instance waits for the previous server's readiness gate in its region, and nothing else's", () => {
        expect(depNames(named(route53, "turn-eu-west-1-2-instance"))).toContain("turn-ready");
        expect(depNames(named(route53, "turn-us-east-1-2-instance"))).toContain("turn-us-east-1-1-ready");
        for (const first of ["turn", "turn-us-east-1-1"]) expect(depNames(named(route53, `${first}-instance`)).filter((n) => n.endsWith("-ready"))).toEqual([]);
        for (const s of SERVERS) {
            expect(named(route53, `${s}-instance`).options.deletebeforereplace, s).toBe(true);
            expect(depNames(named(route53, `${s}-ready`))).toContain(`${s}-instance`);
        }
    });

    test("a change that replaces every instance never leaves a region without a serving server (the engine's schedule replayed)", () => {
        const run = replaceAllInstances(route53.resources, route53.outputs!.servers as any[]);
        for (const region of ["eu-west-1", "us-east-1"]) {
            expect(run.minServingPerRegion[region], `${region}: ${run.log.join("; ")}`).toBeGreaterThanOrEqual(1);
        }
        // And the replay can fail: without the readiness dependencies both servers of a region go down together.
        const unordered = route53.resources.map((r) => (r.type === "aws:ec2/instance:Instance" ? { ...r, dependencies: r.dependencies.filter((u) => !u.endsWith("-ready")) } : r));
        expect(replaceAllInstances(unordered, route53.outputs!.servers as any[]).minServingPerRegion["us-east-1"]).toBe(0);
    });

    test("DNS: health checks on TCP 3478 per server, a name per server, multivalue per region, latency aliases with target health", () => {
        const ipOf = (s: string) => (route53.outputs!.servers as any[]).find((x) => x.name === s).publicIp;
        const hc = ofType(route53, "aws:route53/healthCheck:HealthCheck");
        expect(hc.map((h) => [h.name, h.inputs.type, h.inputs.port, h.inputs.ipAddress]).sort()).toEqual(SERVERS.map((s) => [`${s}-health`, "TCP", 3478, ipOf(s)]).sort());
        const rec = (n: string) => named(route53, n).inputs;
        expect(rec("turn-us-east-1-2-host-record")).toMatchObject({ zoneId: ZONE, name: "us-east-1-2.turn.example.com", type: "A", ttl: 60, records: [ipOf("turn-us-east-1-2")] });
        expect(rec("turn-us-east-1-2-region-record")).toMatchObject({ name: "us-east-1.turn.example.com", setIdentifier: "us-east-1-2", multivalueAnswerRoutingPolicy: true, healthCheckId: "turn-us-east-1-2-health-id" });
        expect(rec("turn-us-east-1-latency-record")).toMatchObject({
            name: "turn.example.com",
            setIdentifier: "us-east-1",
            latencyRoutingPolicies: [{ region: "us-east-1" }],
            aliases: [{ name: "us-east-1.turn.example.com", zoneId: ZONE, evaluateTargetHealth: true }],
        });
        expect(rec("turn-us-east-1-latency-record").records).toBeUndefined();
    });

    test("certificates by DNS-01 through Route 53, and a role that may answer only its own challenges", () => {
        for (const s of SERVERS) {
            const ud = userData(route53, s);
            const host = (route53.outputs!.servers as any[]).find((x) => x.name === s).hostname;
            expect(ud, s).toContain("- python3-certbot-dns-route53");
            expect(ud, s).toContain(`--dns-route53 --non-interactive --agree-tos --register-unsafely-without-email --key-type ecdsa --cert-name turn.example.com -d turn.example.com -d ${host} `);
            expect(ud, s).not.toContain("--standalone");
            const acme = policy(route53, s).Statement.find((x) => x.Sid === "AcmeChallengeRecords");
            expect(acme.Condition["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"]).toEqual(["_acme-challenge.turn.example.com", `_acme-challenge.${host}`]);
        }
    });

    test("outputs: the latency-routed name first, then every server; per region its own servers; the readiness gate probes every server", () => {
        const o = route53.outputs!;
        expect((o.iceServers as any[]).map((s) => s.urls[0])).toEqual(
            ["turn.example.com", "eu-west-1-1.turn.example.com", "eu-west-1-2.turn.example.com", "us-east-1-1.turn.example.com", "us-east-1-2.turn.example.com"].map((h) => `turn:${h}:3478?transport=udp`),
        );
        expect(((o.iceServersByRegion as any)["us-east-1"] as any[]).map((s) => s.urls[0])).toEqual(
            ["turn.example.com", "us-east-1-1.turn.example.com", "us-east-1-2.turn.example.com"].map((h) => `turn:${h}:3478?transport=udp`),
        );
        expect(o.turnServerUrls).toEqual((o.iceServers as any[])[0].urls);
        for (const s of SERVERS) {
            const ip = (o.servers as any[]).find((x) => x.name === s).publicIp;
            expect(named(route53, `${s}-ready`).inputs.create, s).toContain(`--host ${ip} `);
        }
    });
});

describe("the canary, the alarms and the capacity output over a fleet", () => {
    test("the canary probes every server; every server's EC2 alarms in its region, its canary alarms in the canary's; capacity counts every server", () => {
        const cfg = JSON.parse((named(route53, "canary-fn").inputs.environment as any).variables.CANARY_CONFIG);
        expect(cfg.servers.map((s: any) => s.name)).toEqual(SERVERS);
        for (const s of cfg.servers) expect(s.host).toBe((route53.outputs!.servers as any[]).find((x) => x.name === s.name).publicIp);
        const alarms = ofType(route53, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("monitoring-"));
        const usProvider = ofType(route53, "pulumi:providers:aws")[0];
        const onUs = (a: RegisteredResource) => a.provider.startsWith(usProvider.urn);
        for (const s of SERVERS) {
            const us = s.startsWith("turn-us-east-1");
            for (const what of ["cpu", "network", "status-reboot"]) expect(onUs(named(route53, `monitoring-${s}-${what}`)), `${s} ${what}`).toBe(us);
            for (const what of ["canary-udp-3478", "certificate"]) expect(onUs(named(route53, `monitoring-${s}-${what}`)), `${s} ${what}`).toBe(false);
        }
        expect(alarms.filter(onUs).map((a) => a.name).sort()).toEqual([
            "monitoring-stack-egress-us-east-1",
            ...["turn-us-east-1-1", "turn-us-east-1-2"].flatMap((s) => ["cpu", "network", "status-reboot"].map((w) => `monitoring-${s}-${w}`)),
        ].sort());
        expect((route53.outputs!.capacity as any).servers.map((s: any) => s.name)).toEqual(SERVERS);
    });
});

describe("2 regions × 2 servers with Cloudflare", () => {
    test("DNS-only records: a name per server, the shared name once per server (the home server's as a single server had it)", () => {
        const records = ofType(cloudflare, "cloudflare:index/dnsRecord:DnsRecord").map((r) => [r.name, r.inputs.name, r.inputs.content, r.inputs.proxied]);
        const ipOf = (s: string) => (cloudflare.outputs!.servers as any[]).find((x) => x.name === s).publicIp;
        expect(records.sort()).toEqual(
            [
                ["turn-dns-a", "turn.example.com", MOCK_PUBLIC_IP, false],
                ["turn-host-dns-a", "eu-west-1-1.turn.example.com", ipOf("turn"), false],
                ...SERVERS.slice(1).flatMap((s) => [
                    [`${s}-host-dns-a`, (cloudflare.outputs!.servers as any[]).find((x) => x.name === s).hostname, ipOf(s), false],
                    [`${s}-dns-a`, "turn.example.com", ipOf(s), false],
                ]),
            ].sort(),
        );
        expect(named(cloudflare, "turn-dns").urn).toBe("urn:pulumi:prod::turn::turn:cloudflare:DnsRecord::turn-dns");
        expect(ofType(cloudflare, "aws:route53/healthCheck:HealthCheck")).toEqual([]);
    });
    test("certificates by DNS-01 through Cloudflare: the token in each region's SSM, read before each attempt, the role may read it", () => {
        const tokens = ofType(cloudflare, "aws:ssm/parameter:Parameter").filter((p) => p.name.endsWith("-cloudflare-token-param"));
        expect(tokens.map((p) => [p.name, p.inputs.name, p.inputs.type, secretValue(p.inputs.value)]).sort()).toEqual([
            ["turn-cloudflare-token-param", "/turn-stack/turn/prod/cloudflare-dns-token", "SecureString", CF_TOKEN],
            ["turn-us-east-1-1-cloudflare-token-param", "/turn-stack/turn/prod/cloudflare-dns-token", "SecureString", CF_TOKEN],
        ]);
        for (const s of SERVERS) {
            const ud = userData(cloudflare, s);
            expect(ud, s).toContain("- python3-certbot-dns-cloudflare");
            expect(ud, s).toContain("ExecStartPre=/usr/local/sbin/turn-stack-cloudflare-credentials");
            // The token is read with the VM's own SSM reader (infra/ssm-get.ts), as the TURN secret is: no awscli on the VM.
            expect(ud, s).toContain("t=$(/usr/local/sbin/turn-stack-ssm-get /turn-stack/turn/prod/cloudflare-dns-token --decrypt)");
            expect(ud, s).not.toContain(CF_TOKEN);
            expect(policy(cloudflare, s).Statement[0].Resource.some((arn: string) => arn.endsWith("-cloudflare-token-param")), s).toBe(true);
            expect(policy(cloudflare, s).Statement.some((x) => x.Sid === "AcmeChallengeRecords"), s).toBe(false);
        }
    });
});

describe("one server with Route 53", () => {
    test("one latency record for the domain, no other server, no provider, and the server's user data as without Route 53 (HTTP-01)", () => {
        expect(ofType(single, "turn:aws:TurnServer").map((s) => s.name)).toEqual(["turn"]);
        expect(ofType(single, "pulumi:providers:aws")).toEqual([]);
        const records = ofType(single, "aws:route53/record:Record");
        expect(records.map((r) => [r.name, r.inputs])).toEqual([
            ["turn-eu-west-1-latency-record", { zoneId: ZONE, name: "turn.example.com", type: "A", ttl: 60, records: [MOCK_PUBLIC_IP], setIdentifier: "eu-west-1", latencyRoutingPolicies: [{ region: "eu-west-1" }] }],
        ]);
        expect(userData(single, "turn")).toContain("--standalone");
        expect(single.outputs!.servers).toBeNull();
    });
});
