/**
 * The Cloudflare client (infra/cloudflare-api.ts) and the TURN key script, against
 * a local STAND-IN for Cloudflare's APIs (test/helpers/cloudflare-standin.ts)
 * that follows their documented contract; the real APIs are unreachable here.
 */
import { test, beforeAll, afterAll, beforeEach } from "vitest";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CloudflareApiError, createTurnKey, deleteTurnKey, generateCloudflareIceServers } from "../../infra/cloudflare-api";
import { startCloudflareStandIn, STANDIN_ACCOUNT, STANDIN_API_TOKEN, type StandIn } from "../helpers/cloudflare-standin";
import { ROOT } from "../helpers/stack-config";
import { runTs } from "../helpers/run";

let cf: StandIn;
const KEY_ID = "aaaabbbbccccddddeeeeffff00001111";
const KEY = "bearer-token-of-the-turn-key";
beforeAll(async () => {
    cf = await startCloudflareStandIn();
});
afterAll(() => cf.close());
beforeEach(() => {
    cf.keys.clear();
    cf.keys.set(KEY_ID, KEY);
    cf.requests.length = 0;
    cf.failures.length = 0;
    cf.delayMs = 0;
    cf.tokenField = "key";
});

const fast = { backoffMs: 5, timeoutMs: 2000 };

async function rejectsWith(p: Promise<unknown>, status: number, message: RegExp) {
    await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof CloudflareApiError, String(e));
        assert.equal(e.status, status);
        assert.match(e.message, message);
        return true;
    });
}

test("generate-ice-servers: documented request, 201 response, port 53 URLs dropped", async () => {
    const servers = await generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 3600, baseUrl: cf.rtcBase, ...fast });
    assert.equal(cf.requests.length, 1);
    const r = cf.requests[0];
    assert.equal(r.method, "POST");
    assert.equal(r.path, `/v1/turn/keys/${KEY_ID}/credentials/generate-ice-servers`);
    assert.equal(r.auth, `Bearer ${KEY}`);
    assert.deepEqual(JSON.parse(r.body), { ttl: 3600 });
    const urls = servers.flatMap((s) => s.urls);
    assert.equal(urls.length, 6, urls.join(" "));
    assert.ok(!urls.some((u) => /:53(\?|$)/.test(u)), "no port 53");
    assert.ok(urls.includes("turns:turn.cloudflare.com:443?transport=tcp"));
    const turn = servers.find((s) => s.username)!;
    assert.match(turn.username!, /^[0-9a-f]+$/);
    assert.match(turn.credential!, /^[0-9a-f]+$/);
});

test("401 and 404 are clear errors, not retried", async () => {
    await rejectsWith(generateCloudflareIceServers({ keyId: KEY_ID, key: "wrong", ttlSeconds: 60, baseUrl: cf.rtcBase, ...fast }), 401, /rejected the TURN key's API token/);
    await rejectsWith(generateCloudflareIceServers({ keyId: "ffff", key: KEY, ttlSeconds: 60, baseUrl: cf.rtcBase, ...fast }), 404, /no TURN key with id ffff/);
    assert.equal(cf.requests.length, 2);
});

test("403 is a clear error", async () => {
    cf.failures.push(403);
    await rejectsWith(generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 60, baseUrl: cf.rtcBase, ...fast }), 403, /refused the TURN key's API token/);
});

test("429 and 5xx are retried with backoff, then succeed", async () => {
    cf.failures.push(429, 503);
    const servers = await generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 60, baseUrl: cf.rtcBase, ...fast });
    assert.equal(cf.requests.length, 3);
    assert.ok(servers.length > 0);
});

test("persistent 5xx fails after the attempts, naming the status", async () => {
    cf.failures.push(502, 502, 502);
    await rejectsWith(generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 60, baseUrl: cf.rtcBase, ...fast, attempts: 3 }), 502, /kept failing with HTTP 502 \(3 attempts\)/);
    assert.equal(cf.requests.length, 3);
});

test("a slow response times out, is retried, then fails", async () => {
    cf.delayMs = 1000;
    await rejectsWith(
        generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 60, baseUrl: cf.rtcBase, timeoutMs: 100, backoffMs: 5, attempts: 2 }),
        0,
        /timed out after 100 ms \(2 attempts\)/,
    );
    assert.equal(cf.requests.length, 2);
});

test("TTL outside 1..172800 is refused before any request", async () => {
    await assert.rejects(generateCloudflareIceServers({ keyId: KEY_ID, key: KEY, ttlSeconds: 172801, baseUrl: cf.rtcBase }), /1 to 172800/);
    assert.equal(cf.requests.length, 0);
});

test("TURN key create reads the token whether the API names it key or secret; delete is idempotent", async () => {
    for (const field of ["key", "secret"] as const) {
        cf.tokenField = field;
        const created = await createTurnKey({ accountId: STANDIN_ACCOUNT, apiToken: STANDIN_API_TOKEN, name: "turn-test", baseUrl: cf.apiBase, ...fast });
        assert.equal(cf.keys.get(created.keyId), created.key, field);
        await deleteTurnKey({ accountId: STANDIN_ACCOUNT, apiToken: STANDIN_API_TOKEN, keyId: created.keyId, baseUrl: cf.apiBase, ...fast });
        assert.equal(cf.keys.has(created.keyId), false);
        await deleteTurnKey({ accountId: STANDIN_ACCOUNT, apiToken: STANDIN_API_TOKEN, keyId: created.keyId, baseUrl: cf.apiBase, ...fast });
    }
    await rejectsWith(createTurnKey({ accountId: STANDIN_ACCOUNT, apiToken: "wrong", name: "x", baseUrl: cf.apiBase, ...fast }), 403, /Calls Write/);
    await rejectsWith(createTurnKey({ accountId: "ffffffffffffffffffffffffffffffff", apiToken: STANDIN_API_TOKEN, name: "x", baseUrl: cf.apiBase, ...fast }), 404, /turn:cloudflareAccountId/);
});

test("scripts/cloudflare-turn-key.ts create then delete, as the Command resource runs them", async () => {
    const script = join(ROOT, "scripts", "cloudflare-turn-key.ts");
    const env = { ...process.env, CLOUDFLARE_ACCOUNT_ID: STANDIN_ACCOUNT, CLOUDFLARE_API_TOKEN: STANDIN_API_TOKEN, TURN_KEY_NAME: "turn-test", CLOUDFLARE_API_BASE_URL: cf.apiBase };
    cf.keys.clear();
    const create = await runTs(script, ["create"], { env });
    assert.equal(create.status, 0, create.stderr);
    const out = JSON.parse(create.stdout);
    assert.equal(cf.keys.get(out.keyId), out.key);
    assert.ok(!create.stderr.includes(out.key), "the token is never logged");
    const del = await runTs(script, ["delete"], { env: { ...env, PULUMI_COMMAND_STDOUT: create.stdout } });
    assert.equal(del.status, 0, del.stderr);
    assert.equal(cf.keys.size, 0);
    const bad = await runTs(script, ["create"], { env: { ...env, CLOUDFLARE_API_TOKEN: "wrong" } });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Calls Write/);
});
