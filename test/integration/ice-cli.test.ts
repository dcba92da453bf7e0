/**
 * `npm run ice` end to end on stack outputs (--outputs, the JSON of
 * `pulumi stack output --json --show-secrets`): self-hosted credentials minted
 * locally, Cloudflare credentials from a local STAND-IN for Cloudflare's API
 * (test/helpers/cloudflare-standin.ts), and both merged with the own relay first.
 */
import { test, beforeAll, afterAll, expect } from "vitest";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { turnRestPassword } from "../../infra/credentials";
import { FORMATS } from "../../infra/formats";
import { turnUrls } from "../../infra/ice";
import { startCloudflareStandIn, type StandIn } from "../helpers/cloudflare-standin";
import { runTs } from "../helpers/run";
import { ROOT } from "../helpers/stack-config";

const SCRIPT = join(ROOT, "scripts", "ice.ts");
const dir = mkdtempSync(join(tmpdir(), "turn-stack-ice-"));
let cf: StandIn;
const KEY_ID = "0123456789abcdef0123456789abcdef";
const KEY = "cloudflare-bearer";
const OWN_URLS = ["turn:turn.example.com:3478?transport=udp", "turn:turn.example.com:3478?transport=tcp", "turns:turn.example.com:5349?transport=tcp", "turns:turn.example.com:443?transport=tcp"];
const SECRET = "shared+secret/with=base64chars";

beforeAll(async () => {
    cf = await startCloudflareStandIn();
    cf.keys.set(KEY_ID, KEY);
});
afterAll(async () => {
    await cf.close();
    rmSync(dir, { recursive: true, force: true });
});

function outputsFile(mode: string): string {
    const outputs: Record<string, unknown> = { mode, credentialTtlSeconds: 3600 };
    if (mode !== "cloudflare") Object.assign(outputs, { turnServerUrls: OWN_URLS, sharedSecret: SECRET });
    if (mode !== "self-hosted") Object.assign(outputs, { cloudflareTurnKeyId: KEY_ID, cloudflareTurnKey: KEY });
    const p = join(dir, `${mode}.json`);
    writeFileSync(p, JSON.stringify(outputs));
    return p;
}

const ice = (args: string[]) => runTs(SCRIPT, args, { env: { ...process.env, CLOUDFLARE_RTC_API_URL: cf.rtcBase } });

test("self-hosted: TURN REST API credential minted from the stack's secret, with --ttl and --user", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await ice(["--outputs", outputsFile("self-hosted"), "--ttl", "600", "--user", "alice"]);
    const after = Math.ceil(Date.now() / 1000);
    assert.equal(r.status, 0, r.stderr);
    const [server] = JSON.parse(r.stdout);
    assert.deepEqual(server.urls, OWN_URLS);
    const [expiry, user] = server.username.split(":");
    assert.equal(user, "alice");
    assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= after + 600);
    assert.equal(server.credential, turnRestPassword(SECRET, server.username));
});

test("a fleet (issue 16): the latency-routed name first, then every server's name, one fresh credential for all; --region keeps that region's servers; an unknown region is refused naming the fleet's", async () => {
    const latency = ["turn:turn.example.com:3478?transport=udp"];
    const server = (name: string) => [`turn:${name}.turn.example.com:3478?transport=udp`];
    // The shape of the program's iceServersByRegion output (infra/components/fleet.ts): each region's list starts with the latency-routed name.
    const outputs = {
        mode: "self-hosted",
        credentialTtlSeconds: 3600,
        turnServerUrls: latency,
        sharedSecret: SECRET,
        iceServersByRegion: {
            "eu-west-1": [{ urls: latency }, { urls: server("eu-west-1-1") }, { urls: server("eu-west-1-2") }],
            "us-east-1": [{ urls: latency }, { urls: server("us-east-1-1") }],
        },
    };
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify(outputs));
    const urlsOf = (stdout: string) => (JSON.parse(stdout) as { urls: string[] }[]).map((s) => s.urls);
    let r = await ice(["--outputs", file]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(urlsOf(r.stdout), [latency, server("eu-west-1-1"), server("eu-west-1-2"), server("us-east-1-1")]);
    const all = JSON.parse(r.stdout) as { username: string; credential: string }[];
    for (const s of all) {
        assert.equal(s.username, all[0].username);
        assert.equal(s.credential, turnRestPassword(SECRET, s.username));
    }
    r = await ice(["--outputs", file, "--region", "us-east-1"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(urlsOf(r.stdout), [latency, server("us-east-1-1")]);
    r = await ice(["--outputs", file, "--region", "ap-south-1"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--region ap-south-1: the fleet's regions are eu-west-1, us-east-1/);
    assert.equal(r.stdout, "");
    // A one-server stack has no regions to choose from.
    r = await ice(["--outputs", outputsFile("self-hosted"), "--region", "eu-west-1"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--region eu-west-1: the stack is one server, not a fleet/);
});

test("cloudflare: credentials from Cloudflare's API, port 53 dropped", async () => {
    const r = await ice(["--outputs", outputsFile("cloudflare"), "--ttl", "900"]);
    assert.equal(r.status, 0, r.stderr);
    const servers = JSON.parse(r.stdout);
    assert.ok(servers.every((s: { urls: string[] }) => s.urls.every((u) => u.includes("cloudflare.com") && !/:53\?|:53$/.test(u))));
    assert.equal(JSON.parse(cf.requests.at(-1)!.body).ttl, 900);
});

test("both: one merged RTCIceServer[], own relay first, Cloudflare after", async () => {
    const r = await ice(["--outputs", outputsFile("both")]);
    assert.equal(r.status, 0, r.stderr);
    const servers = JSON.parse(r.stdout);
    assert.deepEqual(servers[0].urls, OWN_URLS);
    assert.ok(servers.slice(1).length >= 2 && servers.slice(1).every((s: { urls: string[] }) => s.urls[0].includes("cloudflare.com")));
});

test("every format prints", async () => {
    for (const format of FORMATS) {
        const r = await ice(["--outputs", outputsFile("both"), "--format", format]);
        assert.equal(r.status, 0, `${format}: ${r.stderr}`);
        assert.ok(r.stdout.length > 0);
    }
    const neko = parseYaml((await ice(["--outputs", outputsFile("self-hosted"), "--format", "neko"])).stdout);
    assert.deepEqual(neko.webrtc.iceservers.frontend[0].urls, OWN_URLS);
});

test("clear errors: hidden secrets, missing outputs, bad format, Cloudflare refusing", async () => {
    const hidden = join(dir, "hidden.json");
    writeFileSync(hidden, JSON.stringify({ mode: "self-hosted", turnServerUrls: OWN_URLS, sharedSecret: "[secret]" }));
    let r = await ice(["--outputs", hidden]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'sharedSecret' is hidden: export it with --show-secrets/);

    const missing = join(dir, "missing.json");
    writeFileSync(missing, JSON.stringify({ mode: "cloudflare" }));
    r = await ice(["--outputs", missing]);
    assert.match(r.stderr, /'cloudflareTurnKeyId' is missing/);

    r = await ice(["--outputs", outputsFile("both"), "--format", "xml"]);
    assert.match(r.stderr, /--format xml: one of json, neko/);

    const wrongKey = join(dir, "wrong-key.json");
    writeFileSync(wrongKey, JSON.stringify({ mode: "cloudflare", cloudflareTurnKeyId: KEY_ID, cloudflareTurnKey: "wrong" }));
    r = await ice(["--outputs", wrongKey]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /HTTP 401/);

    r = await ice([]);
    assert.match(r.stderr, /--stack or --outputs is required/);
});

test("npm run -s ice ... > file: the file holds only the output (without -s, npm's banner lands in it)", () => {
    const env = { ...process.env, CLOUDFLARE_RTC_API_URL: cf.rtcBase };
    const file = join(dir, "ice.env");
    const quiet = spawnSync("/bin/sh", ["-c", `npm run -s ice -- --outputs '${outputsFile("self-hosted")}' --format env > '${file}'`], { cwd: ROOT, env, encoding: "utf8" });
    expect(quiet.status, quiet.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    // The whole file is one ICE_SERVERS='<json>' line, as `set -a; . file` and dotenv read it.
    const m = /^ICE_SERVERS='(.*)'\n$/.exec(text);
    expect(m, text).not.toBeNull();
    expect(JSON.parse(m![1])[0].urls).toEqual(OWN_URLS);
    // The control: plain `npm run` writes its banner to stdout, so into the file.
    const noisy = spawnSync("/bin/sh", ["-c", `npm run ice -- --outputs '${outputsFile("self-hosted")}' --format env > '${file}'`], { cwd: ROOT, env, encoding: "utf8" });
    expect(noisy.status, noisy.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/^\s*> turn-stack@[^\n]* ice/);
});

test("--out <file>: writes the output itself, mode 0600 (credentials), also narrowing an existing file", async () => {
    const out = join(dir, "ice.json");
    writeFileSync(out, "old");
    chmodSync(out, 0o644);
    const r = await ice(["--outputs", outputsFile("both"), "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const servers = JSON.parse(readFileSync(out, "utf8"));
    expect(servers[0].urls).toEqual(OWN_URLS);
    expect(servers[0].credential).toBe(turnRestPassword(SECRET, servers[0].username));
});

test("refusals come before any backend call: a bad --ttl, --out or flag with --stack never reaches the Pulumi CLI or Cloudflare", async () => {
    // PATH without a Pulumi CLI: reaching the Automation API would fail with "could not open stack".
    const env = { ...process.env, PATH: "/usr/bin:/bin", CLOUDFLARE_RTC_API_URL: cf.rtcBase };
    const requests = cf.requests.length;
    for (const [args, message] of [
        [["--stack", "prod", "--ttl", "0"], /--ttl 0: must be a whole number from 60 to 172800/],
        [["--stack", "prod", "--ttl", "3600s"], /--ttl 3600s: must be a whole number/],
        [["--stack", "prod", "--out", join(dir, "missing", "x.json")], /--out .*: directory .* does not exist/],
        [["--stack", "prod", "--outputs", outputsFile("both")], /--stack and --outputs: give one/],
        [["--stack", "prod", "--bogus"], /Unknown option '--bogus'/],
        [["--stack"], /Option '--stack <value>' argument missing/],
    ] as const) {
        const r = await runTs(SCRIPT, [...args], { env });
        expect(r.status, args.join(" ")).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/could not open stack/);
        expect(r.stderr).toContain("usage: npm run -s ice");
    }
    expect(cf.requests.length).toBe(requests);
});

/** A self-hosted stack without a domain, as the program outputs it: UDP and TCP on 3478, TCP on 443. */
function noDomainOutputs(): string {
    const p = join(dir, "no-domain.json");
    writeFileSync(p, JSON.stringify({ mode: "self-hosted", credentialTtlSeconds: 3600, turnServerUrls: turnUrls("192.0.2.10", false), sharedSecret: SECRET }));
    return p;
}

test("--prefer: aiortc and mediasoup get the one TURN URL of that transport (TCP on 443 without a domain, TLS on 443 with one)", async () => {
    let r = await ice(["--outputs", noDomainOutputs(), "--format", "aiortc", "--prefer", "tcp"]);
    assert.equal(r.status, 0, r.stderr);
    const urls = [...r.stdout.matchAll(/urls=\[([^\]]*)\]/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['"turn:192.0.2.10:443?transport=tcp"']);
    r = await ice(["--outputs", outputsFile("self-hosted"), "--format", "aiortc", "--prefer", "tls"]);
    assert.deepEqual([...r.stdout.matchAll(/urls=\[([^\]]*)\]/g)].map((m) => m[1]), ['"turns:turn.example.com:443?transport=tcp"']);
    r = await ice(["--outputs", noDomainOutputs(), "--format", "mediasoup", "--prefer", "tcp"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^MEDIASOUP_CLIENT_ICESERVER_PORT='443'\nMEDIASOUP_CLIENT_ICESERVER_PROTO='tcp'$/m);
    // both mode without a domain: TLS comes from Cloudflare, the own relay has none.
    const both = join(dir, "both-no-domain.json");
    writeFileSync(both, JSON.stringify({ ...JSON.parse(readFileSync(noDomainOutputs(), "utf8")), mode: "both", cloudflareTurnKeyId: KEY_ID, cloudflareTurnKey: KEY }));
    r = await ice(["--outputs", both, "--format", "aiortc", "--prefer", "tls"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /urls=\["turns:turn\.cloudflare\.com:443\?transport=tcp"\]/);
});

test("--prefer refusals name the flag, the value and what is allowed; the ones the command line shows come before any backend call", async () => {
    // The stack decides: no turns: URL without a domain.
    let r = await ice(["--outputs", noDomainOutputs(), "--format", "aiortc", "--prefer", "tls"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--prefer tls: the stack's ICE servers have no TURN over TLS URL \(turns: URLs need turn:domain\); choose one of udp, tcp/);
    assert.equal(r.stdout, "");
    // The command line decides: refused before the Pulumi CLI (absent from this PATH) or Cloudflare is called.
    const env = { ...process.env, PATH: "/usr/bin:/bin", CLOUDFLARE_RTC_API_URL: cf.rtcBase };
    const requests = cf.requests.length;
    for (const [args, message] of [
        [["--format", "json", "--prefer", "udp"], /--prefer udp: only for the formats whose client uses one TURN URL \(aiortc, mediasoup\); --format json lists every URL/],
        [["--format", "mediasoup", "--prefer", "tls"], /--prefer tls: one of udp, tcp for --format mediasoup \(MEDIASOUP_CLIENT_ICESERVER_PROTO names a transport/],
        [["--format", "aiortc", "--prefer", "quic"], /--prefer quic: one of udp, tcp, tls for --format aiortc/],
    ] as const) {
        r = await runTs(SCRIPT, ["--stack", "prod", ...args], { env });
        assert.equal(r.status, 1, args.join(" "));
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /could not open stack/);
        assert.match(r.stderr, /usage: npm run -s ice/);
    }
    assert.equal(cf.requests.length, requests);
});

test("--consumer <name> --valid-for <duration>: the username names the consumer, the lifetime is the one asked for, up to 7 days", async () => {
    for (const [validFor, seconds] of [["7d", 604_800], ["12h", 43_200], ["90m", 5400], ["3600s", 3600], ["3600", 3600]] as const) {
        const before = Math.floor(Date.now() / 1000);
        const r = await ice(["--outputs", outputsFile("self-hosted"), "--consumer", "neko-frontend", "--valid-for", validFor]);
        // The expiry is minted between these two clock readings, however long the run took under load.
        const after = Math.ceil(Date.now() / 1000);
        expect(r.status, r.stderr).toBe(0);
        const [server] = JSON.parse(r.stdout);
        const [expiry, consumer] = server.username.split(":");
        expect(consumer).toBe("neko-frontend");
        expect(Number(expiry) - before).toBeGreaterThanOrEqual(seconds);
        expect(Number(expiry) - after).toBeLessThanOrEqual(seconds);
        expect(server.credential).toBe(turnRestPassword(SECRET, server.username));
        expect(r.stderr).toMatch(new RegExp(`consumer neko-frontend: the own relay's credential is valid for [0-9]+[dhms], until ${new Date(Number(expiry) * 1000).toISOString().replace(/\./g, "\\.")}`));
    }
    // Without --valid-for: the per-call TTL, still named after the consumer.
    const r = await ice(["--outputs", outputsFile("self-hosted"), "--consumer", "geti", "--format", "env"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"username":"\d+:geti"/);
});

test("--consumer/--valid-for refusals name the flag, the value and what is allowed, before any backend call, and write nothing", async () => {
    const env = { ...process.env, PATH: "/usr/bin:/bin", CLOUDFLARE_RTC_API_URL: cf.rtcBase };
    const requests = cf.requests.length;
    const out = join(dir, "refused.json");
    for (const [args, message] of [
        [["--consumer", "neko frontend", "--valid-for", "7d"], /--consumer "neko frontend": a consumer name is 1 to 64 characters from A-Z a-z 0-9 \. _ -/],
        [["--consumer", "a:b"], /--consumer "a:b": a consumer name is 1 to 64 characters/],
        [["--consumer", "x".repeat(65)], /--consumer "x{65}": a consumer name is 1 to 64 characters/],
        [["--consumer", "neko", "--valid-for", "8d"], /--valid-for 8d: 691200 s is over the ceiling of 7d \(the longest a credential may live: it bounds what a leaked config can do and a rotation's overlap; renew before it expires\); allowed: 1m to 7d \(60 to 604800 s\)/],
        [["--consumer", "neko", "--valid-for", "1w"], /--valid-for "1w": a whole number with a unit d, h, m or s \(e\.g\. 7d, 12h, 90m, 3600s\) or plain seconds, from 1m to 7d/],
        [["--consumer", "neko", "--valid-for", "30s"], /--valid-for 30s: 30 s is shorter than 1m/],
        [["--valid-for", "7d"], /--valid-for 7d: only with --consumer <name>/],
        [["--consumer", "neko", "--user", "alice"], /--consumer neko and --user alice: give one/],
        [["--consumer", "neko", "--valid-for", "7d", "--ttl", "600"], /--valid-for 7d and --ttl 600: give one/],
    ] as const) {
        const r = await runTs(SCRIPT, ["--stack", "prod", "--out", out, ...args], { env });
        expect(r.status, args.join(" ")).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/could not open stack/);
        expect(r.stderr).toContain("usage: npm run -s ice");
        expect(r.stdout).toBe("");
    }
    expect(existsSync(out), "a refusal writes no --out file").toBe(false);
    expect(cf.requests.length).toBe(requests);
});

test("Cloudflare mints for at most 172800 s: --consumer refused in cloudflare mode, --valid-for over 48h refused in both mode, 48h passed on", async () => {
    const requests = cf.requests.length;
    let r = await ice(["--outputs", outputsFile("cloudflare"), "--consumer", "neko", "--valid-for", "1h"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--consumer neko: turn:mode is cloudflare: Cloudflare makes its credentials' usernames itself, so none can name a consumer, and they last at most 172800 s; allowed: --consumer on a stack with an own server/);
    r = await ice(["--outputs", outputsFile("both"), "--consumer", "neko", "--valid-for", "3d"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--valid-for 3d: turn:mode is both, and Cloudflare's generate-ice-servers issues credentials for at most 172800 s; allowed here: 1m to 2d/);
    expect(cf.requests.length, "refused before Cloudflare is called").toBe(requests);
    r = await ice(["--outputs", outputsFile("both"), "--consumer", "neko", "--valid-for", "48h"]);
    expect(r.status, r.stderr).toBe(0);
    const servers = JSON.parse(r.stdout);
    expect(servers[0].username).toMatch(/^\d+:neko$/);
    expect(JSON.parse(cf.requests.at(-1)!.body).ttl).toBe(172_800);
});

/** What VidMeet reads from a rendered Cfg.VidMeet block, through Debian's lua5.4. */
function vidmeetReads(text: string): { mode: string; cloudflare?: { TokenID: string; ApiToken: string; TTL: number }; manual: { urls: string[]; username?: string; credential?: string }[] } {
    const block = join(dir, "serverconfig.lua");
    writeFileSync(block, text);
    // JSON out of Lua: every string is hex, so nothing needs escaping.
    const lua = `
        Cfg = {}
        dofile(arg[1])
        local function hex(s) return '"' .. (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) .. '"' end
        local v = Cfg.VidMeet
        local cf = v.Cloudflare and ('{"TokenID":' .. hex(v.Cloudflare.TokenID) .. ',"ApiToken":' .. hex(v.Cloudflare.ApiToken) .. ',"TTL":' .. math.tointeger(v.Cloudflare.TTL) .. '}') or "null"
        local manual = {}
        for _, s in ipairs(v.ManualIceServers or {}) do
            local urls = {}
            for _, u in ipairs(s.urls) do urls[#urls + 1] = hex(u) end
            manual[#manual + 1] = '{"urls":[' .. table.concat(urls, ",") .. ']' .. (s.username and (',"username":' .. hex(s.username) .. ',"credential":' .. hex(s.credential)) or "") .. '}'
        end
        io.write('{"mode":' .. hex(v.IceServer) .. ',"cloudflare":' .. cf .. ',"manual":[' .. table.concat(manual, ",") .. ']}')`;
    const r = spawnSync("lua5.4", ["-", block], { input: lua, encoding: "utf8" });
    if (r.error) throw new Error(`lua5.4 is required for this test (apt-get install lua5.4): ${r.error.message}`);
    expect(r.status, r.stderr).toBe(0);
    const unhex = (v: unknown): unknown =>
        typeof v === "string" ? Buffer.from(v, "hex").toString("utf8") : Array.isArray(v) ? v.map(unhex) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unhex(x)])) : v;
    const parsed = unhex(JSON.parse(r.stdout)) as ReturnType<typeof vidmeetReads> & { cloudflare: unknown };
    return { ...parsed, cloudflare: parsed.cloudflare ?? undefined } as ReturnType<typeof vidmeetReads>;
}

test("--format vidmeet on a stack with a Cloudflare key: VidMeet's Cloudflare mode with the stack's key id, token and TTL, and no Cloudflare call", async () => {
    const requests = cf.requests.length;
    let r = await ice(["--outputs", outputsFile("cloudflare"), "--format", "vidmeet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(vidmeetReads(r.stdout)).toEqual({ mode: "cloudflare", cloudflare: { TokenID: KEY_ID, ApiToken: KEY, TTL: 3600 }, manual: [] });
    // both mode: Cloudflare mode, the own relay kept in ManualIceServers (a credential from the stack's secret); --ttl sets VidMeet's TTL.
    r = await ice(["--outputs", outputsFile("both"), "--format", "vidmeet", "--ttl", "900"]);
    expect(r.status, r.stderr).toBe(0);
    const both = vidmeetReads(r.stdout);
    expect(both.mode).toBe("cloudflare");
    expect(both.cloudflare).toEqual({ TokenID: KEY_ID, ApiToken: KEY, TTL: 900 });
    expect(both.manual.map((s) => s.urls)).toEqual([OWN_URLS]);
    expect(both.manual[0].credential).toBe(turnRestPassword(SECRET, both.manual[0].username!));
    expect(cf.requests.length, "VidMeet calls Cloudflare itself").toBe(requests);
    // A self-hosted stack keeps manual mode.
    r = await ice(["--outputs", outputsFile("self-hosted"), "--format", "vidmeet"]);
    expect(vidmeetReads(r.stdout)).toMatchObject({ mode: "manual", cloudflare: undefined, manual: [{ urls: OWN_URLS }] });
});
