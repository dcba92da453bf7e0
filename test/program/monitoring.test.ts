/**
 * turn:aws:Monitoring in the real program under Pulumi's mocks (test/helpers/dump-program.ts, one
 * process per config): the SNS topic, the optional email subscription, one alarm per definition of
 * infra/alarms.ts with its actions, the dashboard over the real instance id and alarm ARNs, the
 * optional AWS Budgets budget, and nothing of it in cloudflare mode or before a config error.
 */
import { test, expect, beforeAll } from "vitest";
import { programJsonAsync, type ProgramRun } from "../helpers/program-json";
import { MOCK_REGION } from "../helpers/mock-program";
import { egressBytesPerHour } from "../../infra/alarms";

const TOPIC_ARN = `arn:aws:mock:${MOCK_REGION}:123456789012:monitoring-alarms`;
const INSTANCE_ID = "turn-instance-id";
const EMAIL = "ops@example.com";
const CLOUDFLARE = { "turn:cloudflareAccountId": "00112233445566778899aabbccddeeff", "cloudflare:apiToken": "token" };

let prod: ProgramRun;
let prodMailed: ProgramRun;
let devNoCanary: ProgramRun;
let cloudflare: ProgramRun;
beforeAll(async () => {
    [prod, prodMailed, devNoCanary, cloudflare] = await Promise.all([
        programJsonAsync("prod"),
        programJsonAsync("prod", { "turn:alarmEmail": EMAIL, "turn:egressCostBudget": "true", "turn:monthlyEgressBudgetGb": "2000" }),
        programJsonAsync("dev", { "turn:canary": "false" }),
        programJsonAsync("dev", { ...CLOUDFLARE, "turn:mode": "cloudflare" }),
    ]);
});

const ofType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const alarms = (run: ProgramRun) => ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((r) => r.parent === "monitoring");
const alarm = (run: ProgramRun, name: string) => {
    const a = alarms(run).find((r) => r.name === name);
    if (!a) throw new Error(`no alarm ${name} among ${alarms(run).map((r) => r.name).join(", ")}`);
    return a.inputs;
};

test("one turn:aws:Monitoring with its topic, alarms and dashboard as children; no subscription or budget by default", () => {
    expect(ofType(prod, "turn:aws:Monitoring").map((r) => r.name)).toEqual(["monitoring"]);
    for (const t of ["aws:sns/topic:Topic", "aws:cloudwatch/dashboard:Dashboard"]) {
        expect(ofType(prod, t).map((r) => [r.name, r.parent])).toEqual([[t.endsWith("Topic") ? "monitoring-alarms" : "monitoring-dashboard", "monitoring"]]);
    }
    expect(ofType(prod, "aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
    expect(ofType(prod, "aws:budgets/budget:Budget")).toEqual([]);
    // The server's recover alarm is unchanged, still the server's own child.
    expect(ofType(prod, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((r) => r.parent === "turn").map((r) => r.name)).toEqual(["turn-recover"]);
});

test("prod (TLS, canary on): canary per listener, certificate, status reboot, CPU, network, egress", () => {
    expect(alarms(prod).map((r) => r.name).sort()).toEqual(
        [
            "monitoring-stack-egress",
            "monitoring-turn-canary-tcp-3478",
            "monitoring-turn-canary-tls-443",
            "monitoring-turn-canary-tls-5349",
            "monitoring-turn-canary-udp-3478",
            "monitoring-turn-certificate",
            "monitoring-turn-cpu",
            "monitoring-turn-network",
            "monitoring-turn-status-reboot",
        ].sort(),
    );
    const canary = alarm(prod, "monitoring-turn-canary-tls-443");
    expect(canary).toMatchObject({ namespace: "TurnStack/turn/prod", metricName: "ListenerSuccess", dimensions: { Server: "turn", Listener: "tls:443" }, period: 300, evaluationPeriods: 2 });
    expect(alarm(prod, "monitoring-turn-certificate")).toMatchObject({ threshold: 14, comparisonOperator: "LessThanThreshold" });
});

test("every alarm tells the topic on ALARM and OK; only the status check also reboots, in the stack's region", () => {
    for (const { inputs } of alarms(prod)) {
        expect(inputs.okActions).toEqual([TOPIC_ARN]);
        expect(inputs.alarmActions[0]).toBe(TOPIC_ARN);
    }
    const status = alarm(prod, "monitoring-turn-status-reboot");
    expect(status.alarmActions).toEqual([TOPIC_ARN, `arn:aws:automate:${MOCK_REGION}:ec2:reboot`]);
    expect(status).toMatchObject({ metricName: "StatusCheckFailed_Instance", dimensions: { InstanceId: INSTANCE_ID } });
    expect(alarms(prod).filter((a) => a.inputs.alarmActions.length > 1).map((a) => a.name)).toEqual(["monitoring-turn-status-reboot"]);
});

test("the egress alarm sums every server's NetworkOut per hour against the budget's hourly share", () => {
    const e = alarm(prodMailed, "monitoring-stack-egress");
    expect(e.threshold).toBe(egressBytesPerHour(2000));
    expect(e.metricQueries).toEqual([
        { id: "m0", returnData: false, metric: { namespace: "AWS/EC2", metricName: "NetworkOut", dimensions: { InstanceId: INSTANCE_ID }, stat: "Sum", period: 3600 } },
        { id: "total", expression: "m0", label: "NetworkOut, all servers", returnData: true },
    ]);
    expect(e.metricName).toBeUndefined();
});

test("dev without a canary: no canary or certificate alarms; t4g.small's network alarm at 80% of 0.128 Gbit/s", () => {
    expect(alarms(devNoCanary).map((r) => r.name).sort()).toEqual(["monitoring-stack-egress", "monitoring-turn-cpu", "monitoring-turn-network", "monitoring-turn-status-reboot"]);
    expect(alarm(devNoCanary, "monitoring-turn-network").threshold).toBe(3_840_000_000);
});

test("the dashboard shows the real instance and every alarm of the stack", () => {
    const [d] = ofType(prod, "aws:cloudwatch/dashboard:Dashboard");
    expect(d.inputs.dashboardName).toBe("turn-prod");
    const body = JSON.parse(d.inputs.dashboardBody);
    const alarmWidget = body.widgets.find((w: { type: string }) => w.type === "alarm");
    expect(alarmWidget.properties.alarms.sort()).toEqual(alarms(prod).map((a) => `arn:aws:mock:${MOCK_REGION}:123456789012:${a.name}`).sort());
    expect(d.inputs.dashboardBody).toContain(`"InstanceId","${INSTANCE_ID}"`);
    expect(body.widgets.every((w: { type: string; properties: { region?: string } }) => w.type !== "metric" || w.properties.region === MOCK_REGION)).toBe(true);
});

test("with turn:alarmEmail and turn:egressCostBudget: an email subscription and a monthly egress cost budget mailing it", () => {
    const [sub] = ofType(prodMailed, "aws:sns/topicSubscription:TopicSubscription");
    expect(sub.inputs).toMatchObject({ topic: TOPIC_ARN, protocol: "email", endpoint: EMAIL });
    const [budget] = ofType(prodMailed, "aws:budgets/budget:Budget");
    expect(budget.parent).toBe("monitoring");
    expect(budget.inputs).toMatchObject({
        name: "turn-prod-egress",
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitUnit: "USD",
        // 2000 GB at $0.09 (first tier, no free allowance).
        limitAmount: "180.00",
        costFilters: [
            { name: "UsageTypeGroup", values: ["EC2: Data Transfer - Internet (Out)"] },
            { name: "Region", values: [MOCK_REGION] },
        ],
    });
    expect(budget.inputs.notifications.map((n: Record<string, unknown>) => [n.notificationType, n.threshold, n.subscriberEmailAddresses])).toEqual([
        ["FORECASTED", 80, [EMAIL]],
        ["ACTUAL", 100, [EMAIL]],
    ]);
});

test("every taggable monitoring resource carries the stack's tags", () => {
    const taggable = prodMailed.resources.filter((r) => r.parent === "monitoring" && ["aws:sns/topic:Topic", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:budgets/budget:Budget"].includes(r.type));
    expect(taggable.length).toBeGreaterThan(9);
    for (const r of taggable) expect(r.inputs.tags, r.name).toMatchObject({ "turn-stack:project": "turn", "turn-stack:stack": "prod" });
});

test("cloudflare mode has no own server and so no monitoring", () => {
    expect(cloudflare.resources.some((r) => r.type === "turn:aws:Monitoring" || r.parent === "monitoring")).toBe(false);
});

test("a bad alarm email or budget stops the program before any resource is declared, naming key and value", async () => {
    await expect(programJsonAsync("prod", { "turn:alarmEmail": "ops at example.com", "turn:monthlyEgressBudgetGb": "0" })).rejects.toThrow(
        /turn:alarmEmail = "ops at example\.com": must be an email address[\s\S]*turn:monthlyEgressBudgetGb = 0: must be a positive whole number[\s\S]*resources declared before the failure: \[\]/,
    );
});
