/**
 * infra/secret-sync.ts rendered directly: the sync script reads both parameters with decryption through the VM's
 * SSM reader (ssm-get.ts), stores secrets per realm with bound parameters, writes only on change, never prints a secret;
 * the timer's period; refusals. The script runs for real against coturn in test/integration/rotation.test.ts
 * and on the booted VM in test/integration/boot.test.ts.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { secretSyncScript, secretSyncService, secretSyncTimer, SYNC_PATHS } from "../../infra/secret-sync";
import { SECRET_SYNC_PERIOD_SECONDS } from "../../infra/rotation";
import { SSM_GET_PATH } from "../../infra/ssm-get";

const o = { secretParameterName: "/turn-stack/turn/prod/static-auth-secret", previousSecretParameterName: "/turn-stack/turn/prod/previous-auth-secret", realm: "turn.example.com" };

test("the script: both parameters with decryption through the SSM reader (no awscli), the realm, coturn's database and schema", () => {
    const s = secretSyncScript(o);
    assert.match(s, /^#!\/usr\/bin\/python3\n/);
    assert.doesNotMatch(s, /awscli|botocore/);
    assert.ok(s.includes(`subprocess.run(["${SSM_GET_PATH}", n, "--decrypt"], stdout=subprocess.PIPE, text=True, check=True).stdout`));
    assert.ok(secretSyncScript({ ...o, ssmGet: "/tmp/x/ssm-get" }).includes(`subprocess.run(["/tmp/x/ssm-get", n, "--decrypt"]`));
    assert.match(s, /get\("\/turn-stack\/turn\/prod\/static-auth-secret"\)\}, get\("\/turn-stack\/turn\/prod\/previous-auth-secret"\)/);
    assert.ok(s.includes(`r, f = "turn.example.com", "${SYNC_PATHS.userdb}"`));
    assert.ok(s.includes(SYNC_PATHS.schema));
    // Secrets only through bound parameters; the one print names a count, never a value.
    assert.match(s, /INSERT INTO turn_secret VALUES \(\?, \?\)/);
    assert.deepEqual(s.match(/print\(.*\)/g), ['print(f"turn-stack: coturn now accepts {len(want)} secret(s)")']);
    assert.match(s, /0o640/);
    assert.match(s, /0o750/);
});

test("the realm goes in as a JSON string literal (valid Python for printable ASCII)", () => {
    const realm = `a"b\\c'd#e{f}`;
    const line = secretSyncScript({ ...o, realm }).split("\n").find((l) => l.startsWith("r, f = "))!;
    const literal = line.slice("r, f = ".length, line.lastIndexOf(", "));
    assert.equal(JSON.parse(literal), realm);
});

test("refuses parameter names or a reader path a Python string here cannot carry", () => {
    assert.throws(() => secretSyncScript({ ...o, ssmGet: '/x"y' }), /ssmGet "\/x\\"y" has characters/);
    assert.throws(() => secretSyncScript({ ...o, previousSecretParameterName: "/a b" }), /previousSecretParameterName/);
});

test("service and timer: a oneshot run every period, to the second", () => {
    assert.match(secretSyncService(), /^Type=oneshot$/m);
    assert.match(secretSyncService(), new RegExp(`^ExecStart=${SYNC_PATHS.script}$`, "m"));
    const timer = secretSyncTimer();
    assert.match(timer, new RegExp(`^OnActiveSec=${SECRET_SYNC_PERIOD_SECONDS}s$`, "m"));
    assert.match(timer, new RegExp(`^OnUnitActiveSec=${SECRET_SYNC_PERIOD_SECONDS}s$`, "m"));
    assert.match(timer, /^AccuracySec=1s$/m);
    assert.match(timer, /^WantedBy=timers\.target$/m);
});
