/**
 * infra/alarms.ts: every alarm number follows from config (or a named constant), one test per
 * derived number, each checked against the arithmetic written out here and against a second config
 * so a hard-coded number would fail.
 */
import { test, expect } from "vitest";
import {
    CANARY_FAILED_RUNS,
    CERT_MIN_DAYS,
    CPU_SATURATED_PERCENT,
    EGRESS_OVER_BUDGET_HOURS,
    NETWORK_SATURATED_SHARE,
    SATURATION_PERIODS,
    canaryListeners,
    canaryWindow,
    egressAlarms,
    egressBytesPerHour,
    saturatedBytesPerPeriod,
    serverAlarms,
    stackAlarms,
    type AlarmSettings,
    type MonitoredServer,
} from "../../infra/alarms";
import { CANARY_METRICS, canaryNamespace } from "../../infra/canary-metrics";
import { rebootActionArn } from "../../infra/aws-region";

const settings = (o: Partial<AlarmSettings> = {}): AlarmSettings => ({ project: "turn", stack: "prod", monthlyEgressBudgetGb: 1000, canaryScheduleMinutes: 5, ...o });
const server = (o: Partial<MonitoredServer<string>> = {}): MonitoredServer<string> => ({ name: "turn", instanceId: "i-0123456789abcdef0", tls: true, instanceType: "c7gn.large", ...o });
const byKey = (key: string, s = settings(), srv = server()) => {
    const a = serverAlarms(srv, s).find((x) => x.key === key);
    if (!a) throw new Error(`no alarm ${key}`);
    return a;
};

test("egress threshold: GB/month × 2^30 bytes / 730 hours, per hour", () => {
    expect(egressBytesPerHour(1000)).toBe(Math.floor((1000 * 1073741824) / 730)); // 1,470,879,210.96 bytes
    expect(egressBytesPerHour(1000)).toBe(1_470_879_210);
    expect(egressBytesPerHour(73)).toBe(107_374_182);
    const [a] = egressAlarms([server()], settings({ monthlyEgressBudgetGb: 250 }));
    expect(a.threshold).toBe(Math.floor((250 * 2 ** 30) / 730));
    expect(a.period).toBe(3600);
    expect(a.comparisonOperator).toBe("GreaterThanThreshold");
    expect(a.description).toContain(`${a.threshold} bytes per hour`);
});

test("egress alarm: hours in a row before it fires, summed over every server", () => {
    const [a, ...more] = egressAlarms([server(), server({ name: "turn-2", instanceId: "i-2" })], settings());
    expect(more).toEqual([]);
    expect(a.key).toBe("stack-egress");
    expect(a.evaluationPeriods).toBe(EGRESS_OVER_BUDGET_HOURS);
    expect(a.datapointsToAlarm).toBe(EGRESS_OVER_BUDGET_HOURS);
    expect(a.metric).toBeUndefined();
    expect(a.sum!.map((m) => m.dimensions.InstanceId)).toEqual(["i-0123456789abcdef0", "i-2"]);
    expect(a.sum!.every((m) => m.namespace === "AWS/EC2" && m.metricName === "NetworkOut")).toBe(true);
    expect(a.treatMissingData).toBe("notBreaching");
    expect(() => egressAlarms([], settings())).toThrow(/at least one server/);
});

test("canary: period = the schedule in seconds, N failed runs in a row", () => {
    expect(canaryWindow(5)).toEqual({ period: 300, evaluationPeriods: CANARY_FAILED_RUNS, datapointsToAlarm: CANARY_FAILED_RUNS });
    expect(canaryWindow(1).period).toBe(60);
    expect(canaryWindow(60).period).toBe(3600);
    const a = byKey("turn-canary-udp-3478", settings({ canaryScheduleMinutes: 15 }));
    expect(a).toMatchObject({ period: 900, evaluationPeriods: CANARY_FAILED_RUNS, datapointsToAlarm: CANARY_FAILED_RUNS, threshold: 1, comparisonOperator: "LessThanThreshold", statistic: "Minimum" });
    for (const bad of [0, 61, 2.5]) expect(() => canaryWindow(bad)).toThrow(/1 to 60/);
});

test("canary: one alarm per listener, on the canary's metric and dimensions, missing data breaching", () => {
    const tls = serverAlarms(server(), settings()).filter((a) => a.key.includes("-canary-"));
    expect(tls.map((a) => a.metric!.dimensions.Listener)).toEqual(["udp:3478", "tcp:3478", "tls:5349", "tls:443"]);
    const plain = serverAlarms(server({ tls: false }), settings()).filter((a) => a.key.includes("-canary-"));
    expect(plain.map((a) => a.metric!.dimensions.Listener)).toEqual(["udp:3478", "tcp:3478", "tcp:443"]);
    expect(canaryListeners(false)).toEqual(["udp:3478", "tcp:3478", "tcp:443"]);
    for (const a of tls) {
        expect(a.metric).toMatchObject({ namespace: canaryNamespace("turn", "prod"), metricName: CANARY_METRICS.success, dimensions: { Server: "turn" } });
        expect(a.treatMissingData).toBe("breaching");
        expect(a.name).toContain(a.metric!.dimensions.Listener as string);
    }
    // Without a canary, no canary alarms (and no certificate alarm: the canary reads the certificate).
    expect(serverAlarms(server(), settings({ canaryScheduleMinutes: undefined })).some((a) => a.key.includes("canary") || a.key.includes("certificate"))).toBe(false);
});

test("certificate: below 14 days, only with TLS, one run, missing data ignored", () => {
    const a = byKey("turn-certificate", settings({ canaryScheduleMinutes: 10 }));
    expect(a).toMatchObject({ threshold: CERT_MIN_DAYS, comparisonOperator: "LessThanThreshold", period: 600, evaluationPeriods: 1, treatMissingData: "ignore" });
    expect(CERT_MIN_DAYS).toBe(14);
    expect(a.metric!.metricName).toBe(CANARY_METRICS.certificateDaysToExpiry);
    expect(serverAlarms(server({ tls: false }), settings()).some((x) => x.key.endsWith("certificate"))).toBe(false);
});

test("instance status check: 3 failed minutes reboot, and say so", () => {
    const a = byKey("turn-status-reboot");
    expect(a).toMatchObject({ metric: { namespace: "AWS/EC2", metricName: "StatusCheckFailed_Instance", dimensions: { InstanceId: "i-0123456789abcdef0" } } });
    expect(a).toMatchObject({ statistic: "Maximum", period: 60, evaluationPeriods: 3, threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", reboot: true, treatMissingData: "missing" });
    expect(rebootActionArn("eu-west-1")).toBe("arn:aws:automate:eu-west-1:ec2:reboot");
    expect(() => rebootActionArn("cn-north-1")).toThrow(/standard aws partition/);
    // Only this alarm reboots.
    expect(stackAlarms([server()], settings()).filter((x) => x.reboot).map((x) => x.key)).toEqual(["turn-status-reboot"]);
});

test("CPU: average at or above 90% for 3 five-minute periods", () => {
    const a = byKey("turn-cpu");
    expect(a).toMatchObject({ threshold: CPU_SATURATED_PERCENT, period: 300, evaluationPeriods: SATURATION_PERIODS, statistic: "Average", comparisonOperator: "GreaterThanOrEqualToThreshold" });
    expect(a.name).toContain("for 15 min");
});

test("network saturation: 80% of the type's internet baseline, in bytes per 5 minutes", () => {
    // c7gn.large: 6.25 Gbit/s baseline, capped at 5 Gbit/s through the internet gateway (2 vCPUs < 32).
    expect(saturatedBytesPerPeriod("c7gn.large")).toBe((5e9 * 0.8 * 300) / 8);
    // t4g.small: 0.128 Gbit/s baseline.
    expect(saturatedBytesPerPeriod("t4g.small")).toBe(Math.floor((0.128e9 * NETWORK_SATURATED_SHARE * 300) / 8));
    expect(byKey("turn-network", settings(), server({ instanceType: "t4g.small" })).threshold).toBe(3_840_000_000);
    // A type whose bandwidth turn-stack does not know gets no network alarm (rather than a made-up one).
    expect(saturatedBytesPerPeriod("r7g.large")).toBeUndefined();
    expect(serverAlarms(server({ instanceType: "r7g.large" }), settings()).some((a) => a.key.endsWith("network"))).toBe(false);
});

test("names: unique per stack, led by project and stack, within CloudWatch's 255 characters", () => {
    const all = stackAlarms([server(), server({ name: "turn-2", instanceId: "i-2", tls: false })], settings());
    expect(new Set(all.map((a) => a.key)).size).toBe(all.length);
    expect(new Set(all.map((a) => a.name)).size).toBe(all.length);
    for (const a of all) {
        expect(a.name.startsWith("turn-prod")).toBe(true);
        expect(a.name.length).toBeLessThanOrEqual(255);
        expect(Boolean(a.metric) !== Boolean(a.sum)).toBe(true);
    }
});

test("a fleet across regions: each region's alarms in that region, its egress alarm on its servers' share of the budget", () => {
    const servers = [server(), server({ name: "turn-2", instanceId: "i-2" }), server({ name: "turn-us", instanceId: "i-3", region: "us-east-1" })];
    const egress = egressAlarms(servers, settings({ monthlyEgressBudgetGb: 730 }));
    // 730 GB: 2^30 bytes per hour in all; the provider's region has 2 of 3 servers, us-east-1 one.
    expect(egress.map((a) => [a.key, a.region, a.threshold, a.sum!.length])).toEqual([
        ["stack-egress", undefined, Math.floor(2 ** 30 * (2 / 3)), 2],
        ["stack-egress-us-east-1", "us-east-1", Math.floor(2 ** 30 / 3), 1],
    ]);
    // EC2's alarms in the instance's region; the canary's where the canary publishes, the provider's region.
    const us = serverAlarms(servers[2], settings());
    expect(us.filter((a) => a.metric?.namespace === "AWS/EC2").map((a) => a.region)).toEqual(["us-east-1", "us-east-1", "us-east-1"]);
    expect(us.filter((a) => a.metric?.namespace !== "AWS/EC2").map((a) => [a.key, a.region])).toEqual(
        ["canary-udp-3478", "canary-tcp-3478", "canary-tls-5349", "canary-tls-443", "certificate"].map((k) => [`turn-us-${k}`, undefined]),
    );
    expect(serverAlarms(servers[0], settings()).every((a) => a.region === undefined)).toBe(true);
});
