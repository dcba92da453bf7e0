/**
 * Every output format, parsed back by a real parser for its language and
 * compared to the JSON it came from: YAML (yaml library), Lua (Debian's
 * lua5.4 loading the block), env files (dotenv and bash sourcing them),
 * Python (python3's ast on the aiortc snippet, and Debian's aiortc 1.4 choosing
 * the TURN URL it will use). Credentials with + / = " $
 * (and ' where the format can hold it) must survive.
 */
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import dotenv from "dotenv";
import { checkPrefer, envValue, FORMATS, formatIceServers, ONE_URL_FORMATS, preferredTurnUrl, turnTransport } from "../../infra/formats";
import { turnUrls, type RTCIceServer } from "../../infra/ice";
import { CLOUDFLARE_TURN_URLS } from "../../infra/cloudflare-api";

const dir = mkdtempSync(join(tmpdir(), "turn-stack-formats-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
}

function run(cmd: string, args: string[], input?: string): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", input });
    if (r.error) throw new Error(`${cmd} is required for this test (apt-get install it): ${r.error.message}`);
    assert.equal(r.status, 0, `${cmd} failed: ${r.stderr}`);
    return r.stdout;
}

const own = (username: string, credential: string): RTCIceServer => ({
    urls: ["turn:203.0.113.10:3478?transport=udp", "turn:203.0.113.10:3478?transport=tcp"],
    username,
    credential,
});
const cloudflare: RTCIceServer[] = [
    { urls: ["stun:stun.cloudflare.com:3478"] },
    { urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"], username: "ab12", credential: "cd34" },
];

/** Credentials every format must carry unchanged. */
const NASTY = own("1795225204:user+/=\"$HOME `id` \\n", "Ab+/c=d\"e$PATH\\x==");
/** With a single quote too: JSON-carrying formats must still hold it. */
const QUOTED = own("1795225204:o'brien\"$x", "p'q+/=");
const cases: [string, RTCIceServer[]][] = [
    ["nasty", [NASTY, ...cloudflare]],
    ["quoted", [QUOTED, ...cloudflare]],
];

for (const [label, servers] of cases) {
    test(`json (${label}): parses back`, () => {
        assert.deepEqual(JSON.parse(formatIceServers(servers, "json")), servers);
    });

    test(`neko (${label}): YAML webrtc.iceservers.frontend parses back`, () => {
        const doc = parseYaml(formatIceServers(servers, "neko"));
        assert.deepEqual(doc.webrtc.iceservers.frontend, servers);
    });

    for (const [format, variable] of [["env", "ICE_SERVERS"], ["neko-env", "NEKO_WEBRTC_ICESERVERS_FRONTEND"]] as const) {
        test(`${format} (${label}): dotenv and bash both read the same JSON`, () => {
            const text = formatIceServers(servers, format);
            assert.deepEqual(JSON.parse(dotenv.parse(text)[variable]), servers, "dotenv");
            const sourced = run("bash", ["-c", `set -eu; source "$1"; printf '%s' "$${variable}"`, "bash", file(`${format}-${label}.env`, text)]);
            assert.deepEqual(JSON.parse(sourced), servers, "bash");
        });
    }

    test(`vidmeet (${label}): lua5.4 loads the Cfg.VidMeet block with IceServer = "manual"`, () => {
        const block = file(`vidmeet-${label}.lua`, formatIceServers(servers, "vidmeet"));
        // Print every string as hex so any byte that changed shows.
        const lua = `
            Cfg = {}
            dofile(arg[1])
            local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
            assert(Cfg.VidMeet.Enabled == true)
            io.write("mode ", Cfg.VidMeet.IceServer, "\\n")
            for i, s in ipairs(Cfg.VidMeet.ManualIceServers) do
                for _, u in ipairs(s.urls) do io.write(i, " url ", hex(u), "\\n") end
                if s.username then io.write(i, " username ", hex(s.username), "\\n") end
                if s.credential then io.write(i, " credential ", hex(s.credential), "\\n") end
            end`;
        const out = run("lua5.4", ["-", block], lua);
        const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
        const expected = ["mode manual"];
        servers.forEach((s, i) => {
            for (const u of [s.urls].flat()) expected.push(`${i + 1} url ${hex(u)}`);
            if (s.username !== undefined) expected.push(`${i + 1} username ${hex(s.username)}`);
            if (s.credential !== undefined) expected.push(`${i + 1} credential ${hex(s.credential)}`);
        });
        assert.deepEqual(out.trim().split("\n"), expected);
    });

    test(`aiortc (${label}): python3 parses the snippet to the same servers`, () => {
        const snippet = file(`aiortc-${label}.py`, formatIceServers(servers, "aiortc"));
        const py = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
assert imports and imports[0].module == "aiortc", "imports from aiortc"
call = next(n.value for n in tree.body if isinstance(n, ast.Assign))
assert call.func.id == "RTCConfiguration"
servers = []
for s in call.keywords[0].value.elts:
    assert s.func.id == "RTCIceServer"
    servers.append({k.arg: ast.literal_eval(k.value) for k in s.keywords})
print(json.dumps(servers))`;
        assert.deepEqual(JSON.parse(run("python3", ["-c", py, snippet])), servers);
    });
}

test("mediasoup (nasty): one TURN server, UDP preferred; dotenv and bash read the same values", () => {
    const text = formatIceServers([NASTY, ...cloudflare], "mediasoup");
    const expected = {
        MEDIASOUP_CLIENT_ENABLE_ICESERVER: "yes",
        MEDIASOUP_CLIENT_ICESERVER_HOST: "203.0.113.10",
        MEDIASOUP_CLIENT_ICESERVER_PORT: "3478",
        MEDIASOUP_CLIENT_ICESERVER_PROTO: "udp",
        MEDIASOUP_CLIENT_ICESERVER_USER: NASTY.username,
        MEDIASOUP_CLIENT_ICESERVER_PASS: NASTY.credential,
    };
    assert.deepEqual(dotenv.parse(text), expected);
    const sourced = run("bash", ["-c", 'set -eu; set -a; source "$1"; env -0', "bash", file("mediasoup.env", text)]);
    const env = Object.fromEntries(sourced.split("\0").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    for (const [k, v] of Object.entries(expected)) assert.equal(env[k], v, k);
});

test("mediasoup with a single quote: double quotes when safe, a clear error when no quoting is portable", () => {
    const text = formatIceServers([own("1795225204:o'brien", "p+/=")], "mediasoup");
    assert.equal(dotenv.parse(text).MEDIASOUP_CLIENT_ICESERVER_USER, "1795225204:o'brien");
    assert.throws(() => formatIceServers([QUOTED], "mediasoup"), /no env quoting reads the same in bash and dotenv/);
    assert.throws(() => envValue("a\nb"), /line break/);
});

test("mediasoup needs a TURN URL with credentials", () => {
    assert.throws(() => formatIceServers([{ urls: ["stun:stun.cloudflare.com:3478"] }], "mediasoup"), /turn: URL with credentials/);
});

// --prefer: aiortc and mediasoup use one TURN URL, so the transport is chosen for them.
const IP = "203.0.113.10";
/** The own relay as the stack lists it: without a domain (TCP on 443 last), and with one (TLS on 5349 and 443). */
const ownNoDomain: RTCIceServer = { urls: turnUrls(IP, false), username: "1795225204:alice", credential: "c+/=" };
const ownDomain: RTCIceServer = { urls: turnUrls("turn.example.com", true), username: "1795225204:alice", credential: "c+/=" };
const cf: RTCIceServer[] = [{ urls: [...CLOUDFLARE_TURN_URLS], username: "cf-user", credential: "cf-pass" }];

test("preferred TURN URL: own relay first; per transport the URL on 443 (then 80) where there is one", () => {
    const pick = (servers: RTCIceServer[], t: "udp" | "tcp" | "tls") => preferredTurnUrl(servers, t).url;
    assert.equal(pick([ownNoDomain, ...cf], "udp"), `turn:${IP}:3478?transport=udp`);
    assert.equal(pick([ownNoDomain, ...cf], "tcp"), `turn:${IP}:443?transport=tcp`, "without a domain, TCP on 443");
    assert.equal(pick([ownDomain], "tcp"), "turn:turn.example.com:3478?transport=tcp", "with a domain 443 is TLS");
    assert.equal(pick([ownDomain], "tls"), "turns:turn.example.com:443?transport=tcp");
    assert.equal(pick(cf, "tcp"), "turn:turn.cloudflare.com:80?transport=tcp");
    assert.equal(pick(cf, "tls"), "turns:turn.cloudflare.com:443?transport=tcp");
    // both mode without a domain: TLS only from Cloudflare.
    assert.deepEqual(preferredTurnUrl([ownNoDomain, ...cf], "tls").server, cf[0]);
    assert.deepEqual([turnTransport("turn:h:1"), turnTransport("turns:h"), turnTransport("stun:h:3478"), turnTransport("turn:h:1?transport=tcp")], ["udp", "tls", undefined, "tcp"]);
});

test("--prefer refusals name the flag, the value and what is allowed", () => {
    assert.throws(() => preferredTurnUrl([ownNoDomain], "tls"), /^Error: --prefer tls: the stack's ICE servers have no TURN over TLS URL \(turns: URLs need turn:domain\); choose one of udp, tcp$/);
    assert.throws(() => preferredTurnUrl([{ urls: ownNoDomain.urls }], "udp"), /--prefer udp: .* have no TURN over UDP URL; they have no TURN URL with a credential at all/);
    assert.throws(() => formatIceServers([ownNoDomain], "aiortc", { prefer: "tls" }), /--prefer tls: .*choose one of udp, tcp/);
    assert.throws(() => checkPrefer("mediasoup", "tls"), /^Error: --prefer tls: one of udp, tcp for --format mediasoup \(MEDIASOUP_CLIENT_ICESERVER_PROTO names a transport, udp or tcp; it has no TLS setting\)$/);
    assert.throws(() => checkPrefer("aiortc", "sctp"), /^Error: --prefer sctp: one of udp, tcp, tls for --format aiortc$/);
    for (const format of FORMATS.filter((f) => !ONE_URL_FORMATS.includes(f))) {
        assert.throws(() => formatIceServers([ownNoDomain], format, { prefer: "udp" }), new RegExp(`--prefer udp: only for the formats whose client uses one TURN URL \\(aiortc, mediasoup\\); --format ${format} lists every URL`));
    }
    assert.equal(checkPrefer("json", undefined), undefined);
});

test("mediasoup --prefer: the chosen URL's host, port and transport", () => {
    const tcp = dotenv.parse(formatIceServers([ownNoDomain, ...cf], "mediasoup", { prefer: "tcp" }));
    assert.deepEqual([tcp.MEDIASOUP_CLIENT_ICESERVER_HOST, tcp.MEDIASOUP_CLIENT_ICESERVER_PORT, tcp.MEDIASOUP_CLIENT_ICESERVER_PROTO, tcp.MEDIASOUP_CLIENT_ICESERVER_USER], [IP, "443", "tcp", ownNoDomain.username]);
    const udp = dotenv.parse(formatIceServers([ownNoDomain], "mediasoup", { prefer: "udp" }));
    assert.deepEqual([udp.MEDIASOUP_CLIENT_ICESERVER_PORT, udp.MEDIASOUP_CLIENT_ICESERVER_PROTO], ["3478", "udp"]);
    // Without --prefer, as before: UDP.
    assert.equal(dotenv.parse(formatIceServers([ownNoDomain], "mediasoup")).MEDIASOUP_CLIENT_ICESERVER_PROTO, "udp");
});

/**
 * Debian 12's aiortc (python3-aiortc 1.4.0, in Debian's own /usr/bin/python3) loads the rendered
 * snippet and turns it into its connection settings with its own `connection_kwargs`: the one
 * TURN server (host, port), transport and TLS flag it will use, and the first STUN server.
 */
function aiortcUses(snippet: string): Record<string, unknown> {
    const py = `
import json, sys
try:
    from aiortc.rtcicetransport import connection_kwargs
except ImportError as e:
    sys.exit(f"Debian's python3-aiortc is required for this test (apt-get install python3-aiortc): {e}")
ns = {}
exec(open(sys.argv[1]).read(), ns)
print(json.dumps(connection_kwargs(ns["config"].iceServers)))`;
    return JSON.parse(run("/usr/bin/python3", ["-c", py, file("aiortc-uses.py", snippet)]));
}

// Six python3 processes that each import aiortc (about 1 s of CPU apiece): more than the unit default of 20 s on a loaded 2-core machine.
test("aiortc 1.4 (Debian 12) uses exactly the URL --prefer chose; without it, the first URL (UDP)", { timeout: 90_000 }, () => {
    const servers = [ownNoDomain, ...cf];
    const expect = (host: string, port: number, transport: string, ssl: boolean, s: RTCIceServer) => ({
        turn_server: [host, port],
        turn_transport: transport,
        turn_ssl: ssl,
        turn_username: s.username,
        turn_password: s.credential,
    });
    const pick = (o: Record<string, unknown>) => ({ turn_server: o.turn_server, turn_transport: o.turn_transport, turn_ssl: o.turn_ssl, turn_username: o.turn_username, turn_password: o.turn_password });
    // Today's default: every URL listed, aiortc keeps the first it accepts, UDP 3478, and never falls back.
    assert.deepEqual(pick(aiortcUses(formatIceServers(servers, "aiortc"))), expect(IP, 3478, "udp", false, ownNoDomain));
    assert.deepEqual(pick(aiortcUses(formatIceServers(servers, "aiortc", { prefer: "udp" }))), expect(IP, 3478, "udp", false, ownNoDomain));
    const tcp = aiortcUses(formatIceServers(servers, "aiortc", { prefer: "tcp" }));
    assert.deepEqual(pick(tcp), expect(IP, 443, "tcp", false, ownNoDomain));
    assert.deepEqual(tcp.stun_server, ["stun.cloudflare.com", 3478], "the first STUN URL is kept");
    assert.deepEqual(pick(aiortcUses(formatIceServers([ownDomain], "aiortc", { prefer: "tls" }))), expect("turn.example.com", 443, "tcp", true, ownDomain));
    assert.deepEqual(pick(aiortcUses(formatIceServers([ownDomain], "aiortc", { prefer: "tcp" }))), expect("turn.example.com", 3478, "tcp", false, ownDomain));
    // Credentials with quotes and escapes reach aiortc unchanged.
    const nasty = { ...ownNoDomain, username: NASTY.username, credential: NASTY.credential };
    assert.deepEqual(pick(aiortcUses(formatIceServers([nasty], "aiortc", { prefer: "tcp" }))), expect(IP, 443, "tcp", false, nasty));
});

/** Load a rendered Cfg.VidMeet block with Debian's lua5.4 and return what VidMeet reads from it (strings as hex). */
function vidmeetReads(name: string, text: string): string[] {
    const lua = `
        Cfg = {}
        dofile(arg[1])
        local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
        local v = Cfg.VidMeet
        assert(v.Enabled == true)
        io.write("mode ", v.IceServer, "\\n")
        if v.Cloudflare then
            io.write("TokenID ", hex(v.Cloudflare.TokenID), "\\n", "ApiToken ", hex(v.Cloudflare.ApiToken), "\\n")
            io.write("TTL ", math.type(v.Cloudflare.TTL), " ", v.Cloudflare.TTL, "\\n")
        end
        for i, s in ipairs(v.ManualIceServers or {}) do
            for _, u in ipairs(s.urls) do io.write(i, " url ", hex(u), "\\n") end
            if s.username then io.write(i, " username ", hex(s.username), "\\n") end
        end`;
    return run("lua5.4", ["-", file(name, text)], lua).trim().split("\n");
}
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");

test('vidmeet with a Cloudflare key: lua5.4 reads IceServer = "cloudflare" and Cloudflare = { TokenID, ApiToken, TTL } (an integer) from the stack', () => {
    const key = { keyId: "0123456789abcdef0123456789abcdef", key: 'tok+/="$\\x\'\n', ttlSeconds: 3600 };
    // cloudflare mode: the key only; VidMeet mints per call, so no ManualIceServers and no credentials.
    const cfOnly = formatIceServers([], "vidmeet", { vidmeetCloudflare: key });
    assert.deepEqual(vidmeetReads("vidmeet-cf.lua", cfOnly), ["mode cloudflare", `TokenID ${hex(key.keyId)}`, `ApiToken ${hex(key.key)}`, "TTL integer 3600"]);
    // both mode: the own relay stays in ManualIceServers, for a switch back to "manual".
    const both = formatIceServers([NASTY], "vidmeet", { vidmeetCloudflare: { ...key, ttlSeconds: 172_800 } });
    assert.deepEqual(vidmeetReads("vidmeet-both.lua", both), [
        "mode cloudflare",
        `TokenID ${hex(key.keyId)}`,
        `ApiToken ${hex(key.key)}`,
        "TTL integer 172800",
        ...[NASTY.urls].flat().map((u) => `1 url ${hex(u)}`),
        `1 username ${hex(NASTY.username!)}`,
    ]);
    // Without a key, manual mode as before (self-hosted stacks).
    assert.deepEqual(vidmeetReads("vidmeet-manual.lua", formatIceServers([NASTY], "vidmeet")).slice(0, 1), ["mode manual"]);
    // Cloudflare's generate-ice-servers takes a TTL of 1 to 172800 s.
    for (const ttlSeconds of [0, 172_801, 1.5]) {
        assert.throws(() => formatIceServers([], "vidmeet", { vidmeetCloudflare: { ...key, ttlSeconds } }), /VidMeet's Cloudflare TTL .*: Cloudflare's generate-ice-servers accepts 1 to 172800 seconds/);
    }
});
