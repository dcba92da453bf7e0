/**
 * The documented constraints on the monitoring resources (issue 14: infra/components/monitoring.ts)
 * as data and small pure checks, beside ./limits.ts and in its style: each check returns its problems
 * as sentences naming the value and what is allowed (empty: valid). The dashboard's widget and metric
 * limits live in infra/dashboard.ts, which keeps to them, and are taken from there.
 *
 * Pure: no `@pulumi/*` import.
 */
import { DASHBOARD_LIMITS } from "../dashboard";
import { chars, show } from "./limits";

/**
 * PutMetricAlarm (CloudWatch API Reference): `Period` 10, 20, 30 or a multiple of 60 seconds;
 * `Period` × `EvaluationPeriods` at most 604,800 s (seven days), and at most 86,400 s (one day)
 * for a period under one hour; `DatapointsToAlarm` from 1 to `EvaluationPeriods`; `TreatMissingData`
 * one of four strings; `Metrics` (metric math): each `Id` starts with a lowercase letter and holds
 * letters, digits and `_`, and exactly one query returns data.
 */
export const CLOUDWATCH_ALARM_EVALUATION = {
    subMinutePeriods: [10, 20, 30],
    maxEvaluationSeconds: 604_800,
    maxEvaluationSecondsUnderAnHour: 86_400,
    treatMissingData: ["breaching", "notBreaching", "ignore", "missing"],
    queryId: /^[a-z][A-Za-z0-9_]*$/,
} as const;

/** Problems with an alarm's evaluation settings (see {@link CLOUDWATCH_ALARM_EVALUATION}). */
export function alarmEvaluationProblems(a: {
    period?: unknown;
    evaluationPeriods?: unknown;
    datapointsToAlarm?: unknown;
    treatMissingData?: unknown;
    metricQueries?: { id?: unknown; returnData?: unknown; metric?: { period?: unknown } }[];
}): string[] {
    const L = CLOUDWATCH_ALARM_EVALUATION;
    const out: string[] = [];
    const periodOk = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p > 0 && ((L.subMinutePeriods as readonly number[]).includes(p) || p % 60 === 0);
    const periods = a.metricQueries ? a.metricQueries.filter((q) => q.metric).map((q) => q.metric!.period) : [a.period];
    for (const p of periods) if (p !== undefined && !periodOk(p)) out.push(`period ${show(p)}: 10, 20, 30 or a multiple of 60 seconds`);
    const n = a.evaluationPeriods;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) out.push(`evaluationPeriods ${show(n)}: a whole number, at least 1`);
    else {
        for (const p of periods) {
            if (typeof p !== "number") continue;
            const max = p < 3600 ? L.maxEvaluationSecondsUnderAnHour : L.maxEvaluationSeconds;
            if (p * n > max) out.push(`period ${p} s × evaluationPeriods ${n} = ${p * n} s: at most ${max} s${p < 3600 ? " for a period under one hour" : ""}`);
        }
        const m = a.datapointsToAlarm;
        if (m !== undefined && (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > n)) out.push(`datapointsToAlarm ${show(m)}: 1 to evaluationPeriods (${n})`);
    }
    if (a.treatMissingData !== undefined && !(L.treatMissingData as readonly unknown[]).includes(a.treatMissingData)) {
        out.push(`treatMissingData ${show(a.treatMissingData)}: one of ${L.treatMissingData.join(", ")}`);
    }
    if (a.metricQueries) {
        for (const q of a.metricQueries) if (typeof q.id !== "string" || !L.queryId.test(q.id)) out.push(`metric query id ${show(q.id)}: a lowercase letter, then letters, digits or _`);
        const returning = a.metricQueries.filter((q) => q.returnData === true || q.returnData === undefined).length;
        if (returning !== 1) out.push(`metricQueries: ${returning} queries return data; exactly one must (returnData false on the others)`);
    }
    return out;
}

/** PutDashboard (CloudWatch API Reference): `DashboardName` at most 255 of A-Z, a-z, 0-9, `-`, `_`. */
export const CLOUDWATCH_DASHBOARD_NAME = { max: 255, charset: /^[A-Za-z0-9_-]+$/ } as const;

/**
 * Problems with a dashboard: its name (see {@link CLOUDWATCH_DASHBOARD_NAME}) and its body: JSON with
 * a `widgets` array (Dashboard Body Structure and Syntax), at most 500 widgets and 2,500 metrics in
 * all, 500 per graph (CloudWatch User Guide, "CloudWatch service quotas"), 1 to 100 ARNs per alarm
 * widget (Dashboard Body Structure, alarm widget `alarms`).
 */
export function dashboardProblems(name: unknown, body: unknown): string[] {
    const out: string[] = [];
    if (typeof name === "string" && (chars(name) < 1 || chars(name) > CLOUDWATCH_DASHBOARD_NAME.max || !CLOUDWATCH_DASHBOARD_NAME.charset.test(name))) {
        out.push(`dashboardName ${show(name)}: 1 to ${CLOUDWATCH_DASHBOARD_NAME.max} of A-Z a-z 0-9 - _`);
    }
    if (typeof body !== "string") return out;
    let widgets: unknown;
    try {
        widgets = (JSON.parse(body) as { widgets?: unknown }).widgets;
    } catch {
        return [...out, "dashboardBody: not JSON"];
    }
    if (!Array.isArray(widgets)) return [...out, "dashboardBody: needs a widgets array"];
    if (widgets.length > DASHBOARD_LIMITS.widgets) out.push(`dashboardBody: ${widgets.length} widgets, at most ${DASHBOARD_LIMITS.widgets}`);
    let total = 0;
    for (const [i, w] of (widgets as { type?: string; properties?: { metrics?: unknown[]; alarms?: unknown[] } }[]).entries()) {
        const metrics = w.properties?.metrics?.length ?? 0;
        total += metrics;
        if (metrics > DASHBOARD_LIMITS.metricsPerWidget) out.push(`dashboardBody: widget ${i} has ${metrics} metrics, at most ${DASHBOARD_LIMITS.metricsPerWidget}`);
        if (w.type === "alarm") {
            const alarms = w.properties?.alarms?.length ?? 0;
            if (alarms < 1 || alarms > DASHBOARD_LIMITS.alarmsPerWidget) out.push(`dashboardBody: alarm widget ${i} lists ${alarms} alarms, 1 to ${DASHBOARD_LIMITS.alarmsPerWidget}`);
        }
    }
    if (total > DASHBOARD_LIMITS.metrics) out.push(`dashboardBody: ${total} metrics, at most ${DASHBOARD_LIMITS.metrics}`);
    return out;
}

/** CreateTopic (SNS API Reference): `Name` 1 to 256 of letters, digits, `_` and `-`; a FIFO topic's ends in `.fifo`. */
export const SNS_TOPIC_NAME = { max: 256, charset: /^[A-Za-z0-9_-]+$/ } as const;

/** Problems with an SNS topic's name (see {@link SNS_TOPIC_NAME}). */
export function snsTopicNameProblems(name: unknown, fifo: unknown): string[] {
    if (typeof name !== "string") return [];
    const base = fifo === true ? name.replace(/\.fifo$/, "") : name;
    const out: string[] = [];
    if (chars(name) < 1 || chars(name) > SNS_TOPIC_NAME.max || !SNS_TOPIC_NAME.charset.test(base)) out.push(`name ${show(name)}: 1 to ${SNS_TOPIC_NAME.max} of A-Z a-z 0-9 _ -`);
    if (fifo === true && !name.endsWith(".fifo")) out.push(`name ${show(name)}: a FIFO topic's name ends in .fifo`);
    return out;
}

/**
 * CreateBudget (AWS Budgets API Reference; Budget data type): `BudgetName` 1 to 100 characters
 * without `:` or `\` (nor the substring `/action/`); `BudgetLimit.Amount` a decimal number; at most
 * 5 notifications per budget and 10 email subscribers per notification (AWS Cost Management User
 * Guide, "Quotas and restrictions", AWS Budgets).
 */
export const AWS_BUDGET = { nameMax: 100, nameForbidden: /[:\\]|\/action\//, maxNotifications: 5, maxEmailSubscribers: 10 } as const;

/** Problems with a budget (see {@link AWS_BUDGET}). */
export function budgetProblems(b: { name?: unknown; limitAmount?: unknown; notifications?: { subscriberEmailAddresses?: unknown[] }[] }): string[] {
    const out: string[] = [];
    if (typeof b.name === "string" && (chars(b.name) < 1 || chars(b.name) > AWS_BUDGET.nameMax || AWS_BUDGET.nameForbidden.test(b.name))) {
        out.push(`name ${show(b.name)}: 1 to ${AWS_BUDGET.nameMax} characters, without : or \\ or /action/`);
    }
    if (b.limitAmount !== undefined && (typeof b.limitAmount !== "string" || !/^\d+(\.\d+)?$/.test(b.limitAmount))) out.push(`limitAmount ${show(b.limitAmount)}: a decimal number as text`);
    const notifications = b.notifications ?? [];
    if (notifications.length > AWS_BUDGET.maxNotifications) out.push(`${notifications.length} notifications: at most ${AWS_BUDGET.maxNotifications} per budget`);
    for (const n of notifications) {
        const emails = n.subscriberEmailAddresses?.length ?? 0;
        if (emails > AWS_BUDGET.maxEmailSubscribers) out.push(`a notification with ${emails} email subscribers: at most ${AWS_BUDGET.maxEmailSubscribers}`);
    }
    return out;
}
