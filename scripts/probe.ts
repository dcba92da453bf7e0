/**
 * `npm run probe`: check that a TURN server answers a real allocation on each
 * listener, with a credential minted from the shared secret.
 *
 * Usage: TURN_SHARED_SECRET=... npm run probe -- --host <ip|name>
 *          [--listeners udp:3478,tcp:3478,tls:5349,tls:443] [--servername <name>] [--ca <pem file>]
 *          [--attempts 1] [--interval-ms 5000] [--timeout-ms 5000]
 *
 * The secret is read from the environment, never from arguments (which show in
 * process lists and logs). Exit 0 when every listener answered; 1, naming what
 * did not, otherwise.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { failureSummary, parseTargets, probeListeners } from "./lib/probe";

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            host: { type: "string" },
            listeners: { type: "string", default: "udp:3478,tcp:3478" },
            servername: { type: "string" },
            ca: { type: "string" },
            attempts: { type: "string", default: "1" },
            "interval-ms": { type: "string", default: "5000" },
            "timeout-ms": { type: "string", default: "5000" },
        },
    });
    if (!values.host) throw new Error("--host is required");
    const secret = process.env.TURN_SHARED_SECRET;
    if (!secret) throw new Error("TURN_SHARED_SECRET is not set");
    const num = (name: string, v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${v}: must be a positive whole number`);
        return n;
    };
    const results = await probeListeners({
        host: values.host,
        targets: parseTargets(values.listeners!),
        secret,
        servername: values.servername,
        ca: values.ca ? readFileSync(values.ca, "utf8") : undefined,
        attempts: num("attempts", values.attempts!),
        intervalMs: num("interval-ms", values["interval-ms"]!),
        timeoutMs: num("timeout-ms", values["timeout-ms"]!),
        log: (l) => console.error(`turn-stack probe: ${l}`),
    });
    const failure = failureSummary(results);
    if (failure) {
        console.error(failure);
        return 1;
    }
    console.log(JSON.stringify(results));
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`turn-stack probe: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(2);
    },
);
