/**
 * The readiness gate's `command:local:Command` (`turn-ready`), run the way the
 * Pulumi engine and @pulumi/command 1.2.1 run it (test/helpers/engine.ts):
 * the create string the program declares under mocks, its `environment` (the
 * stack's shared secret), no `dir`, through /bin/sh -c from the engine's
 * working directory, against a real local coturn serving the prod
 * turnserver.conf (scripts/lib/local-turnserver-conf.ts) with that same secret.
 *
 * What the test changes in the declared command, and only this:
 *  - `--host <Elastic IP>` (the mocks' 203.0.113.10, which tests must never
 *    send to) becomes the local coturn's 127.0.6.1;
 *  - listeners on port 443 are left out: coturn binds no privileged port, and
 *    on the VM nftables redirects 443 to the port coturn binds
 *    (infra/listeners.ts), which the namespace tests (browser.test.ts) check;
 *    here coturn's own ports are probed directly;
 *  - in the failing run, `--attempts 90 --interval-ms 10000` (about 15 minutes)
 *    becomes 2 attempts 200 ms apart.
 * The certificate is a test CA's; the provider's environment (the one the
 * Pulumi CLI runs with) trusts it through NODE_EXTRA_CA_CERTS, as a machine
 * running Pulumi trusts Let's Encrypt.
 */
import { test, beforeAll, afterAll, expect } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { probeListenerSpec } from "../../infra/listeners";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf } from "../../scripts/lib/local-turnserver-conf";
import { programJson } from "../helpers/program-json";
import { MOCK_PUBLIC_IP } from "../helpers/mock-program";
import { engineWorkingDirectory, runLocalCommand, unsecret, type LocalCommandInputs } from "../helpers/engine";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { stackConfig } from "../helpers/stack-config";

const HOST = "127.0.6.1";
const RELAY = "127.0.6.2";
let coturn: RunningCoturn;
let pki: TestPki;
let caFile: string;

/** The readiness command exactly as the program declares it for `stack`. */
function readinessCommand(stack: string): LocalCommandInputs {
    const cmd = programJson(stack).resources.find((r) => r.type === "command:local:Command" && r.name === "turn-ready");
    if (!cmd) throw new Error(`${stack} declares no readiness command`);
    return { ...cmd.inputs, environment: unsecret(cmd.inputs.environment) };
}

/**
 * Point the declared command at the local coturn: the Elastic IP becomes the
 * loopback address, and the 443 listeners (a VM nftables redirect) are left out.
 */
function atLoopback(cmd: LocalCommandInputs, tls: boolean): LocalCommandInputs {
    const hostArg = `--host ${MOCK_PUBLIC_IP} `;
    expect(cmd.create!.split(hostArg).length, "the Elastic IP appears once, as --host").toBe(2);
    const declared = ` --listeners ${probeListenerSpec(tls)} `;
    expect(cmd.create).toContain(declared);
    const local = probeListenerSpec(tls).split(",").filter((l) => !l.endsWith(":443"));
    return { ...cmd, create: cmd.create!.replace(hostArg, `--host ${HOST} `).replace(declared, ` --listeners ${local.join(",")} `) };
}

const prod = readinessCommand("prod");
const dev = readinessCommand("dev");
const secret = prod.environment!.TURN_SHARED_SECRET;

beforeAll(async () => {
    expect(dev.environment!.TURN_SHARED_SECRET).toBe(secret);
    const cfg = parseTurnConfig(stackConfig("prod"));
    pki = makeTestPki(cfg.domain!);
    caFile = join(pki.dir, "trusted-by-the-pulumi-machine.pem");
    writeFileSync(caFile, pki.caCert);
    const conf = localTurnserverConf(cfg, { listeningIp: HOST, relayIp: RELAY, secret, tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } }).text;
    coturn = await startCoturn({ conf, host: HOST, port: 3478, secret });
});
afterAll(async () => {
    await coturn?.stop();
    pki?.cleanup();
});

const cwd = () => engineWorkingDirectory().pwd;

test("prod: the declared readiness command passes on every listener of a server that answers, with the stack's secret", async () => {
    expect(prod.create).toContain(" --servername turn.example.com ");
    expect(prod.dir).toBeUndefined();
    const r = await runLocalCommand("create", atLoopback(prod, true), { cwd: cwd(), providerEnv: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as { target: string; ok: boolean }[];
    expect(results.map((x) => x.target)).toEqual(["udp:3478", "tcp:3478", "tls:5349"]);
    expect(results.every((x) => x.ok)).toBe(true);
});

test("dev: the declared readiness command passes unchanged but for the host (and 443)", async () => {
    expect(dev.dir).toBeUndefined();
    const r = await runLocalCommand("create", atLoopback(dev, false), { cwd: cwd() });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as { target: string; ok: boolean }[];
    expect(results.map((x) => x.target)).toEqual(["udp:3478", "tcp:3478"]);
    expect(results.every((x) => x.ok)).toBe(true);
});

test("prod: fails, naming the listener, when the server's certificate is not trusted (yet)", async () => {
    const cmd = atLoopback(prod, true);
    const retries = `--attempts 90 --interval-ms 10000 `;
    expect(cmd.create).toContain(retries);
    cmd.create = cmd.create!.replace(retries, "--attempts 2 --interval-ms 200 ");
    const r = await runLocalCommand("create", cmd, { cwd: cwd() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/TURN server not ready: tls:5349 \(/);
    expect(r.stderr).not.toMatch(/not ready: .*udp:3478/);
});
