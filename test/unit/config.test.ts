/** Config validation (infra/config.ts): defaults, the real stack files, and one test per rejected input. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { CONFIG_KEYS, ConfigError, parseTurnConfig, revokedList } from "../../infra/config";
import { stackConfig } from "../helpers/stack-config";

/** Assert that `raw` is rejected with a problem naming `key`, the value and matching `allowed`. */
function rejects(raw: Record<string, string>, key: string, value: string, allowed: RegExp) {
    assert.throws(
        () => parseTurnConfig(raw),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
            const line = e.problems.find((p) => p.startsWith(`turn:${key} = `) && p.includes(value));
            assert.ok(line, `no problem for turn:${key} with ${value} in:\n${e.message}`);
            assert.match(line, allowed);
            return true;
        },
    );
}

test("defaults: every key has one, and an empty config is valid", () => {
    const c = parseTurnConfig({});
    assert.equal(c.relayPortRange.min, 49152);
    assert.equal(c.relayPortRange.max, 65535);
    assert.deepEqual(c.clientCidrs, ["0.0.0.0/0"]);
    assert.equal(c.credentialTtlSeconds, 3600);
    assert.equal(c.instanceType, "t4g.small");
    assert.equal(c.arch, "arm64");
    assert.equal(c.domain, undefined);
    assert.equal(c.realm, "turn-stack");
    assert.equal(c.protectAddress, false);
    for (const [k, spec] of Object.entries(CONFIG_KEYS)) assert.ok("default" in spec, k);
});

test("the real Pulumi.prod.yaml and Pulumi.dev.yaml are valid", () => {
    const prod = parseTurnConfig(stackConfig("prod"));
    assert.equal(prod.protectAddress, true);
    assert.equal(prod.burstable, false, "prod must not run on a burstable (credit-based network) type");
    assert.equal(prod.domain, "turn.example.com");
    const dev = parseTurnConfig(stackConfig("dev"));
    assert.equal(dev.instanceType, "t4g.small");
    assert.equal(dev.arch, "arm64");
    assert.equal(dev.domain, undefined);
});

test("realm defaults to the domain", () => {
    assert.equal(parseTurnConfig({ "turn:domain": "Turn.Example.org" }).realm, "turn.example.org");
});

test("other namespaces are ignored, unknown turn:* keys are rejected", () => {
    assert.doesNotThrow(() => parseTurnConfig({ "aws:region": "eu-west-1" }));
    assert.throws(() => parseTurnConfig({ "turn:relayMinport": "50000" }), /turn:relayMinport is not a turn-stack key/);
});

test("every problem is reported at once", () => {
    assert.throws(
        () => parseTurnConfig({ "turn:relayMinPort": "80", "turn:domain": "bad_domain" }),
        (e: unknown) => e instanceof ConfigError && e.problems.length >= 2,
    );
});

test("rejects an inverted relay range", () => {
    rejects({ "turn:relayMinPort": "60000", "turn:relayMaxPort": "50000" }, "relayMinPort", "60000", /inverted/);
});

test("rejects a privileged relay port", () => {
    rejects({ "turn:relayMinPort": "80" }, "relayMinPort", "80", /1024 to 65535.*privileged/);
});

test("rejects a relay port above 65535", () => {
    rejects({ "turn:relayMaxPort": "70000" }, "relayMaxPort", "70000", /1024 to 65535/);
});

test("rejects a relay range overlapping the listening port 3478", () => {
    rejects({ "turn:relayMinPort": "3000", "turn:relayMaxPort": "4000" }, "relayMinPort", "3000", /overlaps listening port 3478/);
});

test("rejects a relay range overlapping the TLS listening port 5349", () => {
    rejects({ "turn:relayMinPort": "5000", "turn:relayMaxPort": "6000" }, "relayMinPort", "5000", /overlaps listening port 5349/);
});

test("rejects a relay range too small for real use", () => {
    rejects({ "turn:relayMinPort": "50000", "turn:relayMaxPort": "50010" }, "relayMaxPort", "50010", /holds 11 ports; at least 128/);
});

test("rejects a non-integer port", () => {
    rejects({ "turn:relayMinPort": "49152.5" }, "relayMinPort", "49152.5", /whole number/);
});

test("rejects a malformed client CIDR", () => {
    rejects({ "turn:clientCidrs": '["203.0.113.0/33"]' }, "clientCidrs", "203.0.113.0/33", /IPv4 CIDR/);
});

test("rejects a client CIDR with host bits set", () => {
    rejects({ "turn:clientCidrs": '["203.0.113.7/24"]' }, "clientCidrs", "203.0.113.7/24", /did you mean 203\.0\.113\.0\/24/);
});

test("rejects an IPv6 client CIDR (the relay is IPv4-only)", () => {
    rejects({ "turn:clientCidrs": '["::/0"]' }, "clientCidrs", "::/0", /IPv4-only/);
});

test("rejects an empty client CIDR list", () => {
    rejects({ "turn:clientCidrs": "[]" }, "clientCidrs", "[]", /at least one/);
});

test("rejects clientCidrs that is not a list", () => {
    rejects({ "turn:clientCidrs": "0.0.0.0/0" }, "clientCidrs", "0.0.0.0/0", /list of strings/);
});

test("rejects a bad domain", () => {
    rejects({ "turn:domain": "turn_server.example.com" }, "domain", "turn_server.example.com", /fully qualified DNS name/);
    rejects({ "turn:domain": "localhost" }, "domain", "localhost", /fully qualified DNS name/);
    rejects({ "turn:domain": "203.0.113.7" }, "domain", "203.0.113.7", /no IP/);
    rejects({ "turn:domain": "-bad.example.com" }, "domain", "-bad.example.com", /fully qualified/);
});

test("rejects a realm with spaces", () => {
    rejects({ "turn:realm": "my realm" }, "realm", "my realm", /printable ASCII/);
});

test("rejects a TTL below the minimum", () => {
    rejects({ "turn:credentialTtlSeconds": "30" }, "credentialTtlSeconds", "30", /60 to 172800 seconds/);
});

test("rejects a TTL above the maximum", () => {
    rejects({ "turn:credentialTtlSeconds": "604800" }, "credentialTtlSeconds", "604800", /60 to 172800 seconds/);
});

test("rejects an instance type of unknown architecture", () => {
    rejects({ "turn:instanceType": "z9.large" }, "instanceType", "z9.large", /architecture turn-stack knows/);
    rejects({ "turn:instanceType": "t4g" }, "instanceType", "t4g", /<family>\.<size>/);
});

test("x86 instance types map to amd64", () => {
    assert.equal(parseTurnConfig({ "turn:instanceType": "c6in.large" }).arch, "amd64");
});

test("rejects a malformed AMI id", () => {
    rejects({ "turn:amiId": "debian-12" }, "amiId", "debian-12", /ami-0123456789abcdef0/);
});

test("rejects a VPC CIDR that is public or the wrong size", () => {
    rejects({ "turn:vpcCidr": "8.8.0.0/24" }, "vpcCidr", "8.8.0.0/24", /private \(RFC 1918\).*\/16 to \/28/);
    rejects({ "turn:vpcCidr": "10.0.0.0/8" }, "vpcCidr", "10.0.0.0/8", /\/16 to \/28/);
});

test("rejects a bad availability zone", () => {
    rejects({ "turn:availabilityZone": "EU-WEST-1A" }, "availabilityZone", "EU-WEST-1A", /eu-west-1a/);
});

test("rejects a bad ACME email", () => {
    rejects({ "turn:acmeEmail": "not-an-email" }, "acmeEmail", "not-an-email", /email address/);
});

test("rejects quotas that cannot work", () => {
    rejects({ "turn:userQuota": "0" }, "userQuota", "0", /at least 1/);
    rejects({ "turn:userQuota": "20", "turn:totalQuota": "10" }, "totalQuota", "10", /at least turn:userQuota/);
    rejects({ "turn:relayMinPort": "60000", "turn:relayMaxPort": "60999", "turn:totalQuota": "5000" }, "totalQuota", "5000", /relay range size \(1000 ports/);
});

test("rejects a non-boolean protectAddress", () => {
    rejects({ "turn:protectAddress": "yes" }, "protectAddress", "yes", /true or false/);
});

const ACCOUNT = "00112233445566778899aabbccddeeff";
const ZONE = "ffeeddccbbaa99887766554433221100";

test("mode: self-hosted by default; cloudflare and both accepted with account and token", () => {
    assert.equal(parseTurnConfig({}, {}).mode, "self-hosted");
    const cf = parseTurnConfig({ "turn:mode": "cloudflare", "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": "t" }, {});
    assert.equal(cf.selfHosted, false);
    const both = parseTurnConfig({ "turn:mode": "both", "turn:cloudflareAccountId": ACCOUNT }, { CLOUDFLARE_API_TOKEN: "from-env" });
    assert.equal(both.selfHosted, true);
});

test("rejects an unknown mode", () => {
    rejects({ "turn:mode": "hybrid" }, "mode", "hybrid", /self-hosted, cloudflare, both/);
});

test("rejects cloudflare mode without an account id", () => {
    assert.throws(() => parseTurnConfig({ "turn:mode": "cloudflare", "cloudflare:apiToken": "t" }, {}), /turn:cloudflareAccountId = "": must be your Cloudflare account id/);
});

test("rejects cloudflare mode without a token in config or environment", () => {
    assert.throws(
        () => parseTurnConfig({ "turn:mode": "both", "turn:cloudflareAccountId": ACCOUNT }, {}),
        /cloudflare:apiToken is not set and CLOUDFLARE_API_TOKEN is empty/,
    );
});

test("rejects a malformed Cloudflare account id", () => {
    assert.throws(() => parseTurnConfig({ "turn:mode": "cloudflare", "turn:cloudflareAccountId": "my-account", "cloudflare:apiToken": "t" }, {}), /turn:cloudflareAccountId = "my-account"/);
});

test("rejects a zone id without a domain, in cloudflare mode, or malformed", () => {
    assert.throws(() => parseTurnConfig({ "turn:cloudflareZoneId": ZONE }, {}), /turn:cloudflareZoneId = .*needs turn:domain/);
    assert.throws(
        () => parseTurnConfig({ "turn:mode": "cloudflare", "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": "t", "turn:domain": "turn.example.com", "turn:cloudflareZoneId": ZONE }, {}),
        /nothing to point at in cloudflare mode/,
    );
    assert.throws(() => parseTurnConfig({ "turn:domain": "turn.example.com", "turn:cloudflareZoneId": "zone" }, {}), /turn:cloudflareZoneId = "zone": must be a Cloudflare zone id/);
});

test("readinessCheck defaults on; expiresAt takes an ISO 8601 time", () => {
    assert.equal(parseTurnConfig({}, {}).readinessCheck, true);
    assert.equal(parseTurnConfig({ "turn:readinessCheck": "false" }, {}).readinessCheck, false);
    assert.equal(parseTurnConfig({ "turn:expiresAt": "2026-12-01T12:00:00Z" }, {}).expiresAt?.toISOString(), "2026-12-01T12:00:00.000Z");
});

test("rejects an expiresAt that is not an ISO 8601 time with zone", () => {
    rejects({ "turn:expiresAt": "tomorrow" }, "expiresAt", "tomorrow", /ISO 8601/);
    rejects({ "turn:expiresAt": "2026-12-01 12:00" }, "expiresAt", "2026-12-01 12:00", /ISO 8601/);
});

// --- The cloud boundary (issue 10): what AWS would refuse, refused here first with key, value and what is allowed.

/** Like {@link rejects}, for a key with several problems: one of its lines matches `allowed`. */
function rejectsAmong(raw: Record<string, string>, key: string, value: string, allowed: RegExp) {
    assert.throws(
        () => parseTurnConfig(raw, {}),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
            const lines = e.problems.filter((p) => p.startsWith(`turn:${key} = `) && p.includes(value));
            assert.ok(lines.some((l) => allowed.test(l)), `no problem for turn:${key} with ${value} matching ${allowed} in:\n${e.message}`);
            return true;
        },
    );
}

const cidrList = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => `198.51.${i}.0/24`));

test("clientCidrs within the security group quota: 11 with a domain and 15 without (4 listeners with 443) are accepted", () => {
    assert.equal(parseTurnConfig({ "turn:domain": "turn.example.com", "turn:clientCidrs": cidrList(11) }, {}).clientCidrs.length, 11);
    assert.equal(parseTurnConfig({ "turn:clientCidrs": cidrList(15) }, {}).clientCidrs.length, 15);
});

test("rejects clientCidrs beyond the security group quota, saying how many fit and how to ask AWS for more", () => {
    for (const [raw, rules] of [
        [{ "turn:domain": "turn.example.com", "turn:clientCidrs": cidrList(12) }, 61],
        [{ "turn:clientCidrs": cidrList(16) }, 64],
    ] as const) {
        rejects(raw, "clientCidrs", "198.51.0.0/24", new RegExp(`make ${rules} inbound security group rules; the quota is 60`));
        rejects(raw, "clientCidrs", "198.51.0.0/24", /11 CIDRs fit with a domain, 15 without/);
        rejects(raw, "clientCidrs", "198.51.0.0/24", /Service Quotas.*"Inbound or outbound rules per security group" \(L-0EA8095F/);
        rejects(raw, "clientCidrs", "198.51.0.0/24", /set turn:securityGroupRuleQuota/);
    }
    // After AWS raised the quota, the key lets the same list through.
    assert.equal(parseTurnConfig({ "turn:clientCidrs": cidrList(21), "turn:securityGroupRuleQuota": "120" }, {}).clientCidrs.length, 21);
    rejects({ "turn:securityGroupRuleQuota": "0" }, "securityGroupRuleQuota", "0", /from 1 to 1000/);
    // Outbound rules count too: 3 of them.
    rejectsAmong({ "turn:securityGroupRuleQuota": "2" }, "clientCidrs", "0.0.0.0/0", /make 3 outbound security group rules; the quota is 2/);
    // cloudflare mode has no security group.
    assert.doesNotThrow(() => parseTurnConfig({ "turn:mode": "cloudflare", "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": "t", "turn:clientCidrs": cidrList(30) }, {}));
});

test("rejects a relay range that leaves the kernel no 1000 ephemeral ports outside it, naming both keys", () => {
    rejectsAmong({ "turn:relayMinPort": "1024", "turn:relayMaxPort": "65535" }, "relayMinPort", "1024", /relay range 1024-65535 \(turn:relayMinPort to turn:relayMaxPort\) leaves no run of 1000 ports.*ephemeral/);
});

test("relay ranges whose ephemeral ports used to overlap them are accepted (the sysctl now moves them)", () => {
    // 10000-65535 and 33000-65535 passed before too, but rendered no ip_local_port_range (port-range.test.ts, user data tests).
    assert.equal(String(parseTurnConfig({ "turn:relayMinPort": "10000" }, {}).relayPortRange), "10000-65535");
    assert.equal(String(parseTurnConfig({ "turn:relayMinPort": "33000" }, {}).relayPortRange), "33000-65535");
});

test("acmeEmail: at most 254 characters (RFC 5321), 64 before the @, characters the user data can carry", () => {
    const local = "a".repeat(64);
    const longest = `${local}@${"d".repeat(63)}.${"e".repeat(63)}.${"f".repeat(61)}`;
    assert.equal(longest.length, 254);
    assert.equal(parseTurnConfig({ "turn:domain": "turn.example.com", "turn:acmeEmail": longest }, {}).acmeEmail, longest);
    // One more character: every label and the local part are still within their limits, the address is not.
    rejects({ "turn:acmeEmail": longest + "f" }, "acmeEmail", "aaaa", /at most 254 characters \(RFC 5321/);
    rejects({ "turn:acmeEmail": `${"a".repeat(65)}@example.com` }, "acmeEmail", "aaaa", /up to 64 letters/);
    // Accepted by the old rule, then refused by renderCloudInit at deploy time (or worse, in a shell line):
    rejects({ "turn:acmeEmail": "o'brien@example.com" }, "acmeEmail", "o'brien@example.com", /email address/);
    rejects({ "turn:acmeEmail": "a b@example.com" }, "acmeEmail", "a b@example.com", /email address/);
    rejects({ "turn:acmeEmail": "admin@localhost" }, "acmeEmail", "admin@localhost", /DNS name after it/);
    assert.equal(parseTurnConfig({ "turn:acmeEmail": "ops+turn@example.com" }, {}).acmeEmail, "ops+turn@example.com");
});

test("aws:region: only the standard aws partition, from the config or the provider's environment variables", () => {
    assert.doesNotThrow(() => parseTurnConfig({ "aws:region": "ap-southeast-7" }, {}));
    for (const region of ["cn-north-1", "us-gov-west-1", "us-iso-east-1", "eu-isoe-west-1", "eusc-de-east-1", "mars-central-1", "EU-WEST-1", ""]) {
        assert.throws(
            () => parseTurnConfig({ "aws:region": region }, {}),
            (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(`aws:region = ${JSON.stringify(region)}: must be a region of the standard AWS partition (aws)`)),
            region,
        );
    }
    assert.throws(() => parseTurnConfig({}, { AWS_REGION: "cn-northwest-1" }), /AWS_REGION = "cn-northwest-1": must be a region of the standard AWS partition/);
    assert.throws(() => parseTurnConfig({}, { AWS_DEFAULT_REGION: "us-gov-east-1" }), /AWS_DEFAULT_REGION = "us-gov-east-1"/);
    // cloudflare mode declares no AWS resource.
    assert.doesNotThrow(() => parseTurnConfig({ "aws:region": "cn-north-1", "turn:mode": "cloudflare", "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": "t" }, {}));
});

test("availabilityZone: bounded, and a zone of the stack's region", () => {
    assert.equal(parseTurnConfig({ "aws:region": "eu-west-1", "turn:availabilityZone": "eu-west-1b" }, {}).availabilityZone, "eu-west-1b");
    assert.equal(parseTurnConfig({ "aws:region": "us-west-2", "turn:availabilityZone": "us-west-2-lax-1a" }, {}).availabilityZone, "us-west-2-lax-1a");
    rejects({ "aws:region": "eu-west-1", "turn:availabilityZone": "us-east-1a" }, "availabilityZone", "us-east-1a", /zone of the stack's region eu-west-1 \(aws:region\)/);
    rejects({ "aws:region": "eu-west-1", "turn:availabilityZone": "eu-west-10a" }, "availabilityZone", "eu-west-10a", /zone of the stack's region/);
    rejects({ "turn:availabilityZone": `eu-west-1-${"x".repeat(60)}a` }, "availabilityZone", "eu-west-1-x", /at most 64 characters/);
});

test("instanceType and expiresAt are bounded", () => {
    rejects({ "turn:instanceType": `c7gn.${"x".repeat(28)}` }, "instanceType", "c7gn.x", /<family>\.<size>/);
    rejects({ "turn:expiresAt": `2026-12-01T12:00:00.${"0".repeat(30)}Z` }, "expiresAt", "2026-12-01T12:00:00.0", /ISO 8601/);
});

test("revokedConsumers: <name>=<ISO until> entries; a bad name, a bad time, a missing '=' or a name twice are refused, all at once", () => {
    assert.deepEqual(parseTurnConfig({}).revokedConsumers, {});
    const ok = parseTurnConfig({ "turn:revokedConsumers": JSON.stringify(["neko=2026-12-01T12:00:00Z", "vid.meet_2=2026-12-02T00:00:00.000Z"]) });
    assert.deepEqual(ok.revokedConsumers, { neko: new Date("2026-12-01T12:00:00Z"), "vid.meet_2": new Date("2026-12-02T00:00:00Z") });
    rejects({ "turn:revokedConsumers": JSON.stringify(["bad name=2026-12-01T12:00:00Z"]) }, "revokedConsumers", "bad name", /consumer "bad name": a consumer name is 1 to 64 characters from A-Z a-z 0-9 \. _ -/);
    rejects({ "turn:revokedConsumers": JSON.stringify(["neko=tomorrow"]) }, "revokedConsumers", "neko=tomorrow", /until "tomorrow": must be an ISO 8601 time with zone/);
    rejects({ "turn:revokedConsumers": JSON.stringify(["neko"]) }, "revokedConsumers", "neko", /must be <consumer>=<ISO 8601 until>/);
    rejects({ "turn:revokedConsumers": JSON.stringify(["neko=2026-12-01T12:00:00Z", "neko=2026-12-02T12:00:00Z"]) }, "revokedConsumers", "neko=2026-12-02", /names consumer neko twice/);
    rejects({ "turn:revokedConsumers": "neko" }, "revokedConsumers", "neko", /must be a list of strings/);
    assert.throws(() => parseTurnConfig({ "turn:revokedConsumers": JSON.stringify(["a b=x", "c:d=y"]) }), (e: unknown) => e instanceof ConfigError && e.problems.length === 2);
    // The list must fit one Standard-tier SSM value (4 KB): 60 of the longest names do not.
    const many = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(62)}=2026-12-01T12:00:00Z`);
    rejects({ "turn:revokedConsumers": JSON.stringify(many) }, "revokedConsumers", "60 entries", /bytes in SSM, at most 4096/);
    parseTurnConfig({ "turn:revokedConsumers": JSON.stringify(many.slice(0, 40)) });
});

test("revokedList (npm run revoke): adds the consumer, keeps the later time for one revoked again, drops entries past their time, --undo removes; sorted", () => {
    const now = new Date("2026-11-22T00:00:00Z");
    const t = (d: string) => new Date(`2026-11-${d}T00:00:00Z`);
    const current = { zed: t("29"), old: t("21"), neko: t("30") };
    assert.deepEqual(revokedList(current, "geti", t("29"), now), ["geti=2026-11-29T00:00:00.000Z", "neko=2026-11-30T00:00:00.000Z", "zed=2026-11-29T00:00:00.000Z"]);
    assert.deepEqual(revokedList(current, "neko", t("28"), now), ["neko=2026-11-30T00:00:00.000Z", "zed=2026-11-29T00:00:00.000Z"]);
    assert.deepEqual(revokedList(current, "zed", t("30"), now), ["neko=2026-11-30T00:00:00.000Z", "zed=2026-11-30T00:00:00.000Z"]);
    assert.deepEqual(revokedList(current, "neko", undefined, now), ["zed=2026-11-29T00:00:00.000Z"]);
    // What it makes, the config takes back.
    const list = revokedList(current, "geti", t("29"), now);
    assert.deepEqual(Object.keys(parseTurnConfig({ "turn:revokedConsumers": JSON.stringify(list) }).revokedConsumers), ["geti", "neko", "zed"]);
});
