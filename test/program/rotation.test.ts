/**
 * Secret rotation in the program (infra/rotation.ts, infra/components/turn-server.ts), under mocks:
 * without rotation config the stack keeps its generated secret and the previous-secret parameter
 * says "none"; after `npm run rotate-secret` has set turn:sharedSecret, turn:previousSharedSecret
 * and turn:secretRotatedAt, the current parameter and the sharedSecret output carry the new secret,
 * the previous parameter the old one with the end of its overlap, and the user data is unchanged
 * (a rotation never replaces the server). Bad rotation config is refused naming the key, never
 * echoing a secret.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import { programJsonAsync, ssmParameterInputs, userDataOf, type ProgramRun as Run } from "../helpers/program-json";
import { parseTurnConfig, ConfigError } from "../../infra/config";
import { NO_PREVIOUS_SECRET, rotationOverlapSeconds } from "../../infra/rotation";
import { stackConfig } from "../helpers/stack-config";

const NEW = "N".repeat(24) + "ew0123456789abcdefghijklmn";
const OLD = "O".repeat(24) + "ld0123456789abcdefghijklmn";
const ROTATED_AT = "2026-11-20T10:00:00Z";
const rotated = { "turn:sharedSecret": NEW, "turn:previousSharedSecret": OLD, "turn:secretRotatedAt": ROTATED_AT };

let plain: Run;
let after: Run;
beforeAll(async () => {
    [plain, after] = await Promise.all([programJsonAsync("prod"), programJsonAsync("prod", rotated)]);
}, 60_000);

const param = (run: Run, name: string) => ssmParameterInputs(run, name);
/** A serialized secret input: Pulumi's secret marker and the value. */
const secretValue = (v: any) => {
    assert.equal(v["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "a secret input");
    return v.value;
};

test("without rotation config: the generated secret is current, there is no previous one", () => {
    assert.equal(secretValue(param(plain, "turn-secret-param").value), plain.outputs.sharedSecret);
    assert.equal(secretValue(param(plain, "turn-previous-secret-param").value), NO_PREVIOUS_SECRET);
});

test("after a rotation: the new secret is current (parameter and output), the previous one stays until rotatedAt + the overlap", () => {
    assert.equal(secretValue(param(after, "turn-secret-param").value), NEW);
    assert.equal(after.outputs.sharedSecret, NEW);
    const previous = JSON.parse(secretValue(param(after, "turn-previous-secret-param").value));
    const overlap = rotationOverlapSeconds(3600);
    assert.equal(overlap, 7 * 86_400, "the longest lifetime npm run ice mints (a consumer's --valid-for, up to 7 days) bounds the overlap");
    assert.deepEqual(previous, { secret: OLD, notAfter: new Date(Date.parse(ROTATED_AT) + overlap * 1000).toISOString() });
    // Same resources, same names: the parameter keeps its name, the RandomPassword is kept.
    assert.deepEqual(after.resources.map((r) => `${r.type}::${r.name}`).sort(), plain.resources.map((r) => `${r.type}::${r.name}`).sort());
    assert.equal(param(after, "turn-secret-param").name, param(plain, "turn-secret-param").name);
});

test("a rotation changes no other resource input: the user data (so the instance) stays the same", () => {
    assert.equal(userDataOf(after.resources), userDataOf(plain.resources));
    const others = (run: Run) => run.resources.filter((r) => r.type !== "aws:ssm/parameter:Parameter").map((r) => JSON.stringify([r.type, r.name, r.inputs]));
    const differ = others(after).filter((r) => !others(plain).includes(r));
    // Only the readiness gate's secret environment (the probe mints from the current secret) may differ.
    assert.ok(differ.every((r) => r.includes('"turn-ready"')), `changed: ${differ.join("\n")}`);
    for (const r of after.resources) {
        if (r.type === "aws:ssm/parameter:Parameter" || r.name === "turn-ready") continue;
        const text = JSON.stringify(r.inputs);
        assert.ok(!text.includes(NEW) && !text.includes(OLD), `${r.type} ${r.name} carries a secret`);
    }
});

test("bad rotation config: refused naming the key, secrets never echoed, all problems at once", () => {
    const base = stackConfig("prod");
    const problems = (o: Record<string, string>) => {
        try {
            parseTurnConfig({ ...base, ...o }, {});
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            return e.problems;
        }
        return [];
    };
    const short = problems({ "turn:sharedSecret": "tooshort'$x" });
    assert.equal(short.length, 1);
    assert.match(short[0], /^turn:sharedSecret = \(secret, 11 characters\): must be 32 to 127 letters, digits/);
    assert.ok(!short[0].includes("tooshort"), "the value is not echoed");
    assert.match(problems({ "turn:previousSharedSecret": OLD, "turn:sharedSecret": NEW }).join(), /come together/);
    assert.match(problems({ ...rotated, "turn:previousSharedSecret": NEW }).join(), /equals turn:sharedSecret/);
    assert.match(problems({ ...rotated, "turn:secretRotatedAt": "yesterday" }).join(), /turn:secretRotatedAt = "yesterday": must be an ISO 8601 time/);
    assert.deepEqual(problems(rotated), []);
});
