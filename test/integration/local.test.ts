/**
 * `npm run local` end to end: the real script starts real coturn, prints ICE
 * config with fresh credentials, two TURN clients use exactly those to relay
 * to each other's relayed address, and Ctrl-C (SIGINT) stops coturn.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { TurnClient } from "../../scripts/lib/turn-client";
import { ROOT } from "../helpers/stack-config";

const SCRIPT = join(ROOT, "scripts", "local.ts");

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

interface Printed {
    iceServers: { urls: string[]; username: string; credential: string }[];
}

/** Start scripts/local.ts as `npm run local -- <args>` does; resolves once it printed the ICE config. */
function startLocal(args: string[]) {
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const out = { stderr: "" };
    child.stderr.on("data", (b: Buffer) => (out.stderr += b.toString()));
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const printed = new Promise<Printed>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ICE config within 30 s; stderr:\n${out.stderr}`)), 30_000);
        child.stdout.on("data", (b: Buffer) => {
            stdout += b.toString();
            try {
                const parsed = JSON.parse(stdout);
                clearTimeout(timer);
                resolve(parsed);
            } catch {
                /* not complete yet */
            }
        });
        child.once("exit", () => reject(new Error(`local exited early; stderr:\n${out.stderr}`)));
    });
    /**
     * Cleanup after a failure: Ctrl-C (the script stops its coturn), SIGKILL after 5 s, and then
     * coturn by its PID if it still runs, so a failed test leaves no coturn behind.
     */
    const kill = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGINT");
            const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(killer);
        }
        const coturnPid = Number(/coturn \(pid (\d+)\)/.exec(out.stderr)?.[1]);
        if (coturnPid && alive(coturnPid)) process.kill(coturnPid, "SIGKILL");
    };
    return { child, out, exited, printed, kill };
}

test("npm run local: working TURN server and ICE config, relay between two clients, clean stop on Ctrl-C", async () => {
    const { child, out, exited, printed, kill } = startLocal(["--listen", "127.0.2.1"]);
    const clients: TurnClient[] = [];
    try {
        const { iceServers } = await printed;
        assert.deepEqual(iceServers[0].urls, ["turn:127.0.2.1:3478?transport=udp", "turn:127.0.2.1:3478?transport=tcp"]);
        const { username, credential } = iceServers[0];
        assert.match(username, /^\d{10}:local$/);
        const coturnPid = Number(/coturn \(pid (\d+)\)/.exec(out.stderr)![1]);
        assert.ok(alive(coturnPid));

        // Two clients relay to each other's relayed address, as two WebRTC peers would.
        const a = await TurnClient.connect({ host: "127.0.2.1", port: 3478, transport: "udp" });
        const b = await TurnClient.connect({ host: "127.0.2.1", port: 3478, transport: "tcp" });
        clients.push(a, b);
        const ra = (await a.allocate(username, credential)).relayed;
        const rb = (await b.allocate(username, credential)).relayed;
        assert.equal(ra.address, "127.0.2.2", "relays on an address other than the clients'");
        await a.createPermission(rb.address);
        await b.createPermission(ra.address);
        const atB = b.nextData(ra.address);
        a.sendIndication(rb, Buffer.from("a->b"));
        assert.equal((await atB).data.toString(), "a->b");
        const atA = a.nextData(rb.address);
        b.sendIndication(ra, Buffer.from("b->a"));
        assert.equal((await atA).data.toString(), "b->a");
        await Promise.all(clients.map((c) => c.close()));

        child.kill("SIGINT");
        assert.equal(await exited, 0);
        assert.equal(alive(coturnPid), false, "coturn stopped");
    } finally {
        await Promise.all(clients.map((c) => c.close()));
        await kill();
    }
});

// Issue 10 item 7: with --port, coturn listened there but the printed URLs said 3478.
test("npm run local -- --port 3579: the printed ICE URLs name the port coturn listens on, and work", async () => {
    const { child, exited, printed, kill } = startLocal(["--listen", "127.0.2.5", "--port", "3579"]);
    let client: TurnClient | undefined;
    try {
        const { iceServers } = await printed;
        assert.deepEqual(iceServers[0].urls, ["turn:127.0.2.5:3579?transport=udp", "turn:127.0.2.5:3579?transport=tcp"]);
        // Use the printed config as a WebRTC client would: host and port from the URL.
        const url = /^turn:([\d.]+):(\d+)\?transport=udp$/.exec(iceServers[0].urls[0])!;
        client = await TurnClient.connect({ host: url[1], port: Number(url[2]), transport: "udp", timeoutMs: 3000 });
        const { relayed } = await client.allocate(iceServers[0].username, iceServers[0].credential);
        assert.equal(relayed.address, "127.0.2.6");
        await client.close();
        child.kill("SIGINT");
        assert.equal(await exited, 0);
    } finally {
        await client?.close();
        await kill();
    }
});

test("npm run local without coturn says how to install it", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", SCRIPT], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /coturn's turnserver was not found on PATH\. Install it with: sudo apt-get install -y coturn/);
});
