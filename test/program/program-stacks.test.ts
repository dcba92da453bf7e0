/**
 * The real program on Pulumi.dev.yaml and with bad config, each run in its own
 * process under Pulumi's mocks (test/helpers/dump-program.ts); and determinism:
 * two runs with the same config declare identical resources.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { programJson } from "../helpers/program-json";
import { MOCK_PUBLIC_IP } from "../helpers/mock-program";

test("dev: small Graviton, unprotected address, IP-only ICE servers, no TLS ports; TURN over TCP on 443 opened, listed and probed", () => {
    const { resources, outputs } = programJson("dev");
    const instance = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    assert.equal(instance.inputs.instanceType, "t4g.small");
    assert.equal(resources.find((r) => r.type === "aws:ec2/eip:Eip")!.protect, false);
    const ports = resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs.fromPort);
    assert.deepEqual(ports.sort((a, b) => a - b), [443, 3478, 3478, 49152]);
    const https = resources.find((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.fromPort === 443)!.inputs;
    assert.deepEqual([https.ipProtocol, https.toPort, https.cidrIpv4, https.description], ["tcp", 443, "0.0.0.0/0", "TURN over TCP on 443 (redirected to 3478)"]);
    const urls = [`turn:${MOCK_PUBLIC_IP}:3478?transport=udp`, `turn:${MOCK_PUBLIC_IP}:3478?transport=tcp`, `turn:${MOCK_PUBLIC_IP}:443?transport=tcp`];
    assert.deepEqual(outputs.iceServers, [{ urls }]);
    assert.deepEqual(outputs.turnServerUrls, urls);
    const gate = resources.find((r) => r.type === "command:local:Command" && r.name === "turn-ready")!;
    assert.match(gate.inputs.create, / --listeners udp:3478,tcp:3478,tcp:443 --attempts /);
    assert.equal(outputs.hostname, null);
});

test("clientCidrs restricts every ingress rule but ACME's", () => {
    const { resources } = programJson("dev", { "turn:clientCidrs": '["198.51.100.0/24","203.0.113.0/24"]' });
    const ingress = resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
    assert.equal(ingress.length, 8, "per CIDR: UDP 3478, TCP 3478, TCP 443, the relay range");
    assert.ok(ingress.every((i) => ["198.51.100.0/24", "203.0.113.0/24"].includes(i.cidrIpv4)));
});

test("a pinned AMI is used as is and tracked (no ignoreChanges)", () => {
    const { resources } = programJson("dev", { "turn:amiId": "ami-0123456789abcdef0" });
    const instance = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    assert.equal(instance.inputs.ami, "ami-0123456789abcdef0");
    assert.deepEqual(instance.ignoreChanges, []);
});

test("bad config fails before any resource is declared, naming key, value and what is allowed", () => {
    assert.throws(
        () => programJson("prod", { "turn:relayMinPort": "80" }),
        (e: Error) => {
            assert.match(e.message, /turn:relayMinPort = 80: must be a port from 1024 to 65535/);
            assert.match(e.message, /resources declared before the failure: \[\]/);
            return true;
        },
    );
});

test("determinism: two runs of prod declare identical resources and inputs", () => {
    const a = programJson("prod");
    const b = programJson("prod");
    assert.ok(a.resources.length > 20);
    assert.deepEqual(a.resources, b.resources);
    assert.deepEqual(a.outputs, b.outputs);
});

test("self-hosted mode declares no Cloudflare resource", () => {
    const { resources, outputs } = programJson("prod");
    assert.ok(!resources.some((r) => r.type.startsWith("cloudflare:") || r.type.startsWith("turn:cloudflare")));
    assert.deepEqual(resources.filter((r) => r.type.startsWith("command:")).map((r) => r.name), ["turn-ready"], "only the readiness gate");
    assert.equal(outputs.mode, "self-hosted");
    assert.equal(outputs.cloudflareTurnKey, null);
});

test("both mode with a zone: own relay and Cloudflare key, own URLs first, and a DNS-only A record at the Elastic IP", () => {
    const { resources, outputs } = programJson("prod", {
        "turn:mode": "both",
        "turn:cloudflareAccountId": "00112233445566778899aabbccddeeff",
        "turn:cloudflareZoneId": "ffeeddccbbaa99887766554433221100",
        "cloudflare:apiToken": "token",
    });
    assert.ok(resources.some((r) => r.type === "aws:ec2/instance:Instance"));
    assert.ok(resources.some((r) => r.type === "command:local:Command"));
    const records = resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
    assert.equal(records.length, 1);
    assert.deepEqual(
        { ...records[0].inputs },
        { zoneId: "ffeeddccbbaa99887766554433221100", name: "turn.example.com", type: "A", content: MOCK_PUBLIC_IP, proxied: false, ttl: 300, comment: "turn-stack TURN server (DNS only)" },
    );
    assert.equal(outputs.iceServers.length, 2);
    assert.match(outputs.iceServers[0].urls[0], /^turn:turn\.example\.com:3478/);
    assert.match(outputs.iceServers[1].urls[0], /cloudflare\.com/);
    assert.ok(!JSON.stringify(outputs.iceServers).includes("credential"));
});

test("cloudflare mode without an account id or token fails before any resource", () => {
    assert.throws(
        () => programJson("dev", { "turn:mode": "cloudflare" }),
        (e: Error) => /turn:cloudflareAccountId/.test(e.message) && /resources declared before the failure: \[\]/.test(e.message),
    );
});

test("readinessCheck false: no readiness gate", () => {
    const { resources } = programJson("dev", { "turn:readinessCheck": "false" });
    assert.ok(!resources.some((r) => r.type === "command:local:Command"));
});
