/** Config validation (infra/config.ts): defaults, the real stack files, and one test per rejected input. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { CONFIG_KEYS, ConfigError, parseTurnConfig } from "../../infra/config";
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
