/**
 * One canary run: read the TURN shared secret, make a real TURN allocation on every listener
 * of every server with a credential minted from it (scripts/lib/probe.ts, the readiness gate's
 * probe: no second TURN client), read each TLS server's certificate expiry, publish the metrics
 * (./metrics.ts), and say what failed.
 *
 * Bounded: every listener and certificate check races one deadline (`budgetMs` from the start),
 * so a run never outlives the function's timeout; what has not answered by then counts as failed,
 * named, with the budget in its reason. The AWS calls have their own timeouts (./aws.ts).
 *
 * No `@pulumi/*` import; the AWS calls and the clock come in as arguments, so tests run it
 * against loopback stand-ins.
 */
import { parseTargets, probeListeners } from "../../scripts/lib/probe";
import { CANARY_REQUEST_TIMEOUT_MS, CANARY_USER_ID, type CanaryConfig } from "./config";
import { canaryMetricData, failureLines, type ListenerOutcome, type ServerOutcome } from "./metrics";
import { certificateNotAfter } from "./cert";
import type { CanaryAws } from "./aws";

/** What a run needs besides its config. */
export interface CanaryDeps {
    aws: CanaryAws;
    /** Longest the probing may take, ms (the handler derives it from the function's remaining time). */
    budgetMs: number;
    /** Per TURN request / connect timeout, ms (default {@link CANARY_REQUEST_TIMEOUT_MS}). */
    requestTimeoutMs?: number;
    /** Extra trusted CA (PEM) for TLS listeners; tests only (Lambda trusts Node's bundled roots). */
    ca?: string;
    /** Clock, for the data points' timestamp (default now). */
    now?: () => Date;
    log?: (line: string) => void;
}

/** The run's result, also the function's return value (visible in its log and a test invocation). */
export interface CanaryReport {
    ok: boolean;
    servers: ServerOutcome[];
    /** `<server> <listener>: <why>` per failed listener. */
    failures: string[];
    /** Number of data points published. */
    published: number;
    durationMs: number;
}

/**
 * Run the canary once.
 * @throws Error when the secret cannot be read (naming the parameter and AWS's error; nothing is
 *   probed or published: the run could prove nothing) or the metrics cannot be published
 */
export async function runCanary(config: CanaryConfig, deps: CanaryDeps): Promise<CanaryReport> {
    const started = performance.now();
    const log = deps.log ?? (() => undefined);
    let secret: string;
    try {
        secret = await deps.aws.readParameter(config.secretParameterName);
    } catch (e) {
        throw new Error(`canary: cannot read the TURN shared secret from SSM parameter ${config.secretParameterName}: ${e instanceof Error ? e.message : e}`);
    }

    // One deadline for the whole run; whatever is still waiting then is a failure.
    let expire!: () => void;
    const deadline = new Promise<void>((r) => (expire = r));
    const timer = setTimeout(() => expire(), deps.budgetMs);
    const bounded = <T>(work: Promise<T>, late: () => T): Promise<T> => Promise.race([work, deadline.then(late)]);
    const overBudget = `no answer within the run's budget of ${deps.budgetMs} ms`;
    const timeoutMs = Math.min(deps.requestTimeoutMs ?? CANARY_REQUEST_TIMEOUT_MS, deps.budgetMs);

    try {
        const servers = await Promise.all(
            config.servers.map(async (server): Promise<ServerOutcome> => {
                const targets = parseTargets(server.listeners);
                const listeners = Promise.all(
                    targets.map((t) =>
                        bounded(
                            probeListeners({ host: server.host, targets: [t], secret, servername: server.servername, ca: deps.ca, timeoutMs, userId: CANARY_USER_ID }).then(
                                ([r]): ListenerOutcome => ({ listener: r.target, ok: r.ok, latencyMs: r.latencyMs, detail: r.detail }),
                            ),
                            (): ListenerOutcome => ({ listener: `${t.transport}:${t.port}`, ok: false, detail: overBudget }),
                        ),
                    ),
                );
                const tlsTarget = targets.find((t) => t.transport === "tls");
                const cert = tlsTarget
                    ? bounded(
                          certificateNotAfter({ host: server.host, port: tlsTarget.port, servername: server.servername, timeoutMs }).then(
                              (notAfter) => ({ notAfter, problem: undefined }),
                              (e: unknown) => ({ notAfter: undefined, problem: `tls:${tlsTarget.port}: ${e instanceof Error ? e.message : e}` }),
                          ),
                          () => ({ notAfter: undefined, problem: `tls:${tlsTarget.port}: ${overBudget}` }),
                      )
                    : Promise.resolve({ notAfter: undefined, problem: undefined });
                const [l, c] = await Promise.all([listeners, cert]);
                return { server: server.name, listeners: l, certificateNotAfter: c.notAfter, certificateProblem: c.problem };
            }),
        );
        const at = (deps.now ?? (() => new Date()))();
        const data = canaryMetricData(servers, at);
        const failures = failureLines(servers);
        for (const s of servers) {
            for (const l of s.listeners) log(`${l.ok ? "ok" : "FAIL"} ${s.server} ${l.listener}: ${l.ok ? `${l.latencyMs?.toFixed(1)} ms, relayed ${l.detail}` : l.detail}`);
            if (s.certificateNotAfter) log(`certificate ${s.server}: notAfter ${s.certificateNotAfter.toISOString()}`);
            if (s.certificateProblem) log(`certificate ${s.server}: not read: ${s.certificateProblem}`);
        }
        await deps.aws.putMetricData(config.namespace, data);
        return { ok: failures.length === 0, servers, failures, published: data.length, durationMs: Math.round(performance.now() - started) };
    } finally {
        clearTimeout(timer);
    }
}
