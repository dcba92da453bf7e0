/**
 * The canary's pure parts (infra/canary/): metric data per the shared contract, the
 * PutMetricData Query body, the deploy-time config round trip, the run's time budget, and the
 * clear error when the secret cannot be read.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { CANARY_DIMENSIONS, CANARY_METRICS } from "../../infra/canary-metrics";
import { canaryMetricData, daysToExpiry, failureLines, putMetricDataBodies, PUT_METRIC_DATA_MAX_METRICS, type MetricDatum, type ServerOutcome } from "../../infra/canary/metrics";
import { CANARY_PUBLISH_RESERVE_MS, CANARY_RUN_BUDGET_MS, CANARY_TIMEOUT_SECONDS, LAMBDA_ENVIRONMENT_MAX_BYTES, parseCanaryConfig, renderCanaryConfig, type CanaryConfig } from "../../infra/canary/config";
import { runBudgetMs } from "../../infra/canary/handler";
import { runCanary } from "../../infra/canary/run";

const AT = new Date("2026-11-22T03:00:00Z");
const outcomes: ServerOutcome[] = [
    {
        server: "turn",
        listeners: [
            { listener: "udp:3478", ok: true, latencyMs: 12.3456, detail: "203.0.113.10:50000" },
            { listener: "tls:443", ok: false, detail: "connect ECONNREFUSED" },
        ],
        certificateNotAfter: new Date(AT.getTime() + 2.5 * 86_400_000),
    },
    { server: "turn-2", listeners: [{ listener: "tcp:3478", ok: true, latencyMs: 7, detail: "x" }] },
];

test("metric data: success 1/0 per Server+Listener, latency only on success, certificate days per Server", () => {
    const data = canaryMetricData(outcomes, AT);
    const dims = (s: string, l?: string) => [{ Name: CANARY_DIMENSIONS.server, Value: s }, ...(l ? [{ Name: CANARY_DIMENSIONS.listener, Value: l }] : [])];
    assert.deepEqual(data, [
        { MetricName: CANARY_METRICS.success, Dimensions: dims("turn", "udp:3478"), Value: 1, Unit: "None", Timestamp: AT },
        { MetricName: CANARY_METRICS.latency, Dimensions: dims("turn", "udp:3478"), Value: 12.346, Unit: "Milliseconds", Timestamp: AT },
        { MetricName: CANARY_METRICS.success, Dimensions: dims("turn", "tls:443"), Value: 0, Unit: "None", Timestamp: AT },
        { MetricName: CANARY_METRICS.certificateDaysToExpiry, Dimensions: dims("turn"), Value: 2.5, Unit: "None", Timestamp: AT },
        { MetricName: CANARY_METRICS.success, Dimensions: dims("turn-2", "tcp:3478"), Value: 1, Unit: "None", Timestamp: AT },
        { MetricName: CANARY_METRICS.latency, Dimensions: dims("turn-2", "tcp:3478"), Value: 7, Unit: "Milliseconds", Timestamp: AT },
    ]);
    assert.deepEqual(failureLines(outcomes), ["turn tls:443: connect ECONNREFUSED"]);
});

test("days to expiry are fractional and negative once expired", () => {
    assert.equal(daysToExpiry(new Date(AT.getTime() + 36 * 3600_000), AT), 1.5);
    assert.equal(daysToExpiry(new Date(AT.getTime() - 86_400_000), AT), -1);
});

test("PutMetricData body: the Query protocol's form encoding, members numbered from 1", () => {
    const [body] = putMetricDataBodies("TurnStack/turn/prod", canaryMetricData([outcomes[0]], AT).slice(0, 2));
    const p = new URLSearchParams(body);
    assert.equal(p.get("Action"), "PutMetricData");
    assert.equal(p.get("Version"), "2010-08-01");
    assert.equal(p.get("Namespace"), "TurnStack/turn/prod");
    assert.equal(p.get("MetricData.member.1.MetricName"), "ListenerSuccess");
    assert.equal(p.get("MetricData.member.1.Dimensions.member.1.Name"), "Server");
    assert.equal(p.get("MetricData.member.1.Dimensions.member.1.Value"), "turn");
    assert.equal(p.get("MetricData.member.1.Dimensions.member.2.Name"), "Listener");
    assert.equal(p.get("MetricData.member.1.Dimensions.member.2.Value"), "udp:3478");
    assert.equal(p.get("MetricData.member.1.Value"), "1");
    assert.equal(p.get("MetricData.member.1.Unit"), "None");
    assert.equal(p.get("MetricData.member.1.Timestamp"), "2026-11-22T03:00:00.000Z");
    assert.equal(p.get("MetricData.member.2.MetricName"), "ListenerLatency");
    assert.equal(p.get("MetricData.member.2.Unit"), "Milliseconds");
    assert.equal(p.get("MetricData.member.3.MetricName"), null);
    assert.ok(body.includes("Namespace=TurnStack%2Fturn%2Fprod"), "form-encoded");
});

test("PutMetricData: at most 1000 metrics per request (CloudWatch API Reference)", () => {
    const one: MetricDatum = { MetricName: "ListenerSuccess", Dimensions: [], Value: 1, Unit: "None", Timestamp: AT };
    const bodies = putMetricDataBodies("ns", Array(PUT_METRIC_DATA_MAX_METRICS + 1).fill(one));
    assert.equal(bodies.length, 2);
    assert.ok(new URLSearchParams(bodies[0]).get(`MetricData.member.${PUT_METRIC_DATA_MAX_METRICS}.Value`));
    assert.equal(new URLSearchParams(bodies[0]).get(`MetricData.member.${PUT_METRIC_DATA_MAX_METRICS + 1}.Value`), null);
    assert.equal(new URLSearchParams(bodies[1]).get("MetricData.member.1.Value"), "1");
});

const CONFIG: CanaryConfig = {
    namespace: "TurnStack/turn/prod",
    secretParameterName: "/turn-stack/turn/prod/static-auth-secret",
    servers: [{ name: "turn", host: "203.0.113.10", servername: "turn.example.com", listeners: "udp:3478,tcp:3478,tls:5349,tls:443" }],
};

test("CANARY_CONFIG round trip; a fleet of 25 servers fits Lambda's 4 KB of environment", () => {
    assert.deepEqual(parseCanaryConfig(renderCanaryConfig(CONFIG)), CONFIG);
    assert.equal(renderCanaryConfig(CONFIG), renderCanaryConfig(JSON.parse(JSON.stringify(CONFIG))), "same config, same bytes");
    const fleet = { ...CONFIG, servers: Array.from({ length: 25 }, (_, i) => ({ ...CONFIG.servers[0], name: `turn-eu-west-1-${i}`, host: `203.0.113.${100 + i}`, servername: `eu-west-1-${i}.turn.example.com` })) };
    assert.ok(Buffer.byteLength(`CANARY_CONFIG${renderCanaryConfig(fleet)}`) <= LAMBDA_ENVIRONMENT_MAX_BYTES);
});

test("CANARY_CONFIG problems are named (a deployment bug, not a TURN failure)", () => {
    assert.throws(() => parseCanaryConfig(undefined), /CANARY_CONFIG is not set/);
    assert.throws(() => parseCanaryConfig("{"), /CANARY_CONFIG is not JSON/);
    assert.throws(() => parseCanaryConfig(JSON.stringify({ ...CONFIG, servers: [] })), /at least one server/);
    assert.throws(() => parseCanaryConfig(JSON.stringify({ ...CONFIG, servers: [{ name: "turn", host: "h" }] })), /must have name, host and listeners/);
    assert.throws(() => parseCanaryConfig(JSON.stringify({ ...CONFIG, servers: [CONFIG.servers[0], CONFIG.servers[0]] })), /unique/);
});

test("run budget: below the function's timeout, shrunk to what is left minus the publishing reserve", () => {
    assert.ok(CANARY_RUN_BUDGET_MS + CANARY_PUBLISH_RESERVE_MS < CANARY_TIMEOUT_SECONDS * 1000);
    assert.equal(runBudgetMs(undefined), CANARY_RUN_BUDGET_MS);
    assert.equal(runBudgetMs(CANARY_TIMEOUT_SECONDS * 1000), CANARY_RUN_BUDGET_MS);
    assert.equal(runBudgetMs(15_000), 5_000);
    assert.equal(runBudgetMs(2_000), 1_000, "never below 1 s");
});

test("a secret that cannot be read: a clear error naming the parameter and AWS's error; nothing probed or published", async () => {
    let published = 0;
    const aws = {
        readParameter: async (name: string) => {
            throw new Error(`SSM GetParameter ${name}: AccessDeniedException: not authorized`);
        },
        putMetricData: async () => void published++,
    };
    await assert.rejects(
        runCanary(CONFIG, { aws, budgetMs: 1000 }),
        /^Error: canary: cannot read the TURN shared secret from SSM parameter \/turn-stack\/turn\/prod\/static-auth-secret: SSM GetParameter .*AccessDeniedException/,
    );
    assert.equal(published, 0);
});
