/** Pure renderers: turnserver.conf, ICE servers, TURN REST credentials, network rules, peer ranges. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf, type TurnserverConfOptions } from "../../infra/turnserver-conf";
import { buildIceServers, turnUrls } from "../../infra/ice";
import { mintTurnCredential, turnRestPassword } from "../../infra/credentials";
import { securityRules, serverPrivateIp, ruleName } from "../../infra/network";
import { DENIED_IPV4, DENIED_PEER_RANGES, coturnRange, isDeniedPeer } from "../../infra/peer-ranges";
import { listeners } from "../../infra/listeners";
import { PortRange } from "../../infra/port-range";
import { stackConfig } from "../helpers/stack-config";

const prod = parseTurnConfig(stackConfig("prod"));
const vmOpts: TurnserverConfOptions = {
    ...prod,
    listeningIp: "10.73.0.10",
    relayIp: "10.73.0.10",
    externalIp: { public: "203.0.113.10", private: "10.73.0.10" },
    tls: { certFile: "/etc/coturn/tls/fullchain.pem", keyFile: "/etc/coturn/tls/privkey.pem" },
};

function options(conf: string): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const line of conf.split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const [k, ...rest] = line.split("=");
        m.set(k, [...(m.get(k) ?? []), rest.join("=")]);
    }
    return m;
}

test("turnserver.conf: REST API auth, listeners, external-ip, relay range and hardening", () => {
    const o = options(renderTurnserverConf(vmOpts));
    for (const flag of ["use-auth-secret", "fingerprint", "no-cli", "no-software-attribute", "no-tcp-relay", "no-multicast-peers", "no-tlsv1", "no-tlsv1_1", "no-dtls", "no-rfc5780", "syslog"]) {
        assert.ok(o.has(flag), flag);
    }
    assert.deepEqual(o.get("realm"), ["turn.example.com"]);
    assert.deepEqual(o.get("listening-port"), ["3478"]);
    assert.deepEqual(o.get("tls-listening-port"), ["5349"]);
    assert.deepEqual(o.get("external-ip"), ["203.0.113.10/10.73.0.10"]);
    assert.deepEqual(o.get("min-port"), ["49152"]);
    assert.deepEqual(o.get("max-port"), ["65535"]);
    assert.deepEqual(o.get("user-quota"), ["10"]);
    assert.deepEqual(o.get("total-quota"), ["8000"]);
    assert.match(o.get("cipher-list")![0], /^"ECDHE-[A-Z0-9:-]+"$/);
    assert.doesNotMatch(o.get("cipher-list")![0], /CBC|RC4|3DES|SHA1?:|NULL|EXPORT/);
    assert.ok(!o.has("allow-loopback-peers"), "never in the cloud config");
    assert.ok(!o.has("allowed-peer-ip"), "never in the cloud config");
    assert.ok(!o.has("static-auth-secret"), "secret only when given");
    assert.ok(!o.has("no-auth") && !o.has("lt-cred-mech"));
});

test("turnserver.conf: every denied range is written first-last, metadata addresses included, no wildcard", () => {
    const conf = renderTurnserverConf(vmOpts);
    const denied = options(conf).get("denied-peer-ip")!;
    for (const r of DENIED_PEER_RANGES) {
        if (r.coturn === false) continue;
        assert.ok(denied.includes(coturnRange(r.cidr)), r.cidr);
    }
    assert.ok(denied.every((d) => !d.includes("/")), "coturn 4.6.1 silently ignores CIDR syntax");
    assert.ok(!denied.includes("::") && !denied.includes("0.0.0.0"), "a lone unspecified address denies every peer in coturn 4.6.1");
    assert.ok(denied.includes("169.254.0.0-169.254.255.255"));
    assert.ok(denied.includes("fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "covers fd00:ec2::254");
    assert.ok(denied.includes("::ffff:0:0-::ffff:ffff:ffff"));
});

test("turnserver.conf: without TLS, TLS listeners are off", () => {
    const o = options(renderTurnserverConf({ ...vmOpts, tls: undefined }));
    assert.ok(o.has("no-tls"));
    assert.ok(!o.has("tls-listening-port") && !o.has("cert"));
});

test("turnserver.conf: a secret or realm with a line break is refused (no option injection)", () => {
    assert.throws(() => renderTurnserverConf({ ...vmOpts, staticAuthSecret: "abc\nno-auth" }), /line break/);
    assert.throws(() => renderTurnserverConf({ ...vmOpts, realm: "r\nno-auth" }), /line break/);
});

test("peer ranges: edges of each range are denied, their neighbours outside it are not", () => {
    for (const r of DENIED_IPV4) {
        const [first, last] = coturnRange(r.cidr).split("-");
        assert.ok(isDeniedPeer(first) && isDeniedPeer(last ?? first), r.cidr);
    }
    for (const pub of ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "169.253.255.255", "223.255.255.255", "2606:4700::1111"]) {
        assert.equal(isDeniedPeer(pub), false, pub);
    }
    for (const priv of ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "fe80::1", "::1"]) {
        assert.equal(isDeniedPeer(priv), true, priv);
    }
});

test("ICE servers: one RTCIceServer, UDP first, TLS URLs only with TLS", () => {
    assert.deepEqual(turnUrls("turn.example.com", true), [
        "turn:turn.example.com:3478?transport=udp",
        "turn:turn.example.com:3478?transport=tcp",
        "turns:turn.example.com:5349?transport=tcp",
        "turns:turn.example.com:443?transport=tcp",
    ]);
    assert.deepEqual(turnUrls("203.0.113.10", false), ["turn:203.0.113.10:3478?transport=udp", "turn:203.0.113.10:3478?transport=tcp"]);
    assert.deepEqual(buildIceServers("203.0.113.10", false), [{ urls: turnUrls("203.0.113.10", false) }]);
    const cred = mintTurnCredential("s3cret", { ttlSeconds: 60, nowMs: 0 });
    assert.deepEqual(buildIceServers("203.0.113.10", false, cred)[0], { urls: turnUrls("203.0.113.10", false), username: cred.username, credential: cred.credential });
});

test("TURN REST credentials: username is <expiry>:<user>, credential base64(HMAC-SHA1(secret, username))", () => {
    const c = mintTurnCredential("north", { ttlSeconds: 3600, userId: "alice", nowMs: 1_700_000_000_123 });
    assert.equal(c.username, "1700003600:alice");
    assert.equal(c.expiresAt, 1700003600);
    assert.equal(c.credential, createHmac("sha1", "north").update("1700003600:alice").digest("base64"));
    // A fixed vector (from: printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64).
    assert.equal(turnRestPassword("north", "1700003600:alice"), "wjwSXO2ch1B6VaLTLMy2Avn5O9o=");
    assert.throws(() => mintTurnCredential("", { ttlSeconds: 60 }), /secret is empty/);
    assert.throws(() => mintTurnCredential("x", { ttlSeconds: 0 }), /positive whole number/);
    assert.throws(() => mintTurnCredential("x", { ttlSeconds: 60, userId: "a:b" }), /must not contain ':'/);
});

test("network: fixed private IP, one described rule per listener and CIDR", () => {
    assert.equal(serverPrivateIp("10.73.0.0/24"), "10.73.0.10");
    assert.equal(serverPrivateIp("172.16.255.240/28"), "172.16.255.250");
    const rules = securityRules({ clientCidrs: ["198.51.100.0/24", "203.0.113.0/24"], relayPortRange: PortRange.of(50000, 51000), tls: true });
    const ingress = rules.filter((r) => r.direction === "ingress");
    assert.equal(ingress.length, 2 * (listeners(true).length + 1) + 1);
    assert.ok(rules.every((r) => r.description.length > 0));
    assert.equal(new Set(rules.map(ruleName)).size, rules.length, "resource names are unique");
    assert.ok(ingress.some((r) => r.protocol === "tcp" && r.fromPort === 443 && r.cidr === "203.0.113.0/24"));
    assert.ok(ingress.some((r) => r.fromPort === 80 && r.description.includes("HTTP-01")));
    const noTls = securityRules({ clientCidrs: ["0.0.0.0/0"], relayPortRange: PortRange.of(50000, 51000), tls: false });
    assert.ok(!noTls.some((r) => r.direction === "ingress" && [443, 5349, 80].includes(r.fromPort)), "no TLS/ACME ports without a domain");
});

// Property: for any valid config, the security group's relay rule is exactly coturn's min-port..max-port,
// and every listener port coturn is told about has an ingress rule.
test("property: security group relay range equals coturn's min-port/max-port for any valid config", () => {
    const validConfig = fc
        .record({
            min: fc.integer({ min: 5350, max: 65535 - 127 }),
            span: fc.integer({ min: 127, max: 30000 }),
            tls: fc.boolean(),
            cidrs: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `${a}.${b}.0.0/16`), { minLength: 1, maxLength: 4 }),
        })
        .filter(({ min, span }) => min + span <= 65535);
    fc.assert(
        fc.property(validConfig, ({ min, span, tls, cidrs }) => {
            const raw = {
                "turn:relayMinPort": String(min),
                "turn:relayMaxPort": String(min + span),
                "turn:clientCidrs": JSON.stringify(cidrs),
                "turn:totalQuota": "100",
                ...(tls ? { "turn:domain": "turn.example.net" } : {}),
            };
            const cfg = parseTurnConfig(raw);
            const conf = options(renderTurnserverConf({ ...cfg, listeningIp: "10.0.0.10", relayIp: "10.0.0.10", tls: cfg.domain ? { certFile: "c", keyFile: "k" } : undefined }));
            const relayRules = securityRules({ ...cfg, tls: !!cfg.domain }).filter((r) => r.description.includes("relay range"));
            assert.equal(relayRules.length, cidrs.length);
            for (const r of relayRules) {
                assert.equal(String(r.fromPort), conf.get("min-port")![0]);
                assert.equal(String(r.toPort), conf.get("max-port")![0]);
            }
            const ingressPorts = new Set(securityRules({ ...cfg, tls: !!cfg.domain }).map((r) => r.fromPort));
            assert.ok(ingressPorts.has(Number(conf.get("listening-port")![0])));
            if (cfg.domain) assert.ok(ingressPorts.has(Number(conf.get("tls-listening-port")![0])));
        }),
        { numRuns: 200 },
    );
});
