/**
 * infra/capacity.ts: the streams a type relays come from its baseline (never its burst), capped by
 * the internet gateway rule; egress and its monthly cost on AWS's tiers and Cloudflare's, one test per
 * derived number, worked out by hand in the comments.
 */
import { test, expect } from "vitest";
import {
    AWS_EGRESS,
    BYTES_PER_GB,
    CLOUDFLARE_TURN_EGRESS,
    FIGURES_DATE,
    HOURS_PER_MONTH,
    NETWORK_SPECS,
    egressBudgetUsd,
    egressGb,
    internetBaselineGbps,
    monthlyCostUsd,
    networkSpec,
    streamsAtBitrate,
} from "../../infra/capacity";
import { instanceTypeInfo } from "../../infra/instance-types";

test("the defaults' figures: t4g.small 0.128 Gbit/s baseline (burst 5), c7gn.large 6.25 (burst 30)", () => {
    expect(networkSpec("t4g.small")).toEqual({ baselineGbps: 0.128, burstGbps: 5, vcpus: 2 });
    expect(networkSpec("c7gn.large")).toEqual({ baselineGbps: 6.25, burstGbps: 30, vcpus: 2 });
    expect(networkSpec("x9.large")).toBeUndefined();
    expect(networkSpec("t4g.huge")).toBeUndefined();
});

test("every tabled type is one turn-stack can deploy, with baseline ≤ burst", () => {
    for (const [family, sizes] of Object.entries(NETWORK_SPECS)) {
        for (const [size, s] of Object.entries(sizes)) {
            expect(instanceTypeInfo(`${family}.${size}`), `${family}.${size}`).toBeDefined();
            expect(s.baselineGbps).toBeLessThanOrEqual(s.burstGbps);
            expect(s.baselineGbps).toBeGreaterThan(0);
        }
    }
});

test("usable towards the internet: the baseline, at most 5 Gbit/s below 32 vCPUs, else max(5, half)", () => {
    expect(internetBaselineGbps(networkSpec("t4g.small")!)).toBe(0.128);
    expect(internetBaselineGbps(networkSpec("c7gn.large")!)).toBe(5); // 6.25 capped at 5 (2 vCPUs)
    expect(internetBaselineGbps(networkSpec("c7gn.8xlarge")!)).toBe(50); // 32 vCPUs: half of 100
    expect(internetBaselineGbps({ baselineGbps: 8, burstGbps: 8, vcpus: 32 })).toBe(5); // half is 4: 5 is larger
});

test("streams at a bitrate: usable bandwidth / bitrate, rounded down (each direction has its own bandwidth)", () => {
    // t4g.small at 1500 kbit/s: 128,000 kbit/s / 1500 = 85.3 → 85.
    expect(streamsAtBitrate(0.128, 1500)).toBe(85);
    // c7gn.large at 1500 kbit/s: 5,000,000 / 1500 = 3333.3 → 3333.
    expect(streamsAtBitrate(5, 1500)).toBe(3333);
    // Burst is not capacity: t4g.small's 5 Gbit/s would claim 3333 too.
    expect(streamsAtBitrate(internetBaselineGbps(networkSpec("t4g.small")!), 1500)).not.toBe(streamsAtBitrate(5, 1500));
    for (const bad of [0, -1, NaN, Infinity]) expect(() => streamsAtBitrate(5, bad)).toThrow(RangeError);
});

test("egress: each relayed stream leaves once; GB of 2^30 bytes", () => {
    expect(BYTES_PER_GB).toBe(1073741824);
    // One 1500 kbit/s stream for an hour: 1.5e6 / 8 × 3600 = 675,000,000 bytes = 0.6286 GB.
    expect(egressGb(1, 1500, 1)).toBeCloseTo(675_000_000 / 2 ** 30, 10);
    // 10 streams all month (730 h).
    expect(egressGb(10, 1500, HOURS_PER_MONTH)).toBeCloseTo((10 * 675_000_000 * 730) / 2 ** 30, 6);
});

test("AWS cost: 100 GB free, then $0.09 for the first 10 TB, $0.085 for the next 40 TB, ...", () => {
    expect(monthlyCostUsd(100, AWS_EGRESS)).toBe(0);
    expect(monthlyCostUsd(1100, AWS_EGRESS)).toBeCloseTo(90, 10); // 1000 billable × 0.09
    // 20,580 GB: 100 free, 10,240 at 0.09 = 921.6, 10,240 at 0.085 = 870.4 → 1792.
    expect(monthlyCostUsd(100 + 10_240 + 10_240, AWS_EGRESS)).toBeCloseTo(921.6 + 870.4, 6);
    // 200 TB: 10 TB × 0.09 + 40 TB × 0.085 + 100 TB × 0.07 + (200 − 150) TB less 100 GB × 0.05.
    const gb = 200 * 1024;
    expect(monthlyCostUsd(gb, AWS_EGRESS)).toBeCloseTo(10_240 * 0.09 + 40_960 * 0.085 + 102_400 * 0.07 + (gb - 100 - 153_600) * 0.05, 6);
    expect(() => monthlyCostUsd(-1, AWS_EGRESS)).toThrow(RangeError);
});

test("Cloudflare cost: 1,000 GB free, then $0.05/GB", () => {
    expect(monthlyCostUsd(1000, CLOUDFLARE_TURN_EGRESS)).toBe(0);
    expect(monthlyCostUsd(3000, CLOUDFLARE_TURN_EGRESS)).toBeCloseTo(100, 10);
    // The comparison: 1 TB of egress is $81 on AWS (924 billable GB × 0.09 after 100 free), $0 on Cloudflare.
    expect(monthlyCostUsd(1024, AWS_EGRESS)).toBeCloseTo(924 * 0.09, 10);
});

test("the AWS Budgets limit: the budget's GB at AWS's tiers without the free 100 GB, up to the cent", () => {
    expect(egressBudgetUsd(1000)).toBe(90);
    expect(egressBudgetUsd(1)).toBe(0.09);
    expect(egressBudgetUsd(11_000)).toBeCloseTo(10_240 * 0.09 + 760 * 0.085, 2); // 921.6 + 64.6 = 986.2
});

test("every price list and the bandwidth table cite a source and a date", () => {
    for (const p of [AWS_EGRESS, CLOUDFLARE_TURN_EGRESS]) {
        expect(p.source).toMatch(/^https:\/\/(aws\.amazon\.com|developers\.cloudflare\.com)\//);
        expect(p.date).toBe(FIGURES_DATE);
    }
    expect(FIGURES_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});

test("the report: streams per server and in all, the budget's hourly share and what it buys, prices of budget, full load and usage", async () => {
    const { capacityReport } = await import("../../infra/capacity");
    const r = capacityReport({ servers: [{ name: "a", instanceType: "t4g.small" }, { name: "b", instanceType: "x9.large" }], region: "eu-west-1", bitrateKbps: 1500, monthlyEgressBudgetGb: 1000, usageGb: 5000 });
    expect(r.servers.map((s) => [s.name, s.baselineFrom, s.streams])).toEqual([["a", "table", 85], ["b", "unknown", undefined]]);
    expect(r.totalStreams).toBe(85);
    // One 1500 kbit/s stream-month is 675,000,000 B/h × 730 h = 458.9 GB: 1000 GB buys 2.18 streams around the clock.
    expect(r.budget!.streamsAroundTheClock).toBeCloseTo(1000 / ((675_000_000 * 730) / 2 ** 30), 10);
    expect(r.budget!.bytesPerHour).toBe(1_470_879_210);
    expect(r.priced.map((p) => p.label)).toEqual(["the egress budget (turn:monthlyEgressBudgetGb)", "every server at its baseline all month (85 streams × 730 h)", "the given usage"]);
    expect(r.priced[1].gb).toBeCloseTo(egressGb(85, 1500, 730), 10);
    expect(r.awsPricesForRegion).toBe(true);
    expect(capacityReport({ servers: [], region: "ap-southeast-1", bitrateKbps: 1500 })).toMatchObject({ budget: undefined, priced: [], awsPricesForRegion: false });
    // An override replaces the table's baseline (for a type it lacks).
    expect(capacityReport({ servers: [{ name: "b", instanceType: "x9.large", baselineGbps: 0.5 }], bitrateKbps: 1000 }).servers[0]).toMatchObject({ baselineFrom: "override", streams: 500 });
});
