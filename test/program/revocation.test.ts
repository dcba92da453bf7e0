/**
 * Revocation in the program (infra/reaper.ts, infra/components/turn-server.ts), under mocks: after `npm run revoke`
 * has set turn:revokedConsumers, the revocation list parameter carries `{"<consumer>": <until, unix seconds>}` and
 * nothing else changes: the user data (so the instance) stays the same, and the CLI password is kept.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import { programJsonAsync, ssmParameterInputs, userDataOf, type ProgramRun as Run } from "../helpers/program-json";

const revoked = { "turn:revokedConsumers": JSON.stringify(["neko=2026-12-01T12:00:00Z", "geti=2026-11-30T00:00:00Z"]) };
let plain: Run;
let after: Run;
beforeAll(async () => {
    [plain, after] = await Promise.all([programJsonAsync("prod"), programJsonAsync("prod", revoked)]);
}, 60_000);

const param = (run: Run, name: string) => ssmParameterInputs(run, name);
const valueOf = (v: any) => (typeof v === "string" ? v : v.value);

test("the revocation list parameter carries each revoked consumer with its until (unix seconds), sorted; none without config", () => {
    assert.equal(valueOf(param(plain, "turn-revoked-consumers-param").value), "{}");
    assert.equal(valueOf(param(after, "turn-revoked-consumers-param").value), JSON.stringify({ geti: Date.parse("2026-11-30T00:00:00Z") / 1000, neko: Date.parse("2026-12-01T12:00:00Z") / 1000 }));
    assert.equal(param(after, "turn-revoked-consumers-param").type, "String");
});

test("a revocation changes no other resource input: the user data (so the instance) and the CLI password stay the same", () => {
    assert.equal(userDataOf(after.resources), userDataOf(plain.resources));
    const others = (run: Run) => run.resources.filter((r) => r.name !== "turn-revoked-consumers-param").map((r) => JSON.stringify([r.type, r.name, r.inputs]));
    assert.deepEqual(others(after), others(plain));
});
