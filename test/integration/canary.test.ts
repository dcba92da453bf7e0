/**
 * The canary Lambda's handler (infra/canary/handler.ts), invoked here as Lambda invokes it,
 * against a real local coturn running the prod config (addresses and certificate changed for
 * loopback), with the stack's listeners `udp:3478,tcp:3478,tls:5349,tls:443`.
 *
 * Stood in for (no AWS here):
 * - SSM GetParameter and CloudWatch PutMetricData: loopback HTTP servers following the APIs'
 *   documented contracts, checking each request's SigV4 signature (test/helpers/aws-standin.ts),
 *   reached through the SDKs' endpoint variables AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL_CLOUDWATCH;
 *   the CloudWatch stand-in also plays the role's `cloudwatch:namespace` condition;
 * - the VM's nftables redirect of 443 to 5349: a TCP forwarder on 127.0.14.1:443 (coturn binds
 *   5349 only, as on the VM), which the "listener down" test stops;
 * - the certificate: the test CA's, valid 2 days (a certificate near expiry), trusted through
 *   the handler's `ca` (in-process) or NODE_EXTRA_CA_CERTS (the bundle's clean process).
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { probeListenerSpec } from "../../infra/listeners";
import { canaryNamespace } from "../../infra/canary-metrics";
import { renderCanaryConfig, type CanaryConfig } from "../../infra/canary/config";
import { makeHandler } from "../../infra/canary/handler";
import { canaryAws } from "../../infra/canary/aws";
import { bundleCanary } from "../../infra/canary/bundle";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf } from "../../scripts/lib/local-turnserver-conf";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";
import { startAwsStandin, standinCredentials, type AwsStandin, type ReceivedDatum } from "../helpers/aws-standin";
import { ROOT, stackConfig } from "../helpers/stack-config";

const HOST = "127.0.14.1";
const RELAY = "127.0.14.2";
const AWS_HOST = "127.0.14.3";
const REGION = "eu-west-1";
const cfg = parseTurnConfig(stackConfig("prod"));
const secret = randomBytes(32).toString("base64");
const namespace = canaryNamespace("turn", "prod");
const parameterName = "/turn-stack/turn/prod/static-auth-secret";
const credentials = standinCredentials();
const LISTENERS = probeListenerSpec(true).split(",");

let coturn: RunningCoturn;
let pki: TestPki;
let aws: AwsStandin;
let redirect: { close(): Promise<void> } | undefined;

/** Forward TCP `listenPort` to coturn's `toPort` on HOST, as the VM's nftables redirect does for 443. */
function startRedirect(listenPort: number, toPort: number): Promise<{ close(): Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((inbound) => {
        const outbound = net.connect(toPort, HOST);
        for (const s of [inbound, outbound]) {
            sockets.add(s);
            s.on("error", () => undefined);
            s.on("close", () => {
                sockets.delete(s);
                inbound.destroy();
                outbound.destroy();
            });
        }
        inbound.pipe(outbound).pipe(inbound);
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(listenPort, HOST, () =>
            resolve({
                close: () =>
                    new Promise<void>((r) => {
                        for (const s of sockets) s.destroy();
                        server.close(() => r());
                    }),
            }),
        );
    });
}

function canaryConfig(servers: CanaryConfig["servers"] = [{ name: "turn", host: HOST, servername: cfg.domain, listeners: LISTENERS.join(",") }]): CanaryConfig {
    return { namespace, secretParameterName: parameterName, servers };
}

/** The environment Lambda gives the function, pointed at the stand-ins. */
function lambdaEnv(config: CanaryConfig, creds = credentials): Record<string, string> {
    return {
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_SESSION_TOKEN: creds.sessionToken,
        AWS_ENDPOINT_URL_SSM: aws.ssmEndpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH: aws.cloudwatchEndpoint,
        CANARY_CONFIG: renderCanaryConfig(config),
    };
}

/** Lambda's context with `ms` left. */
const context = (ms = 60_000) => {
    const end = Date.now() + ms;
    return { getRemainingTimeInMillis: () => end - Date.now() };
};

/** Invoke the handler in-process; return its report and the data points it published. */
async function invoke(config = canaryConfig(), remainingMs = 60_000) {
    const before = aws.metrics.length;
    const report = await makeHandler(lambdaEnv(config), pki.caCert)({}, context(remainingMs));
    return { report, metrics: aws.metrics.slice(before) };
}

const pick = (metrics: ReceivedDatum[], name: string, listener?: string) =>
    metrics.filter((m) => m.metricName === name && m.dimensions.Server === "turn" && (listener === undefined || m.dimensions.Listener === listener));
const successOf = (metrics: ReceivedDatum[]) => Object.fromEntries(pick(metrics, "ListenerSuccess").map((m) => [m.dimensions.Listener, m.value]));

beforeAll(async () => {
    pki = makeTestPki(cfg.domain!);
    const conf = localTurnserverConf(cfg, { listeningIp: HOST, relayIp: RELAY, secret, tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } }).text;
    coturn = await startCoturn({ conf, host: HOST, port: 3478, secret });
    redirect = await startRedirect(443, 5349);
    aws = await startAwsStandin({ host: AWS_HOST, region: REGION, credentials, allowedNamespace: namespace });
    aws.parameters.set(parameterName, { value: secret });
});
afterAll(async () => {
    await redirect?.close();
    await aws?.close();
    await coturn?.stop();
    pki?.cleanup();
});

test("pass: a real allocation on every listener; success 1 and latency per listener, in the stack's namespace", async () => {
    aws.parameters.set(parameterName, { value: secret });
    const { report, metrics } = await invoke();
    assert.equal(report.ok, true, report.failures.join("\n"));
    assert.deepEqual(successOf(metrics), Object.fromEntries(LISTENERS.map((l) => [l, 1])));
    for (const l of LISTENERS) {
        const [lat] = pick(metrics, "ListenerLatency", l);
        assert.ok(lat && lat.unit === "Milliseconds" && lat.value > 0 && lat.value < 5000, `latency for ${l}: ${JSON.stringify(lat)}`);
    }
    assert.ok(metrics.every((m) => m.namespace === namespace));
    // The secret was read signed, decrypted, from the stack's parameter; the metrics were put signed.
    const ssm = aws.requests.filter((r) => r.service === "ssm").at(-1)!;
    assert.deepEqual(ssm, { service: "ssm", status: 200, signature: "valid", name: parameterName, withDecryption: true });
    assert.equal(aws.requests.filter((r) => r.service === "cloudwatch").at(-1)!.signature, "valid");
});

test("a certificate near expiry: CertificateDaysToExpiry per server, from the TLS listener's certificate", async () => {
    const { metrics } = await invoke();
    const [days] = metrics.filter((m) => m.metricName === "CertificateDaysToExpiry");
    assert.deepEqual(days.dimensions, { Server: "turn" });
    // The test CA issues for 2 days: inside the 14-day alarm window (README, Operate it).
    assert.ok(days.value > 1.9 && days.value <= 2.0001, `days to expiry ${days.value}`);
    assert.equal(days.unit, "None");
});

test("wrong secret: every listener fails with 401, named, success 0, no latency", async () => {
    aws.parameters.set(parameterName, { value: randomBytes(32).toString("base64") });
    try {
        const { report, metrics } = await invoke();
        assert.equal(report.ok, false);
        assert.deepEqual(successOf(metrics), Object.fromEntries(LISTENERS.map((l) => [l, 0])));
        assert.equal(pick(metrics, "ListenerLatency").length, 0);
        for (const l of LISTENERS) assert.ok(report.failures.some((f) => f.startsWith(`turn ${l}: `) && /401/.test(f)), `${l} in ${report.failures.join("\n")}`);
    } finally {
        aws.parameters.set(parameterName, { value: secret });
    }
});

test("a listener that stops answering turns its metric to failure, named; the others stay 1", async () => {
    const before = await invoke();
    assert.equal(successOf(before.metrics)["tls:443"], 1);
    await redirect!.close(); // the 443 → 5349 redirect is gone: TLS on 443 stops answering, 5349 still does
    redirect = undefined;
    try {
        const { report, metrics } = await invoke();
        assert.deepEqual(successOf(metrics), { "udp:3478": 1, "tcp:3478": 1, "tls:5349": 1, "tls:443": 0 });
        assert.deepEqual(report.failures.map((f) => f.split(":")[0] + ":" + f.split(":")[1]), ["turn tls:443"]);
        assert.match(report.failures[0], /^turn tls:443: .*ECONNREFUSED/);
        assert.equal(pick(metrics, "ListenerLatency", "tls:443").length, 0);
    } finally {
        redirect = await startRedirect(443, 5349);
    }
});

test("timeout: a listener that accepts and never answers fails at the run's budget, and the run ends in time", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s.on("error", () => undefined)));
    await new Promise<void>((r) => silent.listen(0, HOST, r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
        const started = Date.now();
        // 11 s left: the budget is 1 s (11 s minus the 10 s publishing reserve), less than the 5 s request timeout.
        const { report, metrics } = await invoke(canaryConfig([{ name: "turn", host: HOST, listeners: `udp:3478,tcp:${port}` }]), 11_000);
        const took = Date.now() - started;
        assert.ok(took < 3000, `the run took ${took} ms with a 1 s budget`);
        assert.deepEqual(successOf(metrics), { "udp:3478": 1, [`tcp:${port}`]: 0 });
        assert.deepEqual(report.failures, [`turn tcp:${port}: no answer within the run's budget of 1000 ms`]);
    } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
    }
});

test("the secret cannot be read: the invocation fails naming the parameter and SSM's error; nothing is published", async () => {
    const before = aws.metrics.length;
    aws.parameters.delete(parameterName);
    try {
        await assert.rejects(makeHandler(lambdaEnv(canaryConfig()), pki.caCert)({}, context()), (e: Error) => {
            assert.match(e.message, /^canary: cannot read the TURN shared secret from SSM parameter \/turn-stack\/turn\/prod\/static-auth-secret: SSM GetParameter .*: ParameterNotFound/);
            return true;
        });
    } finally {
        aws.parameters.set(parameterName, { value: secret });
    }
    // Credentials the stand-in does not know (a role that is not the canary's): refused, named.
    await assert.rejects(makeHandler(lambdaEnv(canaryConfig(), standinCredentials()), pki.caCert)({}, context()), /cannot read the TURN shared secret .*UnrecognizedClientException/);
    assert.equal(aws.metrics.length, before);
});

test("another namespace than the stack's is refused (the role's cloudwatch:namespace condition), and the run fails saying so", async () => {
    await assert.rejects(invoke({ ...canaryConfig(), namespace: "TurnStack/turn/dev" }), /CloudWatch PutMetricData in TurnStack\/turn\/dev: AccessDenied/);
});

test("an AWS endpoint that accepts and never answers: each call fails at its timeout, naming the call", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s.on("error", () => undefined)));
    await new Promise<void>((r) => silent.listen(0, AWS_HOST, r));
    const url = `http://${AWS_HOST}:${(silent.address() as net.AddressInfo).port}/`;
    try {
        const api = canaryAws(REGION, credentials, { ssm: url, cloudwatch: url }, 300);
        const started = Date.now();
        await assert.rejects(api.readParameter(parameterName), /^Error: SSM GetParameter \/turn-stack\/turn\/prod\/static-auth-secret at .*: .*timeout/);
        await assert.rejects(api.putMetricData(namespace, [{ MetricName: "ListenerSuccess", Dimensions: [], Value: 1, Unit: "None", Timestamp: new Date() }]), /^Error: CloudWatch PutMetricData at .*: .*timeout/);
        assert.ok(Date.now() - started < 2000, "both bounded by the 300 ms timeout");
    } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
    }
});

test("the bundle: deterministic, no absolute paths, only Node built-ins; it loads and runs in a clean Node process", async () => {
    const a = bundleCanary(24);
    assert.equal(bundleCanary(24).sha256, a.sha256, "same sources, same bytes");
    assert.ok(!a.code.includes(ROOT), "no absolute path of this checkout in the bundle");
    const required = [...new Set([...a.code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]))];
    assert.ok(required.length > 0 && required.every((r) => r.startsWith("node:")), `the bundle requires only Node built-ins: ${required.join(", ")}`);

    // As Lambda runs it: index.js alone in the task directory, no node_modules anywhere above it,
    // no NODE_PATH, only the environment Lambda defines; `index.handler` called with a context.
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-canary-task-"));
    try {
        writeFileSync(join(dir, "index.js"), a.code);
        writeFileSync(join(dir, "ca.pem"), pki.caCert);
        const before = aws.metrics.length;
        const script = `require("./index.js").handler({}, { getRemainingTimeInMillis: () => 60000 }).then((r) => process.stdout.write("REPORT" + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
        const env = { PATH: process.env.PATH!, LAMBDA_TASK_ROOT: dir, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"), ...lambdaEnv(canaryConfig()) };
        const child = spawn(process.execPath, ["-e", script], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (b) => (out += b));
        child.stderr.on("data", (b) => (err += b));
        const code = await new Promise<number | null>((r) => child.on("close", r));
        assert.equal(code, 0, err);
        const report = JSON.parse(out.slice(out.indexOf("REPORT") + 6));
        assert.equal(report.ok, true, JSON.stringify(report.failures));
        assert.match(out, /ok turn tls:443: /, "the handler's log lines");
        assert.deepEqual(successOf(aws.metrics.slice(before)), Object.fromEntries(LISTENERS.map((l) => [l, 1])));
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
