/**
 * The VM's session reaper: closes coturn sessions whose TURN REST credential has expired or whose consumer is
 * revoked, because coturn 4.6.1 checks a credential's expiry only when a session starts: it keeps honouring
 * Refresh, CreatePermission and ChannelBind after the username's expiry (issue 13, checked on 4.6.1).
 *
 * How, with coturn 4.6.1's admin CLI (src/apps/relay/turn_admin_server.c, checked with real coturn in
 * test/integration/reaper.test.ts):
 *  - the CLI listens on 127.0.0.1:{@link CLI_PORT} only (`cli-ip`, `cli-port`); nftables lets only root (skuid 0)
 *    connect to it (cloud-init.ts renderNftables);
 *  - its password comes from SSM (a SecureString of its own); coturn's config holds only its salted SHA-256
 *    (`$5$<salt hex>$<sha256(salt + password) hex>`, coturn's ns_turn_msg.c check_password/generate_enc_password,
 *    the form `turnadmin -P` prints), the plain password sits in a root-only file for the reaper;
 *  - the CLI reads one command per line and answers with the prompt `> `: `pu` lists every username with its
 *    session count (no output limit), `ps <username>` lists that username's sessions (`id=<n>, user <name>:`,
 *    at most `cli-max-output-sessions`, default 256, per run), `cs <id>` cancels one: coturn deletes the
 *    allocation and, over TCP/TLS, closes the client's connection.
 * The reaper parses a username the way coturn does (userdb.c get_rest_api_timestamp / get_real_username:
 * `<expiry>:<name>` or `<name>:<expiry>`), cancels every session whose expiry has passed, and those whose
 * name is a consumer name ({@link CONSUMER_NAME_PATTERN}) revoked until a later time.
 *
 * Revocations reach the VM as JSON `{"<consumer>": <until, unix seconds>}` in an SSM String parameter
 * (set by `npm run revoke` through the stack's config); the reaper refreshes its copy every
 * {@link REVOCATIONS_REFRESH_SECONDS} seconds, with the VM's SSM reader (ssm-get.ts, like secret-sync.ts).
 *
 * Pure: no `@pulumi/*` import.
 */
import { CONSUMER_NAME_PATTERN } from "./credentials";
import { periodicTimer } from "./systemd-timer";
import { SSM_GET_PATH } from "./ssm-get";

/** coturn's admin CLI port (coturn's default, CLI_DEFAULT_PORT in turn_admin_server.h); bound to 127.0.0.1. */
export const CLI_PORT = 5766;
/** How often the reaper runs (its systemd timer's period), seconds. */
export const REAPER_PERIOD_SECONDS = 15;
/** How often the reaper rereads the revocation list from SSM, seconds. */
export const REVOCATIONS_REFRESH_SECONDS = 60;
/**
 * The bound on closing an expired credential's sessions: one timer period, plus the timer's accuracy (1 s) and
 * one run (under a second without an SSM read; test/integration/reaper.test.ts measures it), with margin.
 */
export const EXPIRY_BOUND_SECONDS = REAPER_PERIOD_SECONDS + 5;
/**
 * The bound on closing a revoked consumer's sessions once `pulumi up` has stored the revocation in SSM: the
 * reaper's copy may be {@link REVOCATIONS_REFRESH_SECONDS} old, then the expiry bound; reading SSM takes a few
 * seconds more. A revoked consumer can still open a new allocation; each lives at most {@link EXPIRY_BOUND_SECONDS}.
 */
export const REVOCATION_BOUND_SECONDS = REVOCATIONS_REFRESH_SECONDS + EXPIRY_BOUND_SECONDS + 10;

/** Where the reaper lives on the VM. */
export const REAPER_PATHS = {
    script: "/usr/local/sbin/turn-stack-reaper",
    service: "/etc/systemd/system/turn-stack-reaper.service",
    timer: "/etc/systemd/system/turn-stack-reaper.timer",
    /** The CLI password, root:root 0600 (written by `turn-stack-reaper setup` at boot). */
    cliPassword: "/etc/turn-stack/cli-password",
    /** The reaper's copy of the revocation list. */
    revocations: "/var/lib/turn-stack/revoked.json",
} as const;

/** Inputs of {@link reaperScript}. */
export interface ReaperOptions {
    /** SecureString parameter holding the CLI password. */
    cliPasswordParameterName: string;
    /** String parameter holding the revocation list (JSON, {@link revocationsValue}). */
    revocationsParameterName: string;
    /** coturn's config file, to which `setup` appends the hashed `cli-password`. */
    confFile: string;
    /** Where things live; tests point them at a temporary directory. Default {@link REAPER_PATHS}. */
    paths?: { cliPassword: string; revocations: string };
    /** The SSM reader (ssm-get.ts: `<path> <name> [--decrypt]` prints the value); default {@link SSM_GET_PATH}. Tests point it at a stand-in. */
    ssmGet?: string;
}

/**
 * The reaper (Python 3, as on Debian 12 and 13 cloud images). `turn-stack-reaper setup` (at boot, before coturn
 * starts) reads the CLI password from SSM, keeps it root-only and appends its hash to coturn's config;
 * `turn-stack-reaper` (the timer) closes expired and revoked sessions and prints one line per session closed.
 * Exits non-zero when SSM, the CLI or the password fails.
 * @throws Error when a name or path holds characters a Python string literal here cannot carry
 */
export function reaperScript(o: ReaperOptions): string {
    const p = o.paths ?? REAPER_PATHS;
    const ssmGet = o.ssmGet ?? SSM_GET_PATH;
    for (const [name, v] of Object.entries({ cliPasswordParameterName: o.cliPasswordParameterName, revocationsParameterName: o.revocationsParameterName, confFile: o.confFile, ssmGet, ...p })) {
        if (!/^[A-Za-z0-9._/-]+$/.test(v)) throw new Error(`${name} ${JSON.stringify(v)} has characters not allowed in the reaper script`);
    }
    // Python's re takes this JavaScript pattern's syntax as is (a character class and a bounded repeat).
    return `#!/usr/bin/python3
# turn-stack: close coturn sessions whose TURN REST credential expired or whose consumer is revoked (infra/reaper.ts)
import hashlib, json, os, re, socket, subprocess, sys, time
def ssm(n, d):
    return subprocess.run(["${ssmGet}", n] + (["--decrypt"] if d else []), stdout=subprocess.PIPE, text=True, check=True).stdout
def put(f, s, m):
    os.makedirs(os.path.dirname(f), exist_ok=True); t = f + ".tmp"
    with os.fdopen(os.open(t, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, m), "w") as h: h.write(s)
    os.replace(t, f)
if sys.argv[1:] == ["setup"]:
    pw = ssm("${o.cliPasswordParameterName}", True); put("${p.cliPassword}", pw, 0o600); salt = os.urandom(8)
    with open("${o.confFile}", "a") as h: h.write("cli-password=$5$%s$%s\\n" % (salt.hex(), hashlib.sha256(salt + pw.encode()).hexdigest()))
    sys.exit()
now, R, rev = time.time(), "${p.revocations}", {}
try: rev, age = json.load(open(R)), now - os.stat(R).st_mtime
except (OSError, ValueError): age = now
if age > ${REVOCATIONS_REFRESH_SECONDS}:
    try: rev = json.loads(ssm("${o.revocationsParameterName}", False)); put(R, json.dumps(rev), 0o600)
    except Exception as e: print("turn-stack-reaper: revocations not refreshed, using the last copy: %r" % e, file=sys.stderr)
def parse(u):
    a, c, b = u.partition(":"); n = lambda s: int(re.match(r"\\s*([0-9]*)", s).group(1) or 0)
    if not a or not c: return n(b if c else u), b if c else u
    return (int(a), b) if re.fullmatch(r"[0-9]+", a) else (n(b), a)
s = socket.create_connection(("127.0.0.1", ${CLI_PORT}), 10)
def cmd(line):
    if line is not None: s.sendall(line.encode() + b"\\r\\n")
    out = b""
    while not (out == b"> " or out.endswith(b"\\n> ") or out.endswith(b"password: \\r\\n")):
        d = s.recv(65536)
        if not d: sys.exit("turn-stack-reaper: coturn closed the CLI connection")
        out += d
    return out.decode("utf-8", "replace")
cmd(None)
if not cmd(open("${p.cliPassword}").read()).endswith("> "): sys.exit("turn-stack-reaper: coturn refused the CLI password")
for u in re.findall(r"^    user: <(.*)>, [0-9]+ sessions\\r?$", cmd("pu"), re.M):
    t, c = parse(u)
    why = "expired" if t < now else "revoked" if re.fullmatch(r"${CONSUMER_NAME_PATTERN.source.slice(1, -1)}", c) and rev.get(c, 0) > now else ""
    for i in re.findall(r"^ +[0-9]+\\) id=([0-9]+), user <", cmd("ps " + u), re.M) if why else []:
        cmd("cs " + i); print("turn-stack-reaper: closed session %s of %s (%s)" % (i, u, why))
s.sendall(b"quit\\r\\n")
`;
}

/**
 * nftables rules for the ruleset's output chain (cloud-init.ts renderNftables), before its drops of the coturn
 * user's traffic to non-public addresses: only root (skuid 0) may open a connection to the CLI port; coturn's
 * answers on it go out over loopback (127.0.0.1 is a non-public address, so they would be dropped otherwise).
 * test/integration/reaper-firewall.test.ts loads them with nft in a network namespace.
 */
export function cliFirewallRules(): string[] {
    return [
        `tcp dport ${CLI_PORT} meta skuid != 0 counter reject with tcp reset comment "coturn admin CLI: root only"`,
        `meta skuid "turnserver" oifname "lo" tcp sport ${CLI_PORT} accept comment "coturn admin CLI answers"`,
    ];
}

/** coturn options for the admin CLI on loopback (instead of `no-cli`); the password is appended at boot by `setup`. */
export const CLI_CONF_LINES = ["cli-ip=127.0.0.1", `cli-port=${CLI_PORT}`];

/** What the user data needs for the reaper: root-owned files and two boot commands, in cloud-init's terms. */
export interface ReaperUserData {
    files: { path: string; owner: string; permissions: string; content: string }[];
    /** Run after coturn's config is installed and before coturn starts: the CLI password and its hash. */
    setup: string[];
    /** Run after coturn starts: the timer. */
    enable: string[];
}

/**
 * Everything the VM needs for the reaper besides {@link CLI_CONF_LINES} in turnserver.conf (instead of
 * `no-cli`) and {@link cliFirewallRules} in the nftables output chain. About 3.5 KB of user data with the longest
 * names (test/unit/reaper.test.ts).
 * @param o the parameter names ({@link reaperParameterNames}) and coturn's config file
 */
export function reaperUserData(o: Omit<ReaperOptions, "paths">): ReaperUserData {
    return {
        files: [
            { path: REAPER_PATHS.script, owner: "root:root", permissions: "0700", content: reaperScript(o) },
            { path: REAPER_PATHS.service, owner: "root:root", permissions: "0644", content: reaperService() },
            { path: REAPER_PATHS.timer, owner: "root:root", permissions: "0644", content: reaperTimer() },
        ],
        setup: [REAPER_PATHS.script, "setup"],
        enable: ["systemctl", "enable", "--now", "turn-stack-reaper.timer"],
    };
}

/** The oneshot service that runs the reaper. */
export function reaperService(): string {
    return `[Unit]
Description=turn-stack: close expired and revoked TURN sessions
After=coturn.service

[Service]
Type=oneshot
ExecStart=${REAPER_PATHS.script}
`;
}

/** The timer: every {@link REAPER_PERIOD_SECONDS} seconds, to the second. */
export function reaperTimer(): string {
    return periodicTimer(REAPER_PERIOD_SECONDS);
}

/**
 * The revocation list's SSM value: `{"<consumer>": <until, unix seconds>}`, sorted by name, so the same config
 * gives the same value (SSM values cannot be empty: PutParameter Value, minimum length 1; `{}` is the empty list).
 * Entries past their time do nothing on the VM; `npm run revoke` drops them from the config.
 * @param revoked consumer name -> until
 * @throws Error for a name that is not a consumer name
 */
export function revocationsValue(revoked: Record<string, Date>): string {
    const out: Record<string, number> = {};
    for (const [name, until] of Object.entries(revoked).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!CONSUMER_NAME_PATTERN.test(name)) throw new Error(`revoked consumer ${JSON.stringify(name)} is not a consumer name`);
        out[name] = Math.floor(until.getTime() / 1000);
    }
    return JSON.stringify(out);
}

/**
 * SSM parameter names beside the current secret's (`/turn-stack/<project>/<stack>/...`).
 * @param secretParameterName the current secret's parameter (config.ts secretParameterNameFor)
 */
export function reaperParameterNames(secretParameterName: string): { cliPassword: string; revocations: string } {
    const dir = secretParameterName.replace(/\/[^/]*$/, "");
    return { cliPassword: `${dir}/cli-password`, revocations: `${dir}/revoked-consumers` };
}
