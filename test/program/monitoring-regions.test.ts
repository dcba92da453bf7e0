/**
 * turn:aws:Monitoring given servers in two regions (a fleet, issue 16), constructed directly under
 * Pulumi's mocks: each region's alarms are declared with that region's provider and notify a topic
 * of their own region (CloudWatch alarms are regional); the egress budget is split by servers; the
 * dashboard reads each server's region. With the provider's region only, the children keep the
 * one-region names (test/program/monitoring.test.ts).
 */
import { test, expect, beforeAll } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockNewResource } from "../helpers/mock-program";
import { egressBytesPerHour } from "../../infra/alarms";

type Declared = { type: string; name: string; inputs: Record<string, any>; provider?: string };
const declared: Declared[] = [];

beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                declared.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
                return mockNewResource(args);
            },
            call(args) {
                // getRegion through the us-east-1 provider answers us-east-1 (the mocks see the provider reference).
                if (args.token === "aws:index/getRegion:getRegion" && String(args.provider ?? "").includes("monitoring-us-east-1")) return { id: "us-east-1", name: "us-east-1", region: "us-east-1" };
                return mockCall(args);
            },
        },
        "turn",
        "prod",
        false,
    );
    const aws = await import("@pulumi/aws");
    const { Monitoring } = await import("../../infra/components/monitoring");
    const us = new aws.Provider("monitoring-us-east-1", { region: "us-east-1" });
    new Monitoring("monitoring", {
        project: "turn",
        stack: "prod",
        servers: [
            { name: "turn", instanceId: "i-home", tls: true, instanceType: "c7gn.large" },
            { name: "turn-eu-west-1-b", instanceId: "i-home-2", tls: true, instanceType: "c7gn.large" },
            { name: "turn-us-east-1-a", instanceId: "i-us", tls: true, instanceType: "c7gn.large", region: "us-east-1", provider: us },
        ],
        monthlyEgressBudgetGb: 900,
        alarmEmail: "ops@example.com",
        egressCostBudget: true,
        canaryScheduleMinutes: 5,
    });
    await pulumi.runtime.disconnect();
});

const of = (type: string) => declared.filter((r) => r.type === type);
const onProvider = (r: Declared) => (r.provider ?? "").includes("monitoring-us-east-1");

test("a topic and an email subscription per region, the other region's on its provider", () => {
    expect(of("aws:sns/topic:Topic").map((r) => [r.name, onProvider(r)]).sort()).toEqual([["monitoring-alarms", false], ["monitoring-alarms-us-east-1", true]]);
    expect(of("aws:sns/topicSubscription:TopicSubscription").map((r) => [r.name, onProvider(r)]).sort()).toEqual([["monitoring-alarm-email", false], ["monitoring-alarm-email-us-east-1", true]]);
});

test("each server's EC2 alarms in its region, notifying its region's topic, rebooting with its region's ARN; its canary alarms where the canary publishes", () => {
    const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
    const usAlarms = alarms.filter((a) => a.name.includes("us-east-1"));
    expect(usAlarms.length).toBe(9); // 4 canary, certificate, status, CPU, network, and the region's egress alarm
    // The canary runs in the provider's region and publishes there (infra/canary/handler.ts AWS_REGION): its alarms for
    // every server are declared there too; EC2's metrics are in the instance's region.
    const canaryOf = (a: Declared) => /-(canary-[a-z]+-\d+|certificate)$/.test(a.name);
    expect(usAlarms.filter(canaryOf).length).toBe(5);
    for (const a of alarms) {
        const us = a.name.includes("us-east-1") && !canaryOf(a);
        expect(onProvider(a), a.name).toBe(us);
        expect(a.inputs.okActions, a.name).toEqual([`arn:aws:mock:eu-west-1:123456789012:monitoring-alarms${us ? "-us-east-1" : ""}`]);
    }
    const reboot = alarms.find((a) => a.name === "monitoring-turn-us-east-1-a-status-reboot")!;
    expect(reboot.inputs.alarmActions[1]).toBe("arn:aws:automate:us-east-1:ec2:reboot");
    expect(alarms.find((a) => a.name === "monitoring-turn-status-reboot")!.inputs.alarmActions[1]).toBe("arn:aws:automate:eu-west-1:ec2:reboot");
});

test("the egress budget split by servers: two thirds in the provider's region, one third in us-east-1", () => {
    const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
    const home = alarms.find((a) => a.name === "monitoring-stack-egress")!;
    const us = alarms.find((a) => a.name === "monitoring-stack-egress-us-east-1")!;
    expect(home.inputs.threshold).toBe(Math.floor((egressBytesPerHour(900) * 2) / 3));
    expect(us.inputs.threshold).toBe(Math.floor(egressBytesPerHour(900) / 3));
    expect(home.inputs.metricQueries.filter((q: { metric?: unknown }) => q.metric).map((q: any) => q.metric.dimensions.InstanceId)).toEqual(["i-home", "i-home-2"]);
    expect(us.inputs.metricQueries.filter((q: { metric?: unknown }) => q.metric).map((q: any) => q.metric.dimensions.InstanceId)).toEqual(["i-us"]);
});

test("one dashboard whose widgets read each server's region; one budget over both regions", () => {
    const [d] = of("aws:cloudwatch/dashboard:Dashboard");
    const widgets = JSON.parse(d.inputs.dashboardBody).widgets as { type: string; properties: { title?: string; region?: string } }[];
    const regions = (prefix: string) => new Set(widgets.filter((w) => w.type === "metric" && w.properties.title!.startsWith(prefix)).map((w) => w.properties.region));
    const ec2Regions = (prefix: string) =>
        new Set(widgets.filter((w) => w.type === "metric" && w.properties.title!.startsWith(prefix) && !/canary|certificate/.test(w.properties.title!)).map((w) => w.properties.region));
    expect(ec2Regions("turn-us-east-1-a:")).toEqual(new Set(["us-east-1"]));
    expect(regions("turn-us-east-1-a:")).toEqual(new Set(["us-east-1", "eu-west-1"])); // its canary widgets read the canary's region
    expect(regions("turn:")).toEqual(new Set(["eu-west-1"]));
    const [budget] = of("aws:budgets/budget:Budget");
    expect(budget.inputs.costFilters[1]).toEqual({ name: "Region", values: ["eu-west-1", "us-east-1"] });
});
