/** TURN REST API credentials (infra/credentials.ts, draft-uberti-behave-turn-rest-00). */
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { consumerNameProblem, durationText, MAX_CONSUMER_VALIDITY_SECONDS, mintTurnCredential, parseDuration, turnRestPassword } from "../../infra/credentials";

test("TURN REST credentials: username is <expiry>:<user>, credential base64(HMAC-SHA1(secret, username))", () => {
    const c = mintTurnCredential("north", { ttlSeconds: 3600, userId: "alice", nowMs: 1_700_000_000_123 });
    assert.equal(c.username, "1700003600:alice");
    assert.equal(c.expiresAt, 1700003600);
    assert.equal(c.credential, createHmac("sha1", "north").update("1700003600:alice").digest("base64"));
    // A fixed vector (from: printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64).
    assert.equal(turnRestPassword("north", "1700003600:alice"), "wjwSXO2ch1B6VaLTLMy2Avn5O9o=");
    assert.throws(() => mintTurnCredential("", { ttlSeconds: 60 }), /secret is empty/);
    assert.throws(() => mintTurnCredential("x", { ttlSeconds: 0 }), /positive whole number/);
    assert.throws(() => mintTurnCredential("x", { ttlSeconds: 60, userId: "a:b" }), /must not contain ':'/);
});

test("per-consumer credentials: the ceiling is 7 days; durations in d, h, m, s or plain seconds", () => {
    assert.equal(MAX_CONSUMER_VALIDITY_SECONDS, 604_800);
    const parse = (t: string) => parseDuration("--valid-for", t, 60, MAX_CONSUMER_VALIDITY_SECONDS);
    assert.deepEqual(["7d", "12h", "90m", "3600s", "3600", "60"].map(parse), [604_800, 43_200, 5400, 3600, 3600, 60]);
    assert.deepEqual([604_800, 43_200, 5400, 61].map(durationText), ["7d", "12h", "90m", "61s"]);
    // Over the ceiling, under the floor, and text that is no duration: the flag, the value and what is allowed.
    assert.throws(() => parse("8d"), /^Error: --valid-for 8d: 691200 s is over the ceiling of 7d; allowed: 1m to 7d \(60 to 604800 s\)$/);
    assert.throws(() => parseDuration("--valid-for", "604801", 60, MAX_CONSUMER_VALIDITY_SECONDS, "why"), /over the ceiling of 7d \(why\)/);
    assert.throws(() => parse("59s"), /^Error: --valid-for 59s: 59 s is shorter than 1m; allowed: 1m to 7d/);
    for (const bad of ["", "1w", "7 d", "-1d", "1.5h", "7D", "d", "0x10", "1e3"]) {
        assert.throws(() => parse(bad), new RegExp(`^Error: --valid-for ${JSON.stringify(bad).replace(/[.+]/g, "\\$&")}: a whole number with a unit d, h, m or s`), bad);
    }
    // A credential at the ceiling names its consumer, and coturn's HMAC covers the whole username.
    const c = mintTurnCredential("north", { ttlSeconds: MAX_CONSUMER_VALIDITY_SECONDS, userId: "neko-frontend", nowMs: 1_700_000_000_000 });
    assert.equal(c.username, "1700604800:neko-frontend");
    assert.equal(c.credential, turnRestPassword("north", "1700604800:neko-frontend"));
});

test("consumer names: what a TURN username, a log line and coturn's admin CLI carry, and nothing else", () => {
    for (const ok of ["neko", "vidmeet.prod", "geti_prompt-2", "a".repeat(64)]) assert.equal(consumerNameProblem("--consumer", ok), undefined, ok);
    for (const bad of ["", "a".repeat(65), "ne ko", "a:b", "x\ny", "o'brien", "é", "a/b"]) {
        assert.match(consumerNameProblem("--consumer", bad)!, /^--consumer ".*": a consumer name is 1 to 64 characters from A-Z a-z 0-9 \. _ -/, JSON.stringify(bad));
    }
});
