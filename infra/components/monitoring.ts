/**
 * `turn:aws:Monitoring`: who is told, and what they are told about (issue 14).
 *
 * Children (all named `${name}-...`):
 *  - an SNS topic every alarm notifies on ALARM and on OK, with an email subscription when
 *    `turn:alarmEmail` is set (AWS mails a confirmation link; nothing is delivered until it is
 *    clicked: SNS Developer Guide, "Email notifications");
 *  - the alarms of infra/alarms.ts, one `aws.cloudwatch.MetricAlarm` each: per server the canary per
 *    listener, the certificate, the instance status check (which also reboots), CPU and network
 *    saturation; per stack the egress budget (metric math over every server's NetworkOut);
 *  - the dashboard of infra/dashboard.ts;
 *  - with `turn:egressCostBudget`, an AWS Budgets budget on the region's EC2 internet data transfer
 *    cost (cost filter UsageTypeGroup "EC2: Data Transfer - Internet (Out)" and the Region; AWS
 *    Cost Management User Guide, "Creating a cost budget", filters), limited to the egress budget at
 *    AWS's prices (infra/capacity.ts egressBudgetUsd), mailing `turn:alarmEmail` at 80 % forecast and
 *    100 % actual. Optional because it is account-wide billing data (every instance of the account in
 *    that region counts, not only this stack's; per-stack needs a cost allocation tag activated in
 *    the management account), refreshes a few times a day, and the deploy roles need budgets:* rights.
 *    It mails the address directly rather than the topic: a topic policy for budgets.amazonaws.com
 *    would replace the topic's default policy that the alarms publish under.
 *
 * Takes a list of servers, so a fleet passes each one. CloudWatch alarms are regional and notify
 * topics of their own region, so a server in another region than the provider's comes with that
 * region's provider: its alarms, and a topic (and subscription) for that region, are declared with it,
 * and the egress budget is split between regions by servers. With servers in the provider's region
 * only (every stack today) the children are exactly those named above. The system-status recover
 * alarm stays in turn-server.ts (its URN predates this component).
 *
 * Sources: CloudWatch API Reference, PutMetricAlarm and PutDashboard; SNS API Reference, Subscribe;
 * AWS Budgets API Reference, CreateBudget; Pulumi AWS provider v7 API docs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { stackAlarms, type AlarmSpec } from "../alarms";
import { dashboardBody, dashboardName } from "../dashboard";
import { rebootActionArn } from "../aws-region";
import { egressBudgetUsd } from "../capacity";

/** AWS Budgets' usage type group for EC2 data transfer to the internet (Cost Explorer's "Usage Type Group" filter). */
export const EGRESS_USAGE_TYPE_GROUP = "EC2: Data Transfer - Internet (Out)";
/** Budget notifications: a forecast over 80 % of the month's limit, and the actual cost over 100 %. */
export const BUDGET_FORECAST_PERCENT = 80;

/** One server to watch. */
export interface MonitoringServer {
    /** The server's name in the stack (the canary's `Server` dimension), e.g. `turn`. */
    name: string;
    instanceId: pulumi.Input<string>;
    /** Whether it has TLS listeners (a domain). */
    tls: boolean;
    instanceType: string;
    /** For a server outside the provider's region: its region, and the provider that deploys there (both or neither). */
    region?: string;
    provider?: aws.Provider;
}

/** Arguments of {@link Monitoring}. */
export interface MonitoringArgs {
    project: string;
    stack: string;
    servers: MonitoringServer[];
    /** `turn:monthlyEgressBudgetGb`. */
    monthlyEgressBudgetGb: number;
    /** `turn:alarmEmail`: subscribed to the topic; the budget mails it too. */
    alarmEmail?: string;
    /** `turn:egressCostBudget` (needs alarmEmail; config.ts refuses it without). */
    egressCostBudget: boolean;
    /** `turn:canaryScheduleMinutes` when the canary runs, else undefined (no canary alarms or widgets). */
    canaryScheduleMinutes?: number;
    tags?: Record<string, string>;
}

/** The stack's alarms, alarm topic, dashboard and optional egress cost budget. */
export class Monitoring extends pulumi.ComponentResource {
    /** The SNS topic every alarm notifies. */
    readonly topicArn: pulumi.Output<string>;
    /** The dashboard's name (CloudWatch console, Dashboards). */
    readonly dashboardName: string;
    /** Every alarm's name. */
    readonly alarmNames: string[];
    /** The region the alarms are in (the provider's). */
    readonly region: pulumi.Output<string>;

    /**
     * @param name logical name; children are `${name}-<role>`
     * @throws Error for an empty server list (nothing to watch)
     */
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:aws:Monitoring", name, {}, opts);
        if (args.servers.length === 0) throw new Error("turn:aws:Monitoring needs at least one server");
        const parent = { parent: this };
        const tags = (role: string) => ({ ...args.tags, Name: `${name}-${role}` });
        const region = aws.getRegionOutput({}, parent).region;
        this.region = region;

        // Per region: its provider, a topic, and the email subscription (CloudWatch alarms notify topics in their own region).
        const regional = new Map<string | undefined, { opts: pulumi.CustomResourceOptions; region: pulumi.Output<string>; topicArn: pulumi.Output<string> }>();
        for (const server of args.servers) {
            if (regional.has(server.region)) continue;
            if ((server.region === undefined) !== (server.provider === undefined)) throw new Error(`server ${server.name}: give region and provider together, or neither`);
            const suffix = server.region === undefined ? "" : `-${server.region}`;
            const opts = { parent: this, ...(server.provider ? { provider: server.provider } : {}) };
            const topic = new aws.sns.Topic(`${name}-alarms${suffix}`, { tags: tags(`alarms${suffix}`) }, opts);
            if (args.alarmEmail) new aws.sns.TopicSubscription(`${name}-alarm-email${suffix}`, { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail }, opts);
            regional.set(server.region, { opts, region: server.provider ? aws.getRegionOutput({}, opts).region : region, topicArn: topic.arn });
        }
        this.topicArn = regional.get(args.servers[0].region)!.topicArn;

        const settings = { project: args.project, stack: args.stack, monthlyEgressBudgetGb: args.monthlyEgressBudgetGb, canaryScheduleMinutes: args.canaryScheduleMinutes };
        const specs = stackAlarms<pulumi.Input<string>>(args.servers, settings);
        const alarms = specs.map((spec) => {
            const r = regional.get(spec.region)!;
            return new aws.cloudwatch.MetricAlarm(`${name}-${spec.key}`, alarmArgs(spec, r.topicArn, r.region, tags(spec.key)), r.opts);
        });
        this.alarmNames = specs.map((s) => s.name);

        this.dashboardName = dashboardName(args.project, args.stack);
        new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: this.dashboardName,
                dashboardBody: pulumi
                    .all([region, pulumi.all(args.servers.map((s) => s.instanceId)), pulumi.all(alarms.map((a) => a.arn))])
                    .apply(([regionName, instanceIds, alarmArns]) =>
                        dashboardBody({
                            project: args.project,
                            stack: args.stack,
                            region: regionName,
                            servers: args.servers.map((s, i) => ({ name: s.name, instanceId: instanceIds[i], tls: s.tls, region: s.region })),
                            monthlyEgressBudgetGb: args.monthlyEgressBudgetGb,
                            canaryScheduleMinutes: args.canaryScheduleMinutes,
                            alarmArns,
                        }),
                    ),
            },
            parent,
        );

        if (args.egressCostBudget && args.alarmEmail) {
            const mail = { subscriberEmailAddresses: [args.alarmEmail] };
            new aws.budgets.Budget(
                `${name}-egress-budget`,
                {
                    name: `${args.project}-${args.stack}-egress`,
                    budgetType: "COST",
                    timeUnit: "MONTHLY",
                    limitAmount: egressBudgetUsd(args.monthlyEgressBudgetGb).toFixed(2),
                    limitUnit: "USD",
                    costFilters: [
                        { name: "UsageTypeGroup", values: [EGRESS_USAGE_TYPE_GROUP] },
                        { name: "Region", values: [...regional.values()].map((r) => r.region) },
                    ],
                    notifications: [
                        { comparisonOperator: "GREATER_THAN", threshold: BUDGET_FORECAST_PERCENT, thresholdType: "PERCENTAGE", notificationType: "FORECASTED", ...mail },
                        { comparisonOperator: "GREATER_THAN", threshold: 100, thresholdType: "PERCENTAGE", notificationType: "ACTUAL", ...mail },
                    ],
                    tags: tags("egress-budget"),
                },
                parent,
            );
        }

        this.registerOutputs({ topicArn: this.topicArn, dashboardName: this.dashboardName, alarmNames: this.alarmNames, region: this.region });
    }
}

/**
 * The MetricAlarm inputs of one definition: notify the topic on ALARM and on OK (so the all-clear is
 * told too), and reboot where the definition says so.
 */
function alarmArgs(spec: AlarmSpec<pulumi.Input<string>>, topicArn: pulumi.Output<string>, region: pulumi.Output<string>, tags: Record<string, string>): aws.cloudwatch.MetricAlarmArgs {
    const common = {
        name: spec.name,
        alarmDescription: spec.description,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator,
        treatMissingData: spec.treatMissingData,
        // Standard partition only (aws-region.ts); throws for any other region.
        alarmActions: spec.reboot ? [topicArn, region.apply(rebootActionArn)] : [topicArn],
        okActions: [topicArn],
        tags,
    };
    if (spec.metric) {
        return { ...common, namespace: spec.metric.namespace, metricName: spec.metric.metricName, dimensions: spec.metric.dimensions, statistic: spec.statistic, period: spec.period };
    }
    // Metric math: one query per server, summed; only the sum is returned to the alarm (PutMetricAlarm Metrics).
    const ids = spec.sum!.map((_, i) => `m${i}`);
    return {
        ...common,
        metricQueries: [
            ...spec.sum!.map((m, i) => ({
                id: ids[i],
                returnData: false,
                metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: spec.statistic, period: spec.period },
            })),
            { id: "total", expression: ids.join(" + "), label: `${spec.sum![0].metricName}, all servers`, returnData: true },
        ],
    };
}
