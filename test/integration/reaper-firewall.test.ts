/**
 * The host firewall around coturn's admin CLI, with real nftables in a network namespace the test creates and
 * removes: the prod ruleset (infra/cloud-init.ts renderNftables), which carries the reaper's rules (infra/reaper.ts
 * cliFirewallRules) at the top of its output chain. A listener on 127.0.0.1:CLI_PORT runs as user turnserver, as
 * coturn's CLI does on the VM. Root connects and gets its answers (despite the ruleset's drop of the coturn
 * user's traffic to non-public addresses); any other user, coturn's own included, is reset at connect.
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { renderNftables } from "../../infra/cloud-init";
import { CLI_PORT, cliFirewallRules } from "../../infra/reaper";
import { createNetns, type Netns } from "../helpers/netns";

let ns: Netns | undefined;
let listener: ChildProcess | undefined;
const work = mkdtempSync(join(tmpdir(), "turn-stack-cli-fw-"));

/** The prod ruleset as the user data carries it (the reaper's rules first in its output chain), keeping only `rules` of them. */
function ruleset(rules: string[]): string {
    const nft = renderNftables(true);
    const head = "\t\ttype filter hook output priority filter; policy accept;\n";
    const ours = cliFirewallRules().map((r) => `\t\t${r}\n`).join("");
    assert.ok(nft.includes(head + ours), "the reaper's rules are not first in the output chain");
    return nft.replace(head + ours, head + rules.map((r) => `\t\t${r}\n`).join(""));
}

function load(rules: string[]) {
    const file = join(work, "turn-stack.nft");
    writeFileSync(file, ruleset(rules));
    ns!.run("nft", "-f", file);
}

/** Connect to the CLI port as `user`, send a line, return the answer or the error. */
function clientAs(user: string): string {
    const code = `import socket\ntry:\n    s = socket.create_connection(("127.0.0.1", ${CLI_PORT}), 3); s.sendall(b"ping\\n"); print(s.recv(100).decode())\nexcept OSError as e: print("error: %s" % e)`;
    const r = spawnSync(ns!.prefix[0], [...ns!.prefix.slice(1), "setpriv", `--reuid=${user}`, `--regid=${user === "root" ? "root" : user === "nobody" ? "nogroup" : user}`, "--clear-groups", "/usr/bin/python3", "-c", code], { encoding: "utf8", timeout: 10_000 });
    return (r.stdout + r.stderr).trim();
}

beforeAll(async () => {
    ns = createNetns("ts-cli-fw");
    // The CLI stand-in: answers each line with "pong", as user turnserver (coturn's user on the VM).
    const code = `import socket\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${CLI_PORT})); s.listen(); print("listening", flush=True)\nwhile True:\n    c, _ = s.accept(); c.recv(100); c.sendall(b"pong"); c.close()`;
    listener = spawn(ns.prefix[0], [...ns.prefix.slice(1), "setpriv", "--reuid=turnserver", "--regid=turnserver", "--clear-groups", "/usr/bin/python3", "-c", code], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
        listener!.once("exit", (c) => reject(new Error(`CLI stand-in exited (${c})`)));
        createInterface({ input: listener!.stdout! }).on("line", (l) => l === "listening" && resolve());
    });
});

afterAll(() => {
    if (listener?.pid && listener.exitCode === null) listener.kill("SIGTERM");
    ns?.remove();
    rmSync(work, { recursive: true, force: true });
});

test("only root reaches coturn's admin CLI port, and gets its answers; nobody and turnserver are reset", () => {
    load(cliFirewallRules());
    assert.equal(clientAs("root"), "pong");
    assert.match(clientAs("nobody"), /^error: .*(Connection refused|reset)/);
    assert.match(clientAs("turnserver"), /^error: .*(Connection refused|reset)/);
    assert.match(ns!.run("nft", "list", "chain", "inet", "turn_stack", "output"), new RegExp(`tcp dport ${CLI_PORT} meta skuid != 0 counter packets [1-9]\\d* bytes \\d+ reject with tcp reset`));
});

test("the answers rule is needed: without it the ruleset drops the CLI's answers to root (127.0.0.1 is non-public)", () => {
    load(cliFirewallRules().filter((r) => !r.includes("answers")));
    assert.match(clientAs("root"), /^error: /);
});
