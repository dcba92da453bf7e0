/**
 * `npm run revoke` (scripts/revoke.ts) as a user runs it, through the real Pulumi Automation API against the
 * Pulumi CLI STAND-IN (test/helpers/pulumi-standin: the CLI's commands and config over a file:// backend; it
 * records `up` instead of running the program). A fresh checkout of the project holds the stack files.
 *
 * Shows: --help; bad flags, a consumer name a TURN username or log line cannot carry, a missing stack file, a
 * stack without an own server and --undo for a consumer not revoked are refused before any Pulumi CLI call,
 * naming the flag, the value and what is allowed; a revocation adds `<consumer>=<until>` (the longest credential
 * lifetime from now) to turn:revokedConsumers as an array, then runs `up` with the policy pack, which hands the
 * program exactly that list; another consumer's entry stays; --undo drops the entry and runs `up` again.
 *
 * Refusals and later runs run the same script as `node --import tsx <file>` (PulumiStandIn.script): npm adds only its
 * start-up there; the help and the first revocation go through `npm run`.
 */
import { test, beforeAll, afterAll, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PulumiStandIn } from "../helpers/pulumi-standin";
import { parseTurnConfig } from "../../infra/config";
import { rotationOverlapSeconds } from "../../infra/rotation";
import { REVOCATION_BOUND_SECONDS } from "../../infra/reaper";

let cli: PulumiStandIn;
let dir: string;

const run = (args: string[]) => cli.npmRun(dir, "revoke", args, {}, { silent: true });
/** The same script without npm's start-up, for refusals (the runs above go through npm). */
const refused = (args: string[]) => cli.script(dir, "revoke", args);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const stackFile = (stack: string) => parse(readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8")).config ?? {};

beforeAll(() => {
    cli = new PulumiStandIn();
    dir = cli.checkout("operator");
    cli.ok(dir, ["stack", "init", "prod"]);
    cli.initCloudflareStack(dir, "cf");
});
afterAll(() => cli?.remove());

/** Runs `fn` and checks it made no Pulumi CLI call. */
const noCliCall = <T>(fn: () => T): T => cli.noCallDuring(fn);

test("--help: the usage, exit 0", () => {
    const r = noCliCall(() => run(["--help"]));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run revoke -- --stack <name> --consumer <name> \[--undo\]/);
    expect(r.stdout).toMatch(/-h, --help/);
});

test("bad command lines are refused before the Pulumi CLI: unknown flag, no --stack, no --consumer, a bad consumer name, a stack with no file", () => {
    const cases: [string[], RegExp][] = [
        [["--bogus"], /Unknown option '--bogus'/],
        [["--consumer", "neko"], /--stack <name> is required/],
        [["--stack", "prod"], /--consumer <name> is required/],
        [["--stack", "prod", "--consumer", "ne ko"], /--consumer "ne ko": a consumer name is 1 to 64 characters from A-Z a-z 0-9 \. _ -/],
        [["--stack", "prod", "--consumer", "x".repeat(65)], /--consumer "x{65}": a consumer name is 1 to 64 characters/],
        [["--stack", "prod", "--consumer", "a:b"], /--consumer "a:b": a consumer name/],
        [["--stack", "nope", "--consumer", "neko"], /--stack nope: no stack file .*Pulumi\.nope\.yaml/],
    ];
    for (const [args, message] of cases) {
        const r = noCliCall(() => refused(args));
        expect(r.status, args.join(" ")).toBe(2);
        expect(r.stderr).toMatch(message);
    }
    expect(stackFile("prod")["turn:revokedConsumers"]).toBeUndefined();
});

test("a stack with no own server (cloudflare mode) is refused, naming the stack, the mode and what is allowed", () => {
    const r = noCliCall(() => refused(["--stack", "cf", "--consumer", "neko"]));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stack cf: turn:mode is cloudflare, so the stack has no own TURN server .*allowed: a stack in self-hosted or both mode/);
    expect(stackFile("cf")["turn:revokedConsumers"]).toBeUndefined();
});

test("revocation: <consumer>=<now + the longest credential lifetime> added as an array, up with the policy pack; another consumer's entry stays; --undo drops it", () => {
    const undoFirst = noCliCall(() => refused(["--stack", "prod", "--consumer", "neko", "--undo"]));
    expect(undoFirst.status).toBe(2);
    expect(undoFirst.stderr).toMatch(/--consumer neko --undo: the stack prod has not revoked neko/);

    const t0 = Date.now();
    const r = run(["--stack", "prod", "--consumer", "neko"]);
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out).toMatchObject({ stack: "prod", consumer: "neko", revoked: true, boundSeconds: REVOCATION_BOUND_SECONDS });
    const until = Date.parse(out.revokedUntil);
    const overlap = rotationOverlapSeconds(3600) * 1000;
    expect(until).toBeGreaterThanOrEqual(t0 + overlap);
    expect(until).toBeLessThanOrEqual(Date.now() + overlap);
    // Stored as an array (Pulumi.yaml declares the key's type), which the program reads back.
    expect(stackFile("prod")["turn:revokedConsumers"]).toEqual([`neko=${out.revokedUntil}`]);
    const ups = () => cli.calls().filter((c) => c.command === "up" && c.stack === "prod");
    expect(ups()).toHaveLength(1);
    expect(ups()[0].policyPacks).toEqual([join(dir, "infra", "policy")]);
    const given = ups()[0].config!["turn:revokedConsumers"];
    expect(parseTurnConfig({ "turn:revokedConsumers": given }).revokedConsumers).toEqual({ neko: new Date(out.revokedUntil) });

    // The first revocation went through npm run; the same script directly from here on.
    const other = cli.script(dir, "revoke", ["--stack", "prod", "--consumer", "geti.prompt_1"]);
    expect(other.status, other.stderr).toBe(0);
    expect(stackFile("prod")["turn:revokedConsumers"]).toEqual([`geti.prompt_1=${lastJson(other.stdout).revokedUntil}`, `neko=${out.revokedUntil}`]);

    const undo = cli.script(dir, "revoke", ["--stack", "prod", "--consumer", "neko", "--undo"]);
    expect(undo.status, undo.stderr).toBe(0);
    expect(lastJson(undo.stdout)).toMatchObject({ stack: "prod", consumer: "neko", revoked: false });
    expect(stackFile("prod")["turn:revokedConsumers"]).toEqual([`geti.prompt_1=${lastJson(other.stdout).revokedUntil}`]);
    expect(ups()).toHaveLength(3);
});
