/**
 * Defence in depth: the host firewall the user data installs (nftables,
 * rendered by infra/cloud-init.ts) stops the coturn user from relaying to
 * private and metadata addresses even when coturn's own deny-list is gone
 * (as with deny-list bypasses such as CVE-2026-27624 in coturn < 4.9.0).
 *
 * Test network, created here and removed afterwards: namespace "srv" runs
 * coturn as user turnserver (as on the VM) on 127.0.0.1, relaying from
 * 10.200.0.1; a veth pair joins it to namespace "peer", which holds
 * 10.200.0.2 and 169.254.169.254 (a stand-in metadata address) and counts
 * what arrives. coturn's config is the rendered prod config with every
 * denied-peer-ip line REMOVED on purpose; only addresses differ otherwise.
 *
 * Without a domain, 443 is plain TURN over TCP redirected to 3478: a last test
 * runs coturn as user turnserver for the whole process (as systemd does on the
 * VM, so every socket is that user's) behind the no-domain ruleset, in its own
 * pair of namespaces, with its client at a private address.
 *
 * TURN_STACK_WEAKEN=nftables skips loading the ruleset: then the firewall
 * tests fail, showing they detect a missing firewall.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { renderNftables } from "../../infra/cloud-init";
import { probeListenerSpec } from "../../infra/listeners";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf, runAsUser, withoutDenyList } from "../../scripts/lib/local-turnserver-conf";
import { createNetns, connect, type Netns } from "../helpers/netns";
import { runProbe, runTs, startUdpListener } from "../helpers/run";
import { ROOT, stackConfig } from "../helpers/stack-config";

const RELAY = "10.200.0.1";
const PEER = "10.200.0.2";
const METADATA = "169.254.169.254";
const secret = randomBytes(32).toString("base64");
const work = mkdtempSync(join(tmpdir(), "turn-stack-fw-"));
const weakened = process.env.TURN_STACK_WEAKEN === "nftables";
let srv: Netns | undefined;
let peer: Netns | undefined;
let coturn: RunningCoturn | undefined;
const listeners: ChildProcess[] = [];

beforeAll(async () => {
    srv = createNetns("ts-fw-srv");
    peer = createNetns("ts-fw-peer");
    connect(srv, `${RELAY}/24`, peer, `${PEER}/24`);
    const peerDev = peer.run("ip", "-o", "link", "show", "type", "veth").split(":")[1].trim().split("@")[0];
    const srvDev = srv.run("ip", "-o", "link", "show", "type", "veth").split(":")[1].trim().split("@")[0];
    peer.run("ip", "addr", "add", `${METADATA}/32`, "dev", peerDev);
    srv.run("ip", "route", "add", `${METADATA}/32`, "dev", srvDev);
    if (!weakened) {
        const nft = join(work, "turn-stack.nft");
        writeFileSync(nft, renderNftables(true)); // the prod stack's ruleset (it has a domain)
        srv.run("nft", "-f", nft);
    }
    const cfg = parseTurnConfig(stackConfig("prod"));
    const conf = localTurnserverConf(cfg, { listeningIp: "127.0.0.1", relayIp: RELAY, secret }, [
        withoutDenyList("this test proves the nftables layer alone keeps the coturn user from non-public peers"),
        runAsUser("turnserver", "the nftables rule matches coturn's user, as systemd runs it on the VM"),
    ]).text;
    coturn = await startCoturn({
        conf,
        host: "127.0.0.1",
        port: 3478,
        secret,
        prefix: srv.prefix,
        ready: async () => void (await runProbe(srv!.prefix, ["--host", "127.0.0.1", "--listeners", "udp:3478"], secret, "ready")),
    });
});

afterAll(async () => {
    for (const l of listeners) if (l.exitCode === null) l.kill("SIGTERM");
    await coturn?.stop();
    srv?.remove();
    peer?.remove();
    rmSync(work, { recursive: true, force: true });
});

/** Start a UDP listener inside "peer"; resolves once it is bound. */
async function listen(address: string, port: number): Promise<{ lines: string[] }> {
    const { child, lines } = await startUdpListener(peer!.prefix, address, port);
    listeners.push(child);
    return { lines };
}

async function relayTo(address: string, port: number, count: number) {
    const r = await runTs(join(ROOT, "test", "helpers", "relay-to-peer.ts"), ["127.0.0.1", "3478", address, String(port), String(count)], {
        prefix: srv!.prefix,
        env: { ...process.env, TURN_SHARED_SECRET: secret },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { relayed: string; permission: string; sent: number };
}

/** Poll `check` every 20 ms until it returns a value, for at most `ms`. */
async function firstOf<T>(check: () => T | undefined, ms: number): Promise<T | "timeout"> {
    const deadline = Date.now() + ms;
    for (;;) {
        const v = check();
        if (v !== undefined) return v;
        if (Date.now() > deadline) return "timeout";
        await new Promise((r) => setTimeout(r, 20));
    }
}

/** Packets the firewall's IPv4 drop rule has counted so far. */
function dropped(): number {
    const out = srv!.run("nft", "list", "chain", "inet", "turn_stack", "output");
    const m = /non_public_v4 counter packets (\d+)/.exec(out);
    return m ? Number(m[1]) : 0;
}

for (const [label, address] of [["a private address", PEER], ["the metadata address", METADATA]] as const) {
    test(`with coturn's deny-list removed, nftables alone stops relay to ${label} (${address})`, async () => {
        const { lines } = await listen(address, 9999);
        const before = weakened ? 0 : dropped();
        const r = await relayTo(address, 9999, 5);
        assert.equal(r.permission, "ok", "the deny-list is really gone: coturn grants the permission");
        assert.equal(r.sent, 5);
        // Wait for whichever comes first: the drop rule counting a packet, or a packet reaching the peer.
        const outcome = await firstOf(() => (lines.length > 0 ? "delivered" : !weakened && dropped() > before ? "dropped" : undefined), 5000);
        assert.deepEqual(lines, [], `relayed data reached ${address}`);
        assert.equal(outcome, "dropped", "the firewall dropped the relayed packets");
    });
}

test("control: without the coturn user's rule (a root-owned socket), the same path delivers, so the setup can relay", async () => {
    // The ruleset only matches the turnserver user; root in the same namespace reaches the peer.
    const { lines } = await listen(PEER, 9998);
    const send = spawn(srv!.prefix[0], [...srv!.prefix.slice(1), process.execPath, "-e", `const s=require("dgram").createSocket("udp4");s.send("direct",9998,"${PEER}",()=>s.close())`], { stdio: "ignore" });
    await new Promise((r) => send.once("exit", r));
    assert.equal(await firstOf(() => (lines.length > 0 ? "delivered" : undefined), 5000), "delivered");
    assert.match(lines[0], /direct$/);
});

test("without a domain: coturn's answers on TURN over TCP on 443 (redirected to 3478) reach a client in a private network; without the answer rule they are dropped", async () => {
    const nsSrv = createNetns("ts-fw-443s");
    const nsCli = createNetns("ts-fw-443c");
    let c: RunningCoturn | undefined;
    try {
        const [server, client] = ["10.201.0.1", "10.201.0.2"]; // the client is private (10/8), as in the VPC or a peered network
        connect(nsSrv, `${server}/24`, nsCli, `${client}/24`);
        if (!weakened) {
            const nft = join(work, "turn-stack-no-domain.nft");
            writeFileSync(nft, renderNftables(false));
            nsSrv.run("nft", "-f", nft);
        }
        const conf = localTurnserverConf(parseTurnConfig(stackConfig("dev")), { listeningIp: server, relayIp: server, secret }).text;
        const spec = probeListenerSpec(false);
        assert.equal(spec, "udp:3478,tcp:3478,tcp:443");
        c = await startCoturn({
            conf,
            host: server,
            port: 3478,
            secret,
            // The whole process runs as turnserver, so its listening and accepted sockets are that user's, as under
            // systemd on the VM (proc-user would bind them as root first). It must read its config and write its pid
            // file: startCoturn runs <prefix> turnserver -c <conf> --pidfile <dir>/turnserver.pid, so the config is $3.
            prefix: [...nsSrv.prefix, "sh", "-c", 'chown turnserver: "$(dirname "$3")" "$3" && exec setpriv --reuid=turnserver --regid=turnserver --clear-groups "$@"', "sh"],
            ready: async () => void (await runProbe(nsCli.prefix, ["--host", server, "--listeners", spec], secret, "ready")),
        });
        assert.match(nsSrv.run("ps", "-o", "user=", "-p", String(c.pid)), /^turnserver\s*$/, "coturn runs as turnserver");
        const ok = await runProbe(nsCli.prefix, ["--host", server, "--listeners", spec, "--timeout-ms", "2000"], secret);
        assert.equal(ok.status, 0, `the readiness gate's listeners from a private client: ${ok.stderr}`);
        // Control: delete the rule that accepts answers from the listening ports; the same probe now fails on every
        // listener, 443 included, and the non-public drop counted the answers.
        const handle = /answers from the TURN listeners.*# handle (\d+)/.exec(nsSrv.run("nft", "-a", "list", "chain", "inet", "turn_stack", "output"))?.[1];
        assert.ok(handle, "the answer rule is in the ruleset");
        const counted = () => Number(/non_public_v4 counter packets (\d+)/.exec(nsSrv.run("nft", "list", "chain", "inet", "turn_stack", "output"))![1]);
        const before = counted();
        nsSrv.run("nft", "delete", "rule", "inet", "turn_stack", "output", "handle", handle);
        const dropped = await runProbe(nsCli.prefix, ["--host", server, "--listeners", spec, "--timeout-ms", "1500"], secret);
        assert.notEqual(dropped.status, 0, "answers got through without the answer rule");
        for (const l of spec.split(",")) assert.match(dropped.stderr, new RegExp(l), `${l} must fail without the answer rule`);
        assert.ok(counted() > before, "the non-public drop rule counted the answers");
    } finally {
        await c?.stop();
        nsSrv.remove();
        nsCli.remove();
    }
});
