/** infra/dns.ts (the fleet's records), infra/dns01.ts (DNS-01 certificates) and the fleet's ICE list (infra/ice.ts). */
import { describe, expect, test } from "vitest";
import { planFleet } from "../../infra/fleet";
import { cloudflareRecords, HEALTH_CHECK, latencyRecordName, route53Records } from "../../infra/dns";
import { certbotDns01Args, challengeName, cloudflareCredentialsScript, dns01CertificateUnit, route53ChallengeStatements } from "../../infra/dns01";
import { buildFleetIceServers } from "../../infra/ice";

const domain = "turn.example.com";
const plan = planFleet(["eu-west-1", "us-east-1"], 2, "eu-west-1", domain);

describe("Route 53 records", () => {
    test("per server a name and a multivalue record of its region; per region a latency alias with target health", () => {
        const r = route53Records(plan, domain);
        expect(r.map((x) => [x.resourceName, x.fqdn, x.server, x.routing])).toEqual([
            ["turn-host-record", "eu-west-1-1.turn.example.com", "turn", { kind: "simple" }],
            ["turn-region-record", "eu-west-1.turn.example.com", "turn", { kind: "multivalue", setIdentifier: "eu-west-1-1" }],
            ["turn-eu-west-1-2-host-record", "eu-west-1-2.turn.example.com", "turn-eu-west-1-2", { kind: "simple" }],
            ["turn-eu-west-1-2-region-record", "eu-west-1.turn.example.com", "turn-eu-west-1-2", { kind: "multivalue", setIdentifier: "eu-west-1-2" }],
            ["turn-us-east-1-1-host-record", "us-east-1-1.turn.example.com", "turn-us-east-1-1", { kind: "simple" }],
            ["turn-us-east-1-1-region-record", "us-east-1.turn.example.com", "turn-us-east-1-1", { kind: "multivalue", setIdentifier: "us-east-1-1" }],
            ["turn-us-east-1-2-host-record", "us-east-1-2.turn.example.com", "turn-us-east-1-2", { kind: "simple" }],
            ["turn-us-east-1-2-region-record", "us-east-1.turn.example.com", "turn-us-east-1-2", { kind: "multivalue", setIdentifier: "us-east-1-2" }],
            ["turn-eu-west-1-latency-record", domain, undefined, { kind: "latency-alias", setIdentifier: "eu-west-1", region: "eu-west-1", target: "eu-west-1.turn.example.com" }],
            ["turn-us-east-1-latency-record", domain, undefined, { kind: "latency-alias", setIdentifier: "us-east-1", region: "us-east-1", target: "us-east-1.turn.example.com" }],
        ]);
        // Route 53: "Values specific for latency records": the set identifier is unique per name and type.
        const ids = r.filter((x) => x.fqdn === domain).map((x) => ("setIdentifier" in x.routing ? x.routing.setIdentifier : ""));
        expect(new Set(ids).size).toBe(ids.length);
    });
    test("a single server: one latency record with the same resource name a fleet's home region uses (grows in place)", () => {
        const one = planFleet([], 1, "eu-west-1", domain);
        expect(route53Records(one, domain)).toEqual([{ resourceName: latencyRecordName("eu-west-1"), fqdn: domain, server: "turn", routing: { kind: "latency", setIdentifier: "eu-west-1", region: "eu-west-1" } }]);
        expect(route53Records(plan, domain).some((x) => x.resourceName === latencyRecordName("eu-west-1"))).toBe(true);
    });
    test("health checks: TCP on the TURN port, within Route 53's bounds", () => {
        expect(HEALTH_CHECK).toEqual({ type: "TCP", port: 3478, requestInterval: 30, failureThreshold: 3 });
        expect([10, 30]).toContain(HEALTH_CHECK.requestInterval);
        expect(HEALTH_CHECK.failureThreshold).toBeGreaterThanOrEqual(1);
        expect(HEALTH_CHECK.failureThreshold).toBeLessThanOrEqual(10);
    });
});

describe("Cloudflare records", () => {
    test("per server its name; the shared name once per server, the home server's being the single server's record", () => {
        expect(cloudflareRecords(plan, domain).map((x) => [x.resourceName, x.fqdn, x.server])).toEqual([
            ["turn-host-dns", "eu-west-1-1.turn.example.com", "turn"],
            ["turn-eu-west-1-2-host-dns", "eu-west-1-2.turn.example.com", "turn-eu-west-1-2"],
            ["turn-eu-west-1-2-dns", domain, "turn-eu-west-1-2"],
            ["turn-us-east-1-1-host-dns", "us-east-1-1.turn.example.com", "turn-us-east-1-1"],
            ["turn-us-east-1-1-dns", domain, "turn-us-east-1-1"],
            ["turn-us-east-1-2-host-dns", "us-east-1-2.turn.example.com", "turn-us-east-1-2"],
            ["turn-us-east-1-2-dns", domain, "turn-us-east-1-2"],
        ]);
    });
});

describe("DNS-01", () => {
    test("the Route 53 role may change only the two challenge TXT records, by UPSERT and DELETE", () => {
        const st = route53ChallengeStatements("Z0123456789ABCDEFGHIJ", ["Turn.Example.com", "eu-west-1-2.turn.example.com."]);
        expect(st[0]).toEqual({
            Sid: "AcmeChallengeRecords",
            Effect: "Allow",
            Action: "route53:ChangeResourceRecordSets",
            Resource: "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
            Condition: {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.turn.example.com", "_acme-challenge.eu-west-1-2.turn.example.com"],
                    "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
                },
            },
        });
        expect(st.slice(1).map((s) => [s.Action, s.Resource])).toEqual([
            ["route53:ListHostedZones", "*"],
            ["route53:GetChange", "arn:aws:route53:::change/*"],
        ]);
        expect(challengeName("A.B.")).toBe("_acme-challenge.a.b");
    });
    test("certbot's arguments: the plugin, the lineage named after turn:domain, every name, the deploy hook", () => {
        expect(certbotDns01Args({ plugin: "route53", names: [domain, "eu-west-1-2.turn.example.com"] }, "ops@example.com", "/hook").join(" ")).toBe(
            "certonly --dns-route53 --non-interactive --agree-tos --email ops@example.com --key-type ecdsa --cert-name turn.example.com -d turn.example.com -d eu-west-1-2.turn.example.com --deploy-hook /hook",
        );
        expect(certbotDns01Args({ plugin: "cloudflare", names: [domain], tokenParameterName: "/p" }, undefined, "/hook").join(" ")).toBe(
            "certonly --dns-cloudflare --non-interactive --agree-tos --register-unsafely-without-email --dns-cloudflare-credentials /etc/letsencrypt/turn-stack-cloudflare.ini --dns-cloudflare-propagation-seconds 30 --key-type ecdsa --cert-name turn.example.com -d turn.example.com --deploy-hook /hook",
        );
    });
    test("the unit writes the Cloudflare credentials before each attempt; Route 53 needs no file", () => {
        const cf = dns01CertificateUnit({ plugin: "cloudflare", names: [domain], tokenParameterName: "/p" }, undefined, "/hook");
        expect(cf).toMatch(/^ExecStartPre=\/usr\/local\/sbin\/turn-stack-cloudflare-credentials$/m);
        expect(cf).toMatch(/^ConditionPathExists=!\/etc\/letsencrypt\/live\/turn.example.com\/fullchain.pem$/m);
        expect(dns01CertificateUnit({ plugin: "route53", names: [domain] }, undefined, "/hook")).not.toMatch(/ExecStartPre/);
        const script = cloudflareCredentialsScript("/usr/local/sbin/turn-stack-ssm-get /turn-stack/p/s/cloudflare-dns-token --decrypt");
        expect(script).toContain("t=$(/usr/local/sbin/turn-stack-ssm-get /turn-stack/p/s/cloudflare-dns-token --decrypt)");
        expect(script).toMatch(/^umask 077$/m);
        expect(() => cloudflareCredentialsScript("aws ssm get-parameter --name '/a;b'")).toThrow(/not allowed/);
    });
});

describe("fleet ICE servers", () => {
    test("the latency-routed name first, then the servers' names, each with every listener", () => {
        const ice = buildFleetIceServers(domain, ["eu-west-1-1.turn.example.com", "eu-west-1-2.turn.example.com"], true, { username: "u", credential: "c", expiresAt: 0 } as never);
        expect(ice.map((s) => s.urls[0])).toEqual([
            "turn:turn.example.com:3478?transport=udp",
            "turn:eu-west-1-1.turn.example.com:3478?transport=udp",
            "turn:eu-west-1-2.turn.example.com:3478?transport=udp",
        ]);
        expect(ice.every((s) => s.urls.length === 4 && s.username === "u" && s.credential === "c")).toBe(true);
    });
});
