/**
 * What the canary Lambda is told at deploy time, and the bounds of one run.
 *
 * The program (infra/components/canary.ts) renders one {@link CanaryConfig} into the
 * function's `CANARY_CONFIG` environment variable; the handler (./handler.ts) parses it
 * back with {@link parseCanaryConfig}. The code bundle stays the same bytes whatever the
 * stack (same hash, no new upload on a config change).
 *
 * Designed for a fleet (issue 16): one function per stack probes a LIST of servers. Each
 * server's listeners are probed in parallel, every server at once, within one bounded run.
 *
 * Pure: no `@pulumi/*` import.
 */

/** One server the canary probes. */
export interface CanaryServer {
    /** The `Server` dimension (infra/canary-metrics.ts): the server's name in the stack, e.g. `turn`. */
    name: string;
    /** Address to probe: the server's Elastic IP, as the readiness gate probes it (no DNS in the way). */
    host: string;
    /** With TLS: the name the certificate must match (turn:domain), for SNI and verification. */
    servername?: string;
    /** Listeners in the probe's syntax (listeners.ts probeListenerSpec), e.g. `udp:3478,tcp:3478,tls:5349,tls:443`. */
    listeners: string;
}

/** The canary's deploy-time configuration (the `CANARY_CONFIG` environment variable, JSON). */
export interface CanaryConfig {
    /** CloudWatch namespace to publish in (canary-metrics.ts canaryNamespace); the IAM condition names the same one. */
    namespace: string;
    /** SSM parameter holding the TURN REST API shared secret (a SecureString). */
    secretParameterName: string;
    servers: CanaryServer[];
}

/** Name of the environment variable that carries the {@link CanaryConfig}. */
export const CANARY_CONFIG_ENV = "CANARY_CONFIG";

/**
 * The function's timeout, seconds. Lambda allows 1 to 900 (Lambda Developer Guide, "Configure
 * Lambda function timeout"); a run needs at most {@link CANARY_RUN_BUDGET_MS} to probe plus the
 * SSM read and the PutMetricData call, each bounded by {@link AWS_CALL_TIMEOUT_MS}.
 */
export const CANARY_TIMEOUT_SECONDS = 60;
/** Longest time a run spends probing (all listeners of all servers in parallel), ms. */
export const CANARY_RUN_BUDGET_MS = 30_000;
/** Time kept back from the Lambda's remaining time for publishing the metrics, ms. */
export const CANARY_PUBLISH_RESERVE_MS = 10_000;
/** Per TURN request (and TCP/TLS connect) timeout, ms: an allocation is 2 requests plus the connect. */
export const CANARY_REQUEST_TIMEOUT_MS = 5_000;
/** Timeout of each AWS API call (SSM GetParameter, CloudWatch PutMetricData), ms. */
export const AWS_CALL_TIMEOUT_MS = 8_000;
/** User id in the canary's TURN usernames (`<expiry>:turn-stack-canary`), so coturn's log tells its allocations apart. */
export const CANARY_USER_ID = "turn-stack-canary";

/**
 * Total size of a function's environment variables: at most 4 KB (Lambda Developer Guide,
 * "Lambda quotas": "Function resource ... Environment variables 4 KB, for all environment
 * variables associated with the function, combined"). The policy pack checks the rendered
 * value (infra/policy lambda-function); at about 120 bytes per server, some 30 servers fit.
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

/** Serialize a config for the `CANARY_CONFIG` variable (key order fixed: same config, same bytes). */
export function renderCanaryConfig(c: CanaryConfig): string {
    return JSON.stringify({
        namespace: c.namespace,
        secretParameterName: c.secretParameterName,
        servers: c.servers.map((s) => ({ name: s.name, host: s.host, ...(s.servername ? { servername: s.servername } : {}), listeners: s.listeners })),
    });
}

/**
 * Parse and check the `CANARY_CONFIG` text.
 * @throws Error naming what is missing or malformed (a deployment bug, not a TURN failure)
 */
export function parseCanaryConfig(text: string | undefined): CanaryConfig {
    if (!text) throw new Error(`${CANARY_CONFIG_ENV} is not set: the function was deployed without its configuration`);
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new Error(`${CANARY_CONFIG_ENV} is not JSON: ${e instanceof Error ? e.message : e}`);
    }
    const c = raw as Partial<CanaryConfig>;
    const str = (v: unknown) => typeof v === "string" && v.length > 0;
    if (!str(c.namespace) || !str(c.secretParameterName) || !Array.isArray(c.servers) || c.servers.length === 0) {
        throw new Error(`${CANARY_CONFIG_ENV} must have namespace, secretParameterName and at least one server`);
    }
    for (const s of c.servers) {
        if (!str(s?.name) || !str(s?.host) || !str(s?.listeners) || (s.servername !== undefined && !str(s.servername))) {
            throw new Error(`${CANARY_CONFIG_ENV}: server ${JSON.stringify(s)} must have name, host and listeners (servername optional)`);
        }
    }
    if (new Set(c.servers.map((s) => s.name)).size !== c.servers.length) throw new Error(`${CANARY_CONFIG_ENV}: server names must be unique`);
    return c as CanaryConfig;
}
