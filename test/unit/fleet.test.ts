/** infra/fleet.ts: the fleet plan (names, zones, rolling order) and the validation of the fleet keys. */
import { describe, expect, test } from "vitest";
import { checkFleet, EIP_QUOTA, HOME_SERVER_NAME, MIN_ZONES_PER_REGION, placeZones, planFleet, VPC_QUOTA, type FleetInput } from "../../infra/fleet";
import { STANDARD_REGIONS, isSupportedRegion } from "../../infra/aws-region";
import { ConfigError, parseTurnConfig } from "../../infra/config";

const TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789_-AB";
const fleet: FleetInput = {
    regions: ["eu-west-1", "us-east-1"],
    serversPerRegion: 2,
    homeRegion: "eu-west-1",
    homeRegionSource: "aws:region",
    selfHosted: true,
    domain: "turn.example.com",
    route53ZoneId: "Z0123456789ABCDEFGHIJ",
    readinessCheck: true,
};

describe("planFleet", () => {
    test("no fleet keys: one server, named as the single server always was, no per-server name", () => {
        const plan = planFleet([], 1, "eu-west-1", "turn.example.com");
        expect(plan.isFleet).toBe(false);
        expect(plan.regions).toEqual(["eu-west-1"]);
        expect(plan.servers).toEqual([{ name: HOME_SERVER_NAME, region: "eu-west-1", index: 1, home: true, regionLead: true, after: undefined, hostname: undefined }]);
        // The provider's region named explicitly is the same single server.
        expect(planFleet(["eu-west-1"], 1, "eu-west-1", "turn.example.com")).toEqual(plan);
    });

    test("2 regions × 2 servers: names, home flags, DNS names and the rolling order within each region", () => {
        const plan = planFleet(["eu-west-1", "us-east-1"], 2, "eu-west-1", "turn.example.com");
        expect(plan.isFleet).toBe(true);
        expect(plan.servers.map((s) => [s.name, s.region, s.home, s.regionLead, s.after, s.hostname])).toEqual([
            ["turn", "eu-west-1", true, true, undefined, "eu-west-1-1.turn.example.com"],
            ["turn-eu-west-1-2", "eu-west-1", true, false, "turn", "eu-west-1-2.turn.example.com"],
            ["turn-us-east-1-1", "us-east-1", false, true, undefined, "us-east-1-1.turn.example.com"],
            ["turn-us-east-1-2", "us-east-1", false, false, "turn-us-east-1-1", "us-east-1-2.turn.example.com"],
        ]);
    });

    test("the home region need not come first: its first server is still turn", () => {
        const plan = planFleet(["us-east-1", "eu-west-1"], 1, "eu-west-1", "turn.example.com");
        expect(plan.servers.map((s) => s.name)).toEqual(["turn-us-east-1-1", "turn"]);
    });
});

describe("placeZones", () => {
    test("distinct zones in name order; a pinned first zone stays first and is not reused", () => {
        expect(placeZones("eu-west-1", ["eu-west-1c", "eu-west-1a", "eu-west-1b"], 3)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        expect(placeZones("eu-west-1", ["eu-west-1c", "eu-west-1a", "eu-west-1b"], 2, "eu-west-1b")).toEqual(["eu-west-1b", "eu-west-1a"]);
    });
    test("fewer zones than servers fails naming the region, its zones and the key", () => {
        expect(() => placeZones("us-west-1", ["us-west-1a", "us-west-1c"], 3)).toThrow(
            /turn:serversPerRegion = 3: region us-west-1 offers this account 2 availability zone\(s\) \(us-west-1a, us-west-1c\).*at most 2/,
        );
        expect(() => placeZones("eu-west-1", ["eu-west-1a", "eu-west-1b"], 2, "eu-west-1z")).toThrow(/not including eu-west-1z/);
    });
});

describe("checkFleet", () => {
    test("a valid fleet, each DNS provider, and the single server have no problems", () => {
        expect(checkFleet(fleet)).toEqual([]);
        expect(checkFleet({ ...fleet, route53ZoneId: undefined, cloudflareZoneId: "0123456789abcdef0123456789abcdef", cloudflareDnsToken: TOKEN })).toEqual([]);
        expect(checkFleet({ ...fleet, regions: [], serversPerRegion: 1, domain: undefined, route53ZoneId: undefined, readinessCheck: false })).toEqual([]);
    });

    test("every region of the cited list passes the partition rule too", () => {
        for (const r of STANDARD_REGIONS) expect(isSupportedRegion(r), r).toBe(true);
    });

    test("unknown and non-standard regions, named one by one", () => {
        const p = checkFleet({ ...fleet, regions: ["eu-west-1", "eu-west-9", "cn-north-1"] });
        expect(p).toHaveLength(2);
        expect(p[0]).toMatch(/^turn:regions = "eu-west-9": is not a region of the standard AWS partition \(aws\); known regions \(botocore 1\.43\.11 partitions\.json, partition aws\): af-south-1, /);
        expect(p[1]).toMatch(/^turn:regions = "cn-north-1": /);
    });

    test("duplicates, and a list without the provider's region", () => {
        expect(checkFleet({ ...fleet, regions: ["eu-west-1", "us-east-1", "us-east-1"] })).toEqual([
            'turn:regions = ["eu-west-1","us-east-1","us-east-1"]: lists us-east-1 more than once; name each region once and set turn:serversPerRegion for more servers per region',
        ]);
        expect(checkFleet({ ...fleet, regions: ["us-east-1", "us-west-2"] })[0]).toMatch(
            /^turn:regions = \["us-east-1","us-west-2"\]: must include the provider's region eu-west-1 \(aws:region\): its first server is the stack's server "turn"/,
        );
    });

    test("more servers per region than zones AWS promises, and the quotas, each with its number and code", () => {
        expect(checkFleet({ ...fleet, serversPerRegion: MIN_ZONES_PER_REGION + 1 })).toEqual([
            `turn:serversPerRegion = 4: must be at most 3: servers of one region sit in distinct availability zones, and AWS promises at least 3 per region (the zones your account sees are checked again at deploy time)`,
        ]);
        const six = checkFleet({ ...fleet, serversPerRegion: 6 });
        expect(six).toHaveLength(3);
        expect(six[1]).toContain(`must be at most ${VPC_QUOTA.perRegion - 1}: each server has its own VPC and the default quota is 5 VPCs per Region (L-F678F1CE)`);
        expect(six[2]).toContain(`must be at most ${EIP_QUOTA.perRegion}: each server holds an Elastic IP and the default quota is 5 EC2-VPC Elastic IPs per region (L-0263D0A3)`);
        expect(checkFleet({ ...fleet, serversPerRegion: 0 })[0]).toMatch(/^turn:serversPerRegion = 0: must be a whole number of at least 1/);
    });

    test("a fleet without a domain, a DNS provider or the readiness gate: all at once", () => {
        const p = checkFleet({ ...fleet, domain: undefined, route53ZoneId: undefined, readinessCheck: false });
        expect(p).toEqual([
            'turn:domain = "": a fleet (2 region(s) × 2 server(s)) needs a DNS name: the latency-routed name clients use, with a name per server below it',
            'turn:route53ZoneId = "": a fleet (2 region(s) × 2 server(s)) needs a DNS provider for turn:domain: set turn:route53ZoneId (latency routing with health checks) or turn:cloudflareZoneId (plain round-robin records; README, Scale out)',
            "turn:readinessCheck = false: a fleet (2 region(s) × 2 server(s)) replaces its servers one at a time, each after the previous one's readiness gate passed; without the gate a change could take a whole region down",
        ]);
        // One region, two servers is a fleet too.
        expect(checkFleet({ ...fleet, regions: [], domain: undefined }).at(-1)).toMatch(/^turn:domain = "": a fleet \(1 region\(s\) × 2 server\(s\)\)/);
    });

    test("the Route 53 zone id: its form, one DNS provider, a domain, a server to point at", () => {
        expect(checkFleet({ ...fleet, route53ZoneId: "/hostedzone/Z0123ABC" })).toEqual(['turn:route53ZoneId = "/hostedzone/Z0123ABC": must be the zone id alone, e.g. Z0123ABC']);
        expect(checkFleet({ ...fleet, route53ZoneId: "z0123" })[0]).toMatch(/must be a Route 53 hosted zone id like/);
        expect(checkFleet({ ...fleet, route53ZoneId: "Z" + "A".repeat(32) })[0]).toMatch(/must be a Route 53 hosted zone id/);
        expect(checkFleet({ ...fleet, cloudflareZoneId: "0123456789abcdef0123456789abcdef" })).toEqual([
            'turn:route53ZoneId = "Z0123456789ABCDEFGHIJ": and turn:cloudflareZoneId are both set: choose one DNS provider for turn:domain',
        ]);
        const single = { ...fleet, regions: [], serversPerRegion: 1 };
        expect(checkFleet({ ...single, domain: undefined })).toEqual(['turn:route53ZoneId = "Z0123456789ABCDEFGHIJ": needs turn:domain: the records are for that name']);
        expect(checkFleet({ ...single, selfHosted: false })).toEqual(['turn:route53ZoneId = "Z0123456789ABCDEFGHIJ": has nothing to point at in cloudflare mode (no server); use self-hosted or both']);
    });

    test("Cloudflare DNS: the DNS-01 token is required in a fleet, checked in form, never echoed, and refused without the zone", () => {
        const cf = { ...fleet, route53ZoneId: undefined, cloudflareZoneId: "0123456789abcdef0123456789abcdef" };
        expect(checkFleet(cf)).toEqual([
            "turn:cloudflareDnsToken is not set: a fleet (2 region(s) × 2 server(s)) with turn:cloudflareZoneId gets its certificates by DNS-01 and needs a Cloudflare API token with Zone / DNS / Edit on that zone only (pulumi config set --secret turn:cloudflareDnsToken <token>; README, Scale out)",
        ]);
        const short = checkFleet({ ...cf, cloudflareDnsToken: "s3cr3t value" });
        expect(short).toEqual(["turn:cloudflareDnsToken = (secret, 12 characters): must be a Cloudflare API token (20 to 200 letters, digits, '_' or '-')"]);
        expect(checkFleet({ ...fleet, cloudflareDnsToken: TOKEN })).toEqual([
            "turn:cloudflareDnsToken = (secret, 40 characters): is only used with turn:cloudflareZoneId (a fleet's DNS-01 certificates); remove it",
        ]);
    });

    test("a pinned AMI in a fleet over several regions", () => {
        expect(checkFleet({ ...fleet, amiId: "ami-0123456789abcdef0" })).toEqual([
            'turn:amiId = "ami-0123456789abcdef0": pins one AMI, and an AMI id belongs to one region (EC2 User Guide, "Copy an AMI"): leave it empty in a fleet over 2 regions, so each region looks up its own Debian AMI',
        ]);
        expect(checkFleet({ ...fleet, regions: [], amiId: "ami-0123456789abcdef0" })).toEqual([]);
    });

    test("fleet keys in cloudflare mode, and a fleet without a provider region", () => {
        expect(checkFleet({ ...fleet, selfHosted: false, route53ZoneId: undefined })).toEqual([
            'turn:regions = ["eu-west-1","us-east-1"]: is for the own relay; cloudflare mode runs no server (use self-hosted or both)',
        ]);
        expect(checkFleet({ ...fleet, homeRegion: undefined, homeRegionSource: undefined })[0]).toMatch(/^aws:region is not set .*a fleet/);
    });
});

describe("parseTurnConfig with the fleet keys", () => {
    const base = { "aws:region": "eu-west-1" };
    test("defaults: today's single server", () => {
        const cfg = parseTurnConfig(base, {});
        expect(cfg.fleet.isFleet).toBe(false);
        expect(cfg.fleet.servers.map((s) => s.name)).toEqual(["turn"]);
        expect(cfg.route53ZoneId).toBeUndefined();
    });
    test("a fleet with Route 53", () => {
        const cfg = parseTurnConfig(
            { ...base, "turn:regions": '["eu-west-1","us-east-1"]', "turn:serversPerRegion": "2", "turn:domain": "turn.example.com", "turn:route53ZoneId": "Z0123456789ABCDEFGHIJ" },
            {},
        );
        expect(cfg.fleet.servers).toHaveLength(4);
        expect(cfg.route53ZoneId).toBe("Z0123456789ABCDEFGHIJ");
    });
    test("every fleet problem and every other bad key in one error", () => {
        let err: unknown;
        try {
            parseTurnConfig({ ...base, "turn:regions": '["us-east-1","us-east-1","mars-1"]', "turn:serversPerRegion": "9", "turn:userQuota": "0" }, {});
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(ConfigError);
        const problems = (err as ConfigError).problems;
        for (const expected of [/^turn:userQuota = 0/, /^turn:regions = "mars-1"/, /^turn:regions = .*more than once/, /^turn:regions = .*must include the provider's region eu-west-1/, /^turn:serversPerRegion = 9: must be at most 3/, /^turn:domain = ""/, /^turn:route53ZoneId = ""/]) {
            expect(problems.some((p) => expected.test(p)), `${expected} in\n${problems.join("\n")}`).toBe(true);
        }
    });
    test("a non-integer serversPerRegion is reported once", () => {
        expect(() => parseTurnConfig({ ...base, "turn:serversPerRegion": "two" }, {})).toThrow(ConfigError);
        try {
            parseTurnConfig({ ...base, "turn:serversPerRegion": "two" }, {});
        } catch (e) {
            expect((e as ConfigError).problems.filter((p) => p.startsWith("turn:serversPerRegion"))).toEqual(['turn:serversPerRegion = "two": must be a whole number']);
        }
    });
});

describe("names below the domain", () => {
    test("a domain whose longest fleet name (the DNS-01 challenge of a server's name) passes 253 characters is refused, naming the length left", () => {
        const at = (len: number) => "a".repeat(len - 4) + ".com"; // len characters
        // _acme-challenge. (16) + us-east-1-2. (12) = 28 characters in front of the domain.
        expect(checkFleet({ ...fleet, domain: at(253 - 28) })).toEqual([]);
        const p = checkFleet({ ...fleet, domain: at(253 - 27) });
        expect(p).toHaveLength(1);
        expect(p[0]).toMatch(/^turn:domain = "a+\.com": is too long for a fleet: its longest name, _acme-challenge\.eu-west-1-2\.a+\.\.\. \(the DNS-01 challenge of a server's name\), has 254 characters; DNS names have at most 253 \(RFC 1035 §2\.3\.4\), so with these regions the domain may have 225$/);
    });
});
