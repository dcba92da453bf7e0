/** Run a TypeScript script in a child node (via tsx) without blocking this process's event loop (local stand-in servers keep answering). */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { ROOT } from "./stack-config";

export function runTs(
    script: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; prefix?: string[] } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const argv = [...(opts.prefix ?? []), process.execPath, "--import", "tsx", script, ...args];
    return runArgv(argv, { env: opts.env, cwd: opts.cwd, input: opts.input ?? "" });
}

/**
 * Run `argv` (program first) without blocking this process's event loop; collects stdout and stderr.
 * `input` is written to stdin, then closed; without it stdin is /dev/null. `env` defaults to this process's.
 */
export function runArgv(
    argv: string[],
    opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
        if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
}

/**
 * Run scripts/probe.ts under a command prefix (e.g. inside a test namespace)
 * with the secret in its environment. `ready` mode retries for about 10 s and
 * throws with the probe's output when the server never answers.
 */
export async function runProbe(prefix: string[], args: string[], secret: string, mode: "ready" | "once" = "once") {
    const retry = mode === "ready" ? ["--attempts", "40", "--interval-ms", "250", "--timeout-ms", "1000"] : [];
    const r = await runTs(join(ROOT, "scripts", "probe.ts"), [...args, ...retry], { prefix, env: { ...process.env, TURN_SHARED_SECRET: secret } });
    if (mode === "ready" && r.status !== 0) throw new Error(r.stderr);
    return r;
}

/**
 * Start test/helpers/udp-listen.ts on `address`:`port` under a command prefix
 * (inside a test namespace). Resolves once it is bound; `lines` then fills
 * with one `<from ip>:<port> <payload>` line per datagram received.
 */
export async function startUdpListener(prefix: string[], address: string, port: number): Promise<{ child: ChildProcess; lines: string[] }> {
    const argv = [...prefix, process.execPath, "--import", "tsx", join(ROOT, "test", "helpers", "udp-listen.ts"), address, String(port)];
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`UDP listener on ${address}:${port} exited (${code})`)));
        createInterface({ input: child.stdout! }).on("line", (l) => (l === "listening" ? resolve() : lines.push(l)));
    });
    return { child, lines };
}
