/**
 * infra/dashboard.ts: the body follows CloudWatch's Dashboard Body Structure (widgets on a 24-column
 * grid, metric arrays, horizontal annotations, alarm widgets of at most 100 ARNs), shows what issue 14
 * asks for, derives its lines from config, and is the same bytes for the same input.
 */
import { test, expect } from "vitest";
import { dashboardBody, dashboardName, DASHBOARD_LIMITS, type DashboardInput } from "../../infra/dashboard";
import { CERT_MIN_DAYS, CPU_SATURATED_PERCENT, egressBytesPerHour } from "../../infra/alarms";
import { canaryNamespace } from "../../infra/canary-metrics";

const input = (o: Partial<DashboardInput> = {}): DashboardInput => ({
    project: "turn",
    stack: "prod",
    region: "eu-west-1",
    servers: [{ name: "turn", instanceId: "i-0123456789abcdef0", tls: true }],
    monthlyEgressBudgetGb: 1000,
    canaryScheduleMinutes: 5,
    alarmArns: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:b"],
    ...o,
});
type W = { type: string; x: number; y: number; width: number; height: number; properties: any };
const widgets = (d: DashboardInput): W[] => JSON.parse(dashboardBody(d)).widgets;
const titled = (ws: W[], part: string) => ws.filter((w) => String(w.properties.title ?? "").includes(part));

test("every widget is placed on the 24-column grid, without overlap, with a type CloudWatch knows", () => {
    const ws = widgets(input({ servers: [input().servers[0], { name: "turn-2", instanceId: "i-2", tls: false }] }));
    const cells = new Set<string>();
    for (const w of ws) {
        expect(["metric", "alarm", "text"]).toContain(w.type);
        expect(w.x + w.width).toBeLessThanOrEqual(24);
        expect(w.width).toBeGreaterThan(0);
        for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
            expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
        }
        if (w.type === "metric") expect(w.properties.region).toBe("eu-west-1");
    }
});

test("canary success and latency per listener, from the canary's namespace, at the schedule's period", () => {
    const ws = widgets(input({ canaryScheduleMinutes: 10 }));
    const [success] = titled(ws, "canary success");
    const [latency] = titled(ws, "canary latency");
    const listenersOf = (w: W) => w.properties.metrics.map((m: unknown[]) => m[5]);
    expect(listenersOf(success)).toEqual(["udp:3478", "tcp:3478", "tls:5349", "tls:443"]);
    expect(listenersOf(latency)).toEqual(["udp:3478", "tcp:3478", "tls:5349", "tls:443"]);
    expect(success.properties.metrics[0].slice(0, 6)).toEqual([canaryNamespace("turn", "prod"), "ListenerSuccess", "Server", "turn", "Listener", "udp:3478"]);
    expect(latency.properties.metrics[0][1]).toBe("ListenerLatency");
    expect(success.properties.period).toBe(600);
    // Without a canary there is nothing to draw.
    expect(titled(widgets(input({ canaryScheduleMinutes: undefined })), "canary")).toEqual([]);
});

test("NetworkIn and NetworkOut per hour with the egress budget as a horizontal line", () => {
    const [net] = titled(widgets(input({ monthlyEgressBudgetGb: 250 })), "network per hour");
    expect(net.properties.metrics.map((m: unknown[]) => m[1])).toEqual(["NetworkIn", "NetworkOut"]);
    expect(net.properties.metrics[0].slice(0, 4)).toEqual(["AWS/EC2", "NetworkIn", "InstanceId", "i-0123456789abcdef0"]);
    expect(net.properties).toMatchObject({ stat: "Sum", period: 3600 });
    expect(net.properties.annotations.horizontal).toEqual([{ label: expect.stringContaining("250 GB/month"), value: egressBytesPerHour(250) }]);
});

test("CPU with the saturation line, certificate days with the alarm line (TLS only)", () => {
    const ws = widgets(input());
    const [cpu] = titled(ws, "CPU");
    expect(cpu.properties.metrics[0].slice(0, 4)).toEqual(["AWS/EC2", "CPUUtilization", "InstanceId", "i-0123456789abcdef0"]);
    expect(cpu.properties.annotations.horizontal[0].value).toBe(CPU_SATURATED_PERCENT);
    const [cert] = titled(ws, "certificate");
    expect(cert.properties.annotations.horizontal[0].value).toBe(CERT_MIN_DAYS);
    expect(titled(widgets(input({ servers: [{ name: "turn", instanceId: "i-1", tls: false }] })), "certificate")).toEqual([]);
});

test("the alarm status widget lists every alarm, at most 100 per widget", () => {
    const ws = widgets(input());
    expect(ws.filter((w) => w.type === "alarm").map((w) => w.properties.alarms)).toEqual([input().alarmArns]);
    const many = Array.from({ length: 150 }, (_, i) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a${i}`);
    const split = widgets(input({ alarmArns: many })).filter((w) => w.type === "alarm");
    expect(split.map((w) => w.properties.alarms.length)).toEqual([DASHBOARD_LIMITS.alarmsPerWidget, 50]);
    expect(split.flatMap((w) => w.properties.alarms)).toEqual(many);
});

test("same input, same bytes; a fleet far past CloudWatch's limits is refused", () => {
    expect(dashboardBody(input())).toBe(dashboardBody(input()));
    const fleet = Array.from({ length: 300 }, (_, i) => ({ name: `turn-${i}`, instanceId: `i-${i}`, tls: true }));
    expect(() => dashboardBody(input({ servers: fleet }))).toThrow(/CloudWatch allows 500 and 2500/);
});

test("the dashboard name keeps to PutDashboard's characters", () => {
    expect(dashboardName("turn", "prod")).toBe("turn-prod");
    expect(dashboardName("turn", "pr-12.x")).toMatch(/^[A-Za-z0-9_-]+$/);
});

test("a server in another region: its EC2 widgets read that region's metrics, its canary widgets the canary's (the dashboard's region)", () => {
    const ws = widgets(input({ servers: [input().servers[0], { name: "turn-us", instanceId: "i-9", tls: true, region: "us-east-1" }] }));
    const regionsOf = (name: string, canary: boolean) =>
        new Set(ws.filter((w) => w.type === "metric" && String(w.properties.title).startsWith(`${name}:`) && /canary|certificate/.test(String(w.properties.title)) === canary).map((w) => w.properties.region));
    expect(regionsOf("turn", false)).toEqual(new Set(["eu-west-1"]));
    expect(regionsOf("turn", true)).toEqual(new Set(["eu-west-1"]));
    expect(regionsOf("turn-us", false)).toEqual(new Set(["us-east-1"]));
    // The canary publishes where it runs (infra/canary/handler.ts, its AWS_REGION): the provider's region.
    expect(regionsOf("turn-us", true)).toEqual(new Set(["eu-west-1"]));
});
