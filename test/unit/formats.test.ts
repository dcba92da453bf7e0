/**
 * Every output format, parsed back by a real parser for its language and
 * compared to the JSON it came from: YAML (yaml library), Lua (Debian's
 * lua5.4 loading the block), env files (dotenv and bash sourcing them),
 * Python (python3's ast on the aiortc snippet). Credentials with + / = " $
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
import { formatIceServers, envValue } from "../../infra/formats";
import type { RTCIceServer } from "../../infra/ice";

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
