/**
 * cloudflare mode on the real program under Pulumi's mocks (in-process, for
 * pulumi.isSecret): no AWS at all, one Cloudflare TURN key whose token stays a
 * secret, Cloudflare's URLs in iceServers without credentials.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, MOCK_CF_KEY, MOCK_CF_KEY_ID, type MockedResource } from "../helpers/mock-program";
import { CLOUDFLARE_TURN_URLS } from "../../infra/cloudflare-api";

const ACCOUNT = "00112233445566778899aabbccddeeff";
const TOKEN = "cf-api-token-for-mock-tests-0123456789";
let resources: MockedResource[];
let outputs: Record<string, any>;
beforeAll(async () => {
    ({ resources, outputs } = await runProgram("dev", { "turn:mode": "cloudflare", "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": TOKEN }));
});

test("cloudflare mode declares no AWS resource and no VM", () => {
    assert.deepEqual(resources.filter((r) => r.type.startsWith("aws:") || r.type === "turn:aws:TurnServer"), []);
});

test("one TURN key, named after project and stack, managed by create/delete commands", () => {
    const key = resources.filter((r) => r.type === "turn:cloudflare:TurnKey");
    assert.equal(key.length, 1);
    const [cmd] = resources.filter((r) => r.type === "command:local:Command");
    assert.equal(cmd.parent, "cloudflare-turn");
    assert.match(cmd.inputs.create, /scripts\/cloudflare-turn-key\.ts create$/);
    assert.match(cmd.inputs.delete, /scripts\/cloudflare-turn-key\.ts delete$/);
    // The environment holds the API token, so Pulumi sends it as a secret (the mocks see the secret wrapper).
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    assert.equal(cmd.inputs.environment[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", "environment is a secret");
    const env = cmd.inputs.environment.value;
    assert.equal(env.TURN_KEY_NAME, "turn-dev");
    assert.equal(env.CLOUDFLARE_ACCOUNT_ID, ACCOUNT);
    assert.equal(env.CLOUDFLARE_API_TOKEN, TOKEN);
    assert.equal(cmd.inputs.logging, "stderr", "stdout (the token) is never logged");
});

test("the key is a secret output; the key id is not; the API token appears only in the command's environment", async () => {
    assert.equal(await pulumi.isSecret(outputs.cloudflareTurnKey), true);
    assert.equal(await pulumi.isSecret(outputs.cloudflareTurnKeyId), false);
    assert.equal(outputs.__values.cloudflareTurnKey, MOCK_CF_KEY);
    assert.equal(outputs.__values.cloudflareTurnKeyId, MOCK_CF_KEY_ID);
    for (const r of resources) {
        if (r.type === "command:local:Command") continue;
        assert.ok(!JSON.stringify(r.inputs).includes(TOKEN), `${r.type} carries the API token`);
    }
});

test("outputs: mode, Cloudflare's URLs in iceServers without credentials, no self-hosted outputs", () => {
    const v = outputs.__values;
    assert.equal(v.mode, "cloudflare");
    assert.deepEqual(v.iceServers, [{ urls: [...CLOUDFLARE_TURN_URLS] }]);
    assert.equal(v.publicIp, null);
    assert.equal(v.sharedSecret, null);
    assert.equal(v.turnServerUrls, null);
});
