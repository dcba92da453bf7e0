/**
 * `npm run bench:relay`: relay capacity of coturn with turn-stack's hardened
 * config versus coturn's stock config, in one run, on this machine.
 *
 * Each round starts Debian's coturn (on loopback: clients 127.0.4.1, relay
 * 127.0.4.2, an echo peer on 127.0.4.3), opens N allocations, binds a channel
 * from each to the echo peer, and sends fixed-size packets at a fixed rate per
 * allocation for a fixed time. Reported per config: packets sent and echoed
 * back, loss, echoed throughput (Mbit/s, payload bytes both ways through the
 * relay), and round-trip time percentiles; then the hardened/stock ratios.
 * Rounds alternate configs to spread out machine noise.
 *
 * "Stock" is Debian's /etc/turnserver.conf (everything commented out) plus only
 * what the benchmark needs to run: addresses, the TURN REST secret and realm,
 * allow-loopback-peers, and a CLI password (which coturn requires with it). "Hardened" is the real
 * Pulumi.prod.yaml's turnserver.conf with the local changes of
 * scripts/lib/local-turnserver-conf.ts (same addresses, secret, stdout log, no TLS)
 * and loopback peers with one allowed-peer-ip for the echo peer.
 *
 * Usage: npm run bench:relay -- [--allocations 40] [--rate 50] [--size 1000] [--seconds 5] [--rounds 2]
 */
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parseTurnConfig } from "../infra/config";
import { mintTurnCredential } from "../infra/credentials";
import { readStackConfig } from "./lib/stack-config";
import { startCoturn } from "./lib/coturn";
import { TurnClient } from "./lib/turn-client";
import { parseCli, wholeNumber } from "./lib/cli";
import { localTurnserverConf, loopbackPeers } from "./lib/local-turnserver-conf";

const LISTEN = "127.0.4.1";
const RELAY = "127.0.4.2";
const PEER = "127.0.4.3";

interface Load {
    allocations: number;
    rate: number;
    size: number;
    seconds: number;
}

interface RoundResult {
    sent: number;
    received: number;
    rtts: number[];
    bytes: number;
    seconds: number;
}

function hardenedConf(secret: string): string {
    const cfg = parseTurnConfig(readStackConfig("prod"));
    // The prod config with the local changes (scripts/lib/local-turnserver-conf.ts) and the echo peer let through.
    return localTurnserverConf(cfg, { listeningIp: LISTEN, relayIp: RELAY, secret }, [loopbackPeers([PEER])]).text;
}

function stockConf(secret: string): string {
    const debianDefault = existsSync("/etc/turnserver.conf") ? readFileSync("/etc/turnserver.conf", "utf8") : "";
    return [
        debianDefault,
        "# added by the benchmark: addresses, auth, loopback peers",
        `listening-ip=${LISTEN}`,
        `relay-ip=${RELAY}`,
        "use-auth-secret",
        `static-auth-secret=${secret}`,
        "realm=bench",
        "allow-loopback-peers",
        // coturn refuses allow-loopback-peers with the CLI on and no CLI password; stock keeps its CLI.
        `cli-password=${randomBytes(12).toString("hex")}`,
        "log-file=stdout",
        "",
    ].join("\n");
}

async function round(conf: string, secret: string, load: Load): Promise<RoundResult> {
    const coturn = await startCoturn({ conf, host: LISTEN, port: 3478, secret });
    const peer = dgram.createSocket("udp4");
    await new Promise<void>((r) => peer.bind(0, PEER, () => r()));
    peer.on("message", (m, from) => peer.send(m, from.port, from.address));
    const clients: TurnClient[] = [];
    const result: RoundResult = { sent: 0, received: 0, rtts: [], bytes: 0, seconds: load.seconds };
    try {
        for (let i = 0; i < load.allocations; i++) {
            const c = await TurnClient.connect({ host: LISTEN, port: 3478, transport: "udp" });
            clients.push(c);
            const cred = mintTurnCredential(secret, { ttlSeconds: 600, userId: `bench${i}` });
            await c.allocate(cred.username, cred.credential);
            await c.channelBind(0x4000, { address: PEER, port: peer.address().port });
            c.onData((d) => {
                result.received++;
                result.bytes += d.data.length * 2; // through the relay both ways
                result.rtts.push(performance.now() - d.data.readDoubleBE(0));
            });
        }
        const payload = () => {
            const b = randomBytes(load.size);
            b.writeDoubleBE(performance.now(), 0);
            return b;
        };
        const interval = 1000 / load.rate;
        const timers = clients.map((c) =>
            setInterval(() => {
                c.sendChannelData(0x4000, payload());
                result.sent++;
            }, interval),
        );
        await new Promise((r) => setTimeout(r, load.seconds * 1000));
        timers.forEach(clearInterval);
        // Let packets in flight come back before counting.
        await new Promise((r) => setTimeout(r, 500));
    } finally {
        await Promise.all(clients.map((c) => c.close()));
        peer.close();
        await coturn.stop();
    }
    return result;
}

function pct(sorted: number[], p: number): number {
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function summarize(rs: RoundResult[]) {
    const sent = rs.reduce((a, r) => a + r.sent, 0);
    const received = rs.reduce((a, r) => a + r.received, 0);
    const bytes = rs.reduce((a, r) => a + r.bytes, 0);
    const seconds = rs.reduce((a, r) => a + r.seconds, 0);
    const rtts = rs.flatMap((r) => r.rtts).sort((a, b) => a - b);
    return { sent, received, loss: sent ? (100 * (sent - received)) / sent : 0, mbps: (bytes * 8) / seconds / 1e6, p50: pct(rtts, 50), p99: pct(rtts, 99) };
}

const USAGE = `usage: npm run bench:relay -- [--allocations 40] [--rate 50] [--size 1000] [--seconds 5] [--rounds 2]

Relay capacity of coturn with turn-stack's hardened config versus Debian's stock config, on loopback.
  --allocations <n>   concurrent allocations, each with a channel to an echo peer (default 40)
  --rate <n>          packets per second per allocation (default 50)
  --size <bytes>      payload size, 8 to 1400 (default 1000)
  --seconds <n>       sending time per round (default 5)
  --rounds <n>        rounds per config, alternating stock and hardened (default 2)
  -h, --help          this text`;

async function main() {
    const args = parseCli(USAGE, {
        options: {
            allocations: { type: "string", default: "40" },
            rate: { type: "string", default: "50" },
            size: { type: "string", default: "1000" },
            seconds: { type: "string", default: "5" },
            rounds: { type: "string", default: "2" },
        },
    });
    if (!args) {
        console.log(USAGE);
        return;
    }
    const { values } = args;
    // Checked before coturn starts.
    const load: Load = {
        allocations: wholeNumber("allocations", values.allocations!, USAGE),
        rate: wholeNumber("rate", values.rate!, USAGE),
        size: wholeNumber("size", values.size!, USAGE, 8, 1400),
        seconds: wholeNumber("seconds", values.seconds!, USAGE),
    };
    const rounds = wholeNumber("rounds", values.rounds!, USAGE);
    const secret = randomBytes(32).toString("base64");
    const results: Record<"hardened" | "stock", RoundResult[]> = { hardened: [], stock: [] };
    for (let i = 0; i < rounds; i++) {
        const order: ("stock" | "hardened")[] = i % 2 === 0 ? ["stock", "hardened"] : ["hardened", "stock"];
        for (const name of order) {
            process.stderr.write(`round ${i + 1}/${rounds}: ${name} ...\n`);
            results[name].push(await round(name === "hardened" ? hardenedConf(secret) : stockConf(secret), secret, load));
        }
    }
    const h = summarize(results.hardened);
    const s = summarize(results.stock);
    const coturnVersion = execFileSync("turnserver", ["--version"], { encoding: "utf8" }).trim().split("\n")[0];
    const offered = (load.allocations * load.rate * load.size * 2 * 8) / 1e6;
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}; node ${process.version}; coturn ${coturnVersion}`);
    console.log(`load: ${load.allocations} allocations x ${load.rate} packets/s x ${load.size} B, ${load.seconds} s x ${rounds} rounds per config (offered ${offered.toFixed(1)} Mbit/s through the relay)`);
    console.log("config    sent     echoed   loss %   Mbit/s   rtt p50 ms   rtt p99 ms");
    for (const [name, r] of [["stock", s], ["hardened", h]] as const) {
        console.log(
            `${name.padEnd(9)} ${String(r.sent).padEnd(8)} ${String(r.received).padEnd(8)} ${r.loss.toFixed(2).padEnd(8)} ${r.mbps.toFixed(1).padEnd(8)} ${r.p50.toFixed(3).padEnd(12)} ${r.p99.toFixed(3)}`,
        );
    }
    console.log(`ratio hardened/stock: throughput ${(h.mbps / s.mbps).toFixed(3)}, rtt p50 ${(h.p50 / s.p50).toFixed(3)}, rtt p99 ${(h.p99 / s.p99).toFixed(3)}`);
}

main().catch((e: unknown) => {
    console.error(`bench:relay: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
