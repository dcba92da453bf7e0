/**
 * Real coturn (Debian's turnserver 4.6.1) running the config turn-stack renders
 * for the real Pulumi.prod.yaml, probed with turn-stack's own TURN client and
 * credentials minted by infra/credentials.ts.
 *
 * What differs from production, and only this (scripts/lib/local-turnserver-conf.ts
 * lists each change and why): addresses (listening 127.0.1.1, relay 127.0.1.2, no
 * external-ip), the secret in the file, a test certificate instead of Let's
 * Encrypt's, logging to stdout, and, because every address here is loopback,
 * `allow-loopback-peers` plus one `allowed-peer-ip` for the test's own peer
 * (127.0.1.3). The loopback deny range stays in force for every other 127.x.
 * The relay address differs from the client address, so a broken relay cannot
 * pass by a client skipping it.
 *
 * TURN_STACK_WEAKEN=deny-list (coturn started without its denied-peer-ip
 * lines) or TURN_STACK_WEAKEN=secret (coturn started with another secret than
 * the one credentials are minted from) makes the matching tests fail,
 * showing they detect the weakness.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { parseTurnConfig } from "../../infra/config";
import { mintTurnCredential, turnRestPassword } from "../../infra/credentials";
import { DENIED_IPV4, coturnRange } from "../../infra/peer-ranges";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf, loopbackPeers, withoutDenyList } from "../../scripts/lib/local-turnserver-conf";
import { TurnClient, TurnError, Transport, softwareOf, type ConnectOptions } from "../../scripts/lib/turn-client";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { stackConfig } from "../helpers/stack-config";
import { startEchoPeer } from "../helpers/echo-peer";

const LISTEN = "127.0.1.1";
const RELAY = "127.0.1.2";
const PEER = "127.0.1.3";
const cfg = parseTurnConfig(stackConfig("prod"));
const secret = randomBytes(32).toString("base64");
let coturn: RunningCoturn;
let pki: TestPki;
let peer: dgram.Socket;
let peerPort: number;
const clients: TurnClient[] = [];

const weaken = process.env.TURN_STACK_WEAKEN;

beforeAll(async () => {
    pki = makeTestPki(cfg.domain!);
    const serverSecret = weaken === "secret" ? randomBytes(32).toString("base64") : secret;
    const conf = localTurnserverConf(
        cfg,
        { listeningIp: LISTEN, relayIp: RELAY, secret: serverSecret, tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } },
        [loopbackPeers([PEER]), ...(weaken === "deny-list" ? [withoutDenyList("TURN_STACK_WEAKEN=deny-list: shows the 403 tests detect a missing deny-list")] : [])],
    ).text;
    coturn = await startCoturn({ conf, host: LISTEN, port: 3478, secret: serverSecret });
    // The permitted peer: echoes every datagram back to its sender with a prefix.
    ({ socket: peer, port: peerPort } = await startEchoPeer(PEER));
});

afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    peer?.close();
    await coturn?.stop();
    pki?.cleanup();
});

async function connect(transport: ConnectOptions["transport"] = "udp", extra: Partial<ConnectOptions> = {}): Promise<TurnClient> {
    const port = transport === "tls" ? 5349 : 3478;
    const c = await TurnClient.connect({ host: LISTEN, port, transport, servername: cfg.domain, ca: pki.caCert, ...extra });
    clients.push(c);
    return c;
}

async function allocated(transport: ConnectOptions["transport"] = "udp") {
    const c = await connect(transport);
    const cred = mintTurnCredential(secret, { ttlSeconds: cfg.credentialTtlSeconds, userId: `test-${transport}` });
    const a = await c.allocate(cred.username, cred.credential);
    return { c, a };
}

async function expectError(p: Promise<unknown>, codes: number[], what: string) {
    await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof TurnError, `${what}: expected a TURN error response, got ${String(e)}`);
        assert.ok(codes.includes(e.code), `${what}: got ${e.code} ${e.reason}, expected ${codes.join(" or ")}`);
        return true;
    });
}

for (const transport of ["udp", "tcp", "tls"] as const) {
    test(`TURN over ${transport}: minted credential allocates on the relay address and relays both ways (Send/Data)`, async () => {
        const { c, a } = await allocated(transport);
        assert.equal(a.relayed.address, RELAY);
        assert.ok(cfg.relayPortRange.contains(a.relayed.port), `relay port ${a.relayed.port} in range`);
        await c.createPermission(PEER);
        const reply = c.nextData(PEER);
        c.sendIndication({ address: PEER, port: peerPort }, Buffer.from(`hello over ${transport}`));
        const got = await reply;
        assert.equal(got.data.toString(), `echo:hello over ${transport}`);
        assert.equal(got.peer.port, peerPort);
    });
}

test("ChannelBind and ChannelData relay both ways", async () => {
    const { c } = await allocated("udp");
    await c.channelBind(0x4001, { address: PEER, port: peerPort });
    const reply = c.nextData(PEER);
    c.sendChannelData(0x4001, Buffer.from("via channel"));
    assert.equal((await reply).data.toString(), "echo:via channel");
});

test("TLS: a client that does not trust the certificate's CA is refused", async () => {
    await assert.rejects(connect("tls", { ca: pki.otherCaCert }), /self[- ]signed|unable to verify|certificate/i);
    await assert.rejects(connect("tls", { servername: "wrong.example.org" }), /altnames|Hostname\/IP does not match/i);
});

test("wrong secret, expired, malformed and unauthenticated requests get 401", async () => {
    const wrong = mintTurnCredential("not-the-secret", { ttlSeconds: 600 });
    await expectError((await connect()).allocate(wrong.username, wrong.credential), [401], "wrong secret");

    const expired = mintTurnCredential(secret, { ttlSeconds: 60, nowMs: Date.now() - 3600_000 });
    await expectError((await connect()).allocate(expired.username, expired.credential), [401], "expired");

    await expectError((await connect()).allocate("alice", turnRestPassword(secret, "alice")), [401], "no expiry in username");
    const future = `${Math.floor(Date.now() / 1000) + 600}:mallory`;
    await expectError((await connect()).allocate(future, "not-base64-hmac"), [401], "bad credential");
});

test("the server does not reveal its software version", async () => {
    const c = await connect();
    const binding = await c.binding();
    const cred = mintTurnCredential(secret, { ttlSeconds: 60 });
    await c.allocate(cred.username, cred.credential);
    assert.ok(c.received.length >= 3, "binding, 401 challenge, allocate success");
    for (const m of [binding, ...c.received]) assert.equal(softwareOf(m), undefined);
});

test("TCP relay (RFC 6062) is refused", async () => {
    const c = await connect("tcp");
    const cred = mintTurnCredential(secret, { ttlSeconds: 60 });
    await expectError(c.allocate(cred.username, cred.credential, Transport.TCP), [442], "TCP relay");
});

test("every denied IPv4 range refuses CreatePermission at its first and last address", async () => {
    const { c } = await allocated("udp");
    const v4 = DENIED_IPV4;
    assert.ok(v4.length >= 14);
    const addresses = v4.flatMap((r) => coturnRange(r.cidr).split("-"));
    for (const addr of [...addresses, "169.254.169.254", "169.254.170.2", "127.0.0.1", LISTEN, RELAY, "10.73.0.10"]) {
        await expectError(c.createPermission(addr), [403], `peer ${addr}`);
    }
});

test("every denied IPv4 range refuses ChannelBind at its first and last address", async () => {
    const { c } = await allocated("udp");
    let channel = 0x4100;
    const v4 = DENIED_IPV4;
    for (const addr of [...v4.flatMap((r) => coturnRange(r.cidr).split("-")), "169.254.169.254", "169.254.170.2"]) {
        await expectError(c.channelBind(channel++, { address: addr, port: 53 }), [403], `channel to ${addr}`);
    }
});

test("an unauthenticated Allocate is refused with 401 and a realm/nonce challenge", async () => {
    const c = await connect();
    const cred = mintTurnCredential(secret, { ttlSeconds: 60 });
    await c.allocate(cred.username, cred.credential);
    const challenge = c.received[0];
    assert.equal(challenge.cls, 0x110, "first Allocate (no credentials) got an error response");
    const code = challenge.attrs.find((a) => a.type === 0x0009)!.value;
    assert.equal((code[2] & 7) * 100 + code[3], 401);
    assert.ok(challenge.attrs.some((a) => a.type === 0x0014 && a.value.toString() === cfg.realm), "REALM is the configured realm");
    assert.ok(challenge.attrs.some((a) => a.type === 0x0015), "NONCE present");
});

test("IPv6 peers, IPv4-mapped and metadata forms included, are refused (the relay is IPv4-only)", async () => {
    const { c } = await allocated("udp");
    for (const addr of ["::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "fd00:ec2::254", "fc00::1", "fe80::1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "ff02::1"]) {
        await expectError(c.createPermission(addr), [403, 443], `peer ${addr}`);
    }
});

test("a Send indication to a denied loopback peer is dropped, while the permitted peer gets its data", async () => {
    const denied = dgram.createSocket("udp4");
    await new Promise<void>((res) => denied.bind(0, "127.0.1.4", () => res()));
    const received: Buffer[] = [];
    denied.on("message", (m) => received.push(m));
    try {
        const { c } = await allocated("udp");
        await expectError(c.createPermission("127.0.1.4"), [403], "peer 127.0.1.4");
        await c.createPermission(PEER);
        c.sendIndication({ address: "127.0.1.4", port: denied.address().port }, Buffer.from("must not arrive"));
        const reply = c.nextData(PEER);
        c.sendIndication({ address: PEER, port: peerPort }, Buffer.from("after"));
        assert.equal((await reply).data.toString(), "echo:after");
        assert.deepEqual(received, []);
    } finally {
        denied.close();
    }
});

test("public peers are permitted (the deny-list is not a blanket deny)", async () => {
    // CreatePermission only installs state in coturn; no packet is sent to these addresses.
    const { c } = await allocated("udp");
    for (const addr of ["1.1.1.1", "100.128.0.1", "172.32.0.1", "223.255.255.254"]) await c.createPermission(addr);
});

test(`user quota: allocation ${cfg.userQuota + 1} for one username is refused with 486`, async () => {
    const cred = mintTurnCredential(secret, { ttlSeconds: 600, userId: "quota" });
    for (let i = 0; i < cfg.userQuota; i++) await (await connect()).allocate(cred.username, cred.credential);
    await expectError((await connect()).allocate(cred.username, cred.credential), [486], "over quota");
});
