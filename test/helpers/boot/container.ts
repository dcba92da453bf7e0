/**
 * A Debian 12 system container: `systemd-nspawn --boot` on an extracted root
 * file system, inside a network namespace the test created. This host runs no
 * systemd, so nspawn runs with `--register=no --keep-unit`. Commands run in the
 * container through `nsenter` into its init's namespaces; stop() shuts it down
 * cleanly (SIGTERM to nspawn makes it ask the container's systemd to power off)
 * and kills it by PID if that takes too long.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";

export interface ExecResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

export class Container {
    private constructor(
        private readonly nspawn: ChildProcess,
        /** PID (on the host) of the container's systemd. */
        readonly initPid: number,
        readonly root: string,
        /** Cgroup directories that existed before nspawn ran (see cgroupDirs). */
        private readonly cgroupsBefore: Set<string>,
    ) {}

    /**
     * Boot `root` in network namespace `netns` (a name under /run/netns).
     * Console output goes to `consoleLog`. Resolves once the container's
     * init is running; throws if nspawn exits first.
     */
    static async boot(opts: { root: string; netns: string; machine: string; consoleLog: string }): Promise<Container> {
        const cgroupsBefore = new Set(cgroupDirs());
        const out = createWriteStream(opts.consoleLog);
        const nspawn = spawn(
            "systemd-nspawn",
            [
                "--boot",
                `--directory=${opts.root}`,
                `--machine=${opts.machine}`,
                `--network-namespace-path=/run/netns/${opts.netns}`,
                "--register=no",
                "--keep-unit",
                // nspawn drops CAP_NET_ADMIN unless it creates the network itself; root on the VM
                // has it, and the user data's firewall (nft) needs it. The namespace is the container's own.
                "--capability=CAP_NET_ADMIN",
                "--resolv-conf=off",
                "--timezone=off",
                "--link-journal=no",
                "--console=pipe",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        nspawn.stdout!.pipe(out);
        nspawn.stderr!.pipe(out);
        const exited = once(nspawn, "exit").then(([code]) => {
            throw new Error(`systemd-nspawn exited (${code}) before the container booted; see ${opts.consoleLog}:\n${safeRead(opts.consoleLog).slice(-3000)}`);
        });
        const started = (async () => {
            for (;;) {
                const init = childOf(nspawn.pid!);
                if (init) return init;
                await new Promise((r) => setTimeout(r, 100));
            }
        })();
        const initPid = await Promise.race([started, exited]);
        exited.catch(() => {});
        return new Container(nspawn, initPid, opts.root, cgroupsBefore);
    }

    /** Run a command inside the container (all its namespaces), as root. */
    exec(cmd: string, ...args: string[]): ExecResult {
        const r = spawnSync("nsenter", ["-t", String(this.initPid), "-m", "-u", "-i", "-n", "-p", "--", "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", cmd, ...args], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        if (r.error) throw r.error;
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    /** Like exec, but throws with the output when the command fails. */
    check(cmd: string, ...args: string[]): string {
        const r = this.exec(cmd, ...args);
        if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in the container (${r.status}): ${r.stdout}${r.stderr}`);
        return r.stdout;
    }

    /**
     * Poll `probe` every `intervalMs` until it returns a value, or throw after
     * `timeoutMs` with `what` and the last value seen.
     */
    async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, intervalMs = 1000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            if (exited(this.nspawn)) throw new Error(`container stopped while waiting for ${what}`);
            const v = probe();
            if (v !== undefined) return v;
            if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
            await new Promise((r) => setTimeout(r, intervalMs));
        }
    }

    /**
     * Power the container off (SIGTERM to nspawn); SIGKILL it if it is not down within 30 s.
     * Then remove the cgroups nspawn made for it: with `--keep-unit` on a host without systemd,
     * nspawn creates `payload/` and `supervisor/` at the top of the cgroup hierarchy and leaves
     * them behind (found after a boot test run), so the machine would not be left as found.
     */
    async stop(): Promise<void> {
        await stopChild(this.nspawn, 30_000);
        for (const dir of cgroupDirs().reverse()) {
            if (this.cgroupsBefore.has(dir)) continue;
            try {
                rmdirSync(dir); // a cgroup directory goes with rmdir once no process is in it
            } catch {
                /* still populated or already gone: left to the kernel's own release */
            }
        }
    }
}

/** True once `child` has exited, by code or by signal. */
export function exited(child: ChildProcess): boolean {
    return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM a child by its PID and wait for it to exit; SIGKILL after `killAfterMs`. */
export async function stopChild(child: ChildProcess, killAfterMs = 10_000): Promise<void> {
    if (exited(child)) return;
    const done = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    await done;
    clearTimeout(timer);
}

/**
 * Every directory (depth first, parents before children) of the cgroup hierarchies
 * systemd-nspawn writes to: the cgroup v2 mount and the v1 `name=systemd` one (/proc/self/mounts).
 */
function cgroupDirs(): string[] {
    const roots = safeRead("/proc/self/mounts")
        .split("\n")
        .map((l) => l.split(" "))
        .filter(([, , type, options]) => type === "cgroup2" || (type === "cgroup" && (options ?? "").split(",").includes("name=systemd")))
        .map(([, mountPoint]) => mountPoint);
    const out: string[] = [];
    const walk = (dir: string) => {
        let entries;
        try {
            entries = readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const e of entries) {
            if (!e.isDirectory()) continue;
            const sub = join(dir, e.name);
            out.push(sub);
            walk(sub);
        }
    };
    for (const root of roots) walk(root);
    return out;
}

function safeRead(path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch {
        return "";
    }
}

/** The container's init: systemd, not the forked nspawn helper (comm "systemd-nspawn"). */
function isInit(pid: number): boolean {
    return safeRead(`/proc/${pid}/comm`).trim() === "systemd";
}

/** The first child of `pid` (nspawn forks the container's init). */
function childOf(pid: number): number | undefined {
    const children = safeRead(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
    for (const c of children) {
        // nspawn's direct child is an intermediate process in newer versions; look one level down too.
        if (isInit(c)) return c;
        const grand = safeRead(`/proc/${c}/task/${c}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
        for (const g of grand) if (isInit(g)) return g;
    }
    return undefined;
}
