/**
 * The cloud contract for the canary's resources (issue 14: infra/components/canary.ts): one
 * mandatory policy per documented constraint, the checks in ./canary-limits.ts. Its IAM role and
 * policy are ./aws.ts's `iam-*` policies, as for the server's role.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { eventRuleProblems, lambdaFunctionProblems, logGroupProblems } from "./canary-limits";
import { unlessUnknown } from "./unknown";

const mandatory = "mandatory" as const;

/** Lambda function name, description, handler, memory, timeout and environment. */
export const lambdaFunction: ResourceValidationPolicy = {
    name: "lambda-function",
    description:
        "Lambda function: name 1-64 of a-z A-Z 0-9 - _, description at most 256, handler at most 128 characters, memory 128-10240 MB, timeout 1-900 s " +
        "(AWS Lambda API Reference, CreateFunction); environment variable keys not reserved and all variables together at most 4 KB (Lambda Developer Guide, quotas).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.lambda.Function, (f, _args, report) => {
        // The environment carries the Elastic IP (CANARY_CONFIG): known at `pulumi up`, which checks it then.
        const variables = unlessUnknown(() => {
            const v = f.environment?.variables;
            return v ? { ...v } : undefined;
        }, undefined);
        for (const p of lambdaFunctionProblems({ name: f.name, description: f.description, handler: f.handler, memorySize: f.memorySize, timeout: f.timeout, variables })) report(p);
    }),
};

/** EventBridge rule names, descriptions and schedule expressions. */
export const eventbridgeRule: ResourceValidationPolicy = {
    name: "eventbridge-rule",
    description:
        "EventBridge rule: name 1-64 of . - _ A-Z a-z 0-9, description at most 512, schedule at most 256 characters, rate(value unit) singular for 1 and plural above " +
        "(AWS EventBridge API Reference, PutRule; EventBridge User Guide, rate expressions).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.EventRule, (r, _args, report) => {
        for (const p of eventRuleProblems({ name: r.name, description: r.description, scheduleExpression: r.scheduleExpression })) report(p);
    }),
};

/** CloudWatch Logs log group names and retention. */
export const cloudwatchLogGroup: ResourceValidationPolicy = {
    name: "cloudwatch-log-group",
    description: "CloudWatch Logs log group: name 1-512 of . - _ / # A-Z a-z 0-9, retention one of the allowed day counts (CloudWatch Logs API Reference, CreateLogGroup, PutRetentionPolicy).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, (g, _args, report) => {
        for (const p of logGroupProblems({ name: g.name, retentionInDays: g.retentionInDays })) report(p);
    }),
};

/** The canary's policies. */
export const canaryPolicies: ResourceValidationPolicy[] = [lambdaFunction, eventbridgeRule, cloudwatchLogGroup];
