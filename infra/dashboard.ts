/**
 * The stack's CloudWatch dashboard body (issue 14): a JSON document in the shape of the CloudWatch
 * API Reference, "Dashboard Body Structure and Syntax" (`widgets`: each with `type`, `x`, `y`,
 * `width`, `height` on a 24-column grid, and `properties`; metric widgets list metrics as
 * `[Namespace, MetricName, DimensionName, DimensionValue, ..., {rendering options}]`, with
 * `annotations.horizontal` for fixed lines; alarm widgets list 1 to 100 alarm ARNs).
 *
 * Widgets, top to bottom: a note that the dashboard is managed by Pulumi (the PutDashboard docs
 * advise one), the alarms' states, then per server: canary success and latency per listener,
 * NetworkIn and NetworkOut per hour against the egress budget line, CPU against the saturation line,
 * and with TLS the certificate's days to expiry against its alarm line.
 *
 * Pure: no `@pulumi/*` import. The component resolves instance ids and alarm ARNs, then calls this.
 */
import { CANARY_DIMENSIONS, CANARY_METRICS, canaryNamespace } from "./canary-metrics";
import { canaryListeners, CERT_MIN_DAYS, CPU_SATURATED_PERCENT, EGRESS_PERIOD_SECONDS, egressBytesPerHour, BASIC_MONITORING_PERIOD_SECONDS } from "./alarms";

/** Widgets per dashboard, metrics per dashboard and per graph, alarms per alarm widget (CloudWatch User Guide, "CloudWatch service quotas": dashboards; Dashboard Body Structure, alarm widget `alarms`). */
export const DASHBOARD_LIMITS = { widgets: 500, metrics: 2500, metricsPerWidget: 500, alarmsPerWidget: 100 } as const;
/** The grid is 24 columns wide. */
const FULL = 24;
const HALF = 12;
const HEIGHT = 6;

/** A server, with its instance id resolved. */
export interface DashboardServer {
    name: string;
    instanceId: string;
    tls: boolean;
    /** Its region when not the dashboard's {@link DashboardInput.region} (a fleet's other regions): its widgets read that region's metrics. */
    region?: string;
}

/** What the dashboard shows. */
export interface DashboardInput {
    project: string;
    stack: string;
    region: string;
    servers: DashboardServer[];
    monthlyEgressBudgetGb: number;
    /** The canary's schedule, or undefined without a canary (no canary widgets then). */
    canaryScheduleMinutes?: number;
    /** Every alarm's ARN, in a stable order. */
    alarmArns: string[];
}

type Widget = { type: "metric" | "alarm" | "text"; x: number; y: number; width: number; height: number; properties: Record<string, unknown> };

/** The dashboard's name: `<project>-<stack>` (letters, digits, `-`, `_` only: PutDashboard DashboardName). */
export function dashboardName(project: string, stack: string): string {
    return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The dashboard body, as the `dashboardBody` JSON string. Same input, same bytes.
 * @throws RangeError when the body would exceed {@link DASHBOARD_LIMITS}
 */
export function dashboardBody(d: DashboardInput): string {
    const widgets: Widget[] = [];
    let y = 0;
    const row = (height: number, ...ws: Omit<Widget, "y" | "height">[]) => {
        for (const w of ws) widgets.push({ ...w, y, height });
        y += height;
    };
    const metric = (title: string, props: Record<string, unknown>, width = HALF, x = 0, region = d.region): Omit<Widget, "y" | "height"> => ({
        type: "metric",
        x,
        width,
        properties: { title, region, view: "timeSeries", stacked: false, ...props },
    });

    row(2, {
        type: "text",
        x: 0,
        width: FULL,
        properties: { markdown: `## turn-stack ${d.project}/${d.stack}\nManaged by Pulumi (infra/dashboard.ts): changes made here are overwritten by the next \`pulumi up\`. Capacity and costs: \`npm run capacity -- --stack ${d.stack}\`.` },
    });
    for (let i = 0; i < d.alarmArns.length; i += DASHBOARD_LIMITS.alarmsPerWidget) {
        row(HEIGHT, { type: "alarm", x: 0, width: FULL, properties: { title: "Alarms", alarms: d.alarmArns.slice(i, i + DASHBOARD_LIMITS.alarmsPerWidget), sortBy: "stateUpdatedTimestamp" } });
    }

    const perHour = egressBytesPerHour(d.monthlyEgressBudgetGb);
    for (const s of d.servers) {
        const region = s.region ?? d.region;
        if (d.canaryScheduleMinutes !== undefined) {
            const ns = canaryNamespace(d.project, d.stack);
            const period = d.canaryScheduleMinutes * 60;
            const perListener = (metricName: string) =>
                canaryListeners(s.tls).map((l) => [ns, metricName, CANARY_DIMENSIONS.server, s.name, CANARY_DIMENSIONS.listener, l, { label: l }]);
            row(
                HEIGHT,
                // The canary publishes in its own region, the dashboard's (infra/canary/handler.ts AWS_REGION), for every server.
                metric(`${s.name}: canary success per listener (1 = allocated)`, { metrics: perListener(CANARY_METRICS.success), stat: "Minimum", period, yAxis: { left: { min: 0, max: 1 } } }, HALF, 0),
                metric(`${s.name}: canary latency per listener (ms)`, { metrics: perListener(CANARY_METRICS.latency), stat: "Average", period, yAxis: { left: { min: 0 } } }, HALF, HALF),
            );
        }
        const ec2 = (metricName: string, label: string) => ["AWS/EC2", metricName, "InstanceId", s.instanceId, { label }];
        row(
            HEIGHT,
            metric(`${s.name}: network per hour (bytes)`, {
                metrics: [ec2("NetworkIn", "NetworkIn"), ec2("NetworkOut", "NetworkOut")],
                stat: "Sum",
                period: EGRESS_PERIOD_SECONDS,
                yAxis: { left: { min: 0 } },
                annotations: { horizontal: [{ label: `egress budget: ${d.monthlyEgressBudgetGb} GB/month = ${perHour} bytes/hour`, value: perHour }] },
            }, HALF, 0, region),
            metric(`${s.name}: CPU (%)`, {
                metrics: [ec2("CPUUtilization", "CPUUtilization")],
                stat: "Average",
                period: BASIC_MONITORING_PERIOD_SECONDS,
                yAxis: { left: { min: 0, max: 100 } },
                annotations: { horizontal: [{ label: `saturated: ${CPU_SATURATED_PERCENT}%`, value: CPU_SATURATED_PERCENT }] },
            }, HALF, HALF, region),
        );
        if (s.tls && d.canaryScheduleMinutes !== undefined) {
            row(
                HEIGHT,
                metric(`${s.name}: TLS certificate, days to expiry`, {
                    metrics: [[canaryNamespace(d.project, d.stack), CANARY_METRICS.certificateDaysToExpiry, CANARY_DIMENSIONS.server, s.name, { label: "days" }]],
                    stat: "Minimum",
                    period: d.canaryScheduleMinutes * 60,
                    yAxis: { left: { min: 0 } },
                    annotations: { horizontal: [{ label: `alarm below ${CERT_MIN_DAYS} days`, value: CERT_MIN_DAYS }] },
                }, FULL, 0),
            );
        }
    }

    const metricsIn = (w: Widget) => (w.type === "metric" ? (w.properties.metrics as unknown[]).length : 0);
    const total = widgets.reduce((n, w) => n + metricsIn(w), 0);
    if (widgets.length > DASHBOARD_LIMITS.widgets || total > DASHBOARD_LIMITS.metrics) {
        throw new RangeError(`the dashboard would have ${widgets.length} widgets and ${total} metrics; CloudWatch allows ${DASHBOARD_LIMITS.widgets} and ${DASHBOARD_LIMITS.metrics}`);
    }
    return JSON.stringify({ widgets });
}
