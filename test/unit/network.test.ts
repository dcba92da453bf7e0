/** Network rules (infra/network.ts): the server's private IP, the security group rules, and their agreement with turnserver.conf. */
import { test } from "vitest";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf } from "../../infra/turnserver-conf";
import { securityRules, serverPrivateIp, ruleName } from "../../infra/network";
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
