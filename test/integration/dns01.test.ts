/**
 * A fleet server's certificate by DNS-01 (issue 16, infra/dns01.ts), end to end on this machine: the VM's
 * script writes the Cloudflare token file from "SSM", Debian's certbot 2.1 runs its real Cloudflare plugin
 * (python3-certbot-dns-cloudflare) with the arguments the VM's unit renders, against
 *  - a stand-in for Cloudflare's DNS records API (test/helpers/cloudflare-dns-standin.ts), which also
 *    answers DNS for the records written through it, and
 *  - Pebble (Debian's `pebble`, Let's Encrypt's test ACME server, RFC 8555), which checks the
 *    `_acme-challenge` TXT records through that DNS server before issuing.
 * Everything listens on 127.0.0.1 and stops at the end.
 *
 * Named test changes to the VM's command: certbot's directories in a temporary directory, Pebble's URL
 * (`--server`), the credentials file's path, and `--dns-cloudflare-propagation-seconds 1` (the VM waits 30 s
 * for Cloudflare's propagation; the stand-in answers at once). The plugin library reads the API's base URL
 * from CLOUDFLARE_API_URL (python3-cloudflare 2.11 read_configs.py), certbot the test CA from REQUESTS_CA_BUNDLE.
 *
 * Not run here: the Route 53 plugin (Debian 12's botocore 1.29 has no endpoint override to point it at a
 * stand-in); its rights are the IAM statements test/unit/dns.test.ts checks.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { certbotDns01Args, cloudflareCredentialsScript, CLOUDFLARE_CREDENTIALS_PATH, CLOUDFLARE_PROPAGATION_SECONDS, type Dns01Certificate } from "../../infra/dns01";
import { startCloudflareDnsStandIn, type CloudflareDnsStandIn } from "../helpers/cloudflare-dns-standin";
import { makeTestPki, type TestPki } from "../helpers/tls-certs";

const ZONE_ID = "0123456789abcdef0123456789abcdef";
const OTHER_ZONE_ID = "fedcba9876543210fedcba9876543210";
const TOKEN = "dns-edit-token-for-example-com-only-0123";
const OTHER_TOKEN = "dns-edit-token-for-other-zone-only-45678";
const CERT: Dns01Certificate = { plugin: "cloudflare", names: ["turn.example.com", "eu-west-1-2.turn.example.com"], tokenParameterName: "/turn-stack/turn/prod/cloudflare-dns-token" };

let dir: string;
let pki: TestPki;
let standIn: CloudflareDnsStandIn;
let pebble: ChildProcess | undefined;
let acmeUrl: string;

async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
}

beforeAll(async () => {
    for (const bin of ["/usr/bin/certbot", "/usr/bin/pebble", "/usr/lib/python3/dist-packages/certbot_dns_cloudflare"]) {
        if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install certbot python3-certbot-dns-cloudflare pebble`);
    }
    dir = mkdtempSync(join(tmpdir(), "turn-stack-dns01-"));
    pki = makeTestPki("localhost", ["127.0.0.1"]);
    standIn = await startCloudflareDnsStandIn({ "example.com": ZONE_ID, "other.test": OTHER_ZONE_ID }, { [TOKEN]: [ZONE_ID], [OTHER_TOKEN]: [OTHER_ZONE_ID] });
    const [acme, mgmt, http01, tls01] = [await freePort(), await freePort(), await freePort(), await freePort()];
    writeFileSync(
        join(dir, "pebble.json"),
        JSON.stringify({ pebble: { listenAddress: `127.0.0.1:${acme}`, managementListenAddress: `127.0.0.1:${mgmt}`, certificate: pki.serverCertFile, privateKey: pki.serverKeyFile, httpPort: http01, tlsPort: tls01, ocspResponderURL: "", externalAccountBindingRequired: false } }),
    );
    pebble = spawn("/usr/bin/pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", standIn.dnsAddress], {
        env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
            log += d.toString();
            if (/Listening on: 127\.0\.0\.1:\d+/.test(log)) resolve();
        };
        pebble!.stdout!.on("data", onData);
        pebble!.stderr!.on("data", onData);
        pebble!.once("exit", (code) => reject(new Error(`pebble exited (${code}) before listening:\n${log}`)));
    });
    acmeUrl = `https://127.0.0.1:${acme}/dir`;
}, 60_000);

afterAll(async () => {
    if (pebble && pebble.exitCode === null) {
        const exited = new Promise((resolve) => pebble!.once("exit", resolve));
        pebble.kill("SIGTERM");
        await exited;
    }
    await standIn?.close();
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The VM's credentials script with the file's path moved into the test directory, run with a stand-in SSM read that prints `token`. */
function writeCredentials(token: string, iniFile: string): Promise<void> {
    const ssmGet = join(dir, "ssm-get");
    writeFileSync(ssmGet, `#!/bin/sh\n[ "$1" = "${CERT.plugin === "cloudflare" ? CERT.tokenParameterName : ""}" ] && [ "$2" = "--decrypt" ] || exit 2\nprintf %s '${token}'\n`);
    chmodSync(ssmGet, 0o755);
    const script = join(dir, "credentials.sh");
    writeFileSync(script, cloudflareCredentialsScript(`${ssmGet} ${(CERT as { tokenParameterName: string }).tokenParameterName} --decrypt`).replaceAll(CLOUDFLARE_CREDENTIALS_PATH, iniFile));
    chmodSync(script, 0o700);
    return new Promise((resolve, reject) => execFile(script, (e, _o, stderr) => (e ? reject(new Error(`credentials script failed: ${stderr}`)) : resolve())));
}

/** certbot with the VM unit's arguments (infra/dns01.ts certbotDns01Args) plus the named test changes. */
function certbot(label: string, iniFile: string): Promise<{ code: number; output: string; configDir: string; hookLog: string }> {
    const base = join(dir, label);
    const hook = join(dir, `${label}-hook.sh`);
    const hookLog = join(dir, `${label}-hook.log`);
    writeFileSync(hook, `#!/bin/sh\necho "$RENEWED_LINEAGE $RENEWED_DOMAINS" >> ${hookLog}\n`);
    chmodSync(hook, 0o755);
    const args = certbotDns01Args(CERT, undefined, hook).map((a) => (a === CLOUDFLARE_CREDENTIALS_PATH ? iniFile : a));
    expect(args).toContain(String(CLOUDFLARE_PROPAGATION_SECONDS));
    args.push("--dns-cloudflare-propagation-seconds", "1", "--server", acmeUrl, "--config-dir", join(base, "config"), "--work-dir", join(base, "work"), "--logs-dir", join(base, "logs"));
    return new Promise((resolve) => {
        execFile(
            "/usr/bin/certbot",
            args,
            { env: { ...process.env, CLOUDFLARE_API_URL: standIn.apiBase, REQUESTS_CA_BUNDLE: join(pki.dir, "ca.pem") }, timeout: 120_000 },
            (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, output: stdout + stderr, configDir: join(base, "config"), hookLog }),
        );
    });
}

test("certbot's Cloudflare plugin gets a certificate for the shared name and the server's own name, writing and removing only the two challenge records", async () => {
    const ini = join(dir, "cloudflare.ini");
    await writeCredentials(TOKEN, ini);
    expect(readFileSync(ini, "utf8")).toBe(`dns_cloudflare_api_token = ${TOKEN}\n`);
    expect(statSync(ini).mode & 0o777).toBe(0o600);

    const run = await certbot("good", ini);
    expect(run.code, run.output).toBe(0);
    const live = join(run.configDir, "live", "turn.example.com");
    const text = await new Promise<string>((resolve, reject) =>
        execFile("openssl", ["x509", "-in", join(live, "fullchain.pem"), "-noout", "-ext", "subjectAltName"], (e, out) => (e ? reject(e) : resolve(out))),
    );
    expect(text).toMatch(/DNS:turn\.example\.com/);
    expect(text).toMatch(/DNS:eu-west-1-2\.turn\.example\.com/);
    // The deploy hook ran once, with the lineage the VM's hook copies from.
    expect(readFileSync(run.hookLog, "utf8").trim()).toBe(`${live} turn.example.com eu-west-1-2.turn.example.com`);

    // Through the API: the zone found by name, then a TXT record per name created and deleted again, all with the token.
    const writes = standIn.requests.filter((r) => r.method !== "GET");
    expect(writes.every((r) => r.token === TOKEN)).toBe(true);
    const created = writes.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body));
    expect(created.map((c) => [c.type, c.name]).sort()).toEqual([
        ["TXT", "_acme-challenge.eu-west-1-2.turn.example.com"],
        ["TXT", "_acme-challenge.turn.example.com"],
    ]);
    expect(writes.filter((r) => r.method === "DELETE")).toHaveLength(2);
    expect(standIn.records.get(ZONE_ID)).toEqual([]);
}, 180_000);

test("a token for another zone gets no certificate and writes nothing in this one", async () => {
    const ini = join(dir, "other.ini");
    await writeCredentials(OTHER_TOKEN, ini);
    const before = standIn.requests.length;
    const run = await certbot("wrong-zone", ini);
    expect(run.code).not.toBe(0);
    // certbot-dns-cloudflare 2.0 _find_zone_id: the token sees no zone named like the certificate's names.
    expect(run.output).toMatch(/Unable to determine zone_id for \S*turn\.example\.com using zone names: \[[^\]]*'example\.com'/);
    expect(existsSync(join(run.configDir, "live", "turn.example.com"))).toBe(false);
    expect(standIn.requests.slice(before).filter((r) => r.method === "POST")).toEqual([]);
}, 180_000);
