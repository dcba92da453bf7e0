/**
 * The canary's two AWS calls, signed with Signature Version 4 by aws4fetch (bundled into
 * the function, so nothing depends on the AWS SDK version a Lambda runtime ships):
 *
 * - SSM `GetParameter` (AWS JSON 1.1: `POST /`, `X-Amz-Target: AmazonSSM.GetParameter`,
 *   `{"Name": ..., "WithDecryption": true}`; SSM API Reference, GetParameter), signing name `ssm`;
 * - CloudWatch `PutMetricData` (Query protocol: form-encoded `POST /`; CloudWatch API Reference,
 *   PutMetricData), signing name `monitoring`.
 *
 * Endpoints default to the Region's public ones (AWS General Reference, "Service endpoints":
 * `ssm.<region>.amazonaws.com`, `monitoring.<region>.amazonaws.com`); tests pass loopback
 * stand-ins. No retries inside a run: the next scheduled run is the retry.
 */
import { AwsClient } from "aws4fetch";
import { AWS_CALL_TIMEOUT_MS } from "./config";
import { putMetricDataBodies, type MetricDatum } from "./metrics";

/** Credentials as Lambda hands them to a function (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). */
export interface AwsCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

/** Where to send each call; default the Region's public endpoints. */
export interface AwsEndpoints {
    ssm?: string;
    cloudwatch?: string;
}

/** The two calls the canary makes. */
export interface CanaryAws {
    /** The decrypted value of a SecureString (or String) parameter. @throws Error naming the parameter and AWS's error */
    readParameter(name: string): Promise<string>;
    /** Publish metric data in a namespace. @throws Error with AWS's error code and message */
    putMetricData(namespace: string, data: MetricDatum[]): Promise<void>;
}

/**
 * Signed clients for SSM and CloudWatch.
 * @param region the function's Region (AWS_REGION)
 */
export function canaryAws(region: string, credentials: AwsCredentials, endpoints: AwsEndpoints = {}, timeoutMs = AWS_CALL_TIMEOUT_MS): CanaryAws {
    const client = (service: string) => new AwsClient({ ...credentials, service, region, retries: 0 });
    const ssm = client("ssm");
    const cloudwatch = client("monitoring");
    const ssmUrl = endpoints.ssm ?? `https://ssm.${region}.amazonaws.com/`;
    const cloudwatchUrl = endpoints.cloudwatch ?? `https://monitoring.${region}.amazonaws.com/`;
    return {
        async readParameter(name) {
            let res: Response;
            let text: string;
            try {
                res = await ssm.fetch(ssmUrl, {
                    method: "POST",
                    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.GetParameter" },
                    body: JSON.stringify({ Name: name, WithDecryption: true }),
                    signal: AbortSignal.timeout(timeoutMs),
                });
                text = await res.text();
            } catch (e) {
                throw new Error(`SSM GetParameter ${name} at ${ssmUrl}: ${errorText(e)}`);
            }
            if (!res.ok) {
                // AWS JSON protocol errors: {"__type": "...#ParameterNotFound", "message": "..."}.
                const err = safeJson(text) as { __type?: string; message?: string; Message?: string } | undefined;
                const type = String(err?.__type ?? "").split("#").pop() || `HTTP ${res.status}`;
                throw new Error(`SSM GetParameter ${name}: ${type}: ${err?.message ?? err?.Message ?? text.slice(0, 200)}`);
            }
            const value = (safeJson(text) as { Parameter?: { Value?: unknown } } | undefined)?.Parameter?.Value;
            if (typeof value !== "string" || value === "") throw new Error(`SSM GetParameter ${name}: the answer has no Parameter.Value`);
            return value;
        },
        async putMetricData(namespace, data) {
            for (const body of putMetricDataBodies(namespace, data)) {
                let res: Response;
                let text: string;
                try {
                    res = await cloudwatch.fetch(cloudwatchUrl, {
                        method: "POST",
                        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
                        body,
                        signal: AbortSignal.timeout(timeoutMs),
                    });
                    text = await res.text();
                } catch (e) {
                    throw new Error(`CloudWatch PutMetricData at ${cloudwatchUrl}: ${errorText(e)}`);
                }
                if (!res.ok) {
                    // Query protocol errors: <ErrorResponse><Error><Code>..</Code><Message>..</Message></Error></ErrorResponse>.
                    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
                    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
                    throw new Error(`CloudWatch PutMetricData in ${namespace}: ${code}: ${message}`);
                }
            }
        },
    };
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

function errorText(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const cause = (e as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
}
