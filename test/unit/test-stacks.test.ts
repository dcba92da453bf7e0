/**
 * Test-stack lifecycle (scripts/lib/test-stacks.ts): the pure decisions, and
 * the whole up/destroy/sweep flow through the TestStackBackend interface with
 * an in-memory backend standing in for the Pulumi CLI (the real one,
 * scripts/lib/automation-backend.ts, needs the CLI and a state backend).
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import {
    assertTestStackName,
    destroyTestStack,
    expiredStacks,
    expiryFor,
    EXPIRES_KEY,
    RefusedError,
    sweepTestStacks,
    testStackConfig,
    upTestStack,
    type TestStackBackend,
} from "../../scripts/lib/test-stacks";
import { parseTurnConfig } from "../../infra/config";
import { stackConfig } from "../helpers/stack-config";

/** In-memory stacks: config, and after `up` the resources a deployment would hold. */
class FakeBackend implements TestStackBackend {
    stacks = new Map<string, { config: Record<string, string>; resources: { urn: string; protect: boolean }[] }>();
    calls: string[] = [];
    async listStacks() {
        return [...this.stacks.keys()];
    }
    async getConfig(stack: string, key: string) {
        return this.stacks.get(stack)?.config[key];
    }
    async createStack(stack: string, config: Record<string, string>) {
        this.calls.push(`create ${stack}`);
        this.stacks.set(stack, { config, resources: this.stacks.get(stack)?.resources ?? [] });
    }
    async up(stack: string) {
        this.calls.push(`up ${stack}`);
        const s = this.stacks.get(stack)!;
        // The real program validates this config first; so does the fake.
        parseTurnConfig(s.config, {});
        s.resources = [{ urn: `urn:pulumi:${stack}::turn::aws:ec2/eip:Eip::turn-eip`, protect: s.config["turn:protectAddress"] === "true" }];
    }
    async protectedResources(stack: string) {
        return this.stacks.get(stack)!.resources.filter((r) => r.protect).map((r) => r.urn);
    }
    async destroy(stack: string) {
        this.calls.push(`destroy ${stack}`);
        this.stacks.get(stack)!.resources = [];
    }
    async removeStack(stack: string) {
        this.calls.push(`rm ${stack}`);
        this.stacks.delete(stack);
    }
}

const NOW = new Date("2026-11-21T12:00:00Z");
const dev = stackConfig("dev");

test("names: only test-* and pr-* stacks are managed", () => {
    for (const ok of ["test-abc", "pr-42", "test-feature-x1"]) assert.doesNotThrow(() => assertTestStackName(ok));
    for (const bad of ["prod", "dev", "test", "pr-", "Test-1", "test_1", "staging-pr-1", "pr-42; rm -rf /"]) {
        assert.throws(() => assertTestStackName(bad), RefusedError, bad);
    }
});

test("TTL: expiry is now + TTL, bounded", () => {
    assert.equal(expiryFor(NOW, 24).toISOString(), "2026-11-22T12:00:00.000Z");
    assert.throws(() => expiryFor(NOW, 0), /more than 0/);
    assert.throws(() => expiryFor(NOW, 24 * 15), /at most 336 hours/);
});

test("expired: only test stacks past their expiry", () => {
    const past = new Date("2026-11-20T00:00:00Z");
    const future = new Date("2026-11-22T00:00:00Z");
    const r = expiredStacks(
        [
            { name: "test-old", expiresAt: past },
            { name: "pr-7", expiresAt: NOW },
            { name: "test-new", expiresAt: future },
            { name: "test-no-ttl" },
            { name: "prod", expiresAt: past },
        ],
        NOW,
    );
    assert.deepEqual(r.map((s) => s.name), ["test-old", "pr-7"]);
});

test("config: dev's, address never protected, expiry recorded, and valid for the program", () => {
    const c = testStackConfig({ ...dev, "turn:protectAddress": "true" }, NOW);
    assert.equal(c["turn:protectAddress"], "false");
    assert.equal(c[EXPIRES_KEY], NOW.toISOString());
    assert.equal(c["turn:instanceType"], dev["turn:instanceType"]);
    assert.doesNotThrow(() => parseTurnConfig(c, {}));
});

test("flow: up creates and deploys with a TTL; destroy destroys and removes", async () => {
    const b = new FakeBackend();
    const expires = await upTestStack(b, { name: "pr-12", ttlHours: 48, now: NOW, baseConfig: dev });
    assert.equal(expires.toISOString(), "2026-11-23T12:00:00.000Z");
    assert.deepEqual(b.calls, ["create pr-12", "up pr-12"]);
    assert.equal(await b.getConfig("pr-12", EXPIRES_KEY), expires.toISOString());
    await destroyTestStack(b, { name: "pr-12" });
    assert.deepEqual(b.calls.slice(2), ["destroy pr-12", "rm pr-12"]);
    assert.equal(b.stacks.size, 0);
    // Destroying a stack that is already gone is not an error (PR closed twice, sweep raced).
    await destroyTestStack(b, { name: "pr-12" });
});

test("refusals: a non-test stack, and a test stack holding protected resources", async () => {
    const b = new FakeBackend();
    b.stacks.set("prod", { config: stackConfig("prod"), resources: [{ urn: "urn:pulumi:prod::turn::aws:ec2/eip:Eip::turn-eip", protect: true }] });
    await assert.rejects(destroyTestStack(b, { name: "prod" }), /refusing to touch stack "prod"/);
    b.stacks.set("test-p", { config: {}, resources: [{ urn: "urn:pulumi:test-p::turn::aws:ec2/eip:Eip::turn-eip", protect: true }] });
    await assert.rejects(destroyTestStack(b, { name: "test-p" }), /refusing to destroy test-p: it holds protected resources \(urn:pulumi:test-p::turn::aws:ec2\/eip:Eip::turn-eip\)/);
    assert.deepEqual(b.calls, [], "nothing was destroyed");
});

test("sweep: destroys expired test stacks only; dry run lists without acting; refusals are reported", async () => {
    const b = new FakeBackend();
    const at = (iso: string) => ({ ...dev, [EXPIRES_KEY]: iso });
    b.stacks.set("test-expired", { config: at("2026-11-21T11:00:00Z"), resources: [] });
    b.stacks.set("pr-5", { config: at("2026-11-20T11:00:00Z"), resources: [] });
    b.stacks.set("test-live", { config: at("2026-11-21T13:00:00Z"), resources: [] });
    b.stacks.set("test-nottl", { config: { ...dev }, resources: [] });
    b.stacks.set("prod", { config: { ...stackConfig("prod"), [EXPIRES_KEY]: "2020-01-01T00:00:00Z" }, resources: [{ urn: "eip", protect: true }] });
    b.stacks.set("test-protected", { config: at("2026-11-01T00:00:00Z"), resources: [{ urn: "urn:eip", protect: true }] });

    const lines: string[] = [];
    const dry = await sweepTestStacks(b, { now: NOW, dryRun: true, log: (l) => lines.push(l) });
    assert.deepEqual(dry.destroyed.sort(), ["pr-5", "test-expired"]);
    assert.deepEqual(dry.refused, ["test-protected"]);
    assert.deepEqual(b.calls, [], "dry run changes nothing");
    assert.ok(lines.some((l) => l.includes("would destroy and remove test-expired")));
    assert.ok(lines.some((l) => l.includes("test-nottl has no valid turn:expiresAt")));

    const real = await sweepTestStacks(b, { now: NOW });
    assert.deepEqual(real.destroyed.sort(), ["pr-5", "test-expired"]);
    assert.deepEqual([...b.stacks.keys()].sort(), ["prod", "test-live", "test-nottl", "test-protected"]);
});
