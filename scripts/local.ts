/**
 * `npm run local`: run coturn on this machine with the turnserver.conf the
 * stack renders (same renderer, same hardening), wait until it answers a real
 * TURN allocation, print the ICE config with fresh TURN REST API credentials,
 * and stop coturn cleanly on Ctrl-C.
 *
 * Usage: npm run local -- [--listen 127.0.0.1] [--relay 127.0.0.2] [--port 3478]
 *                          [--stack dev] [--ttl <seconds>] [--user <id>]
 *                          [--format <f>] [--outputs-file <path>]
 *
 * Like production: `--format` prints the ICE config in any of `npm run ice`'s formats (infra/formats.ts), and
 * `--outputs-file` writes this run's outputs, secret included, in the shape of
 * `pulumi stack output --json --show-secrets` (mode 0600), so `npm run ice -- --outputs <path>` mints more
 * credentials (e.g. `--consumer`) for this coturn while it runs.
 *
 * On loopback, clients and relay share the machine: local mode allows
 * loopback peers and lets exactly the relay address through the deny-list
 * (never done in the cloud config), and relays on an address other than the
 * one clients use, so one side's traffic cannot skip the relay unnoticed.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, resolve as resolvePath } from "node:path";
import { MAX_TTL_SECONDS, MIN_TTL_SECONDS, parseTurnConfig } from "../infra/config";
import { mintTurnCredential } from "../infra/credentials";
import { buildIceServers } from "../infra/ice";
import { FORMATS, formatIceServers, type Format } from "../infra/formats";
import { TURN_PORT } from "../infra/listeners";
import { listeningPort, localTurnserverConf, loopbackPeers } from "./lib/local-turnserver-conf";
import { readStackConfig } from "./lib/stack-config";
import { CoturnMissingError, startCoturn } from "./lib/coturn";
import { parseCli, UsageError, wholeNumber } from "./lib/cli";

const USAGE = `usage: npm run local -- [--listen <ip>] [--relay <ip>] [--port <port>] [--stack <name>] [--ttl <seconds>] [--user <id>]
                        [--format <f>] [--outputs-file <path>] [-h|--help]
  --format <f>           print the ICE config as npm run ice does: ${FORMATS.join(", ")}
                         (default: {"iceServers": [...], "expiresAt": ...})
  --outputs-file <path>  write this run's stack outputs, secret included (mode 0600), for npm run ice -- --outputs <path>`;

async function main(): Promise<number> {
    const args = parseCli(USAGE, {
        options: {
            listen: { type: "string", default: "127.0.0.1" },
            relay: { type: "string" },
            port: { type: "string", default: "3478" },
            stack: { type: "string", default: "dev" },
            ttl: { type: "string" },
            user: { type: "string", default: "local" },
            format: { type: "string" },
            "outputs-file": { type: "string" },
        },
    });
    if (!args) {
        console.log(USAGE);
        return 0;
    }
    const { values } = args;
    const listen = values.listen!;
    if (isIP(listen) !== 4) throw new Error(`--listen ${listen}: must be an IPv4 address (the relay is IPv4-only)`);
    const loopback = listen.startsWith("127.");
    // On loopback, relay on the next address so relayed traffic is visibly relayed.
    const relay = values.relay ?? (loopback ? listen.replace(/\.\d+$/, (m) => `.${(Number(m.slice(1)) % 254) + 1}`) : listen);
    if (isIP(relay) !== 4) throw new Error(`--relay ${relay}: must be an IPv4 address`);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${values.port}: must be a port number`);

    const format = values.format as Format | undefined;
    if (format !== undefined && !FORMATS.includes(format)) throw new UsageError(`--format ${format}: one of ${FORMATS.join(", ")}`, USAGE);
    const outputsFile = values["outputs-file"];
    if (outputsFile !== undefined && !existsSync(dirname(resolvePath(outputsFile)))) {
        throw new UsageError(`--outputs-file ${outputsFile}: directory ${dirname(resolvePath(outputsFile))} does not exist`, USAGE);
    }

    const config = parseTurnConfig(readStackConfig(values.stack!));
    // Checked before coturn starts: a refusal must not leave a coturn running.
    const ttlSeconds = values.ttl === undefined ? config.credentialTtlSeconds : wholeNumber("ttl", values.ttl, USAGE, MIN_TTL_SECONDS, MAX_TTL_SECONDS);
    const secret = randomBytes(32).toString("base64");
    // The stack's own turnserver.conf, changed only as scripts/lib/local-turnserver-conf.ts lists.
    // `port` is the one listening-port value: coturn's config here, the ICE URLs below.
    const conf = localTurnserverConf(config, { listeningIp: listen, relayIp: relay, secret }, [
        ...(port !== TURN_PORT ? [listeningPort(port)] : []),
        ...(loopback ? [loopbackPeers([relay])] : []),
    ]);

    console.error(`turn-stack local: starting coturn on ${listen}:${port} (relay ${relay}, ports ${config.relayPortRange}) ...`);
    console.error(`turn-stack local: the ${values.stack} stack's turnserver.conf, changed only in: ${conf.changes.map((c) => c.name).join(", ")}`);
    const coturn = await startCoturn({ conf: conf.text, host: listen, port, secret });
    console.error(`turn-stack local: coturn (pid ${coturn.pid}) answered a TURN allocation. Ctrl-C to stop.`);

    // Ctrl-C handlers first: whoever reads the output may signal as soon as it appears.
    const stopped = new Promise<number>((resolve) => {
        const stop = (signal: string) => {
            console.error(`turn-stack local: ${signal}, stopping coturn (pid ${coturn.pid})`);
            void coturn.stop().then(() => resolve(0));
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
    });
    try {
        const credential = mintTurnCredential(secret, { ttlSeconds, userId: values.user });
        // No 443 URL: 443 reaches coturn only through the VM's nftables redirect, which local mode has not.
        const iceServers = buildIceServers(listen, false, credential, port, false);
        if (outputsFile !== undefined) {
            // infra/index.ts's outputs, as `pulumi stack output --json --show-secrets` prints them for a self-hosted stack.
            const outputs = {
                mode: "self-hosted",
                publicIp: listen,
                hostname: null,
                iceServers: buildIceServers(listen, false, undefined, port, false),
                realm: config.realm,
                credentialTtlSeconds: ttlSeconds,
                sharedSecret: secret,
                secretParameterName: null,
                instanceId: null,
                turnServerUrls: iceServers[0].urls,
                cloudflareTurnKeyId: null,
                cloudflareTurnKey: null,
            };
            // Created 0600 (it holds the secret); an existing file is narrowed too (the mode applies only on creation).
            writeFileSync(outputsFile, JSON.stringify(outputs, null, 2) + "\n", { mode: 0o600 });
            chmodSync(outputsFile, 0o600);
            console.error(`turn-stack local: wrote ${outputsFile} (mode 0600, holds this run's secret; valid while coturn runs): npm run -s ice -- --outputs ${outputsFile}`);
        }
        if (format === undefined) console.log(JSON.stringify({ iceServers, expiresAt: credential.expiresAt }, null, 2));
        else process.stdout.write(formatIceServers(iceServers, format));
    } catch (e) {
        await coturn.stop(); // a failure after the start must not leave a coturn running
        throw e;
    }
    return stopped;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(e instanceof CoturnMissingError ? e.message : `turn-stack local: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    },
);
