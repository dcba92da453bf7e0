/**
 * The receiving side of AWS Signature Version 4, for the stand-ins of AWS APIs
 * (SSM in the boot test's test/helpers/boot/standins.ts, SSM and CloudWatch in the
 * canary's test/helpers/aws-standin.ts): recompute the signature of a request
 * as AWS does and say why it does not match (AWS General Reference / IAM User
 * Guide, "Create a signed AWS API request": canonical request, string to sign,
 * signing key from `AWS4<secret>`, date, region, service, `aws4_request`).
 */
import type { IncomingMessage } from "node:http";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The credentials and scope a stand-in accepts. */
export interface SigV4Expectation {
    accessKeyId: string;
    secretAccessKey: string;
    /** Temporary credentials' token: must come as `X-Amz-Security-Token` when set. */
    sessionToken?: string;
    region: string;
    /** Signing name of the service, e.g. `ssm`, `monitoring` (CloudWatch). */
    service: string;
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/**
 * Check a request's SigV4 `Authorization` header.
 * @param payload the request body as received
 * @returns why it is not validly signed for `expect`, or undefined when it is
 */
export function sigv4Problem(req: IncomingMessage, payload: Buffer, expect: SigV4Expectation): string | undefined {
    const auth = req.headers.authorization ?? "";
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return "no SigV4 Authorization header";
    const [, akid, date, region, service, signedHeaders, signature] = m;
    if (akid !== expect.accessKeyId) return `unknown access key ${akid}`;
    if (region !== expect.region || service !== expect.service) return `credential scope ${region}/${service}, expected ${expect.region}/${expect.service}`;
    if (expect.sessionToken !== undefined && req.headers["x-amz-security-token"] !== expect.sessionToken) return "missing or wrong X-Amz-Security-Token";
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    if (!amzDate.startsWith(date)) return "X-Amz-Date does not match the credential scope";
    const names = signedHeaders.split(";");
    if (!names.includes("host") || !names.includes("x-amz-date")) return "host and x-amz-date must be signed";
    const url = new URL(req.url!, "https://x");
    const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
    const canonicalRequest = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, sha256(payload)].join("\n");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${expect.secretAccessKey}`, date), region), service), "aws4_request");
    const expected = hmac(key, stringToSign);
    if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) return "signature does not match";
    return undefined;
}
