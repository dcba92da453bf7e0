/** TURN REST API credentials (infra/credentials.ts, draft-uberti-behave-turn-rest-00). */
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mintTurnCredential, turnRestPassword } from "../../infra/credentials";

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
