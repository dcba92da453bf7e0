/**
 * The stack's CloudWatch alarms (issue 14), as plain definitions that infra/components/monitoring.ts
 * turns into `aws.cloudwatch.MetricAlarm`s. Every threshold, period and count follows from config and
 * from the constants below, each with its reason; nothing here talks to AWS.
 *
 * Per server: the canary failing on a listener for {@link CANARY_FAILED_RUNS} runs in a row, the
 * TLS certificate closer than {@link CERT_MIN_DAYS} days to expiry, a failed instance status check
 * (rebooted), sustained CPU saturation and sustained network saturation. Per stack: egress above the
 * budget's hourly share, summed over every server (per region, with each region's share, for a
 * fleet across regions: alarms are regional).
 *
 * Missing data is chosen per alarm (CloudWatch User Guide, "Configuring how CloudWatch alarms treat
 * missing data"): see each definition's `treatMissingData` comment.
 *
 * Metric sources: the canary's own metrics (infra/canary-metrics.ts); EC2's `AWS/EC2` metrics with
 * basic monitoring, one data point per 5 minutes except the status checks, one per minute (EC2 User
 * Guide, "List the available CloudWatch metrics for your instances").
 *
 * Generic in the instance id type: pure code passes strings, the component passes Pulumi Outputs.
 * Pure: no `@pulumi/*` import.
 */
import { CANARY_DIMENSIONS, CANARY_METRICS, canaryNamespace } from "./canary-metrics";
import { egressBytesPerHour, HOURS_PER_MONTH, internetBaselineGbps, networkSpec } from "./capacity";
import { probeListenerSpec } from "./listeners";

/** The egress budget's hourly share (infra/capacity.ts, where the GB and the month are defined). */
export { egressBytesPerHour };

/** Runs in a row the canary must fail on a listener before its alarm fires: one failed run can be a lost packet; two in a row is an outage, told within two schedules. */
export const CANARY_FAILED_RUNS = 2;
/** The certificate alarm fires below this many days to expiry (issue 14; certbot renews at 30 days left, so 14 means renewal has failed for two weeks). */
export const CERT_MIN_DAYS = 14;
/** CPU saturation: average CPUUtilization at or above this percentage for {@link SATURATION_PERIODS} periods (coturn's relay threads busy; a larger type is the fix). */
export const CPU_SATURATED_PERCENT = 90;
/** Network saturation: NetworkOut above this share of the instance type's internet baseline (infra/capacity.ts) for {@link SATURATION_PERIODS} periods: near the sustained limit, before EC2 throttles to it. */
export const NETWORK_SATURATED_SHARE = 0.8;
/** Saturation alarms: this many 5-minute periods in a row (15 minutes: longer than a burst of call setups). */
export const SATURATION_PERIODS = 3;
/** EC2 basic monitoring publishes CPU and network metrics every 5 minutes: a shorter period would hold no data. */
export const BASIC_MONITORING_PERIOD_SECONDS = 300;
/** Status checks are published every minute; a reboot after 3 failed minutes in a row (the recover alarm in turn-server.ts takes 2 for the system check). */
export const STATUS_CHECK_PERIOD_SECONDS = 60;
export const STATUS_CHECK_FAILED_PERIODS = 3;
/** The egress alarm compares hourly sums (the budget's unit: per hour)... */
export const EGRESS_PERIOD_SECONDS = 3600;
/** ...and fires when this many hours in a row each exceed the budget's hourly share: a daily peak hour does not, a runaway does. */
export const EGRESS_OVER_BUDGET_HOURS = 3;

/** What CloudWatch does with a period that has no data (PutMetricAlarm TreatMissingData). */
export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";

/** One metric, as CloudWatch names it. */
export interface MetricRef<Id> {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string | Id>;
}

/** One alarm, in PutMetricAlarm's terms. */
export interface AlarmSpec<Id> {
    /** Unique per stack, for the resource name: `<server>-<what>` or `stack-<what>`. */
    key: string;
    /** AlarmName: the project and stack first, so one account's alarms sort by stack; readable in the notification's subject. */
    name: string;
    description: string;
    /** A single metric, or `sum` of several (metric math, one per server), never both. */
    metric?: MetricRef<Id>;
    sum?: MetricRef<Id>[];
    statistic: "Minimum" | "Maximum" | "Average" | "Sum";
    period: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    threshold: number;
    comparisonOperator: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold";
    treatMissingData: TreatMissingData;
    /** Also reboot the instance (arn:aws:automate:<region>:ec2:reboot, infra/aws-region.ts). */
    reboot: boolean;
    /** The region whose metrics it watches, where it must live (CloudWatch alarms are regional); undefined: the provider's. */
    region?: string;
}

/** A server as the alarms see it (a fleet passes one per server). */
export interface MonitoredServer<Id> {
    /** The server's name in the stack, e.g. `turn`: the canary's `Server` dimension. */
    name: string;
    instanceId: Id;
    /** Whether it has TLS listeners (a domain): they are probed, and the certificate is watched. */
    tls: boolean;
    instanceType: string;
    /** The server's AWS region when it is not the provider's (a fleet's other regions); undefined: the provider's. */
    region?: string;
}

/** What the alarms derive from. */
export interface AlarmSettings {
    project: string;
    stack: string;
    /** `turn:monthlyEgressBudgetGb`. */
    monthlyEgressBudgetGb: number;
    /** The canary's schedule (`turn:canaryScheduleMinutes`), or undefined without a canary: no canary alarms then. */
    canaryScheduleMinutes?: number;
}

/**
 * The canary alarm's window: one period per run (the schedule in seconds; CloudWatch takes any
 * multiple of 60) and {@link CANARY_FAILED_RUNS} periods, all of which must fail.
 * @throws RangeError for a schedule that is not a whole number of minutes from 1 to 60 (turn:canaryScheduleMinutes's range)
 */
export function canaryWindow(scheduleMinutes: number): { period: number; evaluationPeriods: number; datapointsToAlarm: number } {
    if (!Number.isInteger(scheduleMinutes) || scheduleMinutes < 1 || scheduleMinutes > 60) {
        throw new RangeError(`canary schedule ${scheduleMinutes} minutes: must be a whole number from 1 to 60`);
    }
    return { period: scheduleMinutes * 60, evaluationPeriods: CANARY_FAILED_RUNS, datapointsToAlarm: CANARY_FAILED_RUNS };
}

/** Bytes per {@link BASIC_MONITORING_PERIOD_SECONDS} at which NetworkOut counts as saturated, or undefined when the type's bandwidth is not in infra/capacity.ts. */
export function saturatedBytesPerPeriod(instanceType: string): number | undefined {
    const spec = networkSpec(instanceType);
    if (!spec) return undefined;
    return Math.floor((internetBaselineGbps(spec) * 1e9 * NETWORK_SATURATED_SHARE * BASIC_MONITORING_PERIOD_SECONDS) / 8);
}

/** The canary's listener names for a server: probe syntax, as the canary publishes them (listeners.ts probeListenerSpec). */
export function canaryListeners(tls: boolean): string[] {
    return probeListenerSpec(tls).split(",");
}

/** `udp:3478` → `udp-3478`, for resource names. */
const keyOf = (listener: string) => listener.replace(":", "-");

/**
 * The alarms of one server.
 * @param server the server (its instance id may be an Output)
 * @param s the settings
 */
export function serverAlarms<Id>(server: MonitoredServer<Id>, s: AlarmSettings): AlarmSpec<Id>[] {
    const prefix = `${s.project}-${s.stack} ${server.name}`;
    const ec2 = (metricName: string): MetricRef<Id> => ({ namespace: "AWS/EC2", metricName, dimensions: { InstanceId: server.instanceId } });
    const out: AlarmSpec<Id>[] = [];

    if (s.canaryScheduleMinutes !== undefined) {
        const window = canaryWindow(s.canaryScheduleMinutes);
        const namespace = canaryNamespace(s.project, s.stack);
        for (const listener of canaryListeners(server.tls)) {
            out.push({
                key: `${server.name}-canary-${keyOf(listener)}`,
                name: `${prefix}: canary failing on ${listener}`,
                description:
                    `The canary's TURN allocation on ${listener} failed ${CANARY_FAILED_RUNS} runs in a row (every ${s.canaryScheduleMinutes} min). ` +
                    "No data counts as failing: a canary that stops reporting proves nothing.",
                metric: { namespace, metricName: CANARY_METRICS.success, dimensions: { [CANARY_DIMENSIONS.server]: server.name, [CANARY_DIMENSIONS.listener]: listener } },
                statistic: "Minimum",
                ...window,
                threshold: 1,
                comparisonOperator: "LessThanThreshold",
                // Breaching: the canary not running (Lambda broken, schedule off) must be told too.
                treatMissingData: "breaching",
                reboot: false,
            });
        }
        if (server.tls) {
            out.push({
                key: `${server.name}-certificate`,
                name: `${prefix}: certificate expires in < ${CERT_MIN_DAYS} days`,
                description: `The TLS certificate the canary saw has fewer than ${CERT_MIN_DAYS} days left: certbot's renewal (at 30 days) has been failing.`,
                metric: { namespace, metricName: CANARY_METRICS.certificateDaysToExpiry, dimensions: { [CANARY_DIMENSIONS.server]: server.name } },
                statistic: "Minimum",
                period: window.period,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                threshold: CERT_MIN_DAYS,
                comparisonOperator: "LessThanThreshold",
                // Ignore: no reading when TLS is down says nothing about the certificate (the listener alarms tell that); keep the state.
                treatMissingData: "ignore",
                reboot: false,
            });
        }
    }

    out.push({
        key: `${server.name}-status-reboot`,
        name: `${prefix}: instance status check failed (rebooting)`,
        description: `EC2's instance status check failed ${STATUS_CHECK_FAILED_PERIODS} minutes in a row: the instance is rebooted (the system check's recovery is the separate recover alarm).`,
        metric: ec2("StatusCheckFailed_Instance"),
        statistic: "Maximum",
        period: STATUS_CHECK_PERIOD_SECONDS,
        evaluationPeriods: STATUS_CHECK_FAILED_PERIODS,
        datapointsToAlarm: STATUS_CHECK_FAILED_PERIODS,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        // Missing: a stopped or replaced instance publishes nothing; rebooting on no data would act on nothing (INSUFFICIENT_DATA instead).
        treatMissingData: "missing",
        reboot: true,
    });
    out.push({
        key: `${server.name}-cpu`,
        name: `${prefix}: CPU >= ${CPU_SATURATED_PERCENT}% for ${(SATURATION_PERIODS * BASIC_MONITORING_PERIOD_SECONDS) / 60} min`,
        description: `Average CPU at or above ${CPU_SATURATED_PERCENT}% for ${SATURATION_PERIODS} periods of 5 minutes: coturn is saturated; use a larger instance type.`,
        metric: ec2("CPUUtilization"),
        statistic: "Average",
        period: BASIC_MONITORING_PERIOD_SECONDS,
        evaluationPeriods: SATURATION_PERIODS,
        datapointsToAlarm: SATURATION_PERIODS,
        threshold: CPU_SATURATED_PERCENT,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        // Missing: no CPU data means no instance, which the status and canary alarms tell.
        treatMissingData: "missing",
        reboot: false,
    });
    const saturated = saturatedBytesPerPeriod(server.instanceType);
    if (saturated !== undefined) {
        out.push({
            key: `${server.name}-network`,
            name: `${prefix}: NetworkOut >= ${NETWORK_SATURATED_SHARE * 100}% of ${server.instanceType} baseline for ${(SATURATION_PERIODS * BASIC_MONITORING_PERIOD_SECONDS) / 60} min`,
            description:
                `Egress above ${NETWORK_SATURATED_SHARE * 100}% of the instance type's baseline bandwidth towards the internet (npm run capacity) for ` +
                `${SATURATION_PERIODS} periods of 5 minutes: the relay is near its sustained limit and will be throttled to it.`,
            metric: ec2("NetworkOut"),
            statistic: "Sum",
            period: BASIC_MONITORING_PERIOD_SECONDS,
            evaluationPeriods: SATURATION_PERIODS,
            datapointsToAlarm: SATURATION_PERIODS,
            threshold: saturated,
            comparisonOperator: "GreaterThanThreshold",
            // Not breaching: no data, no traffic.
            treatMissingData: "notBreaching",
            reboot: false,
        });
    }
    // EC2's metrics are in the instance's region; the canary's are where the canary runs, the provider's region
    // (infra/canary/handler.ts publishes to its own AWS_REGION), so its alarms stay there for every server.
    return out.map((a) => ({ ...a, region: a.metric?.namespace === "AWS/EC2" ? server.region : undefined }));
}

/**
 * The stack's egress alarms: NetworkOut summed over the servers of one region (an alarm's metric math
 * reads one region's metrics), per hour, above that region's share of the budget's hourly share
 * ({@link egressBytesPerHour} × its servers / all servers), for {@link EGRESS_OVER_BUDGET_HOURS} hours
 * in a row. One region (every stack today): one alarm, `stack-egress`, on the whole budget.
 * @throws RangeError when there is no server
 */
export function egressAlarms<Id>(servers: MonitoredServer<Id>[], s: AlarmSettings): AlarmSpec<Id>[] {
    if (servers.length === 0) throw new RangeError("the egress alarm needs at least one server");
    const regions = [...new Set(servers.map((x) => x.region))];
    return regions.map((region) => {
        const here = servers.filter((x) => x.region === region);
        const share = regions.length === 1 ? 1 : here.length / servers.length;
        const perHour = Math.floor(egressBytesPerHour(s.monthlyEgressBudgetGb) * share);
        const where = region === undefined ? "" : ` in ${region}`;
        const budget = share === 1 ? `turn:monthlyEgressBudgetGb ${s.monthlyEgressBudgetGb} GB` : `${here.length} of ${servers.length} servers' share of turn:monthlyEgressBudgetGb ${s.monthlyEgressBudgetGb} GB`;
        return {
            key: region === undefined ? "stack-egress" : `stack-egress-${region}`,
            name: `${s.project}-${s.stack}: egress${where} above budget (${s.monthlyEgressBudgetGb} GB/month)`,
            description:
                `Egress (NetworkOut, ${share === 1 ? "all servers" : `the servers${where}`}) above ${perHour} bytes per hour (${budget} of 2^30 bytes / ${HOURS_PER_MONTH} h) ` +
                `for ${EGRESS_OVER_BUDGET_HOURS} hours in a row: at this rate the month's egress budget runs out.`,
            sum: here.map((server) => ({ namespace: "AWS/EC2", metricName: "NetworkOut", dimensions: { InstanceId: server.instanceId } })),
            statistic: "Sum",
            period: EGRESS_PERIOD_SECONDS,
            evaluationPeriods: EGRESS_OVER_BUDGET_HOURS,
            datapointsToAlarm: EGRESS_OVER_BUDGET_HOURS,
            threshold: perHour,
            comparisonOperator: "GreaterThanThreshold",
            // Not breaching: an hour without data sent nothing.
            treatMissingData: "notBreaching",
            reboot: false,
            region,
        };
    });
}

/** Every alarm of the stack: each server's, then the egress alarm. */
export function stackAlarms<Id>(servers: MonitoredServer<Id>[], s: AlarmSettings): AlarmSpec<Id>[] {
    return [...servers.flatMap((server) => serverAlarms(server, s)), ...egressAlarms(servers, s)];
}
