/** The relay port range (infra/port-range.ts): one value, its rules, and the kernel's ephemeral ports kept out of it. */
import { test, expect } from "vitest";
import fc from "fast-check";
import {
    KERNEL_EPHEMERAL_PORT_RANGE,
    MIN_EPHEMERAL_PORTS,
    MIN_UNPRIVILEGED_PORT,
    PortRange,
    checkRelayPortRange,
    ephemeralPortRange,
} from "../../infra/port-range";
import { COTURN_LISTENING_PORTS } from "../../infra/listeners";
import { parse } from "yaml";
import { parseTurnConfig } from "../../infra/config";
import { renderUserData } from "../../infra/user-data";
import { VM_PATHS } from "../../infra/cloud-init";

const NAMES = { min: "turn:relayMinPort", max: "turn:relayMaxPort" };

test("PortRange: only whole-number ranges of ports; size, contains, overlaps, text", () => {
    const r = PortRange.of(49152, 65535);
    expect(r.size).toBe(16384);
    expect(r.contains(49152) && r.contains(65535) && !r.contains(49151)).toBe(true);
    expect(r.overlaps(PortRange.of(65535, 65535))).toBe(true);
    expect(r.overlaps(PortRange.of(32768, 49151))).toBe(false);
    expect(String(r)).toBe("49152-65535");
    expect(JSON.parse(JSON.stringify(r))).toEqual({ min: 49152, max: 65535 });
    for (const [a, b] of [[2, 1], [0.5, 10], [0, 65536], [-1, 5]]) expect(() => PortRange.of(a, b)).toThrow(RangeError);
});

test("ephemeral ports: prod/dev's relay range keeps what turn-stack always rendered (32768-49151)", () => {
    expect(String(ephemeralPortRange(PortRange.of(49152, 65535)))).toBe("32768-49151");
    // Below the kernel default: the range above it, as before.
    expect(String(ephemeralPortRange(PortRange.of(10000, 20000)))).toBe("20001-60999");
});

test("ephemeral ports: relay ranges that used to leave the kernel default overlapping them get a range clear of them", () => {
    // 8d09650 rendered no ip_local_port_range for these: the kernel's 32768-60999 overlapped the relay range.
    expect(String(ephemeralPortRange(PortRange.of(10000, 65535)))).toBe("5350-9999");
    expect(String(ephemeralPortRange(PortRange.of(33000, 65535)))).toBe("5350-32999");
    // 8d09650 rendered 2001-60999 here, which holds the listening ports 3478 and 5349.
    expect(String(ephemeralPortRange(PortRange.of(1024, 2000)))).toBe("5350-65535");
});

test("validator rule: a relay range leaving no run of MIN_EPHEMERAL_PORTS ports is refused, naming both keys", () => {
    const { problems } = checkRelayPortRange(1024, 65535, NAMES);
    const line = problems.find((p) => p.allowed.includes("ephemeral"));
    expect(line?.end).toBe("min");
    expect(line?.allowed).toMatch(/relay range 1024-65535 \(turn:relayMinPort to turn:relayMaxPort\) leaves no run of 1000 ports/);
    expect(ephemeralPortRange(PortRange.of(1024, 65535))).toBeUndefined();
});

test("property: any relay range the rules accept yields an ephemeral range disjoint from it and the listening ports, >= MIN_EPHEMERAL_PORTS", () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    // Also near the edges that matter: the kernel default's ends and the listening ports.
    const edge = fc.constantFrom(1024, 3477, 3479, 5348, 5350, 32767, 32768, 33768, 33769, 59999, 60999, 61000, 65535 - 127, 65535);
    const edgy = fc.tuple(edge, fc.integer({ min: 0, max: 40000 })).map(([a, span]) => [a, Math.min(65535, a + span)] as const);
    fc.assert(
        fc.property(fc.oneof(range, edgy), ([min, max]) => {
            const { range: relay, problems } = checkRelayPortRange(min, max, NAMES);
            if (problems.length > 0) return;
            const e = ephemeralPortRange(relay!)!;
            expect(e.size).toBeGreaterThanOrEqual(MIN_EPHEMERAL_PORTS);
            expect(e.overlaps(relay!)).toBe(false);
            expect(e.min).toBeGreaterThanOrEqual(MIN_UNPRIVILEGED_PORT); // the kernel refuses less (ip-sysctl.rst)
            expect(COTURN_LISTENING_PORTS.some((p) => e.contains(p))).toBe(false);
        }),
        { numRuns: 5000 },
    );
});

test("the kernel default is Linux's 32768-60999", () => {
    expect(String(KERNEL_EPHEMERAL_PORT_RANGE)).toBe("32768-60999");
});

test("the user data's sysctl: always rendered, clear of the relay range (8d09650 rendered none for 10000-65535 and 33000-65535)", () => {
    for (const [min, max, expected] of [
        [49152, 65535, "32768 49151"], // prod and dev: what turn-stack always rendered
        [10000, 65535, "5350 9999"],
        [33000, 65535, "5350 32999"],
        [20000, 40000, "40001 60999"],
    ] as const) {
        const cfg = parseTurnConfig({ "turn:relayMinPort": String(min), "turn:relayMaxPort": String(max), "turn:totalQuota": "128" }, {});
        const userData = renderUserData(cfg, { privateIp: "10.73.0.10", publicIp: "203.0.113.10", region: "eu-west-1", secretParameterName: "/turn-stack/turn/t/static-auth-secret" });
        const sysctl = (parse(userData) as { write_files: { path: string; content: string }[] }).write_files.find((f) => f.path === VM_PATHS.sysctl)!.content;
        const lines = sysctl.split("\n").filter((l) => l.startsWith("net.ipv4.ip_local_port_range"));
        expect(lines).toEqual([`net.ipv4.ip_local_port_range = ${expected}`]);
        const [lo, hi] = expected.split(" ").map(Number);
        expect(PortRange.of(lo, hi).overlaps(cfg.relayPortRange)).toBe(false);
    }
});
