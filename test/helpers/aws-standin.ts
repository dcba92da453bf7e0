/**
 * Loopback stand-ins for the two AWS APIs the canary Lambda calls, for tests. Not AWS: each
 * follows the documented contract of its API closely enough that a caller which works here
 * sends what AWS accepts, and each records what it received for the test to assert on.
 *
 * - SSM `GetParameter` (SSM API Reference, GetParameter; AWS JSON 1.1 protocol: `POST /`,
 *   `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target: AmazonSSM.GetParameter`, body
 *   `{"Name", "WithDecryption"}`; errors as `{"__type", "message"}` with 400). A SecureString's
 *   value comes back only with `WithDecryption: true`, as in SSM.
 * - CloudWatch `PutMetricData` (CloudWatch API Reference, PutMetricData and MetricDatum; Query
 *   protocol: form-encoded `POST /` with `Action=PutMetricData&Version=2010-08-01`; answer
 *   `<PutMetricDataResponse>`, errors `<ErrorResponse><Error><Code>`). It checks what AWS
 *   documents: namespace 1-255 characters not starting with `AWS/`, at most 1000 metrics, metric
 *   names 1-255, at most 30 dimensions of name 1-255 and value 1-1024 characters, a finite Value,
 *   a Unit from the documented list, an ISO 8601 Timestamp. With `allowedNamespace` set it also
 *   plays the IAM condition the canary's role has (`cloudwatch:namespace`): any other namespace
 *   gets 403 AccessDenied.
 *
 * Both check the request's Signature Version 4 against the given credentials (test/helpers/sigv4.ts,
 * the same check as the boot test's SSM stand-in), with the signing names `ssm` and `monitoring`.
 */
import { buffer } from "node:stream/consumers";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { sigv4Problem } from "./sigv4";

/** The credentials a stand-in accepts, in the shape Lambda's environment carries them. */
export interface StandinCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
}

/** Fresh temporary-style credentials. */
export function standinCredentials(): StandinCredentials {
    return {
        accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString("base64"),
        sessionToken: randomBytes(48).toString("base64"),
    };
}

/** One datum as PutMetricData received it. */
export interface ReceivedDatum {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    value: number;
    unit: string;
    timestamp: string;
}

/** A request either stand-in answered. */
export interface StandinRequest {
    service: "ssm" | "cloudwatch";
    status: number;
    /** `valid`, or why the signature is not. */
    signature: string;
    /** SSM: the parameter asked for and WithDecryption. */
    name?: string;
    withDecryption?: boolean;
    error?: string;
}

/** The running stand-ins. */
export interface AwsStandin {
    /** `http://127.0.14.3:<port>/` style endpoint URLs. */
    ssmEndpoint: string;
    cloudwatchEndpoint: string;
    /** Parameter name to value, type (default SecureString); change them between runs. */
    parameters: Map<string, { value: string; type?: "String" | "SecureString" }>;
    /** Every datum received, in order. */
    metrics: ReceivedDatum[];
    requests: StandinRequest[];
    close(): Promise<void>;
}

/** Units PutMetricData accepts (CloudWatch API Reference, MetricDatum Unit). */
const UNITS = new Set([
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);

function send(res: ServerResponse, status: number, text: string, type: string) {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text), "x-amzn-requestid": randomBytes(16).toString("hex") });
    res.end(text);
}

function listen(server: Server, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}/`));
    });
}

/** Parse a PutMetricData form into data, or say what AWS would refuse. */
function parsePutMetricData(form: URLSearchParams): { data: ReceivedDatum[] } | { code: string; message: string } {
    if (form.get("Action") !== "PutMetricData" || form.get("Version") !== "2010-08-01") return { code: "InvalidAction", message: `only Action=PutMetricData&Version=2010-08-01 is stood in for` };
    const namespace = form.get("Namespace") ?? "";
    if (namespace.length < 1 || namespace.length > 255 || namespace.startsWith("AWS/")) return { code: "InvalidParameterValue", message: `Namespace ${JSON.stringify(namespace)}` };
    const data: ReceivedDatum[] = [];
    for (let i = 1; form.has(`MetricData.member.${i}.MetricName`); i++) {
        const m = `MetricData.member.${i}`;
        const metricName = form.get(`${m}.MetricName`)!;
        if (metricName.length < 1 || metricName.length > 255) return { code: "InvalidParameterValue", message: `${m}.MetricName` };
        const dimensions: Record<string, string> = {};
        for (let k = 1; form.has(`${m}.Dimensions.member.${k}.Name`); k++) {
            const name = form.get(`${m}.Dimensions.member.${k}.Name`)!;
            const value = form.get(`${m}.Dimensions.member.${k}.Value`) ?? "";
            if (k > 30 || name.length < 1 || name.length > 255 || value.length < 1 || value.length > 1024) return { code: "InvalidParameterValue", message: `${m}.Dimensions.member.${k}` };
            dimensions[name] = value;
        }
        const raw = form.get(`${m}.Value`);
        const value = Number(raw);
        if (raw === null || raw.trim() === "" || !Number.isFinite(value)) return { code: "InvalidParameterValue", message: `${m}.Value ${raw}` };
        const unit = form.get(`${m}.Unit`) ?? "None";
        if (!UNITS.has(unit)) return { code: "InvalidParameterValue", message: `${m}.Unit ${unit}` };
        const timestamp = form.get(`${m}.Timestamp`) ?? "";
        if (timestamp && Number.isNaN(new Date(timestamp).getTime())) return { code: "InvalidParameterValue", message: `${m}.Timestamp ${timestamp}` };
        data.push({ namespace, metricName, dimensions, value, unit, timestamp });
    }
    if (data.length === 0) return { code: "MissingParameter", message: "MetricData" };
    if (data.length > 1000) return { code: "InvalidParameterValue", message: `${data.length} metrics; at most 1000` };
    return { data };
}

/**
 * Start both stand-ins on `host` (a loopback address), ephemeral ports.
 * @param allowedNamespace the only namespace the caller's role may publish in (the IAM condition), or undefined for any
 */
export async function startAwsStandin(o: { host: string; region: string; credentials: StandinCredentials; allowedNamespace?: string }): Promise<AwsStandin> {
    const parameters: AwsStandin["parameters"] = new Map();
    const metrics: ReceivedDatum[] = [];
    const requests: StandinRequest[] = [];
    const expect = (service: string) => ({ ...o.credentials, region: o.region, service });

    const ssm = createServer(async (req, res) => {
        const payload = await buffer(req);
        const signature = sigv4Problem(req, payload, expect("ssm")) ?? "valid";
        const fail = (status: number, type: string, message: string) => {
            requests.push({ service: "ssm", status, signature, error: type });
            send(res, status, JSON.stringify({ __type: type, message }), "application/x-amz-json-1.1");
        };
        if (signature !== "valid") return fail(400, "UnrecognizedClientException", `The security token included in the request is invalid (${signature})`);
        if (req.method !== "POST" || req.headers["x-amz-target"] !== "AmazonSSM.GetParameter" || !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")) {
            return fail(400, "InvalidAction", "only POST / with X-Amz-Target AmazonSSM.GetParameter and application/x-amz-json-1.1 is stood in for");
        }
        let input: { Name?: unknown; WithDecryption?: unknown };
        try {
            input = JSON.parse(payload.toString("utf8"));
        } catch {
            return fail(400, "SerializationException", "body is not JSON");
        }
        const name = typeof input.Name === "string" ? input.Name : "";
        const p = parameters.get(name);
        if (!p) return fail(400, "ParameterNotFound", `Parameter ${name} not found.`);
        const type = p.type ?? "SecureString";
        const decrypted = input.WithDecryption === true || type === "String";
        requests.push({ service: "ssm", status: 200, signature, name, withDecryption: input.WithDecryption === true });
        send(
            res,
            200,
            JSON.stringify({
                Parameter: {
                    Name: name,
                    Type: type,
                    // Without decryption SSM answers a SecureString's ciphertext, never the value.
                    Value: decrypted ? p.value : Buffer.from(`kms-ciphertext-${randomBytes(8).toString("hex")}`).toString("base64"),
                    Version: 1,
                    LastModifiedDate: 1.7e9,
                    ARN: `arn:aws:ssm:${o.region}:123456789012:parameter${name}`,
                    DataType: "text",
                },
            }),
            "application/x-amz-json-1.1",
        );
    });

    const cloudwatch = createServer(async (req, res) => {
        const payload = await buffer(req);
        const signature = sigv4Problem(req, payload, expect("monitoring")) ?? "valid";
        const fail = (status: number, code: string, message: string) => {
            requests.push({ service: "cloudwatch", status, signature, error: code });
            send(
                res,
                status,
                `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomBytes(8).toString("hex")}</RequestId></ErrorResponse>`,
                "text/xml",
            );
        };
        if (signature !== "valid") return fail(403, "InvalidClientTokenId", `The security token included in the request is invalid (${signature})`);
        if (req.method !== "POST" || !String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) return fail(400, "InvalidAction", "POST a form");
        if (payload.length > 1024 * 1024) return fail(413, "RequestEntityTooLarge", "at most 1 MB");
        const parsed = parsePutMetricData(new URLSearchParams(payload.toString("utf8")));
        if ("code" in parsed) return fail(400, parsed.code, parsed.message);
        if (o.allowedNamespace !== undefined && parsed.data[0].namespace !== o.allowedNamespace) {
            return fail(403, "AccessDenied", `not authorized to perform: cloudwatch:PutMetricData (cloudwatch:namespace ${parsed.data[0].namespace})`);
        }
        metrics.push(...parsed.data);
        requests.push({ service: "cloudwatch", status: 200, signature });
        send(
            res,
            200,
            `<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>${randomBytes(8).toString("hex")}</RequestId></ResponseMetadata></PutMetricDataResponse>`,
            "text/xml",
        );
    });

    const ssmEndpoint = await listen(ssm, o.host);
    const cloudwatchEndpoint = await listen(cloudwatch, o.host);
    const closeOne = (s: Server) => new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
    });
    return { ssmEndpoint, cloudwatchEndpoint, parameters, metrics, requests, close: async () => void (await Promise.all([closeOne(ssm), closeOne(cloudwatch)])) };
}
