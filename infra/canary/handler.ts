/**
 * The canary Lambda's entry point (`index.handler` in the bundle, ./bundle.ts).
 *
 * Lambda hands a function its Region and its role's temporary credentials in environment
 * variables (Lambda Developer Guide, "Defined runtime environment variables": AWS_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the invocation context's
 * `getRemainingTimeInMillis()` ("Using the Lambda context object to retrieve Node.js function
 * information"). The stack's settings come in `CANARY_CONFIG` (./config.ts).
 *
 * Endpoints: the AWS SDKs' service-specific endpoint variables, AWS_ENDPOINT_URL_SSM and
 * AWS_ENDPOINT_URL_CLOUDWATCH (AWS SDKs and Tools Reference Guide, "Service-specific
 * endpoints"), when set, else the Region's public endpoints. The deployed function sets
 * neither; the tests point them at loopback stand-ins.
 *
 * An error (the secret unreadable, the metrics not published) fails the invocation, which
 * Lambda counts in its `Errors` metric and logs; the run publishes nothing then.
 */
import { canaryAws } from "./aws";
import { CANARY_CONFIG_ENV, CANARY_PUBLISH_RESERVE_MS, CANARY_RUN_BUDGET_MS, parseCanaryConfig } from "./config";
import { runCanary, type CanaryReport } from "./run";

/** The part of Lambda's context object the handler uses. */
export interface LambdaContext {
    getRemainingTimeInMillis(): number;
}

/**
 * The run's budget: {@link CANARY_RUN_BUDGET_MS}, or less when the function has less time left
 * than that plus {@link CANARY_PUBLISH_RESERVE_MS} for publishing (never below 1 s).
 */
export function runBudgetMs(remainingMs: number | undefined): number {
    if (remainingMs === undefined) return CANARY_RUN_BUDGET_MS;
    return Math.max(1000, Math.min(CANARY_RUN_BUDGET_MS, remainingMs - CANARY_PUBLISH_RESERVE_MS));
}

/**
 * Build a handler over an environment (default `process.env`) and extra trusted CA (tests).
 * @throws from the returned handler: Error naming what is missing in the environment
 */
export function makeHandler(env: Record<string, string | undefined> = process.env, ca?: string) {
    return async (_event: unknown, context?: LambdaContext): Promise<CanaryReport> => {
        const config = parseCanaryConfig(env[CANARY_CONFIG_ENV]);
        const region = env.AWS_REGION;
        const accessKeyId = env.AWS_ACCESS_KEY_ID;
        const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
        if (!region || !accessKeyId || !secretAccessKey) {
            throw new Error("canary: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them from the function's role)");
        }
        const aws = canaryAws(
            region,
            { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined },
            { ssm: env.AWS_ENDPOINT_URL_SSM || undefined, cloudwatch: env.AWS_ENDPOINT_URL_CLOUDWATCH || undefined },
        );
        const report = await runCanary(config, { aws, budgetMs: runBudgetMs(context?.getRemainingTimeInMillis()), ca, log: (line) => console.log(line) });
        console.log(JSON.stringify({ ok: report.ok, failures: report.failures, published: report.published, durationMs: report.durationMs }));
        return report;
    };
}

/** The Lambda handler. */
export const handler = makeHandler();
