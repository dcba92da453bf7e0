/**
 * `npm run local` end to end: the real script starts real coturn, prints ICE
 * config with fresh credentials, two TURN clients use exactly those to relay
 * to each other's relayed address, and Ctrl-C (SIGINT) stops coturn.
 */
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import dotenv from "dotenv";
import { turnRestPassword } from "../../infra/credentials";
import { FORMATS, type Format } from "../../infra/formats";
import { TurnClient, TurnError } from "../../scripts/lib/turn-client";
import { runTs } from "../helpers/run";
import { ROOT } from "../helpers/stack-config";

const SCRIPT = join(ROOT, "scripts", "local.ts");
const dir = mkdtempSync(join(tmpdir(), "turn-stack-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

/**
 * Start scripts/local.ts as `npm run local -- <args>` does; resolves once it printed the ICE config
 * (default: the JSON it prints without --format; `complete` decides for other formats).
 */
function startLocal(args: string[], complete: (stdout: string) => unknown = JSON.parse) {
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const out = { stderr: "" };
    child.stderr.on("data", (b: Buffer) => (out.stderr += b.toString()));
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const printed = new Promise<Printed & Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ICE config within 30 s; stderr:\n${out.stderr}`)), 30_000);
        child.stdout.on("data", (b: Buffer) => {
            stdout += b.toString();
            try {
                const parsed = complete(stdout) as Printed & Record<string, unknown>;
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

test("npm run local -- --outputs-file: a 0600 outputs file that npm run ice -- --outputs takes; its per-consumer credential works on the running coturn", async () => {
    const outputsFile = join(dir, "local-outputs.json");
    const { child, exited, printed, kill } = startLocal(["--listen", "127.0.2.9", "--outputs-file", outputsFile]);
    const clients: TurnClient[] = [];
    try {
        const { iceServers } = await printed;
        assert.equal(statSync(outputsFile).mode & 0o777, 0o600, "it holds the secret");
        // The shape of `pulumi stack output --json --show-secrets` for a self-hosted stack.
        const outputs = JSON.parse(readFileSync(outputsFile, "utf8"));
        assert.equal(outputs.mode, "self-hosted");
        assert.deepEqual(outputs.turnServerUrls, iceServers[0].urls);
        assert.deepEqual(outputs.iceServers, [{ urls: iceServers[0].urls }], "URLs only, like the stack's iceServers output");
        assert.equal(iceServers[0].credential, turnRestPassword(outputs.sharedSecret, iceServers[0].username), "the file holds the running coturn's secret");

        const r = await runTs(join(ROOT, "scripts", "ice.ts"), ["--outputs", outputsFile, "--consumer", "local-app", "--valid-for", "2h"]);
        assert.equal(r.status, 0, r.stderr);
        const [minted] = JSON.parse(r.stdout);
        assert.match(minted.username, /^\d+:local-app$/);
        assert.ok(Number(minted.username.split(":")[0]) - Date.now() / 1000 > 7000, "valid for 2 h");
        const a = await TurnClient.connect({ host: "127.0.2.9", port: 3478, transport: "udp" });
        clients.push(a);
        const { relayed } = await a.allocate(minted.username, minted.credential);
        assert.equal(relayed.address, "127.0.2.10");
        // The control: the same username with a credential from another secret gets 401.
        const b = await TurnClient.connect({ host: "127.0.2.9", port: 3478, transport: "udp" });
        clients.push(b);
        await assert.rejects(b.allocate(minted.username, turnRestPassword("not-the-secret", minted.username)), (e: unknown) => e instanceof TurnError && e.code === 401);
        await Promise.all(clients.map((c) => c.close()));

        child.kill("SIGINT");
        assert.equal(await exited, 0);
    } finally {
        await Promise.all(clients.map((c) => c.close()));
        await kill();
    }
});

/** username and credential of the own relay's server, read back from a format's text. */
function credentialIn(format: Format, text: string): { username: string; credential: string } {
    const first = (servers: { username: string; credential: string }[]) => servers[0];
    switch (format) {
        case "json":
            return first(JSON.parse(text));
        case "neko":
            return first(parseYaml(text).webrtc.iceservers.frontend);
        case "neko-env":
            return first(JSON.parse(dotenv.parse(text).NEKO_WEBRTC_ICESERVERS_FRONTEND));
        case "env":
            return first(JSON.parse(dotenv.parse(text).ICE_SERVERS));
        case "mediasoup": {
            const env = dotenv.parse(text);
            return { username: env.MEDIASOUP_CLIENT_ICESERVER_USER, credential: env.MEDIASOUP_CLIENT_ICESERVER_PASS };
        }
        case "vidmeet":
        case "aiortc": {
            // Lua and Python string literals; these credentials hold no escapes (base64 and digits:local).
            const m = /username\s*=\s*"([^"]*)",\s*credential\s*=\s*"([^"]*)"/.exec(text);
            assert.ok(m, text);
            return { username: m[1], credential: m[2] };
        }
    }
}

test("npm run local -- --format <f>: every format npm run ice prints, with this coturn's credential", async () => {
    for (const [i, format] of FORMATS.entries()) {
        const listen = `127.0.3.${2 * i + 1}`;
        const outputsFile = join(dir, `outputs-${format}.json`);
        // The whole snippet is one write of well under a pipe buffer, so it arrives in one piece ending in a newline.
        const { child, exited, printed, kill, out } = startLocal(["--listen", listen, "--format", format, "--outputs-file", outputsFile], (s) => {
            if (!s.endsWith("\n")) throw new Error("incomplete");
            return { iceServers: [], text: s };
        });
        try {
            const text = String((await printed).text);
            const names = format === "mediasoup" ? text.includes(`_HOST='${listen}'`) && text.includes("_PORT='3478'") : text.includes(`${listen}:3478`);
            assert.ok(names, `${format}: names the local coturn\n${text}`);
            const { username, credential } = credentialIn(format, text);
            assert.match(username, /^\d+:local$/, format);
            const { sharedSecret } = JSON.parse(readFileSync(outputsFile, "utf8"));
            assert.equal(credential, turnRestPassword(sharedSecret, username), `${format}: minted from the running coturn's secret`);
            child.kill("SIGINT");
            assert.equal(await exited, 0, `${child.signalCode} ${out.stderr}`);
        } finally {
            await kill();
        }
    }
});

test("npm run local refuses a bad --format or --outputs-file directory before starting coturn", async () => {
    for (const [args, message] of [
        [["--format", "xml"], /--format xml: one of json, neko, neko-env, vidmeet, env, mediasoup, aiortc/],
        [["--outputs-file", join(dir, "missing", "o.json")], /--outputs-file .*: directory .* does not exist/],
    ] as const) {
        const r = await runTs(SCRIPT, [...args]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /starting coturn/);
    }
});
