/**
 * The documented constraints on the canary's resources (issue 14: infra/components/canary.ts) as
 * data and small pure checks, in ./limits.ts's style: each check returns its problems as
 * sentences naming the value and what is allowed (empty: valid).
 *
 * Pure: no `@pulumi/*` import.
 */
import { LAMBDA_ENVIRONMENT_MAX_BYTES } from "../canary/config";
import { chars, show, utf8Bytes } from "./limits";

/**
 * Lambda CreateFunction (Lambda API Reference): `FunctionName` 1-64 characters of `a-zA-Z0-9-_`
 * ("If you specify only the function name, it is limited to 64 characters"); `Description` at
 * most 256; `Handler` at most 128 non-space characters; `MemorySize` 128-10240 MB; `Timeout`
 * 1-900 s; environment variable keys `[a-zA-Z]([a-zA-Z0-9_])+`, none of the runtime's reserved
 * keys ("Defined runtime environment variables": Lambda sets them and a function may not), all
 * variables together at most 4 KB ("Lambda quotas"; counted here as the variables' JSON, at least
 * what Lambda counts).
 */
export const LAMBDA_FUNCTION = {
    name: /^[a-zA-Z0-9_-]{1,64}$/,
    maxDescription: 256,
    handler: /^[^\s]{1,128}$/,
    memoryMb: [128, 10240],
    timeoutSeconds: [1, 900],
    envKey: /^[a-zA-Z][a-zA-Z0-9_]+$/,
    reservedEnvKeys: [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ],
    maxEnvironmentBytes: LAMBDA_ENVIRONMENT_MAX_BYTES,
} as const;

/** Problems with a Lambda function's settings (see {@link LAMBDA_FUNCTION}). Unknown values: pass `undefined`. */
export function lambdaFunctionProblems(f: { name?: unknown; description?: unknown; handler?: unknown; memorySize?: unknown; timeout?: unknown; variables?: Record<string, unknown> }): string[] {
    const L = LAMBDA_FUNCTION;
    const out: string[] = [];
    if (typeof f.name === "string" && !L.name.test(f.name)) out.push(`function name ${show(f.name)}: 1 to 64 characters of a-z A-Z 0-9 - _`);
    if (typeof f.description === "string" && chars(f.description) > L.maxDescription) out.push(`description of ${chars(f.description)} characters: at most ${L.maxDescription}`);
    if (f.handler !== undefined && (typeof f.handler !== "string" || !L.handler.test(f.handler))) out.push(`handler ${show(f.handler)}: 1 to 128 characters without white space`);
    const inRange = (v: unknown, [lo, hi]: readonly [number, number]) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
    if (f.memorySize !== undefined && !inRange(f.memorySize, L.memoryMb)) out.push(`memorySize ${show(f.memorySize)}: ${L.memoryMb[0]} to ${L.memoryMb[1]} MB`);
    if (f.timeout !== undefined && !inRange(f.timeout, L.timeoutSeconds)) out.push(`timeout ${show(f.timeout)}: ${L.timeoutSeconds[0]} to ${L.timeoutSeconds[1]} seconds`);
    if (f.variables) {
        for (const k of Object.keys(f.variables)) {
            if (!L.envKey.test(k)) out.push(`environment variable ${show(k)}: a letter, then letters, digits and _`);
            if ((L.reservedEnvKeys as readonly string[]).includes(k)) out.push(`environment variable ${k} is reserved: Lambda sets it`);
        }
        const bytes = utf8Bytes(JSON.stringify(f.variables));
        if (bytes > L.maxEnvironmentBytes) out.push(`environment variables of ${bytes} bytes: at most ${L.maxEnvironmentBytes} (4 KB) together`);
    }
    return out;
}

/**
 * EventBridge PutRule (EventBridge API Reference): `Name` 1-64 of `.-_A-Za-z0-9`, `Description` at
 * most 512, `ScheduleExpression` at most 256 characters; a rate expression is `rate(value unit)`
 * with a positive whole value and the unit singular for 1 and plural above ("If the value is equal
 * to 1, then the unit must be singular. If the value is greater than 1, the unit must be plural":
 * EventBridge User Guide, "Rate expressions reference"); a cron expression `cron(...)` has six fields.
 */
export const EVENTBRIDGE_RULE = {
    name: /^[.\-_A-Za-z0-9]{1,64}$/,
    maxDescription: 512,
    maxScheduleExpression: 256,
    rate: /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/,
    cron: /^cron\(\S+( \S+){5}\)$/,
} as const;

/** Problems with an EventBridge rule (see {@link EVENTBRIDGE_RULE}). */
export function eventRuleProblems(r: { name?: unknown; description?: unknown; scheduleExpression?: unknown }): string[] {
    const L = EVENTBRIDGE_RULE;
    const out: string[] = [];
    if (typeof r.name === "string" && !L.name.test(r.name)) out.push(`rule name ${show(r.name)}: 1 to 64 characters of . - _ A-Z a-z 0-9`);
    if (typeof r.description === "string" && chars(r.description) > L.maxDescription) out.push(`description of ${chars(r.description)} characters: at most ${L.maxDescription}`);
    const s = r.scheduleExpression;
    if (s !== undefined) {
        const rate = typeof s === "string" ? L.rate.exec(s) : null;
        const why = `schedule ${show(s)}: rate(<value> <unit>) with a positive whole value, the unit singular for 1 and plural above (rate(1 minute), rate(5 minutes)), or cron(<6 fields>), at most ${L.maxScheduleExpression} characters`;
        if (typeof s !== "string" || chars(s) > L.maxScheduleExpression) out.push(why);
        else if (rate) {
            const n = Number(rate[1]);
            if (n < 1 || (n === 1) !== !rate[2].endsWith("s")) out.push(why);
        } else if (!L.cron.test(s)) out.push(why);
    }
    return out;
}

/**
 * CloudWatch Logs CreateLogGroup and PutRetentionPolicy (CloudWatch Logs API Reference):
 * `logGroupName` 1-512 of `.-_/#A-Za-z0-9`; `retentionInDays` one of the listed values.
 */
export const LOG_GROUP = {
    name: /^[.\-_/#A-Za-z0-9]{1,512}$/,
    retentionDays: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653],
} as const;

/** Problems with a log group (see {@link LOG_GROUP}). */
export function logGroupProblems(g: { name?: unknown; retentionInDays?: unknown }): string[] {
    const out: string[] = [];
    if (typeof g.name === "string" && !LOG_GROUP.name.test(g.name)) out.push(`log group name ${show(g.name)}: 1 to 512 characters of . - _ / # A-Z a-z 0-9`);
    if (g.retentionInDays !== undefined && !(LOG_GROUP.retentionDays as readonly unknown[]).includes(g.retentionInDays)) {
        out.push(`retentionInDays ${show(g.retentionInDays)}: one of ${LOG_GROUP.retentionDays.join(", ")}`);
    }
    return out;
}
