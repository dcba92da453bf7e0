/**
 * `npm run rotate-secret` (scripts/rotate-secret.ts) as a user runs it, through the real Pulumi Automation API
 * against the Pulumi CLI STAND-IN (test/helpers/pulumi-standin: the CLI's commands, JSON and passphrase
 * encryption over a file:// backend; it records `up` instead of running the program). A fresh checkout of the
 * project holds the stack files; the prod stack's generated secret is a seeded `sharedSecret` output.
 *
 * Shows: --help; bad flags, a missing stack file, a stack without an own server and a rotation during the
 * previous one's overlap are refused before any Pulumi CLI call, naming the flag, the value and what is
 * allowed; a rotation sets the new and the previous secret as secrets (encrypted in Pulumi.<stack>.yaml) and
 * the time, then runs `up` with the policy pack; --force rotates during an overlap.
 *
 * Refusals and later runs run the same script as `node --import tsx <file>` (PulumiStandIn.script): npm adds only its
 * start-up there; the help and the first rotation go through `npm run`.
 */
import { test, beforeAll, afterAll, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PulumiStandIn } from "../helpers/pulumi-standin";
import { overlapEnd, SHARED_SECRET_PATTERN } from "../../infra/rotation";

let cli: PulumiStandIn;
let dir: string;
const GENERATED = "Gen3rated0123456789abcdefghijklmnopqrstuvwxyzABCD";

const run = (args: string[]) => cli.npmRun(dir, "rotate-secret", args, {}, { silent: true });
/** The same script without npm's start-up, for refusals (the runs above go through npm). */
const refused = (args: string[]) => cli.script(dir, "rotate-secret", args);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const shown = (stack: string) => JSON.parse(cli.ok(dir, ["config", "--show-secrets", "--json", "--stack", stack]));

beforeAll(() => {
    cli = new PulumiStandIn();
    dir = cli.checkout("operator");
    cli.ok(dir, ["stack", "init", "prod"]);
    cli.seedOutputs("prod", { sharedSecret: { value: GENERATED, secret: true } });
    cli.initCloudflareStack(dir, "cf");
    cli.ok(dir, ["stack", "init", "fresh"]);
});
afterAll(() => cli?.remove());

/** Runs `fn` and checks it made no Pulumi CLI call. */
const noCliCall = <T>(fn: () => T): T => cli.noCallDuring(fn);

test("--help: the usage, exit 0", () => {
    const r = noCliCall(() => run(["--help"]));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run rotate-secret -- --stack <name> \[--force\]/);
    expect(r.stdout).toMatch(/-h, --help/);
});

test("bad command lines are refused before the Pulumi CLI: unknown flag, no --stack, a stack with no file", () => {
    const bogus = noCliCall(() => refused(["--bogus"]));
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/Unknown option '--bogus'/);
    const none = noCliCall(() => refused([]));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--stack <name> is required/);
    const missing = noCliCall(() => refused(["--stack", "nope"]));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--stack nope: no stack file .*Pulumi\.nope\.yaml/);
});

test("a stack with no own server (cloudflare mode) is refused, naming the stack, the mode and what is allowed", () => {
    const r = noCliCall(() => refused(["--stack", "cf"]));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stack cf: turn:mode is cloudflare, so the stack has no own TURN server .*allowed: a stack in self-hosted or both mode/);
    expect(parse(readFileSync(join(dir, "Pulumi.cf.yaml"), "utf8")).config["turn:sharedSecret"]).toBeUndefined();
});

test("a stack never deployed has no secret to rotate: refused, config untouched", () => {
    const r = refused(["--stack", "fresh"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--stack fresh: no current secret to rotate .*deploy the stack first with pulumi up/);
    expect(cli.calls().some((c) => c.argv?.[0] === "config" && c.argv?.[1] === "set-all")).toBe(false);
});

test("rotation: the new and the previous secret set as secrets, the time in plain text, then up with the policy pack; again during the overlap: refused; --force: rotated", () => {
    const r = run(["--stack", "prod"]);
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    const config = shown("prod");
    const rotated = config["turn:sharedSecret"];
    expect(rotated.secret).toBe(true);
    expect(rotated.value).toMatch(SHARED_SECRET_PATTERN);
    expect(rotated.value).toHaveLength(48);
    expect(rotated.value).not.toBe(GENERATED);
    expect(config["turn:previousSharedSecret"]).toEqual({ value: GENERATED, secret: true });
    expect(config["turn:secretRotatedAt"]).toEqual({ value: out.rotatedAt, secret: false });
    expect(out.previousWorksUntil).toBe(overlapEnd(new Date(out.rotatedAt), 3600).toISOString());
    // In the stack file the secrets are ciphertext only.
    const text = readFileSync(join(dir, "Pulumi.prod.yaml"), "utf8");
    expect(text).not.toContain(GENERATED);
    expect(text).not.toContain(rotated.value);
    expect(parse(text).config["turn:sharedSecret"].secure).toMatch(/^v1:/);
    const up = cli.calls().filter((c) => c.command === "up" && c.stack === "prod");
    expect(up).toHaveLength(1);
    expect(up[0].policyPacks).toEqual([join(dir, "infra", "policy")]);
    expect(up[0].secretKeys).toEqual(expect.arrayContaining(["turn:sharedSecret", "turn:previousSharedSecret"]));
    expect(up[0].config).toMatchObject({ "turn:sharedSecret": rotated.value, "turn:previousSharedSecret": GENERATED, "turn:secretRotatedAt": out.rotatedAt });
    expect(r.stderr).not.toContain(rotated.value);
    expect(r.stdout).not.toContain(rotated.value);

    const again = noCliCall(() => refused(["--stack", "prod"]));
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`--stack prod: the previous rotation \\(turn:secretRotatedAt ${out.rotatedAt.replace(/\./g, "\\.")}\\) is still in its overlap until ${out.previousWorksUntil.replace(/\./g, "\\.")}; .*pass --force`));
    expect(shown("prod")["turn:sharedSecret"].value).toBe(rotated.value);

    // The first rotation went through npm run; the same script directly here.
    const forced = cli.script(dir, "rotate-secret", ["--stack", "prod", "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    const after = shown("prod");
    expect(after["turn:previousSharedSecret"].value).toBe(rotated.value);
    expect(after["turn:sharedSecret"].value).not.toBe(rotated.value);
    expect(cli.calls().filter((c) => c.command === "up" && c.stack === "prod")).toHaveLength(2);
});
