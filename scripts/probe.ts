/**
 * `npm run probe`: check that a TURN server answers a real allocation on each
 * listener, with a credential minted from the shared secret.
 *
 * Usage: TURN_SHARED_SECRET=... npm run probe -- --host <ip|name>
 *          [--listeners udp:3478,tcp:3478,tls:5349,tls:443] [--servername <name>] [--ca <pem file>]
 *          [--attempts 1] [--interval-ms 5000] [--timeout-ms 5000]   (--help for details)
 *
 * The secret is read from the environment, never from arguments (which show in
 * process lists and logs). Exit 0 when every listener answered; 1, naming what
 * did not, otherwise; 2 for bad usage or a missing secret, before any packet is sent.
 */
import { readFileSync } from "node:fs";
import { failureSummary, parseTargets, probeListeners } from "./lib/probe";
import { parseCli, UsageError, wholeNumber } from "./lib/cli";

const USAGE = `usage: TURN_SHARED_SECRET=... npm run probe -- --host <ip|name> [options]

Checks that a TURN server answers a real allocation on each listener, with a credential
minted from the shared secret (read from the environment, never from arguments).
  --host <ip|name>        the server (required)
  --listeners <list>      default udp:3478,tcp:3478; e.g. udp:3478,tcp:3478,tls:5349,tls:443
  --servername <name>     TLS: name to verify (default: --host)
  --ca <pem file>         TLS: an extra trusted CA
  --attempts <n>          per listener (default 1), --interval-ms <ms> between them (default 5000)
  --timeout-ms <ms>       per attempt (default 5000)
  -h, --help              this text
Exit 0: every listener answered (JSON results on stdout); 1: names what did not; 2: bad usage.`;

async function main(): Promise<number> {
    const args = parseCli(USAGE, {
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
    if (!args) {
        console.log(USAGE);
        return 0;
    }
    const { values } = args;
    // Every argument is checked before the first packet is sent.
    if (!values.host) throw new UsageError("--host is required", USAGE);
    let targets;
    try {
        targets = parseTargets(values.listeners!);
    } catch (e) {
        throw new UsageError(`--listeners: ${(e as Error).message}`, USAGE);
    }
    const attempts = wholeNumber("attempts", values.attempts!, USAGE);
    const intervalMs = wholeNumber("interval-ms", values["interval-ms"]!, USAGE);
    const timeoutMs = wholeNumber("timeout-ms", values["timeout-ms"]!, USAGE);
    const ca = values.ca ? readFileSync(values.ca, "utf8") : undefined;
    const secret = process.env.TURN_SHARED_SECRET;
    if (!secret) throw new Error("TURN_SHARED_SECRET is not set");
    const results = await probeListeners({
        host: values.host,
        targets,
        secret,
        servername: values.servername,
        ca,
        attempts,
        intervalMs,
        timeoutMs,
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
