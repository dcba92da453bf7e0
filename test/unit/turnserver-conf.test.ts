/** turnserver.conf as rendered for the VM (infra/turnserver-conf.ts): auth, listeners, relay range, hardening, deny-list. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf, type TurnserverConfOptions } from "../../infra/turnserver-conf";
import { DENIED_PEER_RANGES, coturnRange } from "../../infra/peer-ranges";
import { confOptions } from "../helpers/turnserver-options";
import { stackConfig } from "../helpers/stack-config";

const prod = parseTurnConfig(stackConfig("prod"));
const vmOpts: TurnserverConfOptions = {
    ...prod,
    listeningIp: "10.73.0.10",
    relayIp: "10.73.0.10",
    externalIp: { public: "203.0.113.10", private: "10.73.0.10" },
    tls: { certFile: "/etc/coturn/tls/fullchain.pem", keyFile: "/etc/coturn/tls/privkey.pem" },
};

test("turnserver.conf: REST API auth, listeners, external-ip, relay range and hardening", () => {
    const o = confOptions(renderTurnserverConf(vmOpts));
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
    const denied = confOptions(conf).get("denied-peer-ip")!;
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
    const o = confOptions(renderTurnserverConf({ ...vmOpts, tls: undefined }));
    assert.ok(o.has("no-tls"));
    assert.ok(!o.has("tls-listening-port") && !o.has("cert"));
});

test("turnserver.conf: a secret or realm with a line break is refused (no option injection)", () => {
    assert.throws(() => renderTurnserverConf({ ...vmOpts, staticAuthSecret: "abc\nno-auth" }), /line break/);
    assert.throws(() => renderTurnserverConf({ ...vmOpts, realm: "r\nno-auth" }), /line break/);
});
