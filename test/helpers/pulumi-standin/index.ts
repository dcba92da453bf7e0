/**
 * Puts the Pulumi CLI STAND-IN (./pulumi.mjs) where the real CLI would be
 * found, in a temp directory the test removes:
 * - `<dir>/bin/pulumi` first on PATH: how PulumiCommand.get (Automation API)
 *   finds `pulumi` when a script runs outside npm;
 * - `$PULUMI_HOME/versions/<version>/bin/pulumi`: under `npm run`, PATH starts
 *   with node_modules/.bin, whose `pulumi` (the npm package that pins the CLI,
 *   node_modules/pulumi/lib/resolve.js) runs the CLI cached there.
 * The state backend is `file://<dir>/state`; the passphrase a fixed test value.
 * `checkout()` copies what a fresh clone has (no test stacks' Pulumi.<stack>.yaml)
 * into its own directory, with this repository's node_modules linked in.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT } from "../stack-config";

const STANDIN = join(__dirname, "pulumi.mjs");
/** The CLI version `npx pulumi` pins (node_modules/pulumi/package.json). */
export const PINNED_VERSION: string = JSON.parse(readFileSync(join(ROOT, "node_modules", "pulumi", "package.json"), "utf8")).version;
export const PASSPHRASE = "stand-in test passphrase";

export interface Call {
    argv?: string[];
    command?: "up" | "destroy";
    stack?: string;
    policyPacks?: string[];
    config?: Record<string, string>;
    secretKeys?: string[];
    hadStackFile?: boolean;
    cwd: string;
    env: { PULUMI_CONFIG_PASSPHRASE: boolean; CLOUDFLARE_API_TOKEN: boolean; PULUMI_AUTOMATION_API?: string };
}

export class PulumiStandIn {
    readonly dir = mkdtempSync(join(tmpdir(), "turn-stack-pulumi-"));
    readonly state = join(this.dir, "state");
    readonly env: NodeJS.ProcessEnv;

    constructor() {
        const shim = `#!/bin/sh\n# Pulumi CLI STAND-IN for tests (test/helpers/pulumi-standin)\nexec '${process.execPath}' '${STANDIN}' "$@"\n`;
        for (const d of [join(this.dir, "bin"), join(this.dir, "home", "versions", PINNED_VERSION, "bin")]) {
            mkdirSync(d, { recursive: true });
            writeFileSync(join(d, "pulumi"), shim);
            chmodSync(join(d, "pulumi"), 0o755);
        }
        const env: NodeJS.ProcessEnv = { ...process.env };
        for (const k of Object.keys(env)) if (k.startsWith("PULUMI_") || k.startsWith("CLOUDFLARE_") || k.startsWith("npm_")) delete env[k];
        this.env = {
            ...env,
            PATH: `${join(this.dir, "bin")}:${process.env.PATH}`,
            PULUMI_HOME: join(this.dir, "home"),
            PULUMI_BACKEND_URL: `file://${this.state}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "true",
        };
    }

    /** A fresh-clone copy of the project (tracked stack files only) in `<dir>/<name>`. */
    checkout(name: string): string {
        const to = join(this.dir, name);
        mkdirSync(to);
        for (const f of ["package.json", "tsconfig.json", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]) cpSync(join(ROOT, f), join(to, f));
        for (const d of ["scripts", "infra"]) cpSync(join(ROOT, d), join(to, d), { recursive: true, filter: (src) => basename(src) !== "node_modules" });
        symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"));
        return to;
    }

    /** Run the stand-in as a user would run `pulumi ...` in `cwd`. */
    pulumi(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
        return spawnSync("pulumi", args, { cwd, env: { ...this.env, ...env }, encoding: "utf8" });
    }

    /** Like {@link pulumi}, throwing with stderr on a non-zero exit. */
    ok(cwd: string, args: string[]): string {
        const r = this.pulumi(cwd, args);
        if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    }

    /** `npm run [-s] <script> -- args` in `cwd` with the stand-in in place. */
    npmRun(cwd: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}, o: { silent?: boolean } = {}): { status: number | null; stdout: string; stderr: string } {
        return spawnSync("npm", ["run", ...(o.silent ? ["-s"] : []), script, "--", ...args], { cwd, env: { ...this.env, ...env }, encoding: "utf8" });
    }

    /**
     * The npm script `script` (package.json: `tsx <file>`) run as `node --import tsx <file> args` in `cwd`,
     * with the stand-in in place: what `npm run -s` runs, without npm's and tsx's CLI start-up (about
     * 0.5 s of CPU a run). For runs whose subject is the script, not npm (refusals); each test file
     * still runs its script through {@link npmRun}.
     */
    script(cwd: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
        const line: string = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")).scripts[script];
        const file = /^tsx (\S+)$/.exec(line)?.[1];
        if (!file) throw new Error(`npm script ${script} is not "tsx <file>": ${line}`);
        return spawnSync(process.execPath, ["--import", "tsx", file, ...args], { cwd, env: { ...this.env, ...env }, encoding: "utf8" });
    }

    /** Every invocation and what up/destroy were asked to do. */
    calls(): Call[] {
        let text = "";
        try {
            text = readFileSync(join(this.state, "standin-calls.jsonl"), "utf8");
        } catch {}
        return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call);
    }

    /** Runs `fn` and checks it made no Pulumi CLI call (a refusal must come before any); returns what `fn` returned. */
    noCallDuring<T>(fn: () => T): T {
        const before = this.calls().length;
        const r = fn();
        assert.equal(this.calls().length, before, "a refusal must come before any Pulumi CLI call");
        return r;
    }

    /** Writes `<cwd>/Pulumi.<stack>.yaml` for a Cloudflare-mode stack (account id of 32 "a", API token "token") and inits it. */
    initCloudflareStack(cwd: string, stack: string): void {
        writeFileSync(join(cwd, `Pulumi.${stack}.yaml`), `config:\n  turn:mode: cloudflare\n  turn:cloudflareAccountId: ${"a".repeat(32)}\n  cloudflare:apiToken: token\n`);
        this.ok(cwd, ["stack", "init", stack]);
    }

    /** Outputs a deployment of `stack` would have (the stand-in does not run the program). */
    seedOutputs(stack: string, outputs: Record<string, { value: unknown; secret?: boolean }>): void {
        const f = join(this.state, ".pulumi", "stacks", "turn", `${stack}.json`);
        const cp = JSON.parse(readFileSync(f, "utf8"));
        cp.checkpoint.standinOutputs = outputs;
        writeFileSync(f, JSON.stringify(cp));
    }

    /** Hold the stack's lock as a running update would (`.pulumi/locks/<project>/<stack>/<id>.json`). */
    holdLock(stack: string): () => void {
        const d = join(this.state, ".pulumi", "locks", "turn", stack);
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, "other-process.json"), "{}");
        return () => rmSync(join(d, "other-process.json"));
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}
