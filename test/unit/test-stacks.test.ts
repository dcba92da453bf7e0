/**
 * Test-stack lifecycle (scripts/lib/test-stacks.ts): the pure decisions, and
 * the whole up/destroy/sweep flow through the TestStackBackend interface with
 * an in-memory stand-in that keeps apart what the state backend holds (stacks,
 * tags, the config of the last deployment, resources) from what only one
 * machine holds (its Pulumi.<stack>.yaml files). The real backend
 * (scripts/lib/automation-backend.ts) runs against the Pulumi CLI stand-in in
 * test/integration/automation.test.ts.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import {
    assertTestStackName,
    backendExpiry,
    destroyTestStack,
    expiredStacks,
    expiryFor,
    EXPIRES_KEY,
    parseExpiry,
    RefusedError,
    sweepTestStacks,
    testStackConfig,
    upTestStack,
    type StackConfig,
    type TestStackBackend,
} from "../../scripts/lib/test-stacks";
import { parseTurnConfig } from "../../infra/config";
import { stackConfig } from "../helpers/stack-config";

/** What a state backend (S3, file://) holds, shared by every machine. */
class SharedState {
    stacks = new Map<string, { tags: Record<string, string>; deployedConfig?: StackConfig; resources: { urn: string; protect: boolean }[] }>();
}

/** One machine: its own stack files (config), the shared state backend. */
class FakeBackend implements TestStackBackend {
    files = new Map<string, StackConfig>();
    calls: string[] = [];
    constructor(readonly state = new SharedState()) {}
    async listStacks() {
        return [...this.state.stacks.keys()];
    }
    async getTags(stack: string) {
        return { ...this.state.stacks.get(stack)!.tags };
    }
    async setTag(stack: string, key: string, value: string) {
        this.state.stacks.get(stack)!.tags[key] = value;
    }
    async refreshedConfig(stack: string) {
        const c = this.state.stacks.get(stack)?.deployedConfig;
        if (!c) throw new Error(`stack ${stack} has no deployment`);
        this.files.set(stack, c);
        return c;
    }
    async readConfig(stack: string) {
        // A missing Pulumi.<stack>.yaml reads as empty config, as the CLI does.
        return this.files.get(stack) ?? {};
    }
    async createStack(stack: string, config: StackConfig) {
        this.calls.push(`create ${stack}`);
        if (!this.state.stacks.has(stack)) this.state.stacks.set(stack, { tags: {}, resources: [] });
        this.files.set(stack, config);
    }
    async up(stack: string) {
        this.calls.push(`up ${stack}`);
        const config = this.files.get(stack)!;
        // The real program validates this config first (values as Pulumi hands them to a program).
        parseTurnConfig(raw(config), {});
        const s = this.state.stacks.get(stack)!;
        s.deployedConfig = config;
        s.resources = [{ urn: `urn:pulumi:${stack}::turn::aws:ec2/eip:Eip::turn-eip`, protect: config["turn:protectAddress"]?.value === "true" }];
    }
    async protectedResources(stack: string) {
        return this.state.stacks.get(stack)!.resources.filter((r) => r.protect).map((r) => r.urn);
    }
    async destroy(stack: string) {
        this.calls.push(`destroy ${stack}`);
        this.state.stacks.get(stack)!.resources = [];
    }
    async removeStack(stack: string) {
        this.calls.push(`rm ${stack}`);
        this.state.stacks.delete(stack);
        this.files.delete(stack);
    }
}

/** Config entries as Pulumi hands them to a program: `ns:key` → string (objects and arrays as JSON). */
const raw = (c: StackConfig) => Object.fromEntries(Object.entries(c).map(([k, e]) => [k, e.value]));
/** A stack file's plain values as `pulumi config --json` entries. */
const entries = (c: Record<string, string>): StackConfig => Object.fromEntries(Object.entries(c).map(([k, value]) => [k, { value, secret: false }]));

const NOW = new Date("2026-11-21T12:00:00Z");
const dev = entries(stackConfig("dev"));
/** dev as it may become: an array and a secret (dev has neither today, which hid the copy bug). */
const CIDRS = ["203.0.113.0/24", "198.51.100.7/32"];
const devWithSecretAndArray: StackConfig = {
    ...dev,
    "turn:clientCidrs": { value: JSON.stringify(CIDRS), objectValue: CIDRS, secret: false },
    "cloudflare:apiToken": { value: "plaintext-token-from-dev", secret: true },
};

/** A machine that has dev's stack file (the repository's Pulumi.dev.yaml) and the stack in the backend. */
function machineWithDev(config: StackConfig = dev, state = new SharedState()): FakeBackend {
    const b = new FakeBackend(state);
    state.stacks.set("dev", { tags: {}, resources: [], deployedConfig: config });
    b.files.set("dev", config);
    return b;
}

test("names: only test-* and pr-* stacks are managed", () => {
    for (const ok of ["test-abc", "pr-42", "test-feature-x1"]) assert.doesNotThrow(() => assertTestStackName(ok));
    for (const bad of ["prod", "dev", "test", "pr-", "Test-1", "test_1", "staging-pr-1", "pr-42; rm -rf /"]) {
        assert.throws(() => assertTestStackName(bad), RefusedError, bad);
    }
});

test("TTL: expiry is now + TTL, bounded; expiries parse or are absent", () => {
    assert.equal(expiryFor(NOW, 24).toISOString(), "2026-11-22T12:00:00.000Z");
    assert.throws(() => expiryFor(NOW, 0), /more than 0/);
    assert.throws(() => expiryFor(NOW, 24 * 15), /at most 336 hours/);
    assert.equal(parseExpiry(""), undefined, "a missing Pulumi.<stack>.yaml reads as empty config: no expiry");
    assert.equal(parseExpiry("soon"), undefined);
    assert.equal(parseExpiry("2026-11-21T11:00:00Z")?.toISOString(), "2026-11-21T11:00:00.000Z");
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

test("config: dev's entries, address never protected, expiry recorded, and valid for the program", () => {
    const c = testStackConfig({ ...dev, "turn:protectAddress": { value: "true", secret: false } }, NOW);
    assert.deepEqual(c["turn:protectAddress"], { value: "false", secret: false });
    assert.equal(c[EXPIRES_KEY].value, NOW.toISOString());
    assert.deepEqual(c["turn:instanceType"], dev["turn:instanceType"]);
    assert.doesNotThrow(() => parseTurnConfig(raw(c), {}));
});

test("config copy: a secret stays a secret entry (plaintext, for the new stack to encrypt) and an array stays an array", async () => {
    const b = machineWithDev(devWithSecretAndArray);
    await upTestStack(b, { name: "pr-3", ttlHours: 2, now: NOW });
    const copied = b.files.get("pr-3")!;
    // On 8d09650 these were JSON.stringify'd: the secret became the text {"secure":"v1:..."} under
    // dev's salt, and the array a plain string.
    assert.deepEqual(copied["cloudflare:apiToken"], { value: "plaintext-token-from-dev", secret: true });
    assert.deepEqual(copied["turn:clientCidrs"].objectValue, CIDRS);
    assert.deepEqual(parseTurnConfig(raw(copied), {}).clientCidrs, CIDRS);
});

test("flow: up tags the stack with its expiry in the backend and deploys; destroy destroys and removes", async () => {
    const b = machineWithDev();
    const expires = await upTestStack(b, { name: "pr-12", ttlHours: 48, now: NOW });
    assert.equal(expires.toISOString(), "2026-11-23T12:00:00.000Z");
    assert.deepEqual(b.calls, ["create pr-12", "up pr-12"]);
    assert.equal((await b.getTags("pr-12"))[EXPIRES_KEY], expires.toISOString());
    assert.equal(b.files.get("pr-12")![EXPIRES_KEY].value, expires.toISOString());
    await destroyTestStack(b, { name: "pr-12" });
    assert.deepEqual(b.calls.slice(2), ["destroy pr-12", "rm pr-12"]);
    assert.deepEqual([...b.state.stacks.keys()], ["dev"]);
    // Destroying a stack that is already gone is not an error (PR closed twice, sweep raced).
    await destroyTestStack(b, { name: "pr-12" });
});

test("refusals: a non-test stack (before any backend call), and a test stack holding protected resources", async () => {
    const b = machineWithDev();
    const touched: string[] = [];
    const spy = new Proxy(b, { get: (t, p) => (touched.push(String(p)), Reflect.get(t, p)) });
    await assert.rejects(destroyTestStack(spy, { name: "prod" }), /refusing to touch stack "prod"/);
    await assert.rejects(upTestStack(spy, { name: "prod", ttlHours: 1, now: NOW }), /refusing to touch stack "prod"/);
    assert.deepEqual(touched, [], "no backend call before the refusal");
    b.state.stacks.set("test-p", { tags: {}, resources: [{ urn: "urn:pulumi:test-p::turn::aws:ec2/eip:Eip::turn-eip", protect: true }] });
    await assert.rejects(destroyTestStack(b, { name: "test-p" }), /refusing to destroy test-p: it holds protected resources \(urn:pulumi:test-p::turn::aws:ec2\/eip:Eip::turn-eip\)/);
    assert.deepEqual(b.calls, [], "nothing was destroyed");
});

test("sweep on a fresh checkout: expiry read from the backend (tag, else deployed config), never from a local file", async () => {
    // The machine that created the stacks.
    const creator = machineWithDev();
    await upTestStack(creator, { name: "test-expired", ttlHours: 1, now: new Date("2026-11-21T10:00:00Z") });
    await upTestStack(creator, { name: "test-live", ttlHours: 2, now: NOW });
    // Made by an older turn-stack: expiry only in its config (deployed), no tag.
    await upTestStack(creator, { name: "pr-5", ttlHours: 1, now: new Date("2026-11-20T10:00:00Z") });
    delete creator.state.stacks.get("pr-5")!.tags[EXPIRES_KEY];
    creator.state.stacks.set("test-nottl", { tags: {}, resources: [] });
    creator.state.stacks.set("test-protected", { tags: { [EXPIRES_KEY]: "2026-11-01T00:00:00Z" }, resources: [{ urn: "urn:eip", protect: true }] });
    creator.state.stacks.get("dev")!.tags[EXPIRES_KEY] = "2020-01-01T00:00:00Z";

    // The sweep's runner: same backend, none of those stack files.
    const runner = new FakeBackend(creator.state);
    assert.equal((await runner.readConfig("test-expired"))[EXPIRES_KEY], undefined, "a local read finds nothing here");
    assert.deepEqual(await backendExpiry(runner, "pr-5"), { expiresAt: new Date("2026-11-20T11:00:00Z"), from: "deployed config" });

    const lines: string[] = [];
    const dry = await sweepTestStacks(runner, { now: NOW, dryRun: true, log: (l) => lines.push(l) });
    assert.deepEqual(dry.destroyed.sort(), ["pr-5", "test-expired"]);
    assert.deepEqual(dry.refused, ["test-protected"]);
    assert.deepEqual(dry.noExpiry, ["test-nottl"]);
    assert.deepEqual(runner.calls, [], "dry run changes nothing");
    assert.ok(lines.some((l) => l.includes("would destroy and remove test-expired")));

    const real = await sweepTestStacks(runner, { now: NOW });
    assert.deepEqual(real.destroyed.sort(), ["pr-5", "test-expired"]);
    assert.deepEqual([...runner.state.stacks.keys()].sort(), ["dev", "test-live", "test-nottl", "test-protected"]);
});

test("sweep: a failure on one stack (e.g. locked by a running update) does not stop the others", async () => {
    const b = machineWithDev();
    for (const n of ["test-a", "test-b"]) b.state.stacks.set(n, { tags: { [EXPIRES_KEY]: "2026-11-01T00:00:00Z" }, resources: [] });
    const destroy = b.destroy.bind(b);
    b.destroy = async (s) => {
        if (s === "test-a") throw new Error("the stack is currently locked by 1 lock(s)");
        return destroy(s);
    };
    const r = await sweepTestStacks(b, { now: NOW });
    assert.deepEqual(r.failed, ["test-a"]);
    assert.deepEqual(r.destroyed, ["test-b"]);
});
