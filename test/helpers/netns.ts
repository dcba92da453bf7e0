/**
 * Network namespaces and veth pairs that a test creates and removes itself
 * (iproute2 `ip netns`). Every address lives inside namespaces the test owns,
 * so no traffic leaves them. Needs root.
 */
import { execFileSync } from "node:child_process";

function ip(...args: string[]): string {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A namespace: run commands in it, remove it (and its veth ends) when done. */
export interface Netns {
    name: string;
    /** `ip netns exec <name>` prefix for spawning processes inside. */
    prefix: string[];
    /** Run a command inside, returning stdout; throws with stderr on failure. */
    run(cmd: string, ...args: string[]): string;
    remove(): void;
}

/**
 * Create a namespace with its loopback up. The name gets this process's PID
 * so parallel runs do not collide.
 */
export function createNetns(base: string): Netns {
    const name = `${base}-${process.pid}`;
    try {
        ip("netns", "del", name);
    } catch {
        /* not left over */
    }
    ip("netns", "add", name);
    const ns: Netns = {
        name,
        prefix: ["ip", "netns", "exec", name],
        run: (cmd, ...args) => execFileSync("ip", ["netns", "exec", name, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
        remove: () => {
            try {
                ip("netns", "del", name);
            } catch {
                /* already gone */
            }
        },
    };
    ns.run("ip", "link", "set", "lo", "up");
    return ns;
}

/** Connect two namespaces with a veth pair, giving each end an address (CIDR form, e.g. 198.51.100.1/24). */
export function connect(a: Netns, aAddr: string, b: Netns, bAddr: string): void {
    const tag = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
    const va = `va${tag}`.slice(0, 15);
    const vb = `vb${tag}`.slice(0, 15);
    ip("link", "add", va, "netns", a.name, "type", "veth", "peer", "name", vb, "netns", b.name);
    a.run("ip", "addr", "add", aAddr, "dev", va);
    b.run("ip", "addr", "add", bAddr, "dev", vb);
    a.run("ip", "link", "set", va, "up");
    b.run("ip", "link", "set", vb, "up");
}

/** True when this process can manage namespaces (root with iproute2). */
export function netnsAvailable(): { ok: boolean; why?: string } {
    try {
        const ns = createNetns("turn-stack-probe");
        ns.remove();
        return { ok: true };
    } catch (e) {
        return { ok: false, why: e instanceof Error ? e.message : String(e) };
    }
}
