/**
 * Certificate renewal without dropping calls, with real coturn 4.6.1 (Debian's turnserver).
 *
 * certbot's deploy hook (infra/cloud-init.ts certificateHook) installs the renewed certificate and sends
 * coturn SIGUSR2, which coturn 4.6.1 handles by rereading its certificate and key (src/apps/relay/mainrelay.c:
 * `evsignal_new(..., SIGUSR2, reload_ssl_certs, ...)`, reload_ssl_certs -> openssl_load_certificates) in the
 * running process. Shown here: allocations over TLS and TCP opened before the renewal keep relaying, new TLS
 * handshakes present the new certificate, and the process is the same (same PID, never exited).
 *
 * The first certificate is different: coturn starts before certbot has one. The hook restarts coturn then;
 * the second test shows why (a coturn started without a certificate does not take one on SIGUSR2).
 * test/integration/boot.test.ts runs the hook itself under systemd.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import dgram from "node:dgram";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { parseTurnConfig } from "../../infra/config";
import { mintTurnCredential } from "../../infra/credentials";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf, loopbackPeers } from "../../scripts/lib/local-turnserver-conf";
import { TurnClient } from "../../scripts/lib/turn-client";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { stackConfig } from "../helpers/stack-config";
import { startEchoPeer } from "../helpers/echo-peer";

const LISTEN = "127.0.5.1";
const RELAY = "127.0.5.2";
const PEER = "127.0.5.3";
const cfg = parseTurnConfig(stackConfig("prod"));
const domain = cfg.domain!;
const secret = randomBytes(32).toString("base64");

let pki: TestPki;
let dir: string;
let peer: dgram.Socket;
let peerPort: number;
const clients: TurnClient[] = [];
const servers: RunningCoturn[] = [];

beforeAll(async () => {
    pki = makeTestPki(domain);
    dir = mkdtempSync(join(tmpdir(), "turn-stack-renewal-"));
    ({ socket: peer, port: peerPort } = await startEchoPeer(PEER));
});

afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const s of servers) await s.stop();
    peer?.close();
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Start coturn on the prod config with TLS from `certFile`/`keyFile` (which may not exist yet). */
async function coturnWithTls(certFile: string, keyFile: string): Promise<RunningCoturn> {
    const conf = localTurnserverConf(cfg, { listeningIp: LISTEN, relayIp: RELAY, secret, tls: { certFile, keyFile } }, [loopbackPeers([PEER])]).text;
    const s = await startCoturn({ conf, host: LISTEN, port: 3478, secret });
    servers.push(s);
    return s;
}

/** Install a certificate the way the deploy hook does: replace the files coturn's config names. */
function install(label: string, certFile: string, keyFile: string): string {
    const issued = pki.issue(label, [domain]);
    copyFileSync(issued.certFile, certFile);
    copyFileSync(issued.keyFile, keyFile);
    return new X509Certificate(readFileSync(issued.certFile)).fingerprint256;
}

/** Fingerprint of the certificate a new TLS handshake on 5349 gets, or the handshake's error. */
function presented(): Promise<string> {
    return new Promise((resolve) => {
        const s = tls.connect({ host: LISTEN, port: 5349, servername: domain, ca: pki.caCert }, () => {
            resolve(s.getPeerCertificate().fingerprint256);
            s.destroy();
        });
        s.once("error", (e) => resolve(`error: ${e.message}`));
        s.setTimeout(3000, () => {
            s.destroy();
            resolve("error: timeout");
        });
    });
}

/** Allocate over `transport`, permit the echo peer; returns the client. */
async function allocation(transport: "tls" | "tcp"): Promise<TurnClient> {
    const c = await TurnClient.connect({ host: LISTEN, port: transport === "tls" ? 5349 : 3478, transport, servername: domain, ca: pki.caCert });
    clients.push(c);
    const cred = mintTurnCredential(secret, { ttlSeconds: 600 });
    await c.allocate(cred.username, cred.credential);
    await c.createPermission(PEER);
    return c;
}

/** Send one datagram through the relay and wait for the peer's echo. */
async function relays(c: TurnClient, text: string): Promise<void> {
    const echo = c.nextData(PEER, 3000);
    c.sendIndication({ address: PEER, port: peerPort }, Buffer.from(text));
    assert.equal((await echo).data.toString(), `echo:${text}`);
}

/** Send SIGUSR2 and wait until coturn has logged the reload (it logs each one). */
async function sigusr2(s: RunningCoturn): Promise<void> {
    const before = s.output().split("Reloading TLS certificates and keys").length;
    process.kill(s.pid, "SIGUSR2");
    const deadline = Date.now() + 5000;
    while (s.output().split("Reloading TLS certificates and keys").length === before) {
        if (Date.now() > deadline) throw new Error(`coturn did not log a certificate reload after SIGUSR2:\n${s.output()}`);
        await new Promise((r) => setImmediate(r));
    }
}

test("SIGUSR2: coturn rereads its certificate; allocations over TLS and TCP opened before keep relaying; same process", { timeout: 60_000 }, async () => {
    const certFile = join(dir, "a-fullchain.pem");
    const keyFile = join(dir, "a-privkey.pem");
    const oldFp = install("old", certFile, keyFile);
    const s = await coturnWithTls(certFile, keyFile);
    assert.equal(await presented(), oldFp);
    const overTls = await allocation("tls");
    const overTcp = await allocation("tcp");
    await relays(overTls, "tls before");
    await relays(overTcp, "tcp before");

    const newFp = install("new", certFile, keyFile);
    assert.notEqual(newFp, oldFp);
    await sigusr2(s);

    // coturn logs the reload in its main thread, then hands the new context to each listener's thread
    // (tls_ctx_update_ev), so the first handshake right after the log line can still get the old one
    // (seen once in a full run): await the new certificate, within a bound.
    let seen = await presented();
    for (const deadline = Date.now() + 5000; seen !== newFp && Date.now() < deadline; ) seen = await presented();
    assert.equal(seen, newFp, "new TLS handshakes within 5 s of SIGUSR2 must present the new certificate");
    await relays(overTls, "tls after");
    await relays(overTcp, "tcp after");
    await overTls.refresh(600);
    await overTcp.refresh(600);
    assert.equal(process.kill(s.pid, 0), true, "coturn must still run");
    assert.doesNotMatch(s.output(), /exiting|Terminated/i);
});

test("first certificate: a coturn started without one does not open TLS on SIGUSR2, only after a restart (so the hook restarts then)", { timeout: 60_000 }, async () => {
    for (const old of servers.splice(0)) await old.stop();
    const certFile = join(dir, "b-fullchain.pem");
    const keyFile = join(dir, "b-privkey.pem");
    const first = await coturnWithTls(certFile, keyFile);
    assert.match(await presented(), /^error: /, "no certificate yet: no TLS");
    const fp = install("first", certFile, keyFile);
    await sigusr2(first);
    assert.match(await presented(), /^error: /, "coturn 4.6.1 keeps TLS off after SIGUSR2 when it started without a certificate");
    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    await coturnWithTls(certFile, keyFile);
    assert.equal(await presented(), fp);
});
