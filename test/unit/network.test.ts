/** Network rules (infra/network.ts): the server's private IP, the security group rules, and their agreement with turnserver.conf. */
import { test } from "vitest";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf } from "../../infra/turnserver-conf";
import {
    isValidSgRuleDescription,
    maxClientCidrs,
    ruleName,
    securityRuleCounts,
    securityRules,
    serverPrivateIp,
    SG_RULE_DESCRIPTION_MAX_LENGTH,
    SG_RULE_DESCRIPTION_SPECIALS,
    SG_RULES_PER_DIRECTION_QUOTA,
} from "../../infra/network";
import { listeners } from "../../infra/listeners";
import { PortRange } from "../../infra/port-range";
import { confOptions } from "../helpers/turnserver-options";

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
    assert.ok(!noTls.some((r) => r.direction === "ingress" && [5349, 80].includes(r.fromPort)), "no TLS/ACME ports without a domain");
    // Without a domain 443 is plain TURN over TCP (nftables redirects it to 3478): one rule per CIDR.
    assert.deepEqual(
        noTls.filter((r) => r.direction === "ingress" && r.fromPort === 443).map((r) => [r.protocol, r.toPort, r.cidr, r.description]),
        [["tcp", 443, "0.0.0.0/0", "TURN over TCP on 443 (redirected to 3478)"]],
    );
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
            const conf = confOptions(renderTurnserverConf({ ...cfg, listeningIp: "10.0.0.10", relayIp: "10.0.0.10", tls: cfg.domain ? { certFile: "c", keyFile: "k" } : undefined }));
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

// Security group rule descriptions: EC2 allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, up to 255 characters
// (EC2 API Reference, IpRange Description). Mocks accept anything; AuthorizeSecurityGroupIngress/Egress does not.
const EC2_DOC_SPECIALS = "._-:/()#,@[]+=&;{}!$*";

test("security group rule descriptions: the charset is exactly the EC2 API Reference's, at most 255 characters", () => {
    assert.equal(SG_RULE_DESCRIPTION_SPECIALS, EC2_DOC_SPECIALS);
    for (let c = 0; c < 0x250; c++) {
        const ch = String.fromCodePoint(c);
        const documented = /[a-zA-Z0-9 ]/.test(ch) || EC2_DOC_SPECIALS.includes(ch);
        assert.equal(isValidSgRuleDescription(`x${ch}x`), documented, `U+${c.toString(16).padStart(4, "0")} ${JSON.stringify(ch)}`);
    }
    assert.ok(isValidSgRuleDescription("x".repeat(SG_RULE_DESCRIPTION_MAX_LENGTH)));
    assert.ok(!isValidSgRuleDescription("x".repeat(SG_RULE_DESCRIPTION_MAX_LENGTH + 1)));
    // The descriptions 8d09650 declared, which EC2 answers with InvalidParameterValue:
    assert.ok(!isValidSgRuleDescription("AWS APIs, Let's Encrypt, packages (HTTPS)"));
    assert.ok(!isValidSgRuleDescription("Let's Encrypt HTTP-01 challenge"));
});

test("property: every rule securityRules() can render has a description EC2 accepts", () => {
    const cidr = fc.tuple(fc.integer({ min: 0, max: 223 }), fc.integer({ min: 0, max: 32 })).map(([a, bits]) => `${a}.0.0.0/${bits}`);
    fc.assert(
        fc.property(fc.uniqueArray(cidr, { minLength: 0, maxLength: 12 }), fc.boolean(), fc.integer({ min: 5350, max: 65535 - 127 }), (cidrs, tls, min) => {
            for (const r of securityRules({ clientCidrs: cidrs, relayPortRange: PortRange.of(min, Math.min(65535, min + 1000)), tls })) {
                assert.ok(isValidSgRuleDescription(r.description), `${ruleName(r)}: ${JSON.stringify(r.description)}`);
            }
        }),
        { numRuns: 200 },
    );
});

test("security group quota: rule counts come from securityRules(); 11 CIDRs fit with a domain, 15 without", () => {
    const relayPortRange = PortRange.of(49152, 65535);
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `198.51.${i}.0/24`);
    // With a domain: 4 listeners + the relay range per CIDR, and port 80 for the ACME challenge.
    assert.deepEqual(securityRuleCounts({ clientCidrs: cidrs(11), relayPortRange, tls: true }), { ingress: 56, egress: 3 });
    assert.deepEqual(securityRuleCounts({ clientCidrs: cidrs(12), relayPortRange, tls: true }), { ingress: 61, egress: 3 });
    // Without: 3 listeners (UDP and TCP 3478, TCP 443) + the relay range per CIDR.
    assert.deepEqual(securityRuleCounts({ clientCidrs: cidrs(15), relayPortRange, tls: false }), { ingress: 60, egress: 3 });
    assert.deepEqual(securityRuleCounts({ clientCidrs: cidrs(16), relayPortRange, tls: false }), { ingress: 64, egress: 3 });
    assert.equal(maxClientCidrs({ relayPortRange, tls: true }), 11);
    assert.equal(maxClientCidrs({ relayPortRange, tls: false }), 15);
    assert.equal(maxClientCidrs({ relayPortRange, tls: true }, 120), 23);
    assert.equal(SG_RULES_PER_DIRECTION_QUOTA, 60);
    // The derivation agrees with the rules themselves at every quota.
    for (const tls of [true, false]) {
        for (const quota of [5, 60, 61, 200]) {
            const n = maxClientCidrs({ relayPortRange, tls }, quota);
            assert.ok(securityRuleCounts({ clientCidrs: cidrs(n), relayPortRange, tls }).ingress <= quota);
            assert.ok(securityRuleCounts({ clientCidrs: cidrs(n + 1), relayPortRange, tls }).ingress > quota);
        }
    }
});
