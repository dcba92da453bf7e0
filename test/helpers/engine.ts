/**
 * Run what the Pulumi engine runs, the way it runs it, without the engine:
 *
 *  - {@link engineWorkingDirectory}: the directory the engine runs the program
 *    and every provider plugin in, from Pulumi.yaml's `main`;
 *  - {@link runLocalCommand}: one operation of a `command:local:Command`, as
 *    @pulumi/command 1.2.1's provider executes it;
 *  - {@link languageHostEnv}: the environment the Node.js language host gives
 *    the program.
 *
 * Sources (read for this, cited per function): pulumi/pulumi pkg/engine/project.go,
 * pkg/engine/deployment.go, sdk/go/common/resource/plugin/plugin.go,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go; pulumi/pulumi-command v1.2.1
 * provider/pkg/provider/local/commandOutputs.go and commandController.go.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "yaml";
import { ROOT, stackConfig } from "./stack-config";

/** Pulumi's marker for a secret value in serialized inputs (what the mocks see). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The value inside Pulumi's secret wrapper, or the value itself. */
export function unsecret<T>(v: T | { [SECRET_SIG]: string; value: T }): T {
    return v !== null && typeof v === "object" && SECRET_SIG in (v as object) ? (v as { value: T }).value : (v as T);
}

/**
 * The engine's working directory and entry point for a project: a port of
 * `getPwdMain` (pulumi/pulumi pkg/engine/project.go). No `main`: the project
 * root and ".". A `main` that is a directory: that directory and ".". A `main`
 * that is a file: the file's directory and its base name. `ProjectInfoContext`
 * (pkg/engine/deployment.go) makes that directory the plugin context's Pwd,
 * and every plugin, the language host and resource providers alike, is started
 * with `cmd.Dir = pwd` (sdk/go/common/resource/plugin/plugin.go, ExecPlugin).
 * This is what the conformance test `l1-builtin-project-root-main` checks.
 */
export function engineWorkingDirectory(root: string = ROOT): { pwd: string; main: string } {
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { main?: string };
    if (!project.main) return { pwd: root, main: "." };
    const main = isAbsolute(project.main) ? project.main : resolve(root, project.main);
    return statSync(main).isDirectory() ? { pwd: main, main: "." } : { pwd: dirname(main), main: basename(main) };
}

/** The inputs of a `command:local:Command` that decide how an operation runs. */
export interface LocalCommandInputs {
    create?: string;
    update?: string;
    delete?: string;
    dir?: string;
    environment?: Record<string, string>;
    interpreter?: string[];
    addPreviousOutputInEnv?: boolean;
    stdin?: string;
}

/** Result of one operation. `stdout`/`stderr` are what the provider stores (one trailing newline cut). */
export interface CommandRun {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The command string that ran. */
    command: string;
}

/**
 * Run one operation of a local Command as @pulumi/command 1.2.1 does
 * (provider/pkg/provider/local/commandOutputs.go, `run`):
 *
 *  - the interpreter is `interpreter`, else `/bin/sh -c`, with the command string as the last argument;
 *  - the directory is `dir` (relative to the provider's directory), else the provider's
 *    working directory, which is the engine's (see {@link engineWorkingDirectory});
 *  - the environment is the provider process's own (inherited from the CLI), then each
 *    `environment` entry appended, then, unless `addPreviousOutputInEnv` is false and when
 *    not empty, PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR from the previous state
 *    (Go's exec keeps the last of duplicate keys, so later layers win);
 *  - stdout and stderr are stored with one trailing "\n" trimmed.
 *
 * Which string runs (commandController.go): `create` on create; on update `update`,
 * or `create` again when there is no `update`; `delete` on delete, with the old state's
 * inputs. Runs asynchronously so stand-in servers in this process keep answering.
 *
 * @param op which operation
 * @param inputs the declared inputs (secret wrappers already removed)
 * @param o.cwd the provider's working directory (the engine's)
 * @param o.providerEnv the environment the Pulumi CLI (so the provider) runs with
 * @param o.previous the stored stdout/stderr of the previous create or update
 */
export function runLocalCommand(
    op: "create" | "update" | "delete",
    inputs: LocalCommandInputs,
    o: { cwd: string; providerEnv?: NodeJS.ProcessEnv; previous?: { stdout: string; stderr?: string } },
): Promise<CommandRun> {
    const command = op === "update" ? (inputs.update ?? inputs.create) : inputs[op];
    if (command === undefined) return Promise.resolve({ status: 0, stdout: "", stderr: "", command: "" });
    const env: NodeJS.ProcessEnv = { ...(o.providerEnv ?? process.env), ...(inputs.environment ?? {}) };
    if (inputs.addPreviousOutputInEnv !== false && o.previous) {
        if (o.previous.stdout) env.PULUMI_COMMAND_STDOUT = o.previous.stdout;
        if (o.previous.stderr) env.PULUMI_COMMAND_STDERR = o.previous.stderr;
    }
    const argv = inputs.interpreter?.length ? [...inputs.interpreter, command] : ["/bin/sh", "-c", command];
    return new Promise((res, rej) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: inputs.dir ? resolve(o.cwd, inputs.dir) : o.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        child.on("error", rej);
        child.on("close", (status) => res({ status, stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, ""), command }));
        child.stdin.end(inputs.stdin ?? "");
    });
}

/**
 * The environment the Node.js language host gives the program process
 * (sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `execRuntime`): its own
 * environment, PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS as JSON, and from
 * Pulumi.yaml's `runtime.options` PULUMI_NODEJS_TYPESCRIPT=true when
 * `typescript` is true (the default when absent, `parseOptions`) and
 * PULUMI_NODEJS_TSCONFIG_PATH when `tsconfig` is set.
 */
export function languageHostEnv(config: Record<string, string>, secretKeys: string[] = [], root: string = ROOT): NodeJS.ProcessEnv {
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { runtime: string | { options?: { typescript?: boolean; tsconfig?: string } } };
    const options = typeof project.runtime === "string" ? {} : (project.runtime.options ?? {});
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_CONFIG: JSON.stringify(config), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys) };
    if (options.typescript ?? true) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
    return env;
}

/**
 * Run the program as the language host would for `stack` (Pulumi's mocks in
 * place of the engine; see test/helpers/langhost-run.cjs): from the engine's
 * working directory, with the entry point the engine passes and the host's
 * environment. Only `node` and @pulumi/pulumi's own run script load it.
 * @param o.transpileOnly set PULUMI_NODEJS_TRANSPILE_ONLY=true, as a user whose build already ran
 *   `tsc` would: the run script then registers ts-node with `transpileOnly` (no type-check, same
 *   emitted JavaScript; @pulumi/pulumi 3.248 cmd/run/run.js). For runs whose subject is not the
 *   type-check: `npm test` type-checks everything once with `tsc --noEmit`, and one run (the
 *   engine-commands load test) keeps ts-node's type-check.
 *   Without it neither that variable nor TS_NODE_TRANSPILE_ONLY is passed on, so ts-node type-checks.
 * @returns declared resources (type, name, inputs), the stack's outputs, every URN, the program's cwd,
 *   and whether ts-node type-checked it
 */
export function runAsLanguageHost(
    stack: string,
    overrides: Record<string, string> = {},
    o: { transpileOnly?: boolean } = {},
): { resources: { type: string; name: string; inputs: Record<string, any> }[]; outputs: Record<string, any>; urns: string[]; cwd: string; typeCheck: boolean | null } {
    const { pwd, main } = engineWorkingDirectory();
    const project = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    // The run script the host starts: `locateModule` finds @pulumi/pulumi/cmd/run from the program directory.
    const runPath = dirname(require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] }));
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-langhost-"));
    const outFile = join(dir, "out.json");
    try {
        const argv = ["--monitor", "mock", "--project", project, "--root-directory", ROOT, "--stack", stack, "--pwd", pwd, main];
        const r = spawnSync(process.execPath, ["-r", join(ROOT, "test", "helpers", "langhost-run.cjs"), runPath, ...argv], {
            cwd: pwd,
            env: transpileOnlyEnv({ ...languageHostEnv({ ...stackConfig(stack), ...overrides }), TURN_STACK_LANGHOST_OUT: outFile }, o.transpileOnly ?? false),
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        if (r.status !== 0) throw new Error(`the program did not run as the language host runs it (cwd ${pwd}, entry ${main}), exit ${r.status}:\n${r.stderr}${r.stdout}`);
        return JSON.parse(readFileSync(outFile, "utf8"));
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * `env` with PULUMI_NODEJS_TRANSPILE_ONLY=true when `transpileOnly`, else without it and without
 * TS_NODE_TRANSPILE_ONLY (which ts-node reads when the run script leaves the choice to it).
 */
export function transpileOnlyEnv(env: NodeJS.ProcessEnv, transpileOnly: boolean): NodeJS.ProcessEnv {
    const { PULUMI_NODEJS_TRANSPILE_ONLY: _p, TS_NODE_TRANSPILE_ONLY: _t, ...rest } = env;
    return transpileOnly ? { ...rest, PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : rest;
}
