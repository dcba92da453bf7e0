/**
 * The Automation API paths for real: `npm run stack:test` (scripts/stack-test.ts
 * → scripts/lib/automation-backend.ts → @pulumi/pulumi/automation) and
 * `npm run ice -- --stack`, run as a user runs them, against a STAND-IN for
 * the Pulumi CLI (test/helpers/pulumi-standin: a Node script found where the
 * real CLI would be, following the CLI's commands, flags, JSON and files over a
 * file:// state backend in a temp directory; it does not run the program).
 * Two checkouts share the backend: the machine that creates test stacks, and a
 * fresh clone (the sweep's runner) that has none of their Pulumi.<stack>.yaml.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { turnRestPassword } from "../../infra/credentials";
import { PulumiStandIn } from "../helpers/pulumi-standin";

let cli: PulumiStandIn;
/** The machine that creates stacks, and the sweep's fresh checkout. */
let creator: string;
let runner: string;
const CIDRS = ["203.0.113.0/24", "198.51.100.7/32"];
const DEV_TOKEN = "cloudflare-token-of-dev";

/**
 * `npm run stack:test` without npm's start-up (PulumiStandIn.script: the same file with node --import tsx, the
 * stand-in first on PATH), for the runs after the first of each kind: `up`, `sweep`, `--help` and `ice --stack`
 * each run once through `npm run`, where `pulumi` is node_modules/.bin/pulumi and the CLI it picks.
 */
const direct = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) => cli.script(cwd, "stack:test", args, env);
/** The JSON line a script prints last on stdout (npm's banner comes before it). */
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const stacks = (cwd: string) => (JSON.parse(cli.ok(cwd, ["stack", "ls", "--json"])) as { name: string }[]).map((s) => s.name).sort();

beforeAll(() => {
    cli = new PulumiStandIn();
    creator = cli.checkout("creator");
    runner = cli.checkout("runner");
    // dev as it may become: a secret and an array (dev has neither today, which hid the copy bug).
    cli.ok(creator, ["stack", "init", "dev"]);
    cli.ok(creator, ["config", "set-all", "--stack", "dev", "--secret", `cloudflare:apiToken=${DEV_TOKEN}`]);
    cli.ok(creator, ["config", "set-all", "--stack", "dev", "--json", JSON.stringify({ "turn:clientCidrs": { value: JSON.stringify(CIDRS), objectValue: CIDRS, secret: false } })]);
});
afterAll(() => cli?.remove());

test("stack:test up: dev's secret re-encrypted for the new stack, its array kept an array, the expiry tagged in the backend, up run with the policy pack", () => {
    const r = cli.npmRun(creator, "stack:test", ["up", "--name", "test-a", "--ttl-hours", "1"]);
    assert.equal(r.status, 0, r.stderr);
    const { expiresAt } = lastJson(r.stdout);

    const dev = parse(readFileSync(join(creator, "Pulumi.dev.yaml"), "utf8"));
    const file = parse(readFileSync(join(creator, "Pulumi.test-a.yaml"), "utf8"));
    // A secret, encrypted under test-a's own salt: not dev's ciphertext, not a JSON text of it.
    assert.ok(file.config["cloudflare:apiToken"].secure, "still a secure value");
    assert.notEqual(file.config["cloudflare:apiToken"].secure, dev.config["cloudflare:apiToken"].secure);
    assert.notEqual(file.encryptionsalt, dev.encryptionsalt);
    assert.deepEqual(file.config["turn:clientCidrs"], CIDRS, "an array in the stack file");
    const shown = JSON.parse(cli.ok(creator, ["config", "--show-secrets", "--json", "--stack", "test-a"]));
    assert.deepEqual(shown["cloudflare:apiToken"], { value: DEV_TOKEN, secret: true });
    assert.deepEqual(shown["turn:clientCidrs"].objectValue, CIDRS);

    // The expiry is in the backend (a stack tag), where any runner reads it.
    assert.equal(cli.ok(runner, ["stack", "tag", "get", "turn:expiresAt", "--stack", "test-a"]).trim(), expiresAt);

    const up = cli.calls().find((c) => c.command === "up" && c.stack === "test-a")!;
    assert.deepEqual(up.policyPacks, [join(creator, "infra", "policy")]);
    assert.equal(up.config!["turn:protectAddress"], "false");
    assert.equal(up.config!["cloudflare:apiToken"], DEV_TOKEN, "the program would get dev's token, decrypted");
    assert.ok(up.secretKeys!.includes("cloudflare:apiToken"));
    assert.equal(up.env.PULUMI_AUTOMATION_API, "true");
});

test("sweep on a fresh checkout: destroys the expired stacks it has no Pulumi.<stack>.yaml for, leaves live ones; dry run first", () => {
    // test-a's hour has passed (set as a user could, in the backend); test-live has a day left.
    cli.ok(creator, ["stack", "tag", "set", "turn:expiresAt", "2020-01-01T00:00:00.000Z", "--stack", "test-a"]);
    assert.equal(direct(creator, ["up", "--name", "test-live", "--ttl-hours", "24"]).status, 0);
    // Made by an older turn-stack: expiry in the deployed config only, no tag.
    cli.ok(creator, ["stack", "init", "pr-7"]);
    cli.ok(creator, ["config", "set-all", "--stack", "pr-7", "--plaintext", "turn:expiresAt=2020-01-01T00:00:00.000Z"]);
    cli.ok(creator, ["up", "--yes", "--skip-preview", "--stack", "pr-7"]);
    for (const s of ["test-a", "test-live", "pr-7"]) assert.ok(!existsSync(join(runner, `Pulumi.${s}.yaml`)), `the runner has no file for ${s}`);

    const dry = direct(runner, ["sweep", "--dry-run"]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual(lastJson(dry.stdout).destroyed.sort(), ["pr-7", "test-a"]);
    assert.deepEqual(stacks(runner), ["dev", "pr-7", "test-a", "test-live"], "dry run destroys nothing");

    const r = cli.npmRun(runner, "stack:test", ["sweep"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(lastJson(r.stdout), { destroyed: ["pr-7", "test-a"], refused: [], noExpiry: [], failed: [], dryRun: false });
    assert.deepEqual(stacks(runner), ["dev", "test-live"]);
    const destroyA = cli.calls().find((c) => c.command === "destroy" && c.stack === "test-a")!;
    assert.equal(destroyA.cwd, runner);
    assert.equal(destroyA.hadStackFile, false, "destroyed from the state alone");
});

test("sweep: a stack locked by a running update is reported and retried next time; the others still go", () => {
    for (const s of ["test-locked", "test-free"]) {
        assert.equal(direct(creator, ["up", "--name", s]).status, 0);
        cli.ok(creator, ["stack", "tag", "set", "turn:expiresAt", "2020-01-01T00:00:00.000Z", "--stack", s]);
    }
    const release = cli.holdLock("test-locked");
    try {
        const r = direct(runner, ["sweep"]);
        assert.equal(r.status, 1, "a failure is not a green job");
        assert.deepEqual(lastJson(r.stdout), { destroyed: ["test-free"], refused: [], noExpiry: [], failed: ["test-locked"], dryRun: false });
        assert.match(r.stderr, /currently locked/);
    } finally {
        release();
    }
    assert.equal(direct(runner, ["sweep"]).status, 0);
    assert.ok(!stacks(runner).includes("test-locked"));
});

test("destroy: refuses a non-test name before any CLI call; refuses a test stack holding protected resources; --help", () => {
    const before = cli.calls().length;
    const prod = direct(runner, ["destroy", "--name", "prod"]);
    assert.equal(prod.status, 1);
    assert.match(prod.stderr, /refusing to touch stack "prod"/);
    assert.equal(cli.calls().length, before, "not even `pulumi version` ran");

    const help = cli.npmRun(runner, "stack:test", ["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: npm run stack:test -- <action>/);
    assert.equal(cli.calls().length, before);

    cli.ok(creator, ["stack", "init", "test-p"]);
    cli.ok(creator, ["config", "set-all", "--stack", "test-p", "--plaintext", "turn:protectAddress=true"]);
    cli.ok(creator, ["up", "--yes", "--skip-preview", "--stack", "test-p"]);
    const p = direct(runner, ["destroy", "--name", "test-p"]);
    assert.equal(p.status, 1);
    assert.match(p.stderr, /refusing to destroy test-p: it holds protected resources \(urn:pulumi:test-p::turn::aws:ec2\/eip:Eip::turn-eip\)/);
    assert.ok(stacks(runner).includes("test-p"));
});

test("an older CLI than stack tags need is refused with the reason", () => {
    const r = direct(runner, ["sweep", "--dry-run"], { PULUMI_STANDIN_VERSION: "3.210.0" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Pulumi CLI 3\.210\.0 is too old: stack tags on self-managed backends need 3\.211\.0/);
});

test("npm run ice -- --stack dev: outputs (secret included) read through the Automation API", () => {
    const secret = "dev-shared-secret";
    const urls = ["turn:192.0.2.10:3478?transport=udp", "turn:192.0.2.10:3478?transport=tcp"];
    cli.seedOutputs("dev", { mode: { value: "self-hosted" }, turnServerUrls: { value: urls }, sharedSecret: { value: secret, secret: true }, credentialTtlSeconds: { value: 3600 } });
    const ice = cli.npmRun(runner, "ice", ["--stack", "dev", "--ttl", "600", "--user", "bob"], {}, { silent: true });
    assert.equal(ice.status, 0, ice.stderr);
    const [server] = JSON.parse(ice.stdout);
    assert.deepEqual(server.urls, urls);
    assert.match(server.username, /^\d+:bob$/);
    assert.equal(server.credential, turnRestPassword(secret, server.username));
    assert.ok(cli.calls().some((c) => c.argv?.join(" ").startsWith("stack output --json --show-secrets --stack dev")));
});
