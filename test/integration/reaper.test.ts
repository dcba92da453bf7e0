/**
 * Expiry and revocation on live sessions, with real coturn 4.6.1 (Debian's turnserver) and the reaper script
 * exactly as the VM gets it (infra/reaper.ts), run by /usr/bin/python3 through its shebang as the timer runs it.
 *
 * coturn here runs the prod config with the local changes (scripts/lib/local-turnserver-conf.ts) plus the admin
 * CLI the VM enables (`cli-ip=127.0.0.1`, `cli-port`), and the hashed password the reaper's `setup` appends.
 * SSM is the stand-in for the VM's SSM reader (test/helpers/ssm-get-standin: GetParameter from a JSON file, calls logged).
 *
 * Shown: coturn takes the hashed CLI password and refuses a wrong one; an allocation made with a 30-second
 * credential is closed within the stated bound (runs every REAPER_PERIOD_SECONDS, as the timer), while one made
 * with a valid credential keeps relaying; a revoked consumer's allocation is closed on the next run, another
 * consumer's is untouched, and the list is read from SSM at most once a minute. What the client sees once its
 * session is cancelled: no more relayed data; over UDP its next request starts a new session (401 for an expired
 * credential), over TCP its requests get no answer.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { mintTurnCredential } from "../../infra/credentials";
import { CLI_CONF_LINES, EXPIRY_BOUND_SECONDS, REAPER_PERIOD_SECONDS, reaperScript, revocationsValue } from "../../infra/reaper";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf, loopbackPeers, type ConfChange } from "../../scripts/lib/local-turnserver-conf";
import { TurnClient, TurnError } from "../../scripts/lib/turn-client";
import { ROOT, stackConfig } from "../helpers/stack-config";
import { startEchoPeer } from "../helpers/echo-peer";

/** The stand-in for the VM's SSM reader (infra/ssm-get.ts). */
const SSM_GET_STANDIN = join(ROOT, "test", "helpers", "ssm-get-standin", "turn-stack-ssm-get");

const LISTEN = "127.0.6.1";
const RELAY = "127.0.6.2";
const PEER = "127.0.6.3";
const cfg = parseTurnConfig(stackConfig("prod"));
const secret = randomBytes(32).toString("base64");
const CLI_PASSWORD = randomBytes(24).toString("base64url");
const PARAMS = { cliPassword: "/turn-stack/turn/prod/cli-password", revocations: "/turn-stack/turn/prod/revoked-consumers" };

let dir: string;
let coturn: RunningCoturn;
let peer: dgram.Socket;
let peerPort: number;
const clients: TurnClient[] = [];
const paths = () => ({ cliPassword: join(dir, "cli-password"), revocations: join(dir, "revoked.json"), conf: join(dir, "turnserver.conf"), script: join(dir, "turn-stack-reaper") });

/** What the VM changes in coturn's config for the reaper: the admin CLI on loopback instead of `no-cli`. */
const adminCli: ConfChange = {
    name: "admin CLI",
    why: "the VM enables coturn's admin CLI on 127.0.0.1 for the reaper (infra/reaper.ts)",
    touches: ["no-cli", "cli-ip", "cli-port"],
    edit: (lines) => lines.flatMap((l) => (l === "no-cli" ? CLI_CONF_LINES : [l])),
};

function ssm(revoked: Record<string, Date>) {
    writeFileSync(
        join(dir, "ssm.json"),
        JSON.stringify({ [PARAMS.cliPassword]: { Type: "SecureString", Value: CLI_PASSWORD }, [PARAMS.revocations]: { Type: "String", Value: revocationsValue(revoked) } }),
    );
}
const ssmCalls = () => (existsSync(join(dir, "ssm.log")) ? readFileSync(join(dir, "ssm.log"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);

/** Run the reaper as the timer does (`turn-stack-reaper`, or `turn-stack-reaper setup` at boot). */
function reaper(...args: string[]) {
    const r = spawnSync(paths().script, args, {
        encoding: "utf8",
        timeout: 30_000,
        env: { PATH: process.env.PATH, TURN_STACK_SSM_FILE: join(dir, "ssm.json"), TURN_STACK_SSM_LOG: join(dir, "ssm.log") },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "turn-stack-reaper-"));
    const p = paths();
    writeFileSync(p.script, reaperScript({ cliPasswordParameterName: PARAMS.cliPassword, revocationsParameterName: PARAMS.revocations, confFile: p.conf, paths: p, ssmGet: SSM_GET_STANDIN }));
    chmodSync(p.script, 0o755);
    ssm({});
    // Boot: the configure script installs coturn's config, then `turn-stack-reaper setup` appends the password's hash.
    writeFileSync(p.conf, localTurnserverConf(cfg, { listeningIp: LISTEN, relayIp: RELAY, secret }, [loopbackPeers([PEER]), adminCli]).text);
    const setup = reaper("setup");
    assert.equal(setup.status, 0, setup.stderr);
    coturn = await startCoturn({ conf: readFileSync(p.conf, "utf8"), host: LISTEN, port: 3478, secret });
    ({ socket: peer, port: peerPort } = await startEchoPeer(PEER));
});

afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    peer?.close();
    await coturn?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

async function allocation(transport: "udp" | "tcp", ttlSeconds: number, userId: string) {
    const c = await TurnClient.connect({ host: LISTEN, port: 3478, transport, timeoutMs: 2000 });
    clients.push(c);
    const cred = mintTurnCredential(secret, { ttlSeconds, userId });
    await c.allocate(cred.username, cred.credential);
    await c.createPermission(PEER);
    return { c, cred };
}

/** Whether the allocation still relays: a datagram to the echo peer comes back and a Refresh succeeds; else what the client saw. */
async function relays(c: TurnClient): Promise<string> {
    const text = randomBytes(4).toString("hex");
    const echo = c.nextData(PEER, 2000).then(
        (d) => (d.data.toString() === `echo:${text}` ? "" : `wrong data ${d.data}`),
        (e) => String(e),
    );
    c.sendIndication({ address: PEER, port: peerPort }, Buffer.from(text));
    const data = await echo;
    const refresh = await c.refresh(600).then(
        () => "",
        (e) => (e instanceof TurnError ? `Refresh: TURN error ${e.code}` : `Refresh: ${String(e)}`),
    );
    return data || refresh ? [data, refresh].filter(Boolean).join("; ") : "relays";
}

/** coturn's log line for a session it shut down on `cs <id>` (ns_turn_server.c turn_cancel_session), for the id the reaper printed. */
function cancelledInLog(reaperOut: string, username: string): RegExp {
    const id = new RegExp(`closed session (\\d+) of ${username.replace(/[.]/g, "\\.")} `).exec(reaperOut)?.[1];
    assert.ok(id, `the reaper did not close a session of ${username}: ${reaperOut}`);
    return new RegExp(`Session ${id} to be forcefully canceled`);
}

test("setup: the CLI password from SSM (SecureString, decrypted) stays root-only; coturn's config holds only its salted hash, which coturn accepts", () => {
    const p = paths();
    assert.equal(readFileSync(p.cliPassword, "utf8"), CLI_PASSWORD);
    assert.equal(spawnSync("stat", ["-c", "%a", p.cliPassword], { encoding: "utf8" }).stdout.trim(), "600");
    const conf = readFileSync(p.conf, "utf8");
    assert.doesNotMatch(conf, new RegExp(CLI_PASSWORD));
    assert.match(conf, /^cli-password=\$5\$[0-9a-f]{16}\$[0-9a-f]{64}$/m);
    assert.deepEqual(ssmCalls()[0], { name: PARAMS.cliPassword, withDecryption: true });
    const ok = reaper();
    assert.equal(ok.status, 0, ok.stderr);
    writeFileSync(p.cliPassword, "not-the-password");
    const wrong = reaper();
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /coturn refused the CLI password/);
    writeFileSync(p.cliPassword, CLI_PASSWORD);
});

test(`expiry: an allocation made with a 30-second credential is closed within ${EXPIRY_BOUND_SECONDS} s of its expiry; one with a valid credential keeps relaying`, { timeout: 120_000 }, async () => {
    const short = await allocation("udp", 30, "short-lived");
    const valid = await allocation("udp", 3600, "valid");
    // coturn itself keeps the expired session: a run before expiry must leave both alone.
    const early = reaper();
    assert.equal(early.status, 0, early.stderr);
    assert.equal(early.stdout, "");
    assert.equal(await relays(short.c), "relays");
    // Runs every REAPER_PERIOD_SECONDS, as the timer does, until the short one is closed.
    let closedAt: number | undefined;
    let closedBy = "";
    const deadline = (short.cred.expiresAt + EXPIRY_BOUND_SECONDS + 10) * 1000;
    while (!closedAt && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, REAPER_PERIOD_SECONDS * 1000));
        const r = reaper();
        assert.equal(r.status, 0, r.stderr);
        if (r.stdout.includes(`of ${short.cred.username} (expired)`)) {
            closedAt = Date.now();
            closedBy = r.stdout;
        }
        else assert.equal(r.stdout, "", "the reaper closed something else");
    }
    assert.ok(closedAt, "the reaper never closed the expired session");
    const after = closedAt / 1000 - short.cred.expiresAt;
    console.log(`reaper test: the expired allocation was closed ${after.toFixed(1)} s after its credential expired (bound ${EXPIRY_BOUND_SECONDS} s)`);
    assert.ok(after <= EXPIRY_BOUND_SECONDS, `closed ${after} s after expiry`);
    const seen = await relays(short.c);
    console.log(`reaper test: after the reaper closed it, a UDP client sees: ${seen}`);
    assert.match(seen, /^Error: no data .*; Refresh: .+/, "the expired allocation still relays");
    assert.match(coturn.output(), cancelledInLog(closedBy, short.cred.username), "coturn did not log the session's cancellation");
    assert.equal(await relays(valid.c), "relays", "the reaper touched an allocation with a valid credential");
});

test("revocation: a revoked consumer's allocation is closed on the next run, another consumer's is untouched; SSM is read at most once a minute", { timeout: 60_000 }, async () => {
    const revoked = await allocation("tcp", 3600, "consumer-x");
    const other = await allocation("tcp", 3600, "consumer-y");
    const perCall = await allocation("udp", 3600, "consumer-x.tail");
    ssm({ "consumer-x": new Date(Date.now() + 3600_000) });
    rmSync(paths().revocations, { force: true }); // the copy is older than the refresh period
    const before = ssmCalls().length;
    const r = reaper();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ssmCalls().slice(before), [{ name: PARAMS.revocations, withDecryption: false }]);
    assert.match(r.stdout, new RegExp(`^turn-stack-reaper: closed session \\d+ of ${revoked.cred.username} \\(revoked\\)$`, "m"));
    assert.equal(r.stdout.trim().split("\n").length, 1, r.stdout);
    const seen = await relays(revoked.c);
    console.log(`reaper test: after the reaper closed it, a TCP client sees: ${seen}`);
    assert.match(seen, /^Error: no data .*; Refresh: .+/, "the revoked consumer's allocation still relays");
    assert.match(coturn.output(), cancelledInLog(r.stdout, revoked.cred.username), "coturn did not log the session's cancellation");
    assert.equal(await relays(other.c), "relays");
    assert.equal(await relays(perCall.c), "relays", "a name that only starts with the revoked one is another consumer");
    // A new allocation by the revoked consumer is closed by the next run, from the reaper's copy of the list.
    const again = await allocation("udp", 3600, "consumer-x");
    const next = reaper();
    assert.match(next.stdout, new RegExp(`of ${again.cred.username} \\(revoked\\)`));
    assert.equal(ssmCalls().length, before + 1, "the list was reread from SSM within a minute");
    // Past its time the revocation does nothing: the credential it was for has expired by then.
    ssm({ "consumer-x": new Date(Date.now() - 1000) });
    rmSync(paths().revocations, { force: true });
    const back = await allocation("udp", 3600, "consumer-x");
    assert.equal(reaper().stdout, "");
    assert.equal(await relays(back.c), "relays");
});
