/**
 * ICE servers with fresh credentials for one call: the library function an app
 * server calls per call (and `npm run ice` prints), so nobody copies the HMAC
 * or the Cloudflare call.
 *
 *  - self-hosted: TURN REST API credentials minted locally from the shared
 *    secret (draft-uberti-behave-turn-rest-00, infra/credentials.ts);
 *  - Cloudflare: credentials from Cloudflare's generate-ice-servers API (infra/cloudflare-api.ts);
 *  - both: own servers first, Cloudflare after, one `RTCIceServer[]`.
 */
import { mintTurnCredential } from "./credentials";
import { generateCloudflareIceServers, type RetryPolicy } from "./cloudflare-api";
import type { RTCIceServer } from "./ice";

/** Where credentials come from; at least one side is set. */
export interface IceSource {
    /**
     * Own coturn: its TURN URLs (no credentials) and the shared secret. A fleet (issue 16) has several
     * entries (`fleet`: the latency-routed name's URLs, then each server's), each given the same credential.
     */
    selfHosted?: { urls: string[]; sharedSecret: string; fleet?: string[][] };
    /** Cloudflare Realtime TURN key: id and bearer token. */
    cloudflare?: { keyId: string; key: string; baseUrl?: string };
}

/** Options of {@link iceServersForCall}. */
export interface CallOptions extends RetryPolicy {
    /** Credential lifetime, seconds. */
    ttlSeconds: number;
    /** User id in the TURN REST API username (self-hosted). */
    userId?: string;
    /** Current time, unix milliseconds (for tests). */
    nowMs?: number;
}

/**
 * `RTCIceServer[]` with fresh credentials, own relay first.
 * @throws Error when the source is empty; CloudflareApiError from Cloudflare
 */
export async function iceServersForCall(src: IceSource, o: CallOptions): Promise<RTCIceServer[]> {
    if (!src.selfHosted && !src.cloudflare) throw new Error("no TURN server in this stack: neither a shared secret nor a Cloudflare TURN key");
    const out: RTCIceServer[] = [];
    if (src.selfHosted) {
        const c = mintTurnCredential(src.selfHosted.sharedSecret, { ttlSeconds: o.ttlSeconds, userId: o.userId, nowMs: o.nowMs });
        for (const urls of src.selfHosted.fleet ?? [src.selfHosted.urls]) out.push({ urls: [...urls], username: c.username, credential: c.credential });
    }
    if (src.cloudflare) {
        out.push(...(await generateCloudflareIceServers({ ...o, ...src.cloudflare, ttlSeconds: o.ttlSeconds })));
    }
    return out;
}

/**
 * The {@link IceSource} in a stack's outputs, as `pulumi stack output --json
 * --show-secrets` prints them (or the Automation API's values).
 * @param region a fleet's region: the latency-routed name, then that region's servers only; undefined:
 *   every server, region by region (output `iceServersByRegion`)
 * @throws Error naming the missing output, or a region the fleet does not have
 */
export function iceSourceFromOutputs(outputs: Record<string, unknown>, region?: string): IceSource {
    const mode = outputs.mode;
    if (mode !== "self-hosted" && mode !== "cloudflare" && mode !== "both") {
        throw new Error(`stack outputs have no valid 'mode' (got ${JSON.stringify(mode)}); is this a turn-stack stack that has been deployed?`);
    }
    const need = (key: string): unknown => {
        const v = outputs[key];
        if (v === undefined || v === null || v === "") throw new Error(`stack output '${key}' is missing; ${mode} mode needs it`);
        if (typeof v === "string" && /^\[secret\]$/.test(v)) throw new Error(`stack output '${key}' is hidden: export it with --show-secrets`);
        return v;
    };
    const src: IceSource = {};
    if (mode !== "cloudflare") {
        const urls = need("turnServerUrls");
        if (!Array.isArray(urls) || !urls.every((u) => typeof u === "string")) throw new Error("stack output 'turnServerUrls' is not a list of URLs");
        src.selfHosted = { urls, sharedSecret: String(need("sharedSecret")) };
        const byRegion = outputs.iceServersByRegion as Record<string, { urls: string[] }[]> | null | undefined;
        if (byRegion && typeof byRegion === "object") {
            if (region !== undefined && !(region in byRegion)) throw new Error(`region ${region}: the fleet's regions are ${Object.keys(byRegion).join(", ")}`);
            // Each region's list starts with the latency-routed name: keep it once, then the servers in order.
            const lists = region !== undefined ? [byRegion[region]] : Object.values(byRegion);
            const seen = new Set<string>();
            src.selfHosted.fleet = lists.flat().map((s) => s.urls).filter((u) => !seen.has(u[0]) && seen.add(u[0]));
        } else if (region !== undefined) {
            throw new Error(`region ${region}: the stack is one server, not a fleet (no iceServersByRegion output)`);
        }
    }
    if (mode !== "self-hosted") {
        src.cloudflare = { keyId: String(need("cloudflareTurnKeyId")), key: String(need("cloudflareTurnKey")) };
    }
    return src;
}
