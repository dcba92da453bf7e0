/**
 * Secret rotation on real coturn 4.6.1 (Debian's), the way the VM does it: `use-auth-secret` with no
 * `static-auth-secret` line and `userdb=` an SQLite database, kept in sync with SSM by the user data's
 * own sync script (infra/secret-sync.ts), run here as the VM runs it (root, python3) while coturn runs.
 *
 * What differs from production, and only this: coturn's config has loopback addresses (listening
 * 127.0.1.1, relay 127.0.1.2), logs to stdout, no TLS, loopback peers with one allowed peer
 * (127.0.1.3) (scripts/lib/local-turnserver-conf.ts lists each change), and drops to user
 * `turnserver` itself (`proc-user`) where systemd starts it as that user on the VM. The sync script
 * is the rendered one with its database path pointed at a temporary directory, and SSM is a
 * stand-in for the VM's SSM reader (test/helpers/ssm-get-standin, in place of infra/ssm-get.ts's
 * script) that answers GetParameter from a JSON file the test writes (a SecureString needs --decrypt).
 *
 * What it shows, with real requests and the same coturn process throughout:
 *  - a secret the sync adds is accepted at the next request; one it removes is refused (401);
 *  - the previous secret is kept exactly until its notAfter;
 *  - coturn (user turnserver) reads the root:turnserver 0640 database and cannot write it;
 *  - an allocation opened with a secret that is later removed keeps relaying, and its Refresh,
 *    CreatePermission and ChannelBind still succeed: coturn keeps the key it derived at Allocate for
 *    the session (coturn ns_turn_server.c, check_stun_auth: `hmackey` is looked up only while unset),
 *    so removing a secret ends new allocations only (expiring live ones is the session reaper's job);
 *  - a sync that cannot read SSM changes nothing and fails.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTurnConfig } from "../../infra/config";
import { mintTurnCredential } from "../../infra/credentials";
import { previousSecretValue } from "../../infra/rotation";
import { secretSyncScript, SYNC_PATHS } from "../../infra/secret-sync";
import { startCoturn, type RunningCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf, loopbackPeers, runAsUser, type ConfChange } from "../../scripts/lib/local-turnserver-conf";
import { TurnClient, TurnError } from "../../scripts/lib/turn-client";
import { ROOT, stackConfig } from "../helpers/stack-config";
import { startEchoPeer } from "../helpers/echo-peer";

const LISTEN = "127.0.1.1";
const RELAY = "127.0.1.2";
const PEER = "127.0.1.3";
const CURRENT = "/turn-stack/turn/prod/static-auth-secret";
const PREVIOUS = "/turn-stack/turn/prod/previous-auth-secret";
const cfg = parseTurnConfig(stackConfig("prod"));
const secretA = randomBytes(32).toString("base64url");
const secretB = randomBytes(32).toString("base64url");

let coturn: RunningCoturn;
let dir: string;
let db: string;
let script: string;
let ssmFile: string;
let peer: dgram.Socket;
let peerPort: number;
const clients: TurnClient[] = [];

const gid = (name: string) => Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());

/** The stand-in for the VM's SSM reader (infra/ssm-get.ts): GetParameter answered from the JSON file in TURN_STACK_SSM_FILE. */
const SSM_GET_STANDIN = join(ROOT, "test", "helpers", "ssm-get-standin", "turn-stack-ssm-get");

/** Put parameter values in the SSM stand-in (both SecureStrings, as the program declares them). */
function ssm(current: string, previous?: { secret: string; notAfter: Date }) {
    const secure = (Value: string) => ({ Type: "SecureString", Value });
    writeFileSync(ssmFile, JSON.stringify({ [CURRENT]: secure(current), [PREVIOUS]: secure(previousSecretValue(previous)) }), { mode: 0o600 });
}

/** Run the rendered sync script as the timer does (root); returns its exit status and output. */
function sync(): { status: number | null; stdout: string; stderr: string } {
    return spawnSync("python3", [script], { encoding: "utf8", env: { ...process.env, TURN_STACK_SSM_FILE: ssmFile, TURN_STACK_SSM_LOG: join(dir, "ssm.log") } });
}

/** The VM's auth: secrets in the SQLite database, none in the file. */
function secretsInDb(path: string): ConfChange {
    return {
        name: "secrets in the database",
        why: "the VM keeps the TURN REST API secrets in coturn's SQLite userdb (synced from SSM); here at a temporary path",
        touches: ["static-auth-secret", "userdb"],
        edit: (lines) => [...lines.filter((l) => !l.startsWith("static-auth-secret=")).slice(0, -1), `userdb=${path}`, ...lines.slice(-1)],
    };
}

beforeAll(async () => {
    dir = mkdtempSync("/tmp/turn-stack-rotation-");
    db = join(dir, "db", "turndb");
    ssmFile = join(dir, "ssm.json");
    script = join(dir, "turn-stack-secrets");
    const rendered = secretSyncScript({ secretParameterName: CURRENT, previousSecretParameterName: PREVIOUS, realm: cfg.realm, ssmGet: SSM_GET_STANDIN });
    assert.ok(rendered.includes(`"${SYNC_PATHS.userdb}"`));
    writeFileSync(script, rendered.replace(`"${SYNC_PATHS.userdb}"`, JSON.stringify(db)), { mode: 0o700 });
    // /tmp/turn-stack-rotation-* is root's 0700; coturn's user must reach the database's directory.
    execFileSync("chmod", ["0711", dir]);

    ssm(secretA);
    const first = sync();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, "turn-stack: coturn now accepts 1 secret(s)\n");

    const conf = localTurnserverConf(cfg, { listeningIp: LISTEN, relayIp: RELAY, secret: "unused" }, [
        loopbackPeers([PEER]),
        runAsUser("turnserver", "systemd runs coturn as turnserver on the VM; the database's permissions are tested for that user"),
        secretsInDb(db),
    ]).text;
    assert.doesNotMatch(conf, /static-auth-secret/);
    coturn = await startCoturn({ conf, host: LISTEN, port: 3478, secret: secretA });
    ({ socket: peer, port: peerPort } = await startEchoPeer(PEER));
}, 30_000);

afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    peer?.close();
    await coturn?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

async function client(): Promise<TurnClient> {
    const c = await TurnClient.connect({ host: LISTEN, port: 3478, transport: "udp", timeoutMs: 2000 });
    clients.push(c);
    return c;
}

/** Allocate with a credential minted from `secret`: "ok", or the TURN error code. */
async function allocateWith(secret: string): Promise<"ok" | number> {
    const c = await client();
    try {
        const cred = mintTurnCredential(secret, { ttlSeconds: 600, userId: "rotation" });
        await c.allocate(cred.username, cred.credential);
        return "ok";
    } catch (e) {
        if (e instanceof TurnError) return e.code;
        throw e;
    } finally {
        await c.close();
    }
}

/** One datagram to the peer through `c` (Send indication) and its echo back. */
async function relays(c: TurnClient, text: string): Promise<void> {
    const echoed = c.nextData(PEER, 3000);
    c.sendIndication({ address: PEER, port: peerPort }, Buffer.from(text));
    assert.equal((await echoed).data.toString(), `echo:${text}`);
}

test("coturn (user turnserver) reads the root:turnserver 0640 database the sync made, and cannot write it", () => {
    const status = readFileSync(`/proc/${coturn.pid}/status`, "utf8");
    assert.equal(Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)![1]), Number(execFileSync("id", ["-u", "turnserver"], { encoding: "utf8" })), "coturn dropped to turnserver");
    for (const [path, mode] of [[db, 0o640], [join(dir, "db"), 0o750]] as const) {
        const st = statSync(path);
        assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [0, gid("turnserver"), mode], path);
    }
    const write = spawnSync("runuser", ["-u", "turnserver", "--", "python3", "-c", `open(${JSON.stringify(db)}, "r+b")`], { encoding: "utf8" });
    assert.notEqual(write.status, 0, "user turnserver must not be able to write the database");
    assert.match(write.stderr, /Permission denied/);
});

test("rotation through the sync: the new secret works at the next request, the old one until notAfter, then 401; no restart", async () => {
    const pid = coturn.pid;
    // The allocation that lives through the rotation: opened with the old secret, relaying.
    const live = await client();
    const cred = mintTurnCredential(secretA, { ttlSeconds: 600, userId: "live-call" });
    await live.allocate(cred.username, cred.credential);
    await live.createPermission(PEER);
    await relays(live, "before");
    assert.equal(await allocateWith(secretB), 401, "a secret not yet synced is refused");

    // Rotate: B current, A previous for an hour.
    ssm(secretB, { secret: secretA, notAfter: new Date(Date.now() + 3600_000) });
    const r = sync();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "turn-stack: coturn now accepts 2 secret(s)\n");
    assert.equal(await allocateWith(secretB), "ok", "the new secret works at the next request");
    assert.equal(await allocateWith(secretA), "ok", "the previous secret works during the overlap");
    const mtime = statSync(db).mtimeMs;
    assert.deepEqual(pick(sync()), { status: 0, stdout: "", stderr: "" }, "nothing changed: nothing printed");
    assert.equal(statSync(db).mtimeMs, mtime, "nothing changed: the database is not written");
    await relays(live, "during");

    // The overlap ends.
    ssm(secretB, { secret: secretA, notAfter: new Date(Date.now() - 1000) });
    const end = sync();
    assert.equal(end.status, 0, end.stderr);
    assert.equal(end.stdout, "turn-stack: coturn now accepts 1 secret(s)\n");
    assert.equal(await allocateWith(secretA), 401, "after notAfter the previous secret is refused at the next request");
    assert.equal(await allocateWith(secretB), "ok");

    // The allocation opened with the removed secret: relaying, Refresh, CreatePermission and ChannelBind all still work.
    await relays(live, "after");
    await live.refresh(600);
    await live.createPermission(PEER);
    await live.channelBind(0x4001, { address: PEER, port: peerPort });
    const echoed = live.nextData(PEER, 3000);
    live.sendChannelData(0x4001, Buffer.from("channel"));
    assert.equal((await echoed).data.toString(), "echo:channel");
    assert.equal(coturn.pid, pid);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, "utf8"), /turnserver/, "the same coturn process throughout");
    console.log(
        "rotation test: coturn 4.6.1, secrets in its SQLite userdb: a synced secret is accepted and a removed one refused at the next request, " +
            "same PID; an allocation opened with the removed secret kept relaying, and its Refresh, CreatePermission and ChannelBind succeeded",
    );
});

test("a sync that cannot read SSM fails and changes nothing", async () => {
    writeFileSync(ssmFile, JSON.stringify({ [PREVIOUS]: previousSecretValue() }));
    const r = sync();
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ParameterNotFound/);
    assert.ok(!r.stderr.includes(secretB) && !r.stdout.includes(secretB), "the script never prints a secret");
    assert.equal(await allocateWith(secretB), "ok", "the database still holds the current secret");
});

/** The fields of a spawnSync result the comparison above needs. */
function pick(r: { status: number | null; stdout: string; stderr: string }) {
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("python3 reads the realm literal as the realm, for every printable ASCII character (the longest realm: 127)", () => {
    const realm = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join("").padEnd(127, "\\");
    const rendered = secretSyncScript({ secretParameterName: CURRENT, previousSecretParameterName: PREVIOUS, realm });
    const r = spawnSync("python3", ["-c", "import ast, sys; src = sys.stdin.read(); compile(src, 'sync', 'exec'); line = next(l for l in src.splitlines() if l.startswith('r, f = ')); print(ast.literal_eval(line[7:])[0], end='')"], {
        input: rendered,
        encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, realm);
});
