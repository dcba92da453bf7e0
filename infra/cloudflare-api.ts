/**
 * Cloudflare Realtime TURN over HTTP, as Cloudflare documents it:
 *
 *  - credentials: `POST https://rtc.live.cloudflare.com/v1/turn/keys/<key id>/credentials/generate-ice-servers`
 *    with `Authorization: Bearer <key>` and `{"ttl": <seconds>}`; 201 `{"iceServers": [...]}`
 *    (developers.cloudflare.com/realtime/turn/generate-credentials/);
 *  - TURN keys: `POST/DELETE https://api.cloudflare.com/client/v4/accounts/<account>/calls/turn_keys[/<key id>]`
 *    with an API token that has Calls Write (Cloudflare API reference, "Calls TURN keys").
 *
 * Pure Node (global `fetch`), no `@pulumi/*` import; base URLs can be pointed
 * at a stand-in for tests.
 */
import type { RTCIceServer } from "./ice";

/** Cloudflare's TURN credential endpoint base. */
export const CLOUDFLARE_RTC_API = "https://rtc.live.cloudflare.com/v1";
/** Cloudflare's account API base. */
export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";
/** Longest credential lifetime Cloudflare accepts, seconds. */
export const CLOUDFLARE_MAX_TTL_SECONDS = 172_800;

/**
 * Cloudflare's TURN URLs without credentials (Cloudflare "TURN service"
 * addresses and ports), for stack outputs. Port 53 is left out: browsers block it.
 */
export const CLOUDFLARE_TURN_URLS: readonly string[] = [
    "stun:stun.cloudflare.com:3478",
    "turn:turn.cloudflare.com:3478?transport=udp",
    "turn:turn.cloudflare.com:3478?transport=tcp",
    "turn:turn.cloudflare.com:80?transport=tcp",
    "turns:turn.cloudflare.com:5349?transport=tcp",
    "turns:turn.cloudflare.com:443?transport=tcp",
];

/** An HTTP failure from Cloudflare, with its status (0 for timeouts and network errors). */
export class CloudflareApiError extends Error {
    constructor(
        message: string,
        readonly status: number,
    ) {
        super(message);
        this.name = "CloudflareApiError";
    }
}

/** Retry and timeout policy for Cloudflare calls. */
export interface RetryPolicy {
    /** Per-attempt timeout, milliseconds (default 10000). */
    timeoutMs?: number;
    /** Attempts in all for 429, 5xx and timeouts (default 4). */
    attempts?: number;
    /** First backoff, milliseconds, doubled each retry; a Retry-After header wins (default 500). */
    backoffMs?: number;
}

/** Options of {@link generateCloudflareIceServers}. */
export interface GenerateOptions extends RetryPolicy {
    /** TURN key id (the key's `uid`). */
    keyId: string;
    /** TURN key API token (the key's bearer token). */
    key: string;
    /** Credential lifetime, seconds, 1 to 172800. */
    ttlSeconds: number;
    /** Base URL (default {@link CLOUDFLARE_RTC_API}). */
    baseUrl?: string;
}

/**
 * Fresh Cloudflare TURN credentials as `RTCIceServer[]`, with URLs on port 53
 * removed (browsers block that port; servers left with no URL are dropped).
 * @throws CloudflareApiError: 401/403 bad token, 404 unknown key id, 429/5xx/timeouts after retries, malformed response
 * @throws Error when the TTL is out of range
 */
export async function generateCloudflareIceServers(o: GenerateOptions): Promise<RTCIceServer[]> {
    if (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds < 1 || o.ttlSeconds > CLOUDFLARE_MAX_TTL_SECONDS) {
        throw new Error(`TTL ${o.ttlSeconds}: Cloudflare accepts 1 to ${CLOUDFLARE_MAX_TTL_SECONDS} seconds`);
    }
    const url = `${o.baseUrl ?? CLOUDFLARE_RTC_API}/turn/keys/${encodeURIComponent(o.keyId)}/credentials/generate-ice-servers`;
    const body = await requestJson(url, { method: "POST", token: o.key, body: { ttl: o.ttlSeconds }, expect: [200, 201] }, o, {
        401: "Cloudflare rejected the TURN key's API token (HTTP 401): check the stack's cloudflareTurnKey",
        403: "Cloudflare refused the TURN key's API token (HTTP 403): check the stack's cloudflareTurnKey",
        404: `Cloudflare has no TURN key with id ${o.keyId} (HTTP 404): check the stack's cloudflareTurnKeyId`,
    });
    const servers = (body as { iceServers?: unknown }).iceServers;
    if (!Array.isArray(servers)) throw new CloudflareApiError("Cloudflare's response has no iceServers array", 0);
    return dropPort53(servers as RTCIceServer[]);
}

/** Remove URLs on port 53 (blocked by browsers) and servers left without URLs. */
export function dropPort53(servers: RTCIceServer[]): RTCIceServer[] {
    return servers
        .map((s) => ({ ...s, urls: [s.urls].flat().filter((u) => !/:53(\?|$)/.test(u)) }))
        .filter((s) => s.urls.length > 0);
}

/** Options of the TURN key calls. */
export interface TurnKeyOptions extends RetryPolicy {
    accountId: string;
    /** Cloudflare API token with Calls Write. */
    apiToken: string;
    /** Base URL (default {@link CLOUDFLARE_API}). */
    baseUrl?: string;
}

/**
 * Create a TURN key. The bearer token is returned only here, never again.
 * Cloudflare's API reference names it `key`; the live API has been seen to
 * send `secret` (pulumi-cloudflare #1674): both are accepted.
 * @returns the key id (`uid`) and its bearer token
 * @throws CloudflareApiError
 */
export async function createTurnKey(o: TurnKeyOptions & { name: string }): Promise<{ keyId: string; key: string }> {
    const url = `${o.baseUrl ?? CLOUDFLARE_API}/accounts/${encodeURIComponent(o.accountId)}/calls/turn_keys`;
    const body = (await requestJson(url, { method: "POST", token: o.apiToken, body: { name: o.name }, expect: [200, 201] }, o, accountErrors(o.accountId))) as {
        result?: { uid?: string; key?: string; secret?: string };
    };
    const keyId = body.result?.uid;
    const key = body.result?.key ?? body.result?.secret;
    if (!keyId || !key) throw new CloudflareApiError("Cloudflare created a TURN key but returned no uid or token", 0);
    return { keyId, key };
}

/**
 * Delete a TURN key. A key that is already gone (404) counts as deleted, so
 * destroy is idempotent.
 * @throws CloudflareApiError
 */
export async function deleteTurnKey(o: TurnKeyOptions & { keyId: string }): Promise<void> {
    const url = `${o.baseUrl ?? CLOUDFLARE_API}/accounts/${encodeURIComponent(o.accountId)}/calls/turn_keys/${encodeURIComponent(o.keyId)}`;
    await requestJson(url, { method: "DELETE", token: o.apiToken, expect: [200, 204, 404] }, o, accountErrors(o.accountId));
}

function accountErrors(accountId: string): Record<number, string> {
    return {
        401: "Cloudflare rejected the API token (HTTP 401): set cloudflare:apiToken or CLOUDFLARE_API_TOKEN",
        403: "Cloudflare refused the API token (HTTP 403): it needs the Calls Write permission on the account",
        404: `Cloudflare has no account ${accountId} for this token (HTTP 404): check turn:cloudflareAccountId`,
    };
}

async function requestJson(
    url: string,
    req: { method: string; token: string; body?: unknown; expect: number[] },
    policy: RetryPolicy,
    messages: Record<number, string>,
): Promise<unknown> {
    const attempts = policy.attempts ?? 4;
    const timeoutMs = policy.timeoutMs ?? 10_000;
    let backoff = policy.backoffMs ?? 500;
    let last = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
        let res: Response;
        try {
            res = await fetch(url, {
                method: req.method,
                headers: { Authorization: `Bearer ${req.token}`, "Content-Type": "application/json" },
                body: req.body === undefined ? undefined : JSON.stringify(req.body),
                signal: AbortSignal.timeout(timeoutMs),
            });
        } catch (e) {
            const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
            last = timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${e instanceof Error ? e.message : String(e)}`;
            if (attempt < attempts) {
                await delay(backoff);
                backoff *= 2;
                continue;
            }
            throw new CloudflareApiError(`${req.method} ${redact(url)} ${last} (${attempts} attempts)`, 0);
        }
        if (req.expect.includes(res.status)) {
            const text = await res.text();
            if (res.status === 204 || res.status === 404 || text === "") return {};
            try {
                return JSON.parse(text);
            } catch {
                throw new CloudflareApiError(`${req.method} ${redact(url)}: response is not JSON`, res.status);
            }
        }
        await res.body?.cancel();
        if (res.status === 429 || res.status >= 500) {
            last = `HTTP ${res.status}`;
            if (attempt < attempts) {
                const retryAfter = Number(res.headers.get("retry-after"));
                await delay(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff);
                backoff *= 2;
                continue;
            }
            throw new CloudflareApiError(`${req.method} ${redact(url)} kept failing with ${last} (${attempts} attempts)`, res.status);
        }
        throw new CloudflareApiError(messages[res.status] ?? `${req.method} ${redact(url)}: unexpected HTTP ${res.status}`, res.status);
    }
    throw new CloudflareApiError(`${req.method} ${redact(url)}: ${last}`, 0);
}

/** URLs carry ids, not secrets; keep them, but never a query string. */
function redact(url: string): string {
    return url.split("?")[0];
}

function delay(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
