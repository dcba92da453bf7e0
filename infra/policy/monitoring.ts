/**
 * The cloud contract for the monitoring resources (issue 14: infra/components/monitoring.ts): one
 * mandatory policy per documented constraint, with the checks in ./monitoring-limits.ts. Alarm names,
 * descriptions, action counts and action partitions are ./aws.ts's policies, which apply to these
 * alarms as to the recover alarm.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { alarmEvaluationProblems, budgetProblems, dashboardProblems, snsTopicNameProblems } from "./monitoring-limits";
import { unlessUnknown } from "./unknown";

const mandatory = "mandatory" as const;

/** Alarm periods, evaluation windows, missing-data treatment and metric math ids. */
export const cloudwatchAlarmEvaluation: ResourceValidationPolicy = {
    name: "cloudwatch-alarm-evaluation",
    description:
        "CloudWatch alarm: period 10, 20, 30 or a multiple of 60 s; period × evaluationPeriods at most 7 days (1 day under a one-hour period); " +
        "datapointsToAlarm 1 to evaluationPeriods; treatMissingData breaching, notBreaching, ignore or missing; metric math ids lowercase-led, one query returning data " +
        "(CloudWatch API Reference, PutMetricAlarm).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.MetricAlarm, (a, _args, report) => {
        for (const p of alarmEvaluationProblems(a as Parameters<typeof alarmEvaluationProblems>[0])) report(p);
    }),
};

/** Dashboard name and body. */
export const cloudwatchDashboard: ResourceValidationPolicy = {
    name: "cloudwatch-dashboard",
    description:
        "CloudWatch dashboard: name 1-255 of A-Z a-z 0-9 - _ (CloudWatch API Reference, PutDashboard); body JSON with widgets, at most 500 widgets, 2500 metrics, " +
        "500 per graph (CloudWatch User Guide, service quotas) and 1-100 alarms per alarm widget (CloudWatch API Reference, Dashboard Body Structure).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.Dashboard, (d, _args, report) => {
        // The body carries instance ids and alarm ARNs: known at `pulumi up`, which checks it then.
        for (const p of dashboardProblems(d.dashboardName, unlessUnknown(() => d.dashboardBody, undefined))) report(p);
    }),
};

/** SNS topic names. */
export const snsTopicName: ResourceValidationPolicy = {
    name: "sns-topic-name",
    description: "SNS topic: name 1-256 of A-Z a-z 0-9 _ -, a FIFO topic's ending in .fifo (AWS docs: Amazon SNS API Reference, CreateTopic).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.sns.Topic, (t, _args, report) => {
        for (const p of snsTopicNameProblems(t.name, t.fifoTopic)) report(p);
    }),
};

/** AWS Budgets budgets. */
export const budgetsBudget: ResourceValidationPolicy = {
    name: "budgets-budget",
    description:
        "AWS Budgets budget: name 1-100 characters without : or \\ or /action/, limit amount a decimal number, at most 5 notifications of at most 10 email subscribers " +
        "(AWS Budgets API Reference, CreateBudget; AWS Cost Management User Guide, quotas).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.budgets.Budget, (b, _args, report) => {
        for (const p of budgetProblems(b as Parameters<typeof budgetProblems>[0])) report(p);
    }),
};

/** Every monitoring policy of the pack. */
export const monitoringPolicies = [cloudwatchAlarmEvaluation, cloudwatchDashboard, snsTopicName, budgetsBudget];
