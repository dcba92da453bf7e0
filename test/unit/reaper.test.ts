/**
 * infra/reaper.ts called directly: the script compiles with python3 and parses usernames the way coturn 4.6.1
 * does (userdb.c get_rest_api_timestamp / get_real_username), it carries the one consumer name rule, the timer
 * runs to the second, and the revocation list's SSM value is deterministic. test/integration/reaper.test.ts runs
 * the script against real coturn.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { SSM_GET_PATH } from "../../infra/ssm-get";
import { CONSUMER_NAME_PATTERN, consumerNameProblem } from "../../infra/credentials";
import { reaperUserData, EXPIRY_BOUND_SECONDS, REAPER_PERIOD_SECONDS, REVOCATION_BOUND_SECONDS, REVOCATIONS_REFRESH_SECONDS, reaperParameterNames, reaperScript, reaperTimer, revocationsValue } from "../../infra/reaper";

const opts = { cliPasswordParameterName: "/turn-stack/turn/prod/cli-password", revocationsParameterName: "/turn-stack/turn/prod/revoked-consumers", confFile: "/etc/coturn/turnserver.conf" };
const python = (code: string, input = "") => spawnSync("python3", ["-c", code], { input, encoding: "utf8" });

test("the script compiles with python3 and names its SSM parameters and files", () => {
    const script = reaperScript(opts);
    const r = python("import sys; compile(sys.stdin.read(), 'turn-stack-reaper', 'exec')", script);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(script.startsWith("#!/usr/bin/python3\n"));
    for (const s of [opts.cliPasswordParameterName, opts.revocationsParameterName, opts.confFile, "/etc/turn-stack/cli-password", `["${SSM_GET_PATH}", n]`]) assert.ok(script.includes(s), s);
    assert.doesNotMatch(script, /awscli|botocore/, "SSM is read with the VM's reader (ssm-get.ts), not awscli");
    assert.ok(script.includes(`r"${CONSUMER_NAME_PATTERN.source.slice(1, -1)}"`), "the reaper matches consumer names with CONSUMER_NAME_PATTERN");
});

test("usernames are parsed like coturn 4.6.1: <expiry>:<name>, <name>:<expiry>, a bare number; no digits means expiry 0", () => {
    const script = reaperScript(opts);
    const parse = /^def parse\(u\):\n(?: {4}.*\n)+/m.exec(script)![0];
    const cases: [string, [number, string]][] = [
        ["1700000000:alice", [1700000000, "alice"]],
        ["alice:1700000000", [1700000000, "alice"]],
        ["1700000000:a:b", [1700000000, "a:b"]],
        [":1700000000", [1700000000, "1700000000"]],
        ["1700000000", [1700000000, "1700000000"]],
        ["alice", [0, "alice"]],
        ["12x:alice", [0, "12x"]],
    ];
    const r = python(`import json, re, sys\n${parse}print(json.dumps([parse(u) for u in json.load(sys.stdin)]))`, JSON.stringify(cases.map(([u]) => u)));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), cases.map(([, want]) => want));
});

test("the script refuses names a Python string literal cannot carry", () => {
    assert.throws(() => reaperScript({ ...opts, ssmGet: 'x"y' }), /ssmGet "x\\"y" has characters not allowed/);
    assert.throws(() => reaperScript({ ...opts, revocationsParameterName: "/a b" }), /revocationsParameterName/);
});

test("the timer runs every period to the second; the bounds follow from it", () => {
    const timer = reaperTimer();
    assert.match(timer, new RegExp(`^OnUnitActiveSec=${REAPER_PERIOD_SECONDS}s$`, "m"));
    assert.match(timer, /^AccuracySec=1s$/m, "systemd's default accuracy is a minute");
    assert.ok(EXPIRY_BOUND_SECONDS > REAPER_PERIOD_SECONDS);
    assert.ok(REVOCATION_BOUND_SECONDS > REVOCATIONS_REFRESH_SECONDS + REAPER_PERIOD_SECONDS);
});

test("revocation list: sorted JSON of unix seconds, the same for the same config; refuses a non-consumer name", () => {
    const a = revocationsValue({ zed: new Date("2026-12-01T00:00:00Z"), "app.one": new Date("2026-12-01T01:00:00Z") });
    assert.equal(a, '{"app.one":1796086800,"zed":1796083200}');
    assert.equal(revocationsValue({ "app.one": new Date("2026-12-01T01:00:00Z"), zed: new Date("2026-12-01T00:00:00Z") }), a);
    assert.equal(revocationsValue({}), "{}");
    assert.throws(() => revocationsValue({ "a:b": new Date() }), /"a:b" is not a consumer name/);
    assert.deepEqual(reaperParameterNames("/turn-stack/turn/prod/static-auth-secret"), { cliPassword: "/turn-stack/turn/prod/cli-password", revocations: "/turn-stack/turn/prod/revoked-consumers" });
});

test("consumer names: 1-64 of A-Z a-z 0-9 . _ -; the error names the flag, the value and what is allowed", () => {
    for (const ok of ["a", "app-1", "team.video_2", "x".repeat(64)]) assert.equal(consumerNameProblem("--consumer", ok), undefined, ok);
    for (const bad of ["", "x".repeat(65), "a:b", "a b", "a<b>", "é", "a\nb", "a/b"]) {
        const p = consumerNameProblem("--consumer", bad);
        assert.ok(p?.startsWith(`--consumer ${JSON.stringify(bad)}: `), bad);
        assert.match(p!, /1 to 64 characters from A-Z a-z 0-9 \. _ -/);
    }
});

test("user data parts: root-only script, units, setup before coturn and the timer after; their size with the longest names", () => {
    const longest = `/turn-stack/${"p".repeat(100)}/${"s".repeat(100)}`;
    const names = reaperParameterNames(`${longest}/static-auth-secret`);
    const parts = reaperUserData({ cliPasswordParameterName: names.cliPassword, revocationsParameterName: names.revocations, confFile: "/etc/coturn/turnserver.conf" });
    assert.deepEqual(parts.files.map((f) => [f.path, f.owner, f.permissions]), [
        ["/usr/local/sbin/turn-stack-reaper", "root:root", "0700"],
        ["/etc/systemd/system/turn-stack-reaper.service", "root:root", "0644"],
        ["/etc/systemd/system/turn-stack-reaper.timer", "root:root", "0644"],
    ]);
    assert.deepEqual(parts.setup, ["/usr/local/sbin/turn-stack-reaper", "setup"]);
    assert.deepEqual(parts.enable, ["systemctl", "enable", "--now", "turn-stack-reaper.timer"]);
    const bytes = parts.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    console.log(`reaper user data: ${bytes} bytes of file content with the longest names`);
    assert.ok(bytes < 3600, `${bytes} bytes`);
});
