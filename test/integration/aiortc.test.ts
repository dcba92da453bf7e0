/**
 * aiortc behind a firewall that blocks UDP (issue 13, "What to build" 7 and 8):
 * Debian 12's aiortc 1.4 (python3-aiortc) keeps only the first TURN URL it
 * accepts. With the stack's list as is (UDP first) it gets no relay there; with
 * `npm run ice -- --format aiortc --prefer tcp` it gets one through TURN over
 * TCP on 443, which nftables redirects to coturn's 3478 (a stack without a
 * domain).
 *
 * Test network, created here and removed afterwards: namespace "srv" (coturn on
 * 203.0.113.1 with the dev stack's rendered config, relaying from 192.0.2.1 on
 * its loopback, with the rendered no-domain nftables ruleset) joined by a veth
 * pair to namespace "cli" (aiortc, 203.0.113.2), whose own nftables table drops
 * every UDP packet it sends: the restrictive network. The ICE config comes from
 * the real CLI (scripts/ice.ts) on the stack's outputs as the program declares
 * them for an IP-only stack (the public IP mapped to the test address).
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { renderNftables } from "../../infra/cloud-init";
import { turnUrls } from "../../infra/ice";
import { probeListenerSpec } from "../../infra/listeners";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf } from "../../scripts/lib/local-turnserver-conf";
import { createNetns, connect, type Netns } from "../helpers/netns";
import { runProbe, runTs } from "../helpers/run";
import { ROOT, stackConfig } from "../helpers/stack-config";

const SERVER = "203.0.113.1";
const CLIENT = "203.0.113.2";
const RELAY = "192.0.2.1";
/** Debian's python3-aiortc lives in Debian's python, whatever else is first on PATH. */
const PYTHON = "/usr/bin/python3";
const secret = randomBytes(32).toString("base64");
const work = mkdtempSync(join(tmpdir(), "turn-stack-aiortc-"));
let srv: Netns | undefined;
let cli: Netns | undefined;
let coturn: RunningCoturn | undefined;

/**
 * In cli: load an aiortc snippet, gather candidates for an offer (aiortc gathers them all in
 * setLocalDescription) and print the relay candidates, or "timeout" after `seconds`.
 */
const GATHER = `
import asyncio, json, sys
try:
    from aiortc import RTCPeerConnection
except ImportError as e:
    sys.exit(f"Debian's python3-aiortc is required for this test (apt-get install python3-aiortc): {e}")
ns = {}
exec(open(sys.argv[1]).read(), ns)
async def gather():
    pc = RTCPeerConnection(ns["config"])
    pc.createDataChannel("probe")
    try:
        await pc.setLocalDescription(await pc.createOffer())
        return [l for l in pc.localDescription.sdp.splitlines() if " typ relay" in l]
    finally:
        await pc.close()
async def main():
    try:
        print(json.dumps(await asyncio.wait_for(gather(), float(sys.argv[2]))))
    except asyncio.TimeoutError:
        print(json.dumps("timeout"))
asyncio.run(main())
`;

function gatherRelay(snippet: string, seconds: number): Promise<string[] | "timeout"> {
    const file = join(work, `snippet-${randomBytes(4).toString("hex")}.py`);
    writeFileSync(file, snippet);
    return new Promise((resolve, reject) => {
        const argv = [...cli!.prefix, PYTHON, "-c", GATHER, file, String(seconds)];
        const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        child.on("error", reject);
        child.on("close", (status) => (status === 0 ? resolve(JSON.parse(out)) : reject(new Error(`aiortc gather exited ${status}: ${err}`))));
    });
}

/** `npm run ice -- --outputs <IP-only stack> --format aiortc [--prefer ...]`, as a user runs it. */
async function iceSnippet(args: string[]): Promise<string> {
    const outputs = join(work, "outputs.json");
    writeFileSync(outputs, JSON.stringify({ mode: "self-hosted", credentialTtlSeconds: 600, turnServerUrls: turnUrls(SERVER, false), sharedSecret: secret }));
    const out = join(work, "ice.py");
    const r = await runTs(join(ROOT, "scripts", "ice.ts"), ["--outputs", outputs, "--format", "aiortc", "--out", out, ...args]);
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(out, "utf8");
}

beforeAll(async () => {
    srv = createNetns("ts-ai-srv");
    cli = createNetns("ts-ai-cli");
    connect(srv, `${SERVER}/24`, cli, `${CLIENT}/24`);
    srv.run("ip", "addr", "add", `${RELAY}/32`, "dev", "lo");
    const nft = join(work, "turn-stack.nft");
    writeFileSync(nft, renderNftables(false));
    srv.run("nft", "-f", nft);
    const conf = localTurnserverConf(parseTurnConfig(stackConfig("dev")), { listeningIp: SERVER, relayIp: RELAY, secret }).text;
    coturn = await startCoturn({
        conf,
        host: SERVER,
        port: 3478,
        secret,
        prefix: srv.prefix,
        ready: async () => void (await runProbe(cli!.prefix, ["--host", SERVER, "--listeners", probeListenerSpec(false)], secret, "ready")),
    });
    // The restrictive network: from here on the client sends no UDP at all.
    const block = join(work, "block-udp.nft");
    writeFileSync(block, "table inet restrictive {\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tmeta l4proto udp counter drop\n\t}\n}\n");
    cli.run("nft", "-f", block);
}, 60_000);

afterAll(async () => {
    await coturn?.stop();
    srv?.remove();
    cli?.remove();
    rmSync(work, { recursive: true, force: true });
});

test("UDP blocked: with the stack's list as is, aiortc 1.4 takes the first TURN URL (UDP) and gets no relay candidate", { timeout: 30_000 }, async () => {
    const snippet = await iceSnippet([]);
    assert.match(snippet, new RegExp(`urls=\\["turn:${SERVER}:3478\\?transport=udp", "turn:${SERVER}:3478\\?transport=tcp", "turn:${SERVER}:443\\?transport=tcp"\\]`));
    const r = await gatherRelay(snippet, 8);
    // Either still retrying its UDP Allocate after 8 s, or given up: never a relay over the TCP URLs it was also given.
    assert.ok(r === "timeout" || r.length === 0, `unexpected relay candidates: ${JSON.stringify(r)}`);
    assert.match(cli!.run("nft", "list", "table", "inet", "restrictive"), /counter packets [1-9]\d* bytes \d+ drop/, "aiortc sent UDP, and the firewall dropped it");
});

test("UDP blocked: with --prefer tcp, aiortc 1.4 gets a relay candidate through TURN over TCP on 443 (redirected to 3478)", { timeout: 30_000 }, async () => {
    const snippet = await iceSnippet(["--prefer", "tcp"]);
    assert.match(snippet, new RegExp(`urls=\\["turn:${SERVER}:443\\?transport=tcp"\\]`));
    const r = await gatherRelay(snippet, 15);
    assert.notEqual(r, "timeout", "aiortc did not finish gathering");
    assert.ok(Array.isArray(r) && r.length > 0, "no relay candidate");
    // The relay candidate is coturn's relay address (UDP towards peers), reached through the TCP 443 listener.
    assert.ok(r.every((l) => new RegExp(` udp \\d+ ${RELAY.replace(/\./g, "\\.")} \\d+ typ relay`).test(l)), r.join("\n"));
});
