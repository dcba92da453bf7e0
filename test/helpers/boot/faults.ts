/**
 * Faults for the boot container (test/integration/boot-faults.test.ts): a reboot of the
 * same root, a full log file system, and a client that measures how long the server takes
 * to serve again. The container is test/helpers/boot/container.ts's; the network and the
 * stand-ins stay as test/helpers/boot/vm.ts made them (the namespaces outlive the container,
 * as an ENI and the VPC outlive an instance's reboot).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "../stack-config";
import { Container } from "./container";

/** The arguments systemd-nspawn was started with for `c` (found from its init, up the process tree). */
function nspawnArgs(c: Container): string[] {
    let pid = c.initPid;
    for (let i = 0; i < 4; i++) {
        pid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "systemd-nspawn") return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    }
    throw new Error(`no systemd-nspawn above the container's init (PID ${c.initPid})`);
}

/** Seconds since `t0` (ms), to 0.1 s. */
export const secondsSince = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;

/** Timings of {@link reboot}, seconds from the `systemctl reboot` call. */
export interface RebootTimings {
    /** The old init exited (shutdown finished). */
    down: number;
    /** The new init runs. */
    up: number;
}

/**
 * Reboot the container from inside (`systemctl reboot`: systemd stops every unit, then the init
 * exits and nspawn with it, exit 133), then boot the same root again in the same network
 * namespace with the same machine name, as a VM comes back on its own disk and network interface.
 * `consoleLog` is the new boot's console file.
 * @returns the new container and when the old one was down and the new one up
 * @throws Error when the old container is not down within 60 s, or the new one does not start
 */
export async function reboot(c: Container, consoleLog: string): Promise<{ container: Container; t0: number; timings: RebootTimings }> {
    const args = nspawnArgs(c);
    const arg = (name: string) => {
        const v = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
        if (!v) throw new Error(`systemd-nspawn ran without --${name}=: ${args.join(" ")}`);
        return v;
    };
    const [root, netnsPath, machine] = [arg("directory"), arg("network-namespace-path"), arg("machine")];
    const t0 = Date.now();
    // systemctl returns once the reboot job is queued (nsenter may see its process killed on the way down).
    c.exec("systemctl", "reboot");
    const deadline = t0 + 60_000;
    while (existsSync(`/proc/${c.initPid}`)) {
        if (Date.now() > deadline) throw new Error("the container did not shut down within 60 s of systemctl reboot");
        await new Promise((r) => setTimeout(r, 50));
    }
    const down = secondsSince(t0);
    // nspawn exits once the init has: stop() waits for that and removes the cgroups it left.
    await c.stop();
    const container = await Container.boot({ root, netns: netnsPath.replace(/^\/run\/netns\//, ""), machine, consoleLog });
    return { container, t0, timings: { down, up: secondsSince(t0) } };
}

/**
 * A client in the edge namespace (test/helpers/boot/await-serving.ts), started before a fault so
 * node's start-up is not counted. `go(t0)` starts probing `listeners` every 100 ms and resolves with
 * the seconds from `t0` (ms, taken just before the fault) until every listener answered a real
 * allocation, or with the probe's failure (naming the listeners) once `boundMs` passed.
 */
export async function servingWatch(
    edgePrefix: string[],
    host: string,
    listeners: string,
    secret: string,
    boundMs: number,
): Promise<{ go(t0: number): Promise<{ seconds: number; serving: boolean; line: string }>; stop(): void; child: ChildProcess }> {
    const argv = [...edgePrefix, process.execPath, "--import", "tsx", join(ROOT, "test", "helpers", "boot", "await-serving.ts"), host, listeners, String(boundMs)];
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, TURN_SHARED_SECRET: secret }, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout! }).on("line", (l) => {
        lines.push(l);
        waiters.splice(0).forEach((w) => w());
    });
    // "close", not "exit": its output may still be arriving when it has exited.
    let closed = false;
    const done = new Promise<void>((resolve) => child.once("close", () => ((closed = true), resolve())));
    const next = async (what: RegExp): Promise<string> => {
        for (;;) {
            const hit = lines.find((l) => what.test(l));
            if (hit) return hit;
            if (closed) throw new Error(`await-serving exited without ${what}: ${stderr}`);
            await Promise.race([new Promise<void>((r) => waiters.push(r)), done]);
        }
    };
    try {
        await next(/^ready$/);
    } catch (e) {
        child.kill("SIGTERM");
        throw e;
    }
    return {
        child,
        go: async (t0) => {
            child.stdin!.write("go\n");
            const line = await next(/^(serving|failed) /);
            return { seconds: secondsSince(t0), serving: line.startsWith("serving "), line };
        },
        stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        },
    };
}

/** What the operator looks at first: failed units, the firewall's and coturn's state and journal, cloud-init's status. */
export function faultDiagnostics(c: Container): string {
    const out = (cmd: string, ...args: string[]) => {
        try {
            const r = c.exec(cmd, ...args);
            return (r.stdout + r.stderr).trimEnd();
        } catch (e) {
            return `(${cmd} failed: ${e})`;
        }
    };
    return [
        "----- systemctl --failed -----",
        out("systemctl", "--failed", "--no-legend", "--plain") || "(none)",
        "----- systemctl status turn-stack-firewall coturn -----",
        out("systemctl", "status", "--no-pager", "--lines=0", "turn-stack-firewall.service", "coturn.service"),
        "----- journalctl -b -u coturn -u turn-stack-firewall -----",
        out("journalctl", "-b", "--no-pager", "-n", "60", "-u", "coturn.service", "-u", "turn-stack-firewall.service"),
        "----- cloud-init status --long -----",
        out("cloud-init", "status", "--long"),
    ].join("\n");
}

/**
 * Start test/helpers/hold-allocation.ts under `prefix` (the edge namespace): one allocation held
 * open. `send(text)` relays a line to the peer and resolves with `sent <text>` or `error <text>: …`.
 */
export async function holdAllocation(prefix: string[], args: string[], env: NodeJS.ProcessEnv) {
    const argv = [...prefix, process.execPath, "--import", "tsx", join(ROOT, "test", "helpers", "hold-allocation.ts"), ...args];
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    const lines: string[] = [];
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
    let closed = false;
    child.once("close", () => (closed = true));
    const next = async (what: RegExp, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const hit = lines.find((l) => what.test(l));
            if (hit) return hit;
            if (closed || Date.now() > deadline) throw new Error(`no ${what} from hold-allocation: ${stderr || lines.join("\n")}`);
            await new Promise((r) => setTimeout(r, 50));
        }
    };
    try {
        await next(/^allocated /);
    } catch (e) {
        child.kill("SIGTERM");
        throw e;
    }
    return {
        child,
        send: async (text: string) => {
            child.stdin!.write(`send ${text}\n`);
            return next(new RegExp(`^(sent|error) ${text}`));
        },
        stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        },
    };
}

/**
 * Fill the file system under /var/log in the container, as on a VM whose disk ran full: mount a
 * `sizeMiB` tmpfs there (in the container's mount namespace only), have journald reopen its
 * persistent journal on it, and write a file until ENOSPC. Returns `restore()`, which removes the
 * file, unmounts it and restarts journald on the real /var/log.
 */
export function fillVarLog(c: Container, sizeMiB = 16): { restore(): void } {
    c.check("mount", "-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0755`, "turn-stack-full-disk", "/var/log");
    const restore = () => {
        c.exec("rm", "-f", "/var/log/turn-stack-fill");
        c.exec("umount", "--lazy", "/var/log");
        c.exec("systemctl", "restart", "systemd-journald.service");
    };
    try {
        c.check("sh", "-c", "mkdir -p /var/log/journal && systemd-tmpfiles --create --prefix /var/log/journal && systemctl restart systemd-journald.service && journalctl --flush");
        // dd stops at ENOSPC (exit 1, "No space left on device"): that is the point.
        const dd = c.exec("dd", "if=/dev/zero", "of=/var/log/turn-stack-fill", "bs=64k");
        if (!/No space left on device/.test(dd.stderr)) throw new Error(`filling /var/log did not run into ENOSPC: ${dd.stderr}`);
        // journald had space left in the journal file it allocated before: log past it, so it is out of space too.
        c.check("sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x | fold -w 200 | logger -t turn-stack-fill");
        return { restore };
    } catch (e) {
        restore();
        throw e;
    }
}
