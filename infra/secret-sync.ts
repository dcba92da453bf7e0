/**
 * The VM's secret sync: a systemd timer that copies the TURN REST API secrets from SSM
 * Parameter Store into coturn's SQLite user database, without restarting coturn.
 *
 * coturn 4.6.1 with `use-auth-secret` and `userdb=<sqlite file>` and no `static-auth-secret`
 * line reads the `turn_secret` table for the realm at each request and accepts a credential
 * minted from any secret there (test/integration/rotation.test.ts shows it with real coturn:
 * a secret added is accepted by the next request, a removed one refused, same process).
 *
 * The script is Python 3 (on every Debian cloud image: cloud-init depends on it); it reads the
 * parameters with the VM's SSM reader (ssm-get.ts: IMDSv2 credentials, curl signing SigV4; the
 * value comes back on a pipe, never in a command line), the standard library's sqlite3 with
 * bound parameters (no secret in an SQL text), and it writes only when the set of secrets changes, in one
 * transaction. It never prints a secret. The database is root:turnserver 0640 in a
 * root:turnserver 0750 directory: coturn (user turnserver) reads it and cannot change it.
 *
 * Pure: no `@pulumi/*` import.
 */
import { NO_PREVIOUS_SECRET, SECRET_SYNC_PERIOD_SECONDS } from "./rotation";
import { periodicTimer } from "./systemd-timer";
import { SSM_GET_PATH } from "./ssm-get";

/** Where the sync lives on the VM. */
export const SYNC_PATHS = {
    script: "/usr/local/sbin/turn-stack-secrets",
    service: "/etc/systemd/system/turn-stack-secrets.service",
    timer: "/etc/systemd/system/turn-stack-secrets.timer",
    /** coturn's user database (coturn `userdb=`); its directory is created by the script. */
    userdb: "/var/lib/turn-stack/turndb",
    /** coturn's SQLite schema as Debian's coturn package ships it. */
    schema: "/usr/share/coturn/schema.sql",
} as const;

/** Inputs of {@link secretSyncScript}. */
export interface SecretSyncOptions {
    /** The current secret's SecureString parameter. */
    secretParameterName: string;
    /** The previous secret's SecureString parameter (rotation.ts previousSecretValue shape). */
    previousSecretParameterName: string;
    /** The TURN realm coturn serves: secrets are stored per realm (`turn_secret.realm`). */
    realm: string;
    /** The SSM reader (`<path> <name> --decrypt` prints the value); default {@link SSM_GET_PATH}. Tests point it at a stand-in. */
    ssmGet?: string;
}

/**
 * The sync script. Exits non-zero, changing nothing, when a parameter cannot be read.
 * @throws Error when a parameter name or the reader's path holds characters a Python string literal here cannot carry
 */
export function secretSyncScript(o: SecretSyncOptions): string {
    const ssmGet = o.ssmGet ?? SSM_GET_PATH;
    for (const [name, v] of [["secretParameterName", o.secretParameterName], ["previousSecretParameterName", o.previousSecretParameterName], ["ssmGet", ssmGet]]) {
        if (!/^[A-Za-z0-9._/-]+$/.test(v)) throw new Error(`${name} ${JSON.stringify(v)} has characters not allowed in the secret sync script`);
    }
    // JSON.stringify of a printable-ASCII string is a valid Python string literal.
    return `#!/usr/bin/python3
# turn-stack: copy the TURN secrets from SSM into coturn's userdb (the current one; the previous one until its notAfter)
import datetime as dt, grp, json, os, sqlite3, subprocess
get = lambda n: subprocess.run(["${ssmGet}", n, "--decrypt"], stdout=subprocess.PIPE, text=True, check=True).stdout
want, prev = {get("${o.secretParameterName}")}, get("${o.previousSecretParameterName}")
if prev != "${NO_PREVIOUS_SECRET}":
    p = json.loads(prev)
    if dt.datetime.now(dt.timezone.utc) < dt.datetime.fromisoformat(p["notAfter"].replace("Z", "+00:00")): want.add(p["secret"])
r, f = ${JSON.stringify(o.realm)}, "${SYNC_PATHS.userdb}"
os.makedirs(os.path.dirname(f), exist_ok=True)
db = sqlite3.connect(f, timeout=10, isolation_level=None)
if not db.execute("SELECT 1 FROM sqlite_master WHERE name='turn_secret'").fetchone(): db.executescript(open("${SYNC_PATHS.schema}").read())
for x, m in ((os.path.dirname(f), 0o750), (f, 0o640)): os.chown(x, 0, grp.getgrnam("turnserver").gr_gid); os.chmod(x, m)
if {v for (v,) in db.execute("SELECT value FROM turn_secret WHERE realm=?", (r,))} != want:
    db.execute("BEGIN IMMEDIATE"); db.execute("DELETE FROM turn_secret WHERE realm=?", (r,))
    db.executemany("INSERT INTO turn_secret VALUES (?, ?)", [(r, w) for w in want]); db.execute("COMMIT")
    print(f"turn-stack: coturn now accepts {len(want)} secret(s)")
`;
}

/** The oneshot service that runs the script. */
export function secretSyncService(): string {
    return `[Unit]
Description=turn-stack: sync coturn's TURN secrets from SSM
After=network-online.target

[Service]
Type=oneshot
ExecStart=${SYNC_PATHS.script}
`;
}

/** The timer: every {@link SECRET_SYNC_PERIOD_SECONDS} seconds, to the second. */
export function secretSyncTimer(): string {
    return periodicTimer(SECRET_SYNC_PERIOD_SECONDS);
}
