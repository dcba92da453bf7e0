/**
 * infra/rotation.ts: the secret pattern, the overlap, the previous-secret parameter's name and value, and
 * when `npm run rotate-secret` must refuse.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { MAX_TTL_SECONDS } from "../../infra/config";
import { MAX_CONSUMER_VALIDITY_SECONDS } from "../../infra/credentials";
import {
    NO_PREVIOUS_SECRET,
    overlapEnd,
    previousSecretParameterName,
    previousSecretValue,
    rotationOverlapSeconds,
    rotationRefusal,
    SECRET_PICKUP_BOUND_SECONDS,
    SECRET_SYNC_PERIOD_SECONDS,
    SHARED_SECRET_PATTERN,
} from "../../infra/rotation";

test("shared secrets: 32 to 127 of A-Z a-z 0-9 _ -, nothing that needs quoting", () => {
    for (const ok of ["a".repeat(32), "Z9_-".repeat(31) + "abc", "x".repeat(127)]) assert.match(ok, SHARED_SECRET_PATTERN);
    for (const bad of ["a".repeat(31), "a".repeat(128), `${"a".repeat(40)}'`, `${"a".repeat(40)}"`, `${"a".repeat(40)} `, `${"a".repeat(40)}\n`, `${"a".repeat(40)}/`]) {
        assert.doesNotMatch(bad, SHARED_SECRET_PATTERN, JSON.stringify(bad));
    }
});

test("the overlap is the longest lifetime a credential can have: the stack's TTL, npm run ice's --ttl or a consumer's --valid-for ceiling", () => {
    assert.ok(MAX_CONSUMER_VALIDITY_SECONDS >= MAX_TTL_SECONDS);
    assert.equal(rotationOverlapSeconds(3600), MAX_CONSUMER_VALIDITY_SECONDS);
    assert.equal(rotationOverlapSeconds(MAX_TTL_SECONDS), MAX_CONSUMER_VALIDITY_SECONDS);
    assert.equal(overlapEnd(new Date("2026-11-20T10:00:00Z"), 3600).toISOString(), "2026-11-27T10:00:00.000Z");
    assert.ok(SECRET_PICKUP_BOUND_SECONDS > SECRET_SYNC_PERIOD_SECONDS, "the bound covers a timer period and one run");
});

test("the previous-secret parameter: beside the current one; JSON with notAfter in UTC, or none", () => {
    assert.equal(previousSecretParameterName("/turn-stack/turn/prod/static-auth-secret"), "/turn-stack/turn/prod/previous-auth-secret");
    assert.equal(previousSecretValue(), NO_PREVIOUS_SECRET);
    assert.deepEqual(JSON.parse(previousSecretValue({ secret: "s".repeat(48), notAfter: new Date("2026-11-22T10:00:00+02:00") })), {
        secret: "s".repeat(48),
        notAfter: "2026-11-22T08:00:00.000Z",
    });
});

test("rotate-secret refuses a stack with no own server, and a rotation during the overlap unless forced", () => {
    const now = new Date("2026-11-21T10:00:00Z");
    const selfHosted = { selfHosted: true, mode: "self-hosted", credentialTtlSeconds: 3600 };
    assert.equal(rotationRefusal("prod", selfHosted, now, false), undefined, "never rotated");
    assert.match(rotationRefusal("cf", { ...selfHosted, selfHosted: false, mode: "cloudflare" }, now, true)!, /^--stack cf: turn:mode is cloudflare, .*allowed: a stack in self-hosted or both mode/);
    const during = { ...selfHosted, secretRotatedAt: new Date("2026-11-14T10:00:01Z") };
    assert.match(rotationRefusal("prod", during, now, false)!, /^--stack prod: the previous rotation \(turn:secretRotatedAt 2026-11-14T10:00:01\.000Z\) is still in its overlap until 2026-11-21T10:00:01\.000Z; .*--force/);
    assert.equal(rotationRefusal("prod", during, now, true), undefined, "--force");
    assert.equal(rotationRefusal("prod", { ...selfHosted, secretRotatedAt: new Date("2026-11-14T10:00:00Z") }, now, false), undefined, "the overlap has ended");
});
