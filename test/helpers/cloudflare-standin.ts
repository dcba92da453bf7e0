/**
 * STAND-IN for Cloudflare's APIs, which tests cannot reach: a local HTTP server
 * on 127.0.0.1 that follows the documented contract of
 *
 *  - `POST /v1/turn/keys/<key id>/credentials/generate-ice-servers` (rtc.live.cloudflare.com):
 *    `Authorization: Bearer <key>`, body `{"ttl": 1..172800}`; 201 `{"iceServers": [...]}`
 *    with the STUN and TURN URLs Cloudflare documents, port 53 ones included; 401 for a
 *    wrong bearer token, 404 for an unknown key id, 400 for a bad TTL;
 *  - `POST /client/v4/accounts/<account>/calls/turn_keys` and `DELETE .../turn_keys/<key id>`
 *    (api.cloudflare.com): API token as bearer, Cloudflare's `{success, errors, messages, result}`
 *    envelope; 403 for a wrong token, 404 for an unknown account or key.
 *
 * Tests can queue failures (429, 5xx) and delays to exercise retries and timeouts.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";

export interface StandIn {
    /** Base for the credentials API, e.g. http://127.0.0.1:1234/v1 */
    rtcBase: string;
    /** Base for the account API, e.g. http://127.0.0.1:1234/client/v4 */
    apiBase: string;
    /** TURN keys that exist: id → bearer token. */
    keys: Map<string, string>;
    /** Every request seen: method, path, authorization, body. */
    requests: { method: string; path: string; auth?: string; body: string }[];
    /** Statuses to answer with, in order, before normal handling (e.g. [429, 503]). */
    failures: number[];
    /** Milliseconds to hold each response before answering (for timeouts). */
    delayMs: number;
    /** Name of the token field in a create response: documented `key`, or `secret` as the live API sends. */
    tokenField: "key" | "secret";
    close(): Promise<void>;
}

export const STANDIN_ACCOUNT = "00112233445566778899aabbccddeeff";
export const STANDIN_API_TOKEN = "standin-api-token-with-calls-write";

export async function startCloudflareStandIn(): Promise<StandIn> {
    const state = {
        keys: new Map<string, string>(),
        requests: [] as StandIn["requests"],
        failures: [] as number[],
        delayMs: 0,
        tokenField: "key" as "key" | "secret",
    };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            state.requests.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
            const send = (status: number, payload?: unknown) => {
                const reply = () => {
                    if (res.destroyed) return;
                    res.writeHead(status, { "content-type": "application/json" });
                    res.end(payload === undefined ? "" : JSON.stringify(payload));
                };
                if (state.delayMs > 0) setTimeout(reply, state.delayMs);
                else reply();
            };
            const forced = state.failures.shift();
            if (forced !== undefined) return send(forced, { success: false, errors: [{ code: forced, message: "stand-in forced failure" }] });
            const bearer = req.headers.authorization?.replace(/^Bearer /, "");
            let m: RegExpExecArray | null;
            if (req.method === "POST" && (m = /^\/v1\/turn\/keys\/([^/]+)\/credentials\/generate-ice-servers$/.exec(req.url!))) {
                const token = state.keys.get(m[1]);
                if (token === undefined) return send(404, { error: "not found" });
                if (bearer !== token) return send(401, { error: "unauthorized" });
                let ttl: unknown;
                try {
                    ttl = JSON.parse(body).ttl;
                } catch {
                    return send(400, { error: "bad json" });
                }
                if (!Number.isInteger(ttl) || (ttl as number) < 1 || (ttl as number) > 172800) return send(400, { error: "bad ttl" });
                return send(201, {
                    iceServers: [
                        { urls: ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"] },
                        {
                            urls: [
                                "turn:turn.cloudflare.com:3478?transport=udp",
                                "turn:turn.cloudflare.com:53?transport=udp",
                                "turn:turn.cloudflare.com:3478?transport=tcp",
                                "turn:turn.cloudflare.com:80?transport=tcp",
                                "turns:turn.cloudflare.com:5349?transport=tcp",
                                "turns:turn.cloudflare.com:443?transport=tcp",
                            ],
                            username: randomBytes(48).toString("hex"),
                            credential: randomBytes(48).toString("hex"),
                        },
                    ],
                });
            }
            if ((m = /^\/client\/v4\/accounts\/([^/]+)\/calls\/turn_keys(?:\/([^/]+))?$/.exec(req.url!))) {
                if (bearer !== STANDIN_API_TOKEN) return send(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] });
                if (m[1] !== STANDIN_ACCOUNT) return send(404, { success: false, errors: [{ code: 7003, message: "Could not route" }] });
                if (req.method === "POST" && !m[2]) {
                    const uid = randomBytes(16).toString("hex");
                    const token = randomBytes(32).toString("hex");
                    state.keys.set(uid, token);
                    const now = new Date(0).toISOString();
                    return send(201, {
                        success: true,
                        errors: [],
                        messages: [],
                        result: { uid, name: JSON.parse(body || "{}").name, created: now, modified: now, [state.tokenField]: token },
                    });
                }
                if (req.method === "DELETE" && m[2]) {
                    if (!state.keys.delete(m[2])) return send(404, { success: false, errors: [{ code: 404, message: "not found" }] });
                    return send(200, { success: true, errors: [], messages: [], result: { uid: m[2] } });
                }
            }
            send(404, { error: "no such route in the stand-in" });
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    return Object.assign(state, {
        rtcBase: `${base}/v1`,
        apiBase: `${base}/client/v4`,
        close: () =>
            new Promise<void>((r) => {
                server.closeAllConnections();
                server.close(() => r());
            }),
    });
}
