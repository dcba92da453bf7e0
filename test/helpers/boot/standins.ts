/**
 * What the VM reaches over the network at boot, served from the boot test's
 * "edge" namespace (run there with `ip netns exec`). Stand-ins, not AWS:
 *
 * - apt: the local flat repository (test/helpers/boot/image.ts) over HTTP on
 *   `aptAddress:80`, in place of deb.debian.org.
 * - EC2 instance metadata, IMDSv2 only, on `169.254.169.254:80`, following the
 *   EC2 user guide ("Use the Instance Metadata Service", "Retrieve security
 *   credentials from instance metadata"): `PUT /latest/api/token` with
 *   `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) returns a token; every GET
 *   without a valid `X-aws-ec2-metadata-token` gets 401; the instance profile's
 *   temporary credentials are under `/latest/meta-data/iam/security-credentials/<role>`.
 * - AWS Systems Manager `GetParameter` (AWS JSON 1.1 protocol: `POST /`,
 *   `X-Amz-Target: AmazonSSM.GetParameter`) over HTTPS on `ssmAddress:443`,
 *   with a certificate for `ssm.<region>.amazonaws.com` from the test CA. It
 *   checks the Signature Version 4 signature with the credentials the metadata
 *   stand-in handed out, so only a caller that fetched them can read the
 *   parameter; `WithDecryption` must be true for a SecureString, as in SSM.
 *
 * - Amazon S3 `GET` on `s3.<region>.amazonaws.com` (same address, routed by
 *   Host): every object is missing, `404 NoSuchKey` with S3's XML error body.
 *
 * Config comes as JSON in TURN_STACK_STANDIN, the parameters' values as a JSON
 * object (name to value) in TURN_STACK_SSM_VALUES (never in argv), their types in
 * TURN_STACK_SSM_TYPES (name to String or SecureString, default SecureString: a String's
 * value comes back as is, with or without WithDecryption, as in SSM). Each line of
 * JSON on stdin sets parameters (a rotation, as `pulumi up` would write them);
 * it is acknowledged with `{"service":"standin","set":[names]}`. With
 * TURN_STACK_SSM_DOWN=1 SSM starts unreachable (each request's connection is
 * dropped without an answer, recorded with status 0) until the stdin line
 * `{"control":{"ssmReachable":true}}` (acknowledged with
 * `{"service":"standin","ssmReachable":true}`). Prints
 * `{"ready":true}` once all three listen, then one JSON line per request, for
 * the test to assert on.
 */
import { buffer } from "node:stream/consumers";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { createInterface } from "node:readline";
import { sigv4Problem as checkSigV4 } from "../sigv4";

interface StandinConfig {
    repoDir: string;
    aptAddress: string;
    ssmAddress: string;
    certFile: string;
    keyFile: string;
    region: string;
}

const cfg: StandinConfig = JSON.parse(process.env.TURN_STACK_STANDIN!);
const parameters: Record<string, string> = JSON.parse(process.env.TURN_STACK_SSM_VALUES!);
const parameterTypes: Record<string, string> = JSON.parse(process.env.TURN_STACK_SSM_TYPES ?? "{}");
/** False while SSM is unreachable (TURN_STACK_SSM_DOWN=1 at start, until a control line says otherwise). */
let ssmReachable = process.env.TURN_STACK_SSM_DOWN !== "1";
createInterface({ input: process.stdin }).on("line", (line) => {
    const msg = JSON.parse(line);
    if (msg.control) {
        ssmReachable = msg.control.ssmReachable === true;
        return record({ service: "standin", ssmReachable });
    }
    const set: Record<string, string> = msg;
    Object.assign(parameters, set);
    record({ service: "standin", set: Object.keys(set) });
});
const ROLE = "turn-stack-boot-test";
const credentials = {
    AccessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
    SecretAccessKey: randomBytes(30).toString("base64"),
    Token: randomBytes(48).toString("base64"),
};
const imdsTokens = new Set<string>();

function record(entry: Record<string, unknown>) {
    process.stdout.write(JSON.stringify(entry) + "\n");
}

function send(res: ServerResponse, status: number, text: string, type = "text/plain") {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
    res.end(text);
}

// --- apt ------------------------------------------------------------------
const apt = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, "http://x").pathname)).replace(/^\/+/, "");
    const file = join(cfg.repoDir, path);
    let size = -1;
    if (!path.startsWith("..")) {
        try {
            const st = statSync(file);
            if (st.isFile()) size = st.size;
        } catch {
            /* not there */
        }
    }
    record({ service: "apt", method: req.method, path: `/${path}`, status: size >= 0 ? 200 : 404 });
    if (size < 0) return send(res, 404, "not found");
    res.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
});

// --- IMDSv2 ----------------------------------------------------------------
const imds = createServer(async (req, res) => {
    const path = new URL(req.url!, "http://x").pathname;
    await buffer(req);
    if (req.method === "PUT" && path === "/latest/api/token") {
        const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
            record({ service: "imds", method: "PUT", path, status: 400 });
            return send(res, 400, "");
        }
        const token = randomBytes(32).toString("base64");
        imdsTokens.add(token);
        record({ service: "imds", method: "PUT", path, status: 200 });
        return send(res, 200, token);
    }
    const token = req.headers["x-aws-ec2-metadata-token"];
    if (typeof token !== "string" || !imdsTokens.has(token)) {
        record({ service: "imds", method: req.method, path, status: 401 });
        return send(res, 401, "");
    }
    const now = new Date();
    const docs: Record<string, [string, string]> = {
        "/latest/meta-data/iam/security-credentials/": [ROLE, "text/plain"],
        "/latest/meta-data/iam/security-credentials": [ROLE, "text/plain"],
        [`/latest/meta-data/iam/security-credentials/${ROLE}`]: [
            JSON.stringify({
                Code: "Success",
                LastUpdated: now.toISOString().replace(/\.\d+Z$/, "Z"),
                Type: "AWS-HMAC",
                ...credentials,
                Expiration: new Date(now.getTime() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z"),
            }),
            "text/plain",
        ],
        "/latest/meta-data/placement/region": [cfg.region, "text/plain"],
        "/latest/dynamic/instance-identity/document": [JSON.stringify({ region: cfg.region, instanceId: "i-0b00715e5ca1ab1e0", accountId: "123456789012" }), "text/plain"],
    };
    const doc = req.method === "GET" ? docs[path] : undefined;
    record({ service: "imds", method: req.method, path, status: doc ? 200 : 404 });
    if (!doc) return send(res, 404, "");
    send(res, 200, doc[0], doc[1]);
});

// --- SSM GetParameter --------------------------------------------------------
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/**
 * Check the request's Signature Version 4 with the credentials the metadata
 * stand-in handed out, for SSM in the stand-ins' region (test/helpers/sigv4.ts).
 * Returns the reason it is not valid, or undefined when it is.
 */
function sigv4Problem(req: IncomingMessage, payload: Buffer): string | undefined {
    return checkSigV4(req, payload, { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.Token, region: cfg.region, service: "ssm" });
}

function ssmError(res: ServerResponse, status: number, type: string, message: string) {
    send(res, status, JSON.stringify({ __type: type, message }), "application/x-amz-json-1.1");
}

function s3NoSuchKey(req: IncomingMessage, res: ServerResponse) {
    const key = new URL(req.url!, "https://x").pathname;
    record({ service: "s3", method: req.method, path: key, status: 404 });
    send(res, 404, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key></Error>`, "application/xml");
}

const aws = createHttpsServer({ cert: readFileSync(cfg.certFile), key: readFileSync(cfg.keyFile) }, async (req, res) => {
    const payload = await buffer(req);
    if (String(req.headers.host ?? "").startsWith("s3.")) return s3NoSuchKey(req, res);
    if (!ssmReachable) {
        // SSM unreachable (an outage, a network path not there yet): the connection drops without an answer.
        record({ service: "ssm", status: 0, unreachable: true });
        return req.socket.destroy();
    }
    const target = String(req.headers["x-amz-target"] ?? "");
    const problem = sigv4Problem(req, payload);
    let input: { Name?: string; WithDecryption?: boolean } = {};
    try {
        input = JSON.parse(payload.toString() || "{}");
    } catch {
        /* reported below */
    }
    const entry = { service: "ssm", target, name: input.Name, withDecryption: input.WithDecryption === true, signature: problem ?? "valid" };
    if (problem) {
        record({ ...entry, status: 403 });
        return ssmError(res, 403, "UnrecognizedClientException", problem);
    }
    if (req.method !== "POST" || target !== "AmazonSSM.GetParameter") {
        record({ ...entry, status: 400 });
        return ssmError(res, 400, "InvalidAction", `only AmazonSSM.GetParameter is stood in for, not ${target}`);
    }
    const parameterValue = input.Name === undefined ? undefined : parameters[input.Name];
    if (parameterValue === undefined) {
        record({ ...entry, status: 400 });
        return ssmError(res, 400, "ParameterNotFound", `parameter ${input.Name} not found`);
    }
    record({ ...entry, status: 200 });
    send(
        res,
        200,
        JSON.stringify({
            Parameter: {
                Name: input.Name,
                Type: parameterTypes[input.Name!] ?? "SecureString",
                // Without decryption SSM returns a SecureString's KMS ciphertext, not the value; WithDecryption is ignored for a String.
                Value: input.WithDecryption || parameterTypes[input.Name!] === "String" ? parameterValue : Buffer.from(`kms-ciphertext:${sha256(parameterValue)}`).toString("base64"),
                Version: 1,
                LastModifiedDate: 1.7e9,
                ARN: `arn:aws:ssm:${cfg.region}:123456789012:parameter${input.Name}`,
                DataType: "text",
            },
        }),
        "application/x-amz-json-1.1",
    );
});

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
    });
}

Promise.all([listen(apt, 80, cfg.aptAddress), listen(imds, 80, "169.254.169.254"), listen(aws as unknown as ReturnType<typeof createServer>, 443, cfg.ssmAddress)]).then(
    () => record({ ready: true }),
    (e) => {
        console.error(`stand-ins failed to listen: ${e}`);
        process.exit(1);
    },
);
process.on("SIGTERM", () => process.exit(0));
