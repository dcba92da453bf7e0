/**
 * ICE servers for one call (infra/ice-service.ts): own relay with TURN REST credentials first, Cloudflare
 * after; the stack outputs it reads. Cloudflare is the local stand-in (test/helpers/cloudflare-standin.ts).
 */
import { test, beforeAll, afterAll, describe, expect } from "vitest";
import assert from "node:assert/strict";
import { iceServersForCall, iceSourceFromOutputs } from "../../infra/ice-service";
import { turnRestPassword } from "../../infra/credentials";
import { startCloudflareStandIn, type StandIn } from "../helpers/cloudflare-standin";

let cf: StandIn;
const KEY_ID = "aaaabbbbccccddddeeeeffff00001111";
const KEY = "bearer-token-of-the-turn-key";
beforeAll(async () => {
    cf = await startCloudflareStandIn();
    cf.keys.set(KEY_ID, KEY);
});
afterAll(() => cf.close());

const URLS = ["turn:203.0.113.10:3478?transport=udp", "turn:203.0.113.10:3478?transport=tcp"];

test("self-hosted: the stack's URLs with a credential minted from the shared secret", async () => {
    const servers = await iceServersForCall({ selfHosted: { urls: URLS, sharedSecret: "north" } }, { ttlSeconds: 3600, userId: "alice", nowMs: 1_700_000_000_123 });
    assert.deepEqual(servers, [{ urls: URLS, username: "1700003600:alice", credential: turnRestPassword("north", "1700003600:alice") }]);
    assert.notEqual(servers[0].urls, URLS, "a copy: callers may change it without touching the source");
});

test("both: own relay first, then Cloudflare's servers (port 53 URLs dropped), asked with the call's TTL", async () => {
    const servers = await iceServersForCall(
        { selfHosted: { urls: URLS, sharedSecret: "north" }, cloudflare: { keyId: KEY_ID, key: KEY, baseUrl: cf.rtcBase } },
        { ttlSeconds: 600, nowMs: 0, backoffMs: 5, timeoutMs: 2000 },
    );
    assert.deepEqual(servers[0].urls, URLS);
    assert.ok(servers.length > 1);
    const cloudflareUrls = servers.slice(1).flatMap((s) => s.urls);
    assert.ok(cloudflareUrls.length > 0 && cloudflareUrls.every((u) => u.includes("cloudflare.com") && !/:53(\?|$)/.test(u)), cloudflareUrls.join(" "));
    const asked = cf.requests.at(-1)!;
    assert.match(asked.path, new RegExp(`/turn/keys/${KEY_ID}/credentials/generate-ice-servers$`));
    assert.deepEqual(JSON.parse(asked.body), { ttl: 600 });
});

test("no source at all is refused", async () => {
    await assert.rejects(iceServersForCall({}, { ttlSeconds: 60 }), /neither a shared secret nor a Cloudflare TURN key/);
});

test("stack outputs: each mode reads exactly the outputs it needs", () => {
    const all = { turnServerUrls: URLS, sharedSecret: "s", cloudflareTurnKeyId: KEY_ID, cloudflareTurnKey: KEY };
    assert.deepEqual(iceSourceFromOutputs({ ...all, mode: "self-hosted" }), { selfHosted: { urls: URLS, sharedSecret: "s" } });
    assert.deepEqual(iceSourceFromOutputs({ ...all, mode: "cloudflare" }), { cloudflare: { keyId: KEY_ID, key: KEY } });
    assert.deepEqual(iceSourceFromOutputs({ ...all, mode: "both" }), { selfHosted: { urls: URLS, sharedSecret: "s" }, cloudflare: { keyId: KEY_ID, key: KEY } });
    // A cloudflare stack has no self-hosted outputs, and needs none.
    assert.deepEqual(iceSourceFromOutputs({ mode: "cloudflare", cloudflareTurnKeyId: KEY_ID, cloudflareTurnKey: KEY }), { cloudflare: { keyId: KEY_ID, key: KEY } });
});

test("stack outputs: a missing, hidden or malformed output is named, with what to do", () => {
    assert.throws(() => iceSourceFromOutputs({}), /no valid 'mode' \(got undefined\); is this a turn-stack stack that has been deployed\?/);
    assert.throws(() => iceSourceFromOutputs({ mode: "other" }), /no valid 'mode' \(got "other"\)/);
    assert.throws(() => iceSourceFromOutputs({ mode: "self-hosted", sharedSecret: "s" }), /stack output 'turnServerUrls' is missing; self-hosted mode needs it/);
    assert.throws(() => iceSourceFromOutputs({ mode: "self-hosted", turnServerUrls: URLS, sharedSecret: "" }), /'sharedSecret' is missing/);
    assert.throws(() => iceSourceFromOutputs({ mode: "self-hosted", turnServerUrls: URLS, sharedSecret: "[secret]" }), /'sharedSecret' is hidden: export it with --show-secrets/);
    assert.throws(() => iceSourceFromOutputs({ mode: "self-hosted", turnServerUrls: "turn:x", sharedSecret: "s" }), /'turnServerUrls' is not a list of URLs/);
    assert.throws(() => iceSourceFromOutputs({ mode: "both", turnServerUrls: URLS, sharedSecret: "s", cloudflareTurnKeyId: KEY_ID }), /'cloudflareTurnKey' is missing; both mode needs it/);
});

describe("a fleet's outputs (issue 16)", () => {
    const outputs = {
        mode: "self-hosted",
        sharedSecret: "s".repeat(48),
        turnServerUrls: ["turn:turn.example.com:3478?transport=udp"],
        iceServersByRegion: {
            "eu-west-1": [{ urls: ["turn:turn.example.com:3478?transport=udp"] }, { urls: ["turn:eu-west-1-1.turn.example.com:3478?transport=udp"] }],
            "us-east-1": [{ urls: ["turn:turn.example.com:3478?transport=udp"] }, { urls: ["turn:us-east-1-1.turn.example.com:3478?transport=udp"] }],
        },
    };
    test("every server after the latency-routed name, or one region's, each with the same fresh credential", async () => {
        const all = await iceServersForCall(iceSourceFromOutputs(outputs), { ttlSeconds: 600, userId: "u", nowMs: 0 });
        expect(all.map((s) => s.urls[0])).toEqual(["turn:turn.example.com:3478?transport=udp", "turn:eu-west-1-1.turn.example.com:3478?transport=udp", "turn:us-east-1-1.turn.example.com:3478?transport=udp"]);
        expect(new Set(all.map((s) => `${s.username} ${s.credential}`)).size).toBe(1);
        const us = await iceServersForCall(iceSourceFromOutputs(outputs, "us-east-1"), { ttlSeconds: 600, userId: "u", nowMs: 0 });
        expect(us.map((s) => s.urls[0])).toEqual(["turn:turn.example.com:3478?transport=udp", "turn:us-east-1-1.turn.example.com:3478?transport=udp"]);
    });
    test("a region the fleet lacks, or a region on a single server, is refused naming what there is", () => {
        expect(() => iceSourceFromOutputs(outputs, "ap-south-1")).toThrow("region ap-south-1: the fleet's regions are eu-west-1, us-east-1");
        expect(() => iceSourceFromOutputs({ ...outputs, iceServersByRegion: null }, "eu-west-1")).toThrow(/not a fleet/);
    });
});
