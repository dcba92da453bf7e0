/**
 * Real browser, real relay: Debian's Chromium (driven by playwright-core) runs
 * two RTCPeerConnections with iceTransportPolicy "relay" through Debian's
 * coturn running the config rendered for the real Pulumi.prod.yaml, with
 * credentials minted by infra/credentials.ts and ICE servers built by
 * infra/ice.ts (the stack's host mapped to the test address).
 *
 * Test network, created here and removed afterwards: namespace "srv" (coturn,
 * listening on 198.51.100.1, relaying from 192.0.2.1 on its loopback, with the
 * rendered nftables ruleset loaded, whose 443→5349 redirect gives TURNS on
 * 443) joined by a veth pair to namespace "cli" (Chromium, 198.51.100.2).
 * Client and relay addresses differ, so no side can skip its relay.
 * Without a domain (the dev stack, Pulumi.dev.yaml): namespace "dev" (coturn on
 * 203.0.113.1 with dev's rendered config, relaying from 192.0.2.3, with the
 * no-domain ruleset loaded, whose 443→3478 redirect gives plain TURN over TCP
 * on 443) joined to "cli" (203.0.113.2) by a second veth pair.
 * What differs from production, and only this (the changes of
 * scripts/lib/local-turnserver-conf.ts): addresses, the secret in the file, a test
 * certificate for 198.51.100.1 from a test CA trusted in this Chromium
 * profile only, logging to stdout, and `allowed-peer-ip=192.0.2.1` (the relay
 * address, a documentation address the deny-list otherwise refuses).
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { parseTurnConfig } from "../../infra/config";
import { renderNftables } from "../../infra/cloud-init";
import { mintTurnCredential } from "../../infra/credentials";
import { buildIceServers, turnUrls } from "../../infra/ice";
import { probeListenerSpec } from "../../infra/listeners";
import { CLOUDFLARE_TURN_URLS } from "../../infra/cloudflare-api";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { allowedPeers, listeningPort, localTurnserverConf, type ConfChange, type LocalSite } from "../../scripts/lib/local-turnserver-conf";
import { createNetns, connect, type Netns } from "../helpers/netns";
import { launchChromium, type TestBrowser } from "../helpers/browser";
import { relayBetweenTwoPeers } from "../helpers/webrtc-page";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { runProbe } from "../helpers/run";
import { stackConfig } from "../helpers/stack-config";

const SERVER = "198.51.100.1";
const CLIENT = "198.51.100.2";
const RELAY = "192.0.2.1";
const cfg = parseTurnConfig(stackConfig("prod"));
/** The stack without a domain: dev, served from its own namespace. */
const DEV_SERVER = "203.0.113.1";
const DEV_CLIENT = "203.0.113.2";
const DEV_RELAY = "192.0.2.3";
const devCfg = parseTurnConfig(stackConfig("dev"));
const secret = randomBytes(32).toString("base64");
const work = mkdtempSync(join(tmpdir(), "turn-stack-browser-"));
let srv: Netns | undefined;
let cli: Netns | undefined;
let dev: Netns | undefined;
let pki: TestPki;
let browser: TestBrowser | undefined;
let page: Page;
const coturns: RunningCoturn[] = [];

/**
 * Start coturn in srv with the prod config for a local coturn (scripts/lib/local-turnserver-conf.ts), the
 * relay address let through; ready once a probe from cli allocates.
 */
async function coturnInSrv(probeListener: string, site: Partial<LocalSite> = {}, extra: ConfChange[] = []): Promise<RunningCoturn> {
    const relayIp = site.relayIp ?? RELAY;
    const conf = localTurnserverConf(
        cfg,
        { listeningIp: SERVER, relayIp, secret, tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile }, ...site },
        [allowedPeers([relayIp], "the relay address is a documentation address the deny-list refuses; the two browser peers relay to each other"), ...extra],
    ).text;
    const c = await startCoturn({
        conf,
        host: SERVER,
        port: 3478,
        secret,
        prefix: srv!.prefix,
        ready: async () => void (await runProbe(cli!.prefix, ["--host", SERVER, "--listeners", probeListener], secret, "ready")),
    });
    coturns.push(c);
    return c;
}

/**
 * The no-domain server: dev's config and ruleset in namespace "dev". Ready once the readiness
 * gate's own listener list for a stack without a domain (udp:3478,tcp:3478,tcp:443) allocates from cli.
 */
async function devServer(): Promise<void> {
    dev = createNetns("ts-br-dev");
    connect(dev, `${DEV_SERVER}/24`, cli!, `${DEV_CLIENT}/24`);
    dev.run("ip", "addr", "add", `${DEV_RELAY}/32`, "dev", "lo");
    const nft = join(work, "turn-stack-dev.nft");
    writeFileSync(nft, renderNftables(false));
    dev.run("nft", "-f", nft);
    const conf = localTurnserverConf(devCfg, { listeningIp: DEV_SERVER, relayIp: DEV_RELAY, secret }, [
        allowedPeers([DEV_RELAY], "the relay address is a documentation address the deny-list refuses; the two browser peers relay to each other"),
    ]).text;
    coturns.push(
        await startCoturn({
            conf,
            host: DEV_SERVER,
            port: 3478,
            secret,
            prefix: dev.prefix,
            ready: async () => void (await runProbe(cli!.prefix, ["--host", DEV_SERVER, "--listeners", probeListenerSpec(false)], secret, "ready")),
        }),
    );
}

beforeAll(async () => {
    srv = createNetns("ts-br-srv");
    cli = createNetns("ts-br-cli");
    connect(srv, `${SERVER}/24`, cli, `${CLIENT}/24`);
    srv.run("ip", "addr", "add", `${RELAY}/32`, "dev", "lo");
    srv.run("ip", "addr", "add", "192.0.2.2/32", "dev", "lo"); // relay address of the certificate-check instances
    const nft = join(work, "turn-stack.nft");
    writeFileSync(nft, renderNftables(true)); // prod has a domain: 443 is TURN over TLS, redirected to 5349
    srv.run("nft", "-f", nft);
    pki = makeTestPki(cfg.domain!, [SERVER]);
    await coturnInSrv("udp:3478");
    await devServer();
    browser = await launchChromium(cli, pki.caCert);
    page = await browser.browser.newPage();
});

afterAll(async () => {
    await browser?.close();
    for (const c of coturns) await c.stop();
    srv?.remove();
    dev?.remove();
    cli?.remove();
    pki?.cleanup();
    rmSync(work, { recursive: true, force: true });
});

/** The stack's ICE servers with fresh credentials, host mapped to the test server. */
function stackIceServers(ttlSeconds = cfg.credentialTtlSeconds, key = secret) {
    const cred = mintTurnCredential(key, { ttlSeconds, userId: "browser" });
    return buildIceServers(cfg.domain!, true, cred).map((s) => ({ ...s, urls: s.urls.map((u) => u.replace(cfg.domain!, SERVER)) }));
}

const expectedProtocol = (url: string) => (url.startsWith("turns:") ? "tls" : /transport=tcp/.test(url) ? "tcp" : "udp");

/**
 * The two-peer run through `url` delivered both messages, relay→relay on both sides: each side's local and
 * remote candidates are relayed from `relayIp`, over the protocol `url` names, each side on its own allocation.
 */
function assertRelayedBothWays(r: Awaited<ReturnType<typeof relayBetweenTwoPeers>>, relayIp: string, url: string): void {
    assert.ok(r.ok, r.error);
    assert.deepEqual(r.received, { atB: "ping from A", atA: "pong:ping from A" });
    for (const side of [r.a!, r.b!]) {
        assert.equal(side.localType, "relay");
        assert.equal(side.remoteType, "relay");
        assert.ok(side.localAddress.startsWith(`${relayIp}:`), `relayed from ${side.localAddress}`);
        assert.ok(side.remoteAddress.startsWith(`${relayIp}:`));
        assert.equal(side.relayProtocol, expectedProtocol(url));
    }
    assert.notEqual(r.a!.localAddress, r.b!.localAddress, "each side has its own allocation");
}

for (const url of turnUrls(cfg.domain!, true)) {
    test(`Chromium relays a data channel both ways through ${url} (relay→relay, relayProtocol ${expectedProtocol(url)})`, async () => {
        const [server] = stackIceServers();
        const only = server.urls.filter((u) => u === url.replace(cfg.domain!, SERVER));
        assert.equal(only.length, 1);
        const r = await relayBetweenTwoPeers(page, [{ ...server, urls: only }], 20_000);
        assertRelayedBothWays(r, RELAY, url);
    });
}

// Without a domain: every URL of the dev stack, 443 included (plain TURN over TCP, through nftables).
test("without a domain the stack offers TURN over TCP on 443, and coturn itself does not listen there", () => {
    assert.deepEqual(turnUrls(DEV_SERVER, false), [
        `turn:${DEV_SERVER}:3478?transport=udp`,
        `turn:${DEV_SERVER}:3478?transport=tcp`,
        `turn:${DEV_SERVER}:443?transport=tcp`,
    ]);
    assert.equal(dev!.run("ss", "-Htln", "sport", "=", ":443").trim(), "", "443 reaches coturn only through the redirect");
    assert.match(dev!.run("nft", "list", "chain", "inet", "turn_stack", "prerouting"), /tcp dport 443 redirect to :3478/);
});

for (const url of turnUrls(DEV_SERVER, false)) {
    test(`without a domain (dev): Chromium relays a data channel both ways through ${url} (relay→relay, relayProtocol ${expectedProtocol(url)})`, async () => {
        const cred = mintTurnCredential(secret, { ttlSeconds: devCfg.credentialTtlSeconds, userId: "browser" });
        const [server] = buildIceServers(DEV_SERVER, false, cred);
        const only = server.urls.filter((u) => u === url);
        assert.equal(only.length, 1);
        const r = await relayBetweenTwoPeers(page, [{ ...server, urls: only }], 20_000);
        assertRelayedBothWays(r, DEV_RELAY, url);
    });
}

test("without a domain, TURN over TCP on 443 needs the redirect: with the ruleset's prerouting chain flushed, Chromium gets no relay candidate there", async () => {
    const cred = mintTurnCredential(secret, { ttlSeconds: 600, userId: "browser" });
    dev!.run("nft", "flush", "chain", "inet", "turn_stack", "prerouting");
    try {
        const r = await relayBetweenTwoPeers(page, [{ urls: [`turn:${DEV_SERVER}:443?transport=tcp`], username: cred.username, credential: cred.credential }], 5_000);
        assert.equal(r.ok, false);
        assert.equal(r.relayCandidates, 0);
    } finally {
        dev!.run("nft", "-f", join(work, "turn-stack-dev.nft"));
    }
});

test("both mode: merged ICE servers (own relay first, Cloudflare after) connect through the own relay", async () => {
    const own = stackIceServers()[0];
    const merged = [{ ...own, urls: [own.urls[0]] }, { urls: [...CLOUDFLARE_TURN_URLS], username: "unused", credential: "unused" }];
    const r = await relayBetweenTwoPeers(page, merged, 20_000);
    assert.ok(r.ok, r.error);
    assert.ok(r.a!.localAddress.startsWith(`${RELAY}:`) && r.b!.localAddress.startsWith(`${RELAY}:`));
});

test("an expired credential gets no relay candidates", async () => {
    const cred = mintTurnCredential(secret, { ttlSeconds: 60, nowMs: Date.now() - 3600_000 });
    const r = await relayBetweenTwoPeers(page, [{ urls: [`turn:${SERVER}:3478?transport=udp`], username: cred.username, credential: cred.credential }], 5_000);
    assert.equal(r.ok, false);
    assert.equal(r.relayCandidates, 0);
});

test("a credential minted from the wrong secret gets no relay candidates", async () => {
    const servers = stackIceServers(600, "not-the-secret").map((s) => ({ ...s, urls: [s.urls[0]] }));
    const r = await relayBetweenTwoPeers(page, servers, 5_000);
    assert.equal(r.ok, false);
    assert.equal(r.relayCandidates, 0);
});

test("TURNS fails with a certificate for the wrong host, and with one from an untrusted CA", async () => {
    const cred = mintTurnCredential(secret, { ttlSeconds: 600 });
    const testCa = join(work, "test-ca.pem");
    const otherCa = join(work, "other-ca.pem");
    writeFileSync(testCa, pki.caCert);
    writeFileSync(otherCa, pki.otherCaCert);
    for (const [label, cert, port, servername, ca] of [
        ["wrong host", pki.issue("wrong-host", ["wrong.example.org", "203.0.113.99"]), 15349, "wrong.example.org", testCa],
        ["untrusted CA", pki.issue("untrusted", [cfg.domain!, SERVER], "other"), 25349, SERVER, otherCa],
    ] as const) {
        const c = await coturnInSrv(`udp:${port - 1871}`, { relayIp: "192.0.2.2", tls: { ...cert, port } }, [listeningPort(port - 1871)]);
        try {
            // Control: the TLS listener works for a client that trusts exactly this certificate's name and CA.
            const control = await runProbe(cli!.prefix, ["--host", SERVER, "--listeners", `tls:${port}`, "--servername", servername, "--ca", ca], secret);
            assert.equal(control.status, 0, `${label} control: ${control.stderr}`);
            const r = await relayBetweenTwoPeers(page, [{ urls: [`turns:${SERVER}:${port}?transport=tcp`], username: cred.username, credential: cred.credential }], 5_000);
            assert.equal(r.ok, false, label);
            assert.equal(r.relayCandidates, 0, label);
        } finally {
            await c.stop();
        }
    }
});
