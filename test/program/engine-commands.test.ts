/**
 * What the Pulumi engine runs, run the way it runs it (test/helpers/engine.ts):
 *
 *  - the directory: the engine's working directory from Pulumi.yaml, which is
 *    also where every provider plugin, so @pulumi/command, runs;
 *  - the program: started as the Node.js language host starts it (its run
 *    script, ts-node, its environment), under Pulumi's mocks;
 *  - the Cloudflare TURN key's commands, exactly as the program declares them
 *    (create, update, delete strings, environment, no dir), through /bin/sh -c
 *    from that directory, against the local STAND-IN for Cloudflare's API
 *    (test/helpers/cloudflare-standin.ts), with the update and replacement
 *    sequences @pulumi/command 1.2.1 follows.
 *
 * The readiness command needs a real coturn: test/integration/engine-commands.test.ts.
 *
 * CPU: one run here type-checks through ts-node as the host does by default (the load test); the
 * URN run sets the run script's PULUMI_NODEJS_TRANSPILE_ONLY (`npm test` has type-checked with tsc).
 * The other program runs go through tsx, each distinct config once (the program is deterministic,
 * test/program/program-stacks.test.ts), started together.
 */
import { test, beforeAll, afterAll, expect } from "vitest";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { programJsonAsync, type ProgramRun } from "../helpers/program-json";
import { type MockedResource } from "../helpers/mock-program";
import { engineWorkingDirectory, runAsLanguageHost, runLocalCommand, unsecret, type LocalCommandInputs } from "../helpers/engine";
import { startCloudflareStandIn, STANDIN_ACCOUNT, STANDIN_API_TOKEN, type StandIn } from "../helpers/cloudflare-standin";
import { ROOT } from "../helpers/stack-config";

const CLOUDFLARE = { "turn:mode": "cloudflare", "turn:cloudflareAccountId": STANDIN_ACCOUNT, "cloudflare:apiToken": STANDIN_API_TOKEN };
const commandsOf = (resources: MockedResource[]) => resources.filter((r) => r.type === "command:local:Command");
/** A declared command's inputs as the provider receives them (secret wrappers resolved). */
const declared = (r: MockedResource): LocalCommandInputs & { triggers?: unknown[] } => ({ ...r.inputs, environment: unsecret(r.inputs.environment) });
/** The program's declarations for `stack` + `overrides` via tsx, each distinct config run once (a fresh copy per call). */
const runs = new Map<string, Promise<ProgramRun>>();
const programJson = async (stack: string, overrides: Record<string, string> = {}): Promise<ProgramRun> => {
    const key = JSON.stringify([stack, overrides]);
    if (!runs.has(key)) runs.set(key, programJsonAsync(stack, overrides));
    return structuredClone(await runs.get(key)!);
};
const ROTATED = { "cloudflare:apiToken": "rotated-api-token-0123456789" };
const keyCommand = async (overrides: Record<string, string> = {}) => {
    const [cmd] = commandsOf((await programJson("dev", { ...CLOUDFLARE, ...overrides })).resources).filter((r) => r.name === "cloudflare-turn-key");
    if (!cmd) throw new Error("no cloudflare-turn-key command declared");
    return declared(cmd);
};

test("Pulumi.yaml has no main: the engine, so every provider, works in the project root; package.json names the entry point", () => {
    expect(engineWorkingDirectory()).toEqual({ pwd: ROOT, main: "." });
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.main).toBe("infra/index.ts");
});

test("the program loads and type-checks through ts-node as the language host runs it, from the engine's directory, with the same result", async () => {
    // The tsx runs of every test start now, beside this one.
    for (const [stack, overrides] of [["prod", {}], ["prod", { ...CLOUDFLARE, "turn:mode": "both" }], ["dev", CLOUDFLARE], ["dev", { ...CLOUDFLARE, ...ROTATED }]] as const) void programJson(stack, overrides).catch(() => {});
    const host = runAsLanguageHost("prod");
    expect(host.cwd).toBe(engineWorkingDirectory().pwd);
    expect(host.typeCheck, "ts-node type-checked the program (no PULUMI_NODEJS_TRANSPILE_ONLY, no noCheck)").toBe(true);
    const viaTsx = await programJson("prod");
    expect(host.resources.length).toBeGreaterThan(20);
    const declaredViaTsx = viaTsx.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map(({ type, name, inputs }) => ({ type, name, inputs }));
    expect(host.resources).toEqual(declaredViaTsx);
    expect(host.outputs).toEqual(viaTsx.outputs);
});

test("every command the program declares, in every mode, is one these tests execute, and its inputs are the same on every machine", async () => {
    const modes = await Promise.all([
        programJson("prod"),
        programJson("prod", { ...CLOUDFLARE, "turn:mode": "both" }),
        programJson("dev", CLOUDFLARE),
    ]);
    const names = new Set(modes.flatMap((m) => commandsOf(m.resources).map((r) => r.name)));
    // turn-ready: test/integration/engine-commands.test.ts; cloudflare-turn-key: this file.
    expect([...names].sort()).toEqual(["cloudflare-turn-key", "turn-ready"]);
    for (const m of modes) {
        for (const r of commandsOf(m.resources)) {
            const text = JSON.stringify(r.inputs);
            // An absolute path (this checkout, a home directory) would differ per machine: a diff in every
            // preview elsewhere, and a re-run of create (a new Cloudflare key).
            expect(text).not.toContain(ROOT);
            expect(text).not.toContain(homedir());
            expect(r.inputs.dir).toBeUndefined();
            expect(r.inputs.interpreter).toBeUndefined();
        }
    }
});

let cf: StandIn;
let cwd: string;
const providerEnv = () => ({ ...process.env, CLOUDFLARE_API_BASE_URL: cf.apiBase });
beforeAll(async () => {
    cf = await startCloudflareStandIn();
    cwd = engineWorkingDirectory().pwd;
});
afterAll(async () => {
    await cf?.close();
});

test("Cloudflare key: create mints a key, delete removes exactly it, both as declared from the engine's directory", async () => {
    const cmd = await keyCommand();
    const created = await runLocalCommand("create", cmd, { cwd, providerEnv: providerEnv() });
    expect(created.status, created.stderr).toBe(0);
    const { keyId, key } = JSON.parse(created.stdout);
    expect(cf.keys.get(keyId)).toBe(key);
    expect(cf.requests.at(-1)).toMatchObject({ method: "POST", auth: `Bearer ${STANDIN_API_TOKEN}` });
    expect(JSON.parse(cf.requests.at(-1)!.body)).toEqual({ name: "turn-dev" });

    const deleted = await runLocalCommand("delete", cmd, { cwd, providerEnv: providerEnv(), previous: created });
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(cf.keys.has(keyId)).toBe(false);
    expect(cf.requests.at(-1)).toMatchObject({ method: "DELETE", path: `/client/v4/accounts/${STANDIN_ACCOUNT}/calls/turn_keys/${keyId}` });
});

test("Cloudflare key: a changed environment (rotated API token) runs update, which keeps the key and calls no API", async () => {
    cf.keys.clear();
    const before = await keyCommand();
    const created = await runLocalCommand("create", before, { cwd, providerEnv: providerEnv() });
    expect(created.status, created.stderr).toBe(0);
    const after = await keyCommand(ROTATED);
    // Only the environment differs, and triggers (replaceOnChanges) do not: the engine updates in place.
    expect(after.environment!.CLOUDFLARE_API_TOKEN).not.toBe(before.environment!.CLOUDFLARE_API_TOKEN);
    expect(after.triggers).toEqual(before.triggers);
    expect({ ...after, environment: undefined }).toEqual({ ...before, environment: undefined });
    // Without an update command the provider would run create again (a second key, the first leaked).
    expect(after.update).toBeDefined();
    const requests = cf.requests.length;
    const updated = await runLocalCommand("update", after, { cwd, providerEnv: providerEnv(), previous: created });
    expect(updated.status, updated.stderr).toBe(0);
    expect(updated.stdout).toBe(created.stdout);
    expect(cf.requests.length, "no API call").toBe(requests);
    expect(cf.keys.size).toBe(1);
    const refused = await runLocalCommand("update", after, { cwd, providerEnv: providerEnv(), previous: { stdout: "" } });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/PULUMI_COMMAND_STDOUT is not set/);
});

test("Cloudflare key: a replacement (pulumi up --replace, or a changed account or key name) creates the new key, then deletes the old one", async () => {
    cf.keys.clear();
    const old = await keyCommand();
    // triggers (replaceOnChanges) carry the account and the key name.
    expect(old.triggers).toEqual([STANDIN_ACCOUNT, "turn-dev"]);
    const first = await runLocalCommand("create", old, { cwd, providerEnv: providerEnv() });
    expect(first.status, first.stderr).toBe(0);
    const oldKey = JSON.parse(first.stdout).keyId;
    // Pulumi's default replacement: create the new resource from the new inputs, then run the old
    // resource's delete with its own stored inputs and output.
    const second = await runLocalCommand("create", await keyCommand(), { cwd, providerEnv: providerEnv() });
    expect(second.status, second.stderr).toBe(0);
    const newKey = JSON.parse(second.stdout).keyId;
    expect(newKey).not.toBe(oldKey);
    const gone = await runLocalCommand("delete", old, { cwd, providerEnv: providerEnv(), previous: first });
    expect(gone.status, gone.stderr).toBe(0);
    expect([...cf.keys.keys()]).toEqual([newKey]);
});

test("the URN README gives for `pulumi up --replace` is the key command's", () => {
    const { urns, typeCheck } = runAsLanguageHost("dev", CLOUDFLARE, { transpileOnly: true });
    expect(typeCheck).toBe(false);
    const urn = "urn:pulumi:dev::turn::turn:cloudflare:TurnKey$command:local:Command::cloudflare-turn-key";
    expect(urns).toContain(urn);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(urn.replace("urn:pulumi:dev::", "urn:pulumi:prod::"));
});
