/** Run a TypeScript script in a child node (via tsx) without blocking this process's event loop (local stand-in servers keep answering). */
import { spawn } from "node:child_process";

export function runTs(
    script: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; prefix?: string[] } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const argv = [...(opts.prefix ?? []), process.execPath, "--import", "tsx", script, ...args];
        const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
        child.stdin.end(opts.input ?? "");
    });
}
