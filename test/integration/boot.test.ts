/**
 * Boot test: the prod stack's user data, byte for byte as the program declares
 * it, booted in a Debian system container (systemd-nspawn) for each release
 * turn-stack supports: Debian 12 (cloud-init 22.4) and Debian 13 (cloud-init
 * 25.1), and one fleet server's (issue 16: `turn-us-east-1-1` of a 2-region ×
 * 2-server fleet with Cloudflare DNS, on Debian 13), side by side: all boot at
 * once and each check runs on each at once (a failure names the case), then
 * checked from inside and from a client over the network. See test/helpers/boot/vm.ts for the network and for what is stood
 * in for: the NoCloud datasource instead of EC2's, a local apt repository,
 * and local stand-ins for EC2 instance metadata (IMDSv2), SSM GetParameter
 * and S3 (all AWS, unreachable here). Let's Encrypt is not reachable either:
 * the TLS check installs a test-CA certificate by running the user data's own
 * certbot deploy hook, the way certbot calls it after issuing.
 *
 * Cold (no cache) it builds each release's base with debootstrap and its apt
 * repository (vitest's global setup starts that in the background at the
 * beginning of the run: test/helpers/boot/global-setup.ts). Each boot prints
 * its timings and `cloud-init analyze show`. On failure each check prints the
 * relevant part of cloud-init.log, cloud-init-output.log and coturn's journal.
 *
 * TURN_STACK_BOOT_BREAK=<way> boots a deliberately broken user data instead
 * (see test/helpers/boot/break.ts): the test must then fail, naming the cause.
 */
import { describe, test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CONFIGURE_RETRY_SECONDS, COTURN_NOFILE, VM_PATHS } from "../../infra/cloud-init";
import { SYNC_PATHS } from "../../infra/secret-sync";
import { previousSecretValue, SECRET_PICKUP_BOUND_SECONDS } from "../../infra/rotation";
import { programJson } from "../helpers/program-json";
import { runProbe, runTs, startUdpListener } from "../helpers/run";
import { ROOT } from "../helpers/stack-config";
import { bootInputs, bootUserData, EDGE_IP, PUBLIC_PEER, VM_IP, type BootedVm } from "../helpers/boot/vm";
import { BREAKS, breakUserData } from "../helpers/boot/break";
import { holdAllocation as holdAllocationIn } from "../helpers/boot/faults";
import { CLI_PORT, EXPIRY_BOUND_SECONDS, REAPER_PATHS, reaperParameterNames } from "../../infra/reaper";
import { mintTurnCredential } from "../../infra/credentials";
import { DEBIAN_RELEASES, isDebianRelease, type DebianRelease } from "../../infra/debian";
import { suiteOf } from "../helpers/boot/image";
import { SSM_GET_PATH } from "../../infra/ssm-get";
import { CLOUDFLARE_CREDENTIALS_PATH, CLOUDFLARE_CREDENTIALS_SCRIPT } from "../../infra/dns01";

const domain = "turn.example.com";
const breakWay = process.env.TURN_STACK_BOOT_BREAK;
const PEER_PORT = 40_000;
/** The short-lived credential's lifetime in the reaper check: short, so the check stays quick. */
const SHORT_TTL_SECONDS = 20;
/** The releases booted: both, or the one TURN_STACK_DEBIAN_RELEASE names (12 or 13). */
const RELEASES = bootReleases();
/**
 * The fleet server booted: a region's first server outside the provider's region (it holds its region's SSM
 * parameters, as `turn` does in its own), of the 2-region × 2-server fleet test/program/fleet.test.ts declares.
 * Cloudflare DNS rather than Route 53: its DNS-01 step reads the Cloudflare token from the region's SSM with the VM's
 * SSM reader before certbot runs, which the stand-ins serve and the test checks; Route 53's plugin reads nothing of
 * its own at boot (boto3 takes the instance role's credentials only when certbot talks to Route 53, after Let's
 * Encrypt, which is not reached here), so it would add nothing a boot here can show.
 */
const FLEET_SERVER = "turn-us-east-1-1";
const FLEET_CONFIG = {
    "turn:regions": '["eu-west-1","us-east-1"]',
    "turn:serversPerRegion": "2",
    "turn:cloudflareZoneId": "0123456789abcdef0123456789abcdef",
    "turn:cloudflareDnsToken": "abcdefghijklmnopqrstuvwxyz0123456789_-AB",
};
/** The fleet server boots Debian 13 only: its user data differs from the one-server stack's in the certificate unit, not by release. */
const FLEET_RELEASE: DebianRelease = "13";

/** A boot: one server's user data from the prod stack with `config` overrides, on `release`; `label` starts its failure messages. */
interface BootCase {
    release: DebianRelease;
    server: string;
    config: Record<string, string>;
    label: string;
}
const CASES: BootCase[] = [
    ...RELEASES.map((release) => ({ release, server: "turn", config: {}, label: `Debian ${release} (${suiteOf(release)})` })),
    ...(RELEASES.includes(FLEET_RELEASE) ? [{ release: FLEET_RELEASE, server: FLEET_SERVER, config: FLEET_CONFIG, label: `Debian ${FLEET_RELEASE} (${suiteOf(FLEET_RELEASE)}), fleet server ${FLEET_SERVER}` }] : []),
];

/** Each check, per case, in the order they are declared. */
const checks = new Map<string, { label: string; run: () => Promise<void> }[]>();
/** Each case's boot and teardown. */
const boots: { boot: () => Promise<void>; teardown: () => Promise<void> }[] = [];
for (const c of CASES) bootChecks(c);

// The cases boot side by side, each in its own pair of namespaces (vm.ts bootNetnsNames), and each check runs on
// all at once: most of a boot test's time is waiting (boots, the reaper's and the rotation's timers), not CPU.
describe(`boot: ${CASES.map((c) => c.label).join("; ")}`, () => {
    beforeAll(async () => {
        const booted = await Promise.allSettled(boots.map((b) => b.boot()));
        const failed = booted.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
        if (failed.length) throw failed.length === 1 ? failed[0] : new Error(failed.map(String).join("\n\n"));
    }, 20 * 60_000);
    afterAll(async () => {
        await Promise.all(boots.map((b) => b.teardown()));
    });
    for (const [name, runs] of checks) {
        // A check no booted case has (a fleet server's, with TURN_STACK_DEBIAN_RELEASE=12) is not declared.
        if (runs.length === 0) continue;
        test(name, { timeout: 180_000 }, async () => {
            // Every case's run to the end; the failure lists each case that failed (their messages name it).
            const results = await Promise.allSettled(runs.map((r) => r.run()));
            const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
            if (failed.length === 1) throw failed[0];
            if (failed.length > 1) throw new Error(failed.map((e) => (e instanceof Error ? e.message : String(e))).join("\n\n=====\n\n"));
        });
    }
});

/** Which releases to boot: TURN_STACK_DEBIAN_RELEASE=12 or 13 boots one (e.g. while working on it), unset both. */
function bootReleases(): DebianRelease[] {
    const only = process.env.TURN_STACK_DEBIAN_RELEASE;
    if (only === undefined) return Object.keys(DEBIAN_RELEASES) as DebianRelease[];
    if (!isDebianRelease(only)) throw new Error(`TURN_STACK_DEBIAN_RELEASE=${only}: not a Debian release turn-stack supports (${Object.keys(DEBIAN_RELEASES).join(", ")})`);
    return [only];
}

/** `cloud-init analyze show` in the container: where first boot spent its time, per stage and module. */
function analyzeShow(vm: BootedVm): string {
    const r = vm.container.exec("cloud-init", "analyze", "show");
    return (r.stdout + r.stderr).trim();
}

/** Every check, on one server's user data of the prod stack booted on `release`. */
function bootChecks({ release, server, config, label }: BootCase) {
    const program = programJson("prod", { ...config, "turn:debianRelease": release });
    const inputs = bootInputs(program, server);
    const fleet = server !== "turn";
    /** The server as the program's outputs list it: a fleet's `servers`; a single server has only `publicIp`. */
    const listed = fleet ? (program.outputs.servers as { name: string; hostname: string; publicIp: string }[]).find((s) => s.name === server) : undefined;
    if (fleet && !listed) throw new Error(`${label}: the program's servers output does not list ${server}`);
    /** The Elastic IP coturn reports as the relayed address (turnserver.conf external-ip). */
    const elasticIp: string = listed?.publicIp ?? program.outputs.publicIp;
    /** The certificate's names: turn:domain, and a fleet server's own name (infra/components/fleet.ts fleetMember). */
    const certNames = listed ? [domain, listed.hostname] : [domain];
    /** A fleet server with Cloudflare DNS: the SSM parameter its certificate unit reads the token from (infra/dns01.ts). */
    const tokenParameter = new RegExp(`${SSM_GET_PATH} (\\S+) --decrypt`).exec(inputs.doc.write_files.find((f) => f.path === CLOUDFLARE_CREDENTIALS_SCRIPT)?.content ?? "")?.[1];
    if (fleet && !tokenParameter) throw new Error(`${label}: no ${CLOUDFLARE_CREDENTIALS_SCRIPT} reading the Cloudflare token with ${SSM_GET_PATH} in the user data`);
    const declared = inputs.userData;
    /** The stack's shared secret: the value the program stores in SSM (a secret Output in the mock). */
    const secret = inputs.parameterValue;
    const userData = breakWay ? breakUserData(declared, breakWay) : declared;
    /** The reaper's SSM parameters (infra/reaper.ts), beside the secret's. */
    const reaperNames = reaperParameterNames(inputs.parameterName);

    let vm: BootedVm | undefined;
    const children: ChildProcess[] = [];

    boots.push({
        boot: async () => {
            if (breakWay) console.log(`boot test: TURN_STACK_BOOT_BREAK=${breakWay}: ${BREAKS[breakWay as keyof typeof BREAKS]}`);
            // SSM is unreachable for the whole first boot, until the first check lets it answer (issue 15's fault case).
            try {
                vm = await bootUserData({ ...inputs, userData, release, ssmUnreachable: true, log: (l) => console.log(`boot test (${label}): ${l}`) });
            } catch (e) {
                if (e instanceof Error) e.message = `${label}: ${e.message}`;
                throw e;
            }
            console.log(`boot test (${label}): timings (s) ${JSON.stringify(vm.timings)}`);
            console.log(`boot test (${label}): boot to cloud-final ${vm.timings.bootToCloudFinal.toFixed(1)} s; cloud-init analyze show:\n${analyzeShow(vm)}`);
        },
        teardown: async () => {
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
            await vm?.teardown();
        },
    });

    /** A check on the booted VM; on failure the error names the case and carries cloud-init's and coturn's logs. */
    function check(name: string, fn: (vm: BootedVm) => Promise<void> | void) {
        const runs = checks.get(name) ?? [];
        checks.set(name, runs);
        runs.push({
            label,
            run: async () => {
                try {
                    assert.ok(vm, "the VM did not boot");
                    await fn(vm);
                } catch (e) {
                    if (e instanceof Error) e.message = `${label}: ${e.message}${vm ? `\n\n${vm.diagnostics()}` : ""}`;
                    throw e;
                }
            },
        });
    }

    /**
     * A check this case does not have, only others: it keeps its place in the order (checks run in the order they are
     * first declared, and some must run before others), without a run here. `why` is the reason, said at the call.
     */
    function notHere(name: string, why: string) {
        if (!why) throw new Error(`${name}: say why ${label} has no such check`);
        if (!checks.has(name)) checks.set(name, []);
    }

    const sh = (vm: BootedVm, script: string) => vm.container.check("sh", "-c", script).trim();
    /** The (realm, secret) rows of coturn's database, as coturn reads them. */
    const dbSecrets = (vm: BootedVm): [string, string][] =>
        JSON.parse(sh(vm, `python3 -c 'import json, sqlite3; print(json.dumps(sqlite3.connect("${SYNC_PATHS.userdb}").execute("SELECT realm, value FROM turn_secret ORDER BY value").fetchall()))'`));

    // Runs first: the rest of the checks need SSM answering and coturn serving.
    check(`SSM unreachable at first boot: coturn stays stopped while the configure unit retries every ${CONFIGURE_RETRY_SECONDS} s with no limit; once SSM answers it serves, without a human`, async (vm) => {
        const show = (unit: string, prop: string) => sh(vm, `systemctl show -P ${prop} ${unit}`);
        assert.equal(vm.container.exec("systemctl", "is-active", "coturn.service").stdout.trim() === "active", false, "coturn runs without its secrets");
        assert.notEqual(vm.container.exec("test", "-e", VM_PATHS.conf).status, 0, "coturn's config exists though SSM was never read");
        // No retry budget that could run out: no start limit on the live unit, and the attempts keep coming.
        assert.equal(show("turn-stack-configure.service", "StartLimitIntervalUSec"), "0", "the configure unit has a start limit");
        await vm.container.waitFor("the configure unit's second restart", () => (Number(show("turn-stack-configure.service", "NRestarts")) >= 2 ? true : undefined), 60_000, 250);
        const refused = vm.requests.filter((r) => r.service === "ssm" && r.unreachable).length;
        assert.ok(refused >= 2, `${refused} SSM connections dropped: the configure unit's attempts did not reach SSM`);
        assert.equal(show("turn-stack-configure.service", "ActiveState"), "activating", "the configure unit gave up");
        assert.equal(show("coturn.service", "ActiveState"), "inactive", "coturn started without its config");
        const attempts = Number(show("turn-stack-configure.service", "NRestarts")) + 1;

        const t0 = Date.now();
        await vm.setSsmReachable(true);
        await vm.container.waitFor("coturn active after SSM answered", () => (vm.container.exec("systemctl", "is-active", "coturn.service").stdout.trim() === "active" ? true : undefined), 60_000, 100);
        const active = (Date.now() - t0) / 1000;
        const probe = await runProbe(vm.edge.prefix, ["--host", VM_IP, "--listeners", "udp:3478"], secret, "ready");
        const serving = (Date.now() - t0) / 1000;
        assert.equal(probe.status, 0, probe.stderr);
        console.log(`boot test (${label}): SSM unreachable through first boot (${attempts} configure attempts, ${refused} SSM connections dropped); coturn active ${active.toFixed(1)} s and serving ${serving.toFixed(1)} s after SSM answered (bound: one retry, ${CONFIGURE_RETRY_SECONDS} s, plus a run)`);
        assert.ok(active <= CONFIGURE_RETRY_SECONDS + 10, `coturn active ${active.toFixed(1)} s after SSM answered`);
        // Everything that failed during the outage heals on its own (the secret sync's and the reaper's timers run again).
        await vm.container.waitFor("no failed units", () => (vm.container.exec("systemctl", "--failed", "--no-legend", "--plain").stdout.trim() === "" ? true : undefined), 60_000, 500);
    });

    check("cloud-init finished: status done, no errors, no warnings", (vm) => {
        const result = JSON.parse(sh(vm, "cat /run/cloud-init/result.json")).v1;
        assert.deepEqual(result.errors, [], `cloud-init reported errors: ${result.errors.join("; ")}`);
        assert.equal(vm.finalState, "active", "cloud-final.service failed");
        const status = vm.container.exec("cloud-init", "status", "--long");
        assert.match(status.stdout, /^status: done$/m, `cloud-init status:\n${status.stdout}${status.stderr}`);
        const log = readFileSync(join(vm.work, "root/var/log/cloud-init.log"), "utf8");
        const warnings = log.split("\n").filter((l) => /\[(WARNING|ERROR|CRITICAL)\]/.test(l));
        assert.deepEqual(warnings, [], "cloud-init logged warnings or errors");
    });

    check("the release's own cloud-init accepts the user data's schema (cloud-init schema --system)", (vm) => {
        const r = vm.container.exec("cloud-init", "schema", "--system");
        assert.equal(r.status, 0, `cloud-init ${sh(vm, "cloud-init --version 2>&1")} schema --system:\n${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /Valid (schema|cloud-config)/, r.stdout);
    });

    check("no failed systemd units", (vm) => {
        const failed = vm.container.exec("systemctl", "--failed", "--no-legend", "--plain").stdout.trim();
        assert.equal(failed, "", `failed units:\n${failed}`);
    });

    check("the user data's files are in place, and the write order held: package users existed when needed", (vm) => {
        // cloud-init wrote these in its init stage, before any package; all root-owned.
        for (const path of [VM_PATHS.confBase, VM_PATHS.dropIn, VM_PATHS.configureScript, VM_PATHS.nftables, VM_PATHS.nftablesUnit, VM_PATHS.sysctl, ...(tokenParameter ? [CLOUDFLARE_CREDENTIALS_SCRIPT] : [])]) {
            const [owner] = sh(vm, `stat -c '%U:%G %a' ${path}`).split(" ");
            assert.equal(owner, "root:root", path);
        }
        assert.equal(sh(vm, `stat -c '%a' ${VM_PATHS.confBase}`), "600", "the secret-free base config is root-only");
        assert.match(sh(vm, "getent passwd turnserver"), /^turnserver:/, "the coturn package created its user");
    });

    check("coturn is enabled and active, runs as user turnserver without capabilities", (vm) => {
        assert.equal(vm.container.exec("systemctl", "is-enabled", "coturn.service").stdout.trim(), "enabled");
        assert.equal(vm.container.exec("systemctl", "is-active", "coturn.service").stdout.trim(), "active", "coturn is not running");
        const pid = sh(vm, "systemctl show -P MainPID coturn.service");
        assert.notEqual(pid, "0");
        const status = sh(vm, `cat /proc/${pid}/status`);
        const uid = /^Uid:\s+(\d+)/m.exec(status)![1];
        assert.equal(uid, sh(vm, "id -u turnserver"), "coturn does not run as user turnserver");
        assert.match(status, /^CapEff:\s+0+$/m, "coturn holds capabilities");
        assert.equal(sh(vm, `readlink /proc/${pid}/exe`), "/usr/bin/turnserver");
        assert.match(sh(vm, `tr '\\0' ' ' < /proc/${pid}/cmdline`), new RegExp(`-c ${VM_PATHS.conf} `));
    });

    check("coturn reads the rendered config (root:turnserver 0640) and the stack's secret from SSM in its database (root:turnserver 0640)", (vm) => {
        const mode = sh(vm, `stat -c '%U:%G %a' ${VM_PATHS.conf}`);
        assert.equal(mode, "root:turnserver 640", `${VM_PATHS.conf} is ${mode}: coturn (user turnserver) must be able to read it, nobody else`);
        const conf = sh(vm, `cat ${VM_PATHS.conf}`) + "\n";
        const base = sh(vm, `cat ${VM_PATHS.confBase}`) + "\n";
        assert.ok(conf.startsWith(base), "the config is the rendered one, as the user data wrote it");
        // The reaper's setup appended the admin CLI password's salted hash (never the password: reaper.ts).
        assert.match(conf.slice(base.length), /^cli-password=\$5\$[0-9a-f]{16}\$[0-9a-f]{64}\n$/, "only the CLI password's hash is appended to the config");
        assert.doesNotMatch(conf, /^static-auth-secret/m, "no secret in the config: coturn reads the secrets from its database");
        assert.match(conf, new RegExp(`^userdb=${SYNC_PATHS.userdb}$`, "m"));
        const db = sh(vm, `stat -c '%U:%G %a' ${SYNC_PATHS.userdb} $(dirname ${SYNC_PATHS.userdb})`);
        assert.equal(db, "root:turnserver 640\nroot:turnserver 750", "coturn (user turnserver) reads its database and cannot change it");
        assert.deepEqual(dbSecrets(vm), [[domain, secret]], "the database holds exactly the secret SSM returned, for the realm");
        const journal = sh(vm, "journalctl --no-pager -o cat -u coturn.service");
        assert.doesNotMatch(journal, /Cannot find config file/, "coturn could not read its config and ran on built-in defaults (no authentication)");
        assert.match(journal, new RegExp(`Default realm: ${domain.replace(/\./g, "\\.")}`), "coturn's journal does not show the rendered realm (does it log to the journal, and read its config?)");
        assert.match(journal, new RegExp(`Relay address to use: ${VM_IP.replace(/\./g, "\\.")}`));
    });

    check("the secret came from SSM, signed with the instance profile credentials from IMDSv2", (vm) => {
        const imds = vm.requests.filter((r) => r.service === "imds");
        assert.ok(imds.some((r) => r.method === "PUT" && r.path === "/latest/api/token" && r.status === 200), "no IMDSv2 token was requested");
        assert.ok(imds.some((r) => r.path.startsWith("/latest/meta-data/iam/security-credentials/") && r.status === 200), "no credentials were read");
        // Once SSM answered (the first check): the configure script's sync reads both parameters, then the reaper's setup the
        // CLI password once (decrypted); the timers repeat the sync every SECRET_SYNC_PERIOD_SECONDS and the reaper reads the
        // revocation list (a String).
        const ssm = vm.requests.filter((r) => r.service === "ssm" && !r.unreachable);
        const read = (name: string) => ssm.findIndex((r) => r.name === name);
        assert.ok(read(inputs.parameterName) >= 0 && read(inputs.parameterName) < read(reaperNames.cliPassword), "the secrets are read before the CLI password");
        assert.ok(read(inputs.previousParameterName) >= 0 && read(inputs.previousParameterName) < read(reaperNames.cliPassword), "the previous secret is read before the CLI password");
        assert.equal(ssm.filter((r) => r.name === reaperNames.cliPassword).length, 1, "the CLI password is read once, at boot");
        // A fleet server's certificate unit reads the Cloudflare token too, at each attempt (its own check below).
        const readable = [inputs.parameterName, inputs.previousParameterName, reaperNames.cliPassword, reaperNames.revocations, ...(tokenParameter ? [tokenParameter] : [])];
        for (const { target, name, withDecryption, signature, status } of ssm) {
            assert.deepEqual({ target, withDecryption, signature, status }, { target: "AmazonSSM.GetParameter", withDecryption: name !== reaperNames.revocations, signature: "valid", status: 200 }, name);
            assert.ok(readable.includes(name), `read ${name}`);
        }
        assert.equal(vm.container.exec("systemctl", "is-enabled", "turn-stack-secrets.timer").stdout.trim(), "enabled");
        assert.equal(vm.container.exec("systemctl", "is-active", "turn-stack-secrets.timer").stdout.trim(), "active", "the secret sync timer is not running");
    });

    // Before the TLS check, whose certificate satisfies the unit's ConditionPathExists and ends its retries.
    const dns01Check = "certificate by DNS-01: each attempt of the certificate unit first reads the Cloudflare token from the region's SSM into a root-only file, then runs certbot's Cloudflare plugin (Let's Encrypt is not reached here)";
    if (!tokenParameter) notHere(dns01Check, "a one-server stack gets its certificate by HTTP-01 (certbot --standalone): no DNS plugin, no credentials to read");
    else {
        check(dns01Check, async (vm) => {
            const unit = basename(VM_PATHS.certUnit);
            const show = (prop: string) => sh(vm, `systemctl show -P ${prop} ${unit}`);
            assert.equal(vm.container.exec("systemctl", "is-enabled", unit).stdout.trim(), "enabled");
            // Its attempt at boot met the SSM outage; it retries (Restart=on-failure), it does not give up.
            assert.notEqual(show("ActiveState"), "failed", `the certificate unit gave up:\n${sh(vm, `journalctl --no-pager -o cat -u ${unit}`)}`);
            // The unit retries every 120 s (RestartSec): `systemctl restart` is that retry, now. A start job would wait for
            // the timer (systemd's service_start answers EAGAIN for a unit in auto-restart until it fires).
            assert.notEqual(vm.container.exec("test", "-e", `/etc/letsencrypt/live/${domain}/fullchain.pem`).status, 0, "a certificate is already installed: the unit's condition would skip its attempt");
            const seen = vm.requests.length;
            sh(vm, `systemctl restart --no-block ${unit}`);
            const tokenRead = () => vm.requests.slice(seen).find((r) => r.service === "ssm" && r.name === tokenParameter);
            await vm.container.waitFor("the certificate unit's attempt: the token read, then certbot's run over", () => (tokenRead() && show("SubState") === "auto-restart" ? true : undefined), 90_000, 250);
            assert.deepEqual(
                (({ target, withDecryption, signature, status }) => ({ target, withDecryption, signature, status }))(tokenRead()!),
                { target: "AmazonSSM.GetParameter", withDecryption: true, signature: "valid", status: 200 },
                "the token is read as a SecureString, signed with the instance's credentials",
            );
            const token = inputs.parameters[tokenParameter];
            assert.equal(sh(vm, `stat -c '%U:%G %a' ${CLOUDFLARE_CREDENTIALS_PATH}`), "root:root 600", "the credentials file is not root-only");
            assert.equal(readFileSync(join(vm.work, "root", CLOUDFLARE_CREDENTIALS_PATH), "utf8"), `dns_cloudflare_api_token = ${token}\n`, "the credentials file does not hold the token SSM returned in the plugin's format");
            assert.notEqual(vm.container.exec("test", "-e", `${CLOUDFLARE_CREDENTIALS_PATH}.tmp`).status, 0, "the credentials script left its temporary file");
            // certbot took the plugin and its options (a missing plugin fails at argument parsing) and failed only
            // reaching Let's Encrypt's ACME directory: this network has no DNS and no internet.
            const journal = sh(vm, `journalctl --no-pager -o cat -u ${unit}`);
            assert.doesNotMatch(journal, /unrecognized arguments|plugin does not appear to be installed/, "certbot does not know the Cloudflare plugin");
            assert.match(journal, /acme-v0\d\.api\.letsencrypt\.org/, "certbot's attempt did not fail at reaching Let's Encrypt");
            assert.match(sh(vm, "certbot plugins 2>/dev/null"), /^\* dns-cloudflare$/m, "certbot's plugins do not include dns-cloudflare");
            assert.ok(!sh(vm, "journalctl --no-pager -o cat").includes(token), "the Cloudflare token is in the journal");
        });
    }

    check(`coturn's open-files limit is the drop-in's LimitNOFILE (${COTURN_NOFILE})`, (vm) => {
        const limits = sh(vm, "systemctl show -P LimitNOFILE coturn.service") + " " + sh(vm, "systemctl show -P LimitNOFILESoft coturn.service");
        assert.equal(limits, `${COTURN_NOFILE} ${COTURN_NOFILE}`, `systemd applies LimitNOFILE (hard soft) ${limits} to coturn, not the drop-in's ${COTURN_NOFILE}: is it in [Service]?`);
        // The kernel caps a container at its host's hard limit; on the VM that ceiling is fs.nr_open.
        const ceiling = Number(/^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${vm.container.initPid}/limits`, "utf8"))![1]);
        const pid = sh(vm, "systemctl show -P MainPID coturn.service");
        const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(sh(vm, `cat /proc/${pid}/limits`))!;
        const expected = Math.min(COTURN_NOFILE, ceiling);
        assert.deepEqual([Number(m[1]), Number(m[2])], [expected, expected], `coturn's open-files limit (soft, hard); this host caps it at ${ceiling}`);
        if (ceiling < COTURN_NOFILE) console.log(`boot test (${label}): this host's hard open-files limit is ${ceiling}, so the container's coturn gets ${expected}; on the VM it gets ${COTURN_NOFILE}`);
    });

    check("logs go where the config says (syslog, into the persistent journal, which journald rotates); coturn writes no log files", (vm) => {
        const logLines = sh(vm, `grep -E '^(syslog|log-file|no-stdout-log|simple-log)' ${VM_PATHS.conf} || true`).replace(/\n/g, ", ");
        const journal = sh(vm, "journalctl --no-pager -o cat -u coturn.service");
        assert.match(journal, /Relay address to use/, `coturn's startup lines are not in the journal; its log settings: ${logLines}`);
        assert.equal(logLines, "syslog, no-stdout-log", "coturn must log to syslog only");
        assert.match(sh(vm, "journalctl --no-pager -o cat -u systemd-journald.service"), /System Journal \(\/var\/log\/journal\/\w+\) is [\d.]+\w, max [\d.]+\w/, "no persistent, size-capped journal");
        const files = sh(vm, "find /var/log /var/tmp /tmp -name 'turn*.log' 2>/dev/null || true");
        assert.equal(files, "", `coturn wrote log files outside the journal: ${files}`);
    });

    check("the host firewall (nftables) is loaded: 443 to 5349, relays to non-public addresses dropped", (vm) => {
        assert.equal(vm.container.exec("systemctl", "is-active", "turn-stack-firewall.service").stdout.trim(), "active");
        const table = sh(vm, "nft list table inet turn_stack");
        assert.match(table, /tcp dport 443 redirect to :5349/);
        // nft resolved the user name when the ruleset loaded: the coturn package must have created it by then.
        assert.match(table, new RegExp(`meta skuid ${sh(vm, "id -u turnserver")} ip daddr @non_public_v4 counter packets \\d+ bytes \\d+ drop`));
        assert.match(table, /meta skuid \d+ ip6 daddr @non_public_v6 counter packets \d+ bytes \d+ drop/);
        assert.match(sh(vm, "systemctl show -P Requires coturn.service"), /turn-stack-firewall\.service/, "coturn must not run without the firewall");
    });

    check("TURN over UDP and TCP answers a client in the VPC with the stack's secret, and refuses a wrong one", async (vm) => {
        const ok = await runProbe(vm.edge.prefix, ["--host", VM_IP, "--listeners", "udp:3478,tcp:3478", "--timeout-ms", "3000"], secret);
        assert.equal(ok.status, 0, `allocation with the stack's secret failed: ${ok.stderr}`);
        const wrong = await runProbe(vm.edge.prefix, ["--host", VM_IP, "--listeners", "udp:3478,tcp:3478", "--timeout-ms", "3000"], "not-the-stack-secret");
        assert.notEqual(wrong.status, 0, "an allocation with a wrong secret succeeded: coturn is not enforcing the shared secret");
        assert.match(wrong.stderr, /401/, `a wrong secret must be refused with 401, got: ${wrong.stderr}`);
    });

    /** Start a UDP listener for the peer in the edge namespace; resolves with the lines it receives. */
    async function peerListener(vm: BootedVm): Promise<{ lines: string[]; stop: () => void }> {
        const { child, lines } = await startUdpListener(vm.edge.prefix, PUBLIC_PEER, PEER_PORT);
        children.push(child);
        return { lines, stop: () => child.kill("SIGTERM") };
    }

    for (const transport of ["udp", "tcp"] as const) {
        check(`relays to a public peer with the client on ${transport.toUpperCase()}; a peer in the VPC is refused`, async (vm) => {
            const peer = await peerListener(vm);
            try {
                const env = { ...process.env, TURN_SHARED_SECRET: secret };
                const r = await runTs(join(ROOT, "test", "helpers", "relay-to-peer.ts"), [VM_IP, "3478", PUBLIC_PEER, String(PEER_PORT), "5", transport], { prefix: vm.edge.prefix, env });
                assert.equal(r.status, 0, r.stderr);
                const out = JSON.parse(r.stdout);
                assert.equal(out.permission, "ok");
                // Relayed from the VM's relay address; the allocation reports the server's Elastic IP (external-ip).
                assert.match(out.relayed, new RegExp(`^${elasticIp.replace(/\./g, "\\.")}:\\d+$`));
                await vm.container.waitFor("5 datagrams at the peer", () => (peer.lines.length >= 5 ? true : undefined), 10_000, 100);
                assert.ok(peer.lines.every((l) => l.startsWith(`${VM_IP}:`)), peer.lines.join("\n"));
                const denied = await runTs(join(ROOT, "test", "helpers", "relay-to-peer.ts"), [VM_IP, "3478", EDGE_IP, String(PEER_PORT), "1", transport], { prefix: vm.edge.prefix, env });
                assert.match(JSON.parse(denied.stdout).permission, /403/, "coturn must refuse a permission for a VPC address");
            } finally {
                peer.stop();
            }
        });
    }

    check("TLS on 5349 and 443 presents the certificate certbot's deploy hook installed, for each of its names", async (vm) => {
        // What certbot does after issuing: put the lineage under /etc/letsencrypt/live and run the deploy hook.
        // (A fleet server's lineage is also turn:domain's, with its own name beside it: dns01.ts certbotDns01Args --cert-name.)
        const issued = vm.pki.issue("domain", certNames);
        const live = join(vm.work, "root", "etc/letsencrypt/live", domain);
        mkdirSync(live, { recursive: true });
        writeFileSync(join(live, "fullchain.pem"), readFileSync(issued.certFile, "utf8") + vm.pki.caCert);
        writeFileSync(join(live, "privkey.pem"), readFileSync(issued.keyFile), { mode: 0o600 });
        sh(vm, `RENEWED_LINEAGE=/etc/letsencrypt/live/${domain} ${VM_PATHS.certHook}`);
        assert.equal(sh(vm, `stat -c '%U:%G %a' ${VM_PATHS.tlsCert} ${VM_PATHS.tlsKey}`), "root:turnserver 640\nroot:turnserver 640");
        const ca = join(vm.work, "ca.pem");
        writeFileSync(ca, vm.pki.caCert);
        await runProbe(vm.edge.prefix, ["--host", VM_IP, "--listeners", "tls:5349,tls:443", "--servername", domain, "--ca", ca], secret, "ready");
        const want = new X509Certificate(readFileSync(issued.certFile)).fingerprint256;
        for (const name of certNames) {
            for (const port of [5349, 443]) {
                const r = spawnSync(vm.edge.prefix[0], [...vm.edge.prefix.slice(1), "openssl", "s_client", "-connect", `${VM_IP}:${port}`, "-servername", name, "-verify_hostname", name, "-CAfile", ca], { input: "", encoding: "utf8", timeout: 10_000 });
                const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
                assert.ok(pem, `no certificate on ${port} for ${name}: ${r.stderr}`);
                assert.equal(new X509Certificate(pem).fingerprint256, want, `port ${port} presents another certificate for ${name}`);
                assert.match(r.stdout, /Verify return code: 0 \(ok\)/, `the certificate on ${port} does not verify for ${name}`);
            }
        }
    });

    /** test/helpers/boot/faults.ts holdAllocation in the edge namespace, its process ended at teardown. */
    async function holdAllocation(vm: BootedVm, args: string[], env: NodeJS.ProcessEnv) {
        const held = await holdAllocationIn(vm.edge.prefix, args, env);
        children.push(held.child);
        return held;
    }

    check("renewal: the deploy hook has coturn reread its certificate (SIGUSR2): allocations opened before keep relaying, new handshakes get the new certificate, same process", async (vm) => {
        const ca = join(vm.work, "ca.pem");
        const pidBefore = sh(vm, "systemctl show -P MainPID coturn.service");
        const peer = await peerListener(vm);
        const held = [
            await holdAllocation(vm, [VM_IP, "5349", "tls", PUBLIC_PEER, String(PEER_PORT), domain, ca], { TURN_SHARED_SECRET: secret }),
            await holdAllocation(vm, [VM_IP, "3478", "tcp", PUBLIC_PEER, String(PEER_PORT)], { TURN_SHARED_SECRET: secret }),
        ];
        try {
            for (const [i, h] of held.entries()) assert.equal(await h.send(`before-${i}`), `sent before-${i}`);
            // certbot renew: a new lineage version, then the deploy hook.
            const renewed = vm.pki.issue("renewed", [domain]);
            const live = join(vm.work, "root", "etc/letsencrypt/live", domain);
            writeFileSync(join(live, "fullchain.pem"), readFileSync(renewed.certFile, "utf8") + vm.pki.caCert);
            writeFileSync(join(live, "privkey.pem"), readFileSync(renewed.keyFile), { mode: 0o600 });
            sh(vm, `RENEWED_LINEAGE=/etc/letsencrypt/live/${domain} ${VM_PATHS.certHook}`);
            await vm.container.waitFor("coturn's journal to log the certificate reload", () => (/Reloading TLS certificates and keys/.test(sh(vm, "journalctl --no-pager -o cat -u coturn.service")) ? true : undefined), 10_000, 200);
            assert.equal(sh(vm, "systemctl show -P MainPID coturn.service"), pidBefore, "the hook restarted coturn: every relayed call dropped");
            for (const [i, h] of held.entries()) assert.equal(await h.send(`after-${i}`), `sent after-${i}`, "an allocation opened before the renewal stopped working");
            await vm.container.waitFor("4 datagrams at the peer", () => (["before-0", "before-1", "after-0", "after-1"].every((t) => peer.lines.some((l) => l.endsWith(` ${t}`))) ? true : undefined), 10_000, 100);
            const want = new X509Certificate(readFileSync(renewed.certFile)).fingerprint256;
            for (const port of [5349, 443]) {
                const r = spawnSync(vm.edge.prefix[0], [...vm.edge.prefix.slice(1), "openssl", "s_client", "-connect", `${VM_IP}:${port}`, "-servername", domain], { input: "", encoding: "utf8", timeout: 10_000 });
                const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
                assert.ok(pem, `no certificate on ${port}: ${r.stderr}`);
                assert.equal(new X509Certificate(pem).fingerprint256, want, `a new handshake on ${port} after the renewal presents the old certificate`);
            }
        } finally {
            for (const h of held) h.stop();
            peer.stop();
        }
    });

    /** Poll `probe` (async) every 500 ms until it returns a value; the seconds it took, or throws after `boundS`. */
    async function secondsUntil(what: string, probe: () => Promise<boolean>, boundS: number): Promise<number> {
        const t0 = Date.now();
        for (;;) {
            if (await probe()) return (Date.now() - t0) / 1000;
            if (Date.now() - t0 > boundS * 1000) throw new Error(`${what}: not within ${boundS} s`);
            await new Promise((r) => setTimeout(r, 500));
        }
    }

    /** Connect to coturn's admin CLI on the VM as `user` and read its greeting, or the error. */
    function cliAs(vm: BootedVm, user: string): string {
        const code = `import socket\ntry:\n    s = socket.create_connection(("127.0.0.1", ${CLI_PORT}), 3); print("answer: %r" % s.recv(200))\nexcept OSError as e: print("error: %s" % e)`;
        const group = user === "nobody" ? "nogroup" : user;
        return vm.container.check("setpriv", `--reuid=${user}`, `--regid=${group}`, "--clear-groups", "/usr/bin/python3", "-c", code).trim();
    }

    check(`reaper: coturn's admin CLI on 127.0.0.1 only and for root only; an allocation made with a ${SHORT_TTL_SECONDS} s credential is closed within ${EXPIRY_BOUND_SECONDS} s of its expiry, one with a valid credential keeps relaying`, async (vm) => {
        assert.equal(vm.container.exec("systemctl", "is-active", "turn-stack-reaper.timer").stdout.trim(), "active", "the reaper's timer is not running");
        // The password: root-only on disk, from SSM; never in coturn's config or a journal.
        const password = inputs.parameters[reaperNames.cliPassword];
        assert.equal(sh(vm, `stat -c '%U:%G %a' ${REAPER_PATHS.cliPassword}`), "root:root 600");
        assert.equal(readFileSync(join(vm.work, "root", REAPER_PATHS.cliPassword), "utf8"), password, "the CLI password is SSM's");
        assert.ok(!sh(vm, `cat ${VM_PATHS.conf}`).includes(password), "the CLI password is in coturn's config");
        // Listening on 127.0.0.1 only (/proc/net/tcp: local address in hex, state 0A is LISTEN).
        const hexPort = CLI_PORT.toString(16).toUpperCase().padStart(4, "0");
        const listeners = sh(vm, "cat /proc/net/tcp /proc/net/tcp6").split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A").map((f) => f[1]);
        assert.deepEqual(listeners, [`0100007F:${hexPort}`], "coturn's CLI listens on 127.0.0.1 only");
        assert.match(cliAs(vm, "root"), /^answer: b(['"]).+\1$/, "root gets the CLI's greeting");
        for (const user of ["nobody", "turnserver"]) assert.match(cliAs(vm, user), /^error: .*(Connection refused|reset)/, `${user} reached the CLI`);

        const peer = await peerListener(vm);
        const short = mintTurnCredential(secret, { ttlSeconds: SHORT_TTL_SECONDS, userId: "boot-short" });
        const valid = mintTurnCredential(secret, { ttlSeconds: 600, userId: "boot-valid" });
        const held = [short, valid].map((c) => holdAllocation(vm, [VM_IP, "3478", "udp", PUBLIC_PEER, String(PEER_PORT)], { TURN_USERNAME: c.username, TURN_CREDENTIAL: c.credential }));
        const [shortHeld, validHeld] = await Promise.all(held);
        try {
            assert.equal(await shortHeld.send("short-before"), "sent short-before");
            assert.equal(await validHeld.send("valid-before"), "sent valid-before");
            const journal = () => vm.container.exec("journalctl", "--no-pager", "-o", "cat", "-u", "turn-stack-reaper.service").stdout;
            const closed = new RegExp(`^turn-stack-reaper: closed session \\d+ of ${short.username} \\(expired\\)$`, "m");
            const waitMs = (short.expiresAt + EXPIRY_BOUND_SECONDS) * 1000 - Date.now() + 2000;
            await vm.container.waitFor("the reaper to close the expired allocation", () => (closed.test(journal()) ? true : undefined), waitMs, 250);
            const after = Date.now() / 1000 - short.expiresAt;
            console.log(`boot test (${label}): the reaper closed the expired allocation ${after.toFixed(1)} s after its credential expired (bound ${EXPIRY_BOUND_SECONDS} s)`);
            assert.ok(after <= EXPIRY_BOUND_SECONDS, `closed ${after.toFixed(1)} s after expiry`);
            assert.doesNotMatch(journal(), new RegExp(`of ${valid.username} `), "the reaper closed the valid allocation");
            assert.match(await shortHeld.send("short-after"), /^error short-after/, "the expired allocation still answers");
            assert.equal(await validHeld.send("valid-after"), "sent valid-after", "the valid allocation stopped relaying");
            await vm.container.waitFor("the valid allocation's datagrams at the peer", () => (["short-before", "valid-before", "valid-after"].every((t) => peer.lines.some((l) => l.endsWith(` ${t}`))) ? true : undefined), 10_000, 100);
            assert.ok(!peer.lines.some((l) => l.endsWith(" short-after")), "the expired allocation still relays");
            // The revocation list: read from SSM as a String, copied root-only; no failed run; the password never logged.
            assert.ok(vm.requests.some((r) => r.service === "ssm" && r.name === reaperNames.revocations && r.status === 200), "the reaper never read the revocation list");
            assert.equal(sh(vm, `stat -c '%a' ${REAPER_PATHS.revocations}`) + " " + sh(vm, `cat ${REAPER_PATHS.revocations}`), "600 {}");
            assert.equal(sh(vm, "systemctl show -P Result turn-stack-reaper.service"), "success");
            assert.ok(!(journal() + sh(vm, "journalctl --no-pager -o cat -u coturn.service")).includes(password), "the CLI password is in a journal");
        } finally {
            shortHeld.stop();
            validHeld.stop();
            peer.stop();
        }
    });

    // Runs last: it rotates the stack's secret (checks after it would have to use the rotated one).
    check(`rotation: a live allocation keeps relaying; the new secret works within ${SECRET_PICKUP_BOUND_SECONDS} s, the previous one until its notAfter, then 401`, async (vm) => {
        // A probe whose ephemeral UDP port the kernel handed out before, to an earlier probe whose allocation coturn still
        // holds (each lives its lifetime), gets 437 Allocation Mismatch (RFC 8656 §7.2), not an answer about the secret:
        // that probe is run again, from another port.
        const probe = async (s: string) => {
            for (let i = 0; ; i++) {
                const r = await runProbe(vm.edge.prefix, ["--host", VM_IP, "--listeners", "udp:3478", "--timeout-ms", "2000"], s);
                if (r.status === 0 || !/\b437\b/.test(r.stderr) || i === 2) return r;
            }
        };
        const accepted = async (s: string) => (await probe(s)).status === 0;
        const refused = async (s: string) => {
            const r = await probe(s);
            if (r.status === 0) return false;
            assert.match(r.stderr, /401/, `expected 401, got: ${r.stderr}`);
            return true;
        };
        const peer = await peerListener(vm);
        const live = await holdAllocation(vm, [VM_IP, "3478", "udp", PUBLIC_PEER, String(PEER_PORT)], { TURN_SHARED_SECRET: secret });
        try {
            assert.equal(await live.send("before-rotation"), "sent before-rotation");
            const rotated = randomBytes(36).toString("base64url");
            assert.ok(await refused(rotated), "a secret SSM does not hold is refused");

            // What pulumi up writes after npm run rotate-secret: the new current secret, the old one with its overlap.
            await vm.setParameters({ [inputs.parameterName]: rotated, [inputs.previousParameterName]: previousSecretValue({ secret, notAfter: new Date(Date.now() + 10 * 60_000) }) });
            const pickup = await secondsUntil("the rotated secret accepted", () => accepted(rotated), SECRET_PICKUP_BOUND_SECONDS);
            console.log(`boot test (${label}): rotation picked up after ${pickup.toFixed(1)} s (bound ${SECRET_PICKUP_BOUND_SECONDS} s)`);
            assert.ok(await accepted(secret), "a credential minted with the previous secret works during the overlap");
            assert.equal(await live.send("during-overlap"), "sent during-overlap", "the allocation opened before the rotation stopped relaying");
            assert.deepEqual(dbSecrets(vm).map(([, v]) => v).sort(), [secret, rotated].sort());

            // The overlap ends a few seconds from now (the stand-in's notAfter stands in for rotatedAt + the longest credential lifetime).
            const notAfter = new Date(Date.now() + 3000);
            await vm.setParameters({ [inputs.previousParameterName]: previousSecretValue({ secret, notAfter }) });
            const dropped = await secondsUntil("the previous secret refused after its notAfter", () => refused(secret), SECRET_PICKUP_BOUND_SECONDS + 3);
            const afterNotAfter = (Date.now() - notAfter.getTime()) / 1000;
            console.log(`boot test (${label}): previous secret refused ${afterNotAfter.toFixed(1)} s after its notAfter (polled ${dropped.toFixed(1)} s)`);
            assert.ok(afterNotAfter >= 0, "the previous secret was refused before its notAfter");
            assert.ok(await accepted(rotated));
            assert.deepEqual(dbSecrets(vm), [[domain, rotated]]);
            assert.equal(await live.send("after-overlap"), "sent after-overlap", "the allocation opened before the rotation stopped relaying once its secret was dropped");
            await vm.container.waitFor("3 datagrams at the peer", () => (["before-rotation", "during-overlap", "after-overlap"].every((t) => peer.lines.some((l) => l.endsWith(` ${t}`))) ? true : undefined), 10_000, 100);
            assert.ok(!vm.container.exec("journalctl", "--no-pager", "-o", "cat", "-u", "turn-stack-secrets.service").stdout.includes(rotated), "the sync never logs a secret");
        } finally {
            live.stop();
            peer.stop();
        }
    });
}
