/**
 * The canary's config keys (infra/canary/settings.ts through infra/config.ts parseTurnConfig):
 * defaults by mode, the schedule's bounds, cloudflare mode refused, each error naming key and value.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { ConfigError, parseTurnConfig } from "../../infra/config";
import { canaryScheduleExpression, checkCanarySettings } from "../../infra/canary/settings";

const CF = { "turn:mode": "cloudflare", "turn:cloudflareAccountId": "0123456789abcdef0123456789abcdef", "cloudflare:apiToken": "t" };
const BOTH = { ...CF, "turn:mode": "both" };

function problemsOf(raw: Record<string, string>): string[] {
    try {
        parseTurnConfig(raw, {});
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems;
    }
    return [];
}

test("defaults: on every 5 minutes with an own server (self-hosted, both), off in cloudflare mode", () => {
    const own = parseTurnConfig({}, {});
    assert.equal(own.canary, true);
    assert.equal(own.canaryScheduleMinutes, 5);
    assert.equal(parseTurnConfig(BOTH, {}).canary, true);
    assert.equal(parseTurnConfig(CF, {}).canary, false, "auto is off without an own server");
    // Pulumi hands the program the declared default as if set: auto must behave the same whether given or not.
    assert.equal(parseTurnConfig({ ...CF, "turn:canary": "auto" }, {}).canary, false);
    assert.equal(parseTurnConfig({ "turn:canary": "auto" }, {}).canary, true);
});

test("turn:canary false turns it off; true keeps it on where there is a server", () => {
    assert.equal(parseTurnConfig({ "turn:canary": "false" }, {}).canary, false);
    assert.equal(parseTurnConfig({ ...BOTH, "turn:canary": "true" }, {}).canary, true);
    assert.equal(parseTurnConfig({ ...CF, "turn:canary": "false" }, {}).canary, false);
});

test("turn:canary true in cloudflare mode is refused, naming key, value and why", () => {
    const p = problemsOf({ ...CF, "turn:canary": "true" });
    assert.equal(p.length, 1, p.join("\n"));
    assert.match(p[0], /^turn:canary = "true": cloudflare mode has no own TURN server to probe.*does not probe Cloudflare's/);
});

test("turn:canary must be auto, true or false", () => {
    for (const v of ["yes", "on", "1", ""]) {
        const p = problemsOf({ "turn:canary": v });
        assert.equal(p.length, 1, v);
        assert.equal(p[0], `turn:canary = ${JSON.stringify(v)}: must be auto (on with an own server), true or false`);
    }
});

test("turn:canaryScheduleMinutes: 1 to 60 whole minutes, errors name key and value", () => {
    assert.equal(parseTurnConfig({ "turn:canaryScheduleMinutes": "1" }, {}).canaryScheduleMinutes, 1);
    assert.equal(parseTurnConfig({ "turn:canaryScheduleMinutes": "60" }, {}).canaryScheduleMinutes, 60);
    for (const v of ["0", "61", "-5", "2.5", "five", ""]) {
        const p = problemsOf({ "turn:canaryScheduleMinutes": v });
        assert.equal(p.length, 1, `${v}: ${p.join("\n")}`);
        assert.equal(p[0], `turn:canaryScheduleMinutes = ${JSON.stringify(v)}: must be a whole number of minutes from 1 to 60`);
    }
});

test("every canary problem is reported together with the others", () => {
    const p = problemsOf({ ...CF, "turn:canary": "true", "turn:canaryScheduleMinutes": "0", "turn:credentialTtlSeconds": "1" });
    assert.ok(p.some((l) => l.startsWith("turn:canary = ")));
    assert.ok(p.some((l) => l.startsWith("turn:canaryScheduleMinutes = ")));
    assert.ok(p.some((l) => l.startsWith("turn:credentialTtlSeconds = ")));
});

test("checkCanarySettings is the one rule (what parseTurnConfig calls)", () => {
    assert.deepEqual(checkCanarySettings({}, "self-hosted", true), { settings: { canary: true, canaryScheduleMinutes: 5 }, problems: [] });
    assert.deepEqual(checkCanarySettings({}, "cloudflare", false).settings, { canary: false, canaryScheduleMinutes: 5 });
});

test("schedule expression: singular unit for 1, plural above (EventBridge rate expressions)", () => {
    assert.equal(canaryScheduleExpression(1), "rate(1 minute)");
    assert.equal(canaryScheduleExpression(5), "rate(5 minutes)");
    assert.equal(canaryScheduleExpression(60), "rate(60 minutes)");
    for (const bad of [0, 61, 1.5]) assert.throws(() => canaryScheduleExpression(bad), /must be a whole number from 1 to 60/);
});
