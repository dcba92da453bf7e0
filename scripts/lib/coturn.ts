/**
 * Run a real coturn (`turnserver` from Debian's coturn package) with a given
 * turnserver.conf, wait until it answers a real TURN allocation, and stop it
 * by PID. Used by `npm run local` and the real-coturn tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TurnClient } from "./turn-client";
import { mintTurnCredential } from "../../infra/credentials";

/** Thrown when coturn is not installed. */
export class CoturnMissingError extends Error {
    constructor() {
        super("coturn's turnserver was not found on PATH. Install it with: sudo apt-get install -y coturn (Debian/Ubuntu)");
        this.name = "CoturnMissingError";
    }
}

/** Path of `turnserver` on PATH (Debian installs it in /usr/bin), or throws {@link CoturnMissingError}. */
export function turnserverPath(): string {
    for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
        const p = join(dir, "turnserver");
        try {
            accessSync(p, constants.X_OK);
            return p;
        } catch {
            /* not here */
        }
    }
    throw new CoturnMissingError();
}

/** A running coturn. */
export interface RunningCoturn {
    pid: number;
    /** Directory holding the config and pid file; removed on stop. */
    dir: string;
    /** Everything coturn printed (with `log: "stdout"`). */
    output(): string;
    /** SIGTERM by PID, SIGKILL after 5 s; resolves when the process has exited. */
    stop(): Promise<void>;
}

/** What {@link startCoturn} needs to know to probe readiness. */
export interface StartOptions {
    /** The full turnserver.conf text (with `static-auth-secret`). */
    conf: string;
    /** Address and port clients use, for the readiness probe. */
    host: string;
    port: number;
    /** Shared secret, to mint the readiness probe's credential. */
    secret: string;
    /** How long to wait for a working allocation, milliseconds (default 15000). */
    readyTimeoutMs?: number;
    /** Command prefix to start coturn under, e.g. `["ip", "netns", "exec", "ns1"]` (it must exec, keeping the PID). */
    prefix?: string[];
    /**
     * Readiness check replacing the default (a UDP allocation from this
     * process), e.g. a probe run inside a network namespace. Must retry within
     * its own bounds and throw when the server is not ready.
     */
    ready?: () => Promise<void>;
}

/**
 * Start coturn and resolve once a UDP allocation with a freshly minted
 * credential succeeds.
 * @throws CoturnMissingError without coturn; Error with coturn's output if it
 *   exits or does not answer in time (the process is stopped first)
 */
export async function startCoturn(o: StartOptions): Promise<RunningCoturn> {
    const bin = turnserverPath();
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-coturn-"));
    const confPath = join(dir, "turnserver.conf");
    writeFileSync(confPath, o.conf, { mode: 0o600 });
    const argv = [...(o.prefix ?? []), bin, "-c", confPath, "--pidfile", join(dir, "turnserver.pid")];
    const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    let exitedAlready = false;
    void exited.then(() => (exitedAlready = true));

    const stop = async () => {
        if (!exitedAlready && child.pid) {
            process.kill(child.pid, "SIGTERM");
            const killer = setTimeout(() => child.pid && !exitedAlready && process.kill(child.pid, "SIGKILL"), 5000);
            await exited;
            clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
    };
    const running: RunningCoturn = { pid: child.pid!, dir, output: () => out, stop };

    if (o.ready) {
        try {
            await o.ready();
            if (exitedAlready) throw new Error("coturn exited");
            return running;
        } catch (e) {
            await stop();
            throw new Error(`coturn did not become ready (${String(e)}).\ncoturn output:\n${out}`);
        }
    }
    const deadline = Date.now() + (o.readyTimeoutMs ?? 15000);
    let lastError: unknown;
    while (Date.now() < deadline) {
        if (exitedAlready) break;
        const client = await TurnClient.connect({ host: o.host, port: o.port, transport: "udp", timeoutMs: 1000 });
        try {
            const cred = mintTurnCredential(o.secret, { ttlSeconds: 60, userId: "readiness" });
            await client.allocate(cred.username, cred.credential);
            return running;
        } catch (e) {
            lastError = e;
        } finally {
            await client.close();
        }
    }
    await stop();
    throw new Error(
        `coturn did not answer a TURN allocation on udp ${o.host}:${o.port} ` +
            `(${exitedAlready ? "it exited" : "timed out"}; last error: ${String(lastError)}).\ncoturn output:\n${out}`,
    );
}
