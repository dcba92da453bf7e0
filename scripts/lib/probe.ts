/**
 * Readiness probe: does a TURN server answer a real allocation on each of its
 * listeners, with a credential minted from the shared secret? Used by
 * `npm run probe` (the stack's readiness gate runs it after `pulumi up`
 * creates the server) and by tests against a local coturn.
 */
import { mintTurnCredential } from "../../infra/credentials";
import { TurnClient, type ConnectOptions } from "./turn-client";

/** One listener to probe, e.g. `{ transport: "tls", port: 443 }`. */
export interface ProbeTarget {
    transport: ConnectOptions["transport"];
    port: number;
}

/** Options of {@link probeListeners}. */
export interface ProbeOptions {
    host: string;
    targets: ProbeTarget[];
    /** TURN REST API shared secret. */
    secret: string;
    /** TLS: server name to verify (default host) and extra trusted CA (PEM). */
    servername?: string;
    ca?: string;
    /** Attempts per listener (default 1) and pause between them, ms (default 5000). */
    attempts?: number;
    intervalMs?: number;
    /** Per-attempt timeout, ms (default 5000). */
    timeoutMs?: number;
    /** Progress lines (default: none). */
    log?: (line: string) => void;
    /** User id in the minted credential's username, as coturn logs it (default `readiness-probe`). */
    userId?: string;
}

/** Result for one listener. */
export interface ProbeResult {
    target: string;
    ok: boolean;
    /** The relayed address on success; the last error otherwise. */
    detail: string;
    /** On success: milliseconds from the successful attempt's connect to its allocation (the canary's latency metric). */
    latencyMs?: number;
}

/** `udp:3478`-style name of a target. */
export function targetName(t: ProbeTarget): string {
    return `${t.transport}:${t.port}`;
}

/**
 * Parse `udp:3478,tcp:3478,tls:5349,tls:443`.
 * @throws Error naming a bad entry
 */
export function parseTargets(spec: string): ProbeTarget[] {
    return spec.split(",").map((item) => {
        const m = /^(udp|tcp|tls):(\d{1,5})$/.exec(item.trim());
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`listener ${JSON.stringify(item)}: expected <udp|tcp|tls>:<port>`);
        return { transport: m[1] as ProbeTarget["transport"], port: Number(m[2]) };
    });
}

/** Probe every listener (in parallel), retrying each up to `attempts` times. */
export async function probeListeners(o: ProbeOptions): Promise<ProbeResult[]> {
    const attempts = o.attempts ?? 1;
    return Promise.all(
        o.targets.map(async (t): Promise<ProbeResult> => {
            let detail = "";
            for (let i = 1; i <= attempts; i++) {
                let client: TurnClient | undefined;
                const started = performance.now();
                try {
                    client = await TurnClient.connect({ host: o.host, port: t.port, transport: t.transport, servername: o.servername, ca: o.ca, timeoutMs: o.timeoutMs ?? 5000 });
                    const cred = mintTurnCredential(o.secret, { ttlSeconds: 300, userId: o.userId ?? "readiness-probe" });
                    const a = await client.allocate(cred.username, cred.credential);
                    const latencyMs = performance.now() - started;
                    o.log?.(`ok ${targetName(t)}: relayed ${a.relayed.address}:${a.relayed.port}`);
                    return { target: targetName(t), ok: true, detail: `${a.relayed.address}:${a.relayed.port}`, latencyMs };
                } catch (e) {
                    detail = e instanceof Error ? e.message : String(e);
                    o.log?.(`attempt ${i}/${attempts} ${targetName(t)}: ${detail}`);
                } finally {
                    await client?.close();
                }
                if (i < attempts) await new Promise((r) => setTimeout(r, o.intervalMs ?? 5000));
            }
            return { target: targetName(t), ok: false, detail };
        }),
    );
}

/** One-line summary naming what did not answer, or undefined when all did. */
export function failureSummary(results: ProbeResult[]): string | undefined {
    const failed = results.filter((r) => !r.ok);
    return failed.length ? `TURN server not ready: ${failed.map((r) => `${r.target} (${r.detail})`).join("; ")}` : undefined;
}
