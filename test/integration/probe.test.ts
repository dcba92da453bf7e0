/**
 * The readiness probe (scripts/lib/probe.ts, scripts/probe.ts) against a real
 * local coturn running the prod config (addresses and certificate changed for
 * loopback): pass on every listener, wrong secret, timeout, refused connection.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { probeListenerSpec } from "../../infra/listeners";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf } from "../../scripts/lib/local-turnserver-conf";
import { failureSummary, parseTargets, probeListeners } from "../../scripts/lib/probe";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { runTs } from "../helpers/run";
import { ROOT, stackConfig } from "../helpers/stack-config";

const HOST = "127.0.5.1";
const cfg = parseTurnConfig(stackConfig("prod"));
const secret = randomBytes(32).toString("base64");
let coturn: RunningCoturn;
let pki: TestPki;

beforeAll(async () => {
    pki = makeTestPki(cfg.domain!);
    const conf = localTurnserverConf(cfg, { listeningIp: HOST, relayIp: "127.0.5.2", secret, tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } }).text;
    coturn = await startCoturn({ conf, host: HOST, port: 3478, secret });
});
afterAll(async () => {
    await coturn?.stop();
    pki?.cleanup();
});

test("the probe's listener list is the stack's", () => {
    assert.equal(probeListenerSpec(true), "udp:3478,tcp:3478,tls:5349,tls:443");
    assert.equal(probeListenerSpec(false), "udp:3478,tcp:3478,tcp:443", "without a domain, plain TURN over TCP on 443");
    assert.deepEqual(parseTargets("udp:3478,tls:443"), [{ transport: "udp", port: 3478 }, { transport: "tls", port: 443 }]);
    assert.throws(() => parseTargets("sctp:3478"), /expected <udp\|tcp\|tls>:<port>/);
});

test("pass: every listener answers an allocation with a credential minted from the secret", async () => {
    const results = await probeListeners({ host: HOST, targets: parseTargets("udp:3478,tcp:3478,tls:5349"), secret, servername: cfg.domain, ca: pki.caCert });
    assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
    assert.equal(failureSummary(results), undefined);
});

test("wrong secret: fails naming each listener with the 401", async () => {
    const results = await probeListeners({ host: HOST, targets: parseTargets("udp:3478,tcp:3478"), secret: "wrong", attempts: 2, intervalMs: 50 });
    assert.deepEqual(results.map((r) => r.ok), [false, false]);
    assert.match(failureSummary(results)!, /^TURN server not ready: udp:3478 \(TURN error 401 .*\); tcp:3478 \(TURN error 401 /);
});

test("timeout and refusal: bounded retries, then a failure naming what did not answer", async () => {
    const started = Date.now();
    const results = await probeListeners({ host: HOST, targets: parseTargets("udp:3999,tcp:3999"), secret, attempts: 2, intervalMs: 50, timeoutMs: 300 });
    assert.ok(Date.now() - started < 5000, "bounded");
    assert.match(results[0].detail, /no response to Allocate from udp:127\.0\.5\.1:3999 within 300 ms/);
    assert.match(results[1].detail, /ECONNREFUSED/);
    assert.match(failureSummary(results)!, /udp:3999 .*tcp:3999/);
});

test("npm run probe: exit 0 when ready, 1 naming the failed listener otherwise; secret only from the environment", async () => {
    const script = join(ROOT, "scripts", "probe.ts");
    const ok = await runTs(script, ["--host", HOST, "--listeners", "udp:3478,tcp:3478"], { env: { ...process.env, TURN_SHARED_SECRET: secret } });
    assert.equal(ok.status, 0, ok.stderr);
    const bad = await runTs(script, ["--host", HOST, "--listeners", "udp:3478,tls:5349", "--servername", cfg.domain!], { env: { ...process.env, TURN_SHARED_SECRET: secret } });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /TURN server not ready: tls:5349 \(/, "the test CA is not trusted here, so TLS fails");
    const noSecret = await runTs(script, ["--host", HOST], { env: { ...process.env, TURN_SHARED_SECRET: "" } });
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /TURN_SHARED_SECRET is not set/);
});
