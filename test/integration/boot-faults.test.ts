/**
 * Boot faults (issue 15, item 4): what the VM meets after its first boot, on the boot test's
 * container (test/helpers/boot/vm.ts: the prod stack's user data, byte for byte, booted by
 * cloud-init in a Debian system container, with the same network and AWS stand-ins as
 * test/integration/boot.test.ts). Each case prints its measured recovery time, which README
 * ("Boot test", Faults) quotes. The SSM-unreachable first boot is in boot.test.ts.
 *
 * One boot per release serves every case, in this order, because none leaves a trace the next
 * one sees: coturn killed (systemd restarts it), a full /var/log (undone after), a reboot (the
 * reboot itself also drops the full-disk mount), and last the firewall that fails to load (a
 * broken ruleset, restarted while coturn runs, then at a reboot; the ruleset is restored at the
 * end, so an operator's fix is shown too). A boot costs 15-25 s cached on 2 cores; each fault case 2-5 s.
 *
 * Recovery times are measured from just before the fault until a client in the edge namespace
 * (test/helpers/boot/await-serving.ts, started before the fault) gets a real allocation on
 * UDP and TCP 3478 with the stack's secret, polling every 100 ms. A container reboot skips the
 * kernel, firmware and EC2's own steps, so on a VM a reboot takes longer than measured here.
 */
import { describe, test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VM_PATHS } from "../../infra/cloud-init";
import { SYNC_PATHS } from "../../infra/secret-sync";
import { reaperParameterNames } from "../../infra/reaper";
import { programJson } from "../helpers/program-json";
import { runProbe, startUdpListener } from "../helpers/run";
import { bootInputs, bootUserData, PUBLIC_PEER, VM_IP, type BootedVm } from "../helpers/boot/vm";
import { Container } from "../helpers/boot/container";
import { suiteOf } from "../helpers/boot/image";
import { DEBIAN_RELEASES, type DebianRelease } from "../../infra/debian";
import { faultDiagnostics, fillVarLog, holdAllocation, reboot, secondsSince, servingWatch } from "../helpers/boot/faults";

/** Every release turn-stack supports (infra/debian.ts) is booted (test/helpers/boot/image.ts builds each base). */
const RELEASES = Object.keys(DEBIAN_RELEASES) as DebianRelease[];
const LISTENERS = "udp:3478,tcp:3478";
const PEER_PORT = 40_001;
/** How long a fault case waits for the server to serve again before it fails. */
const SERVING_BOUND_MS = 60_000;

const inputs = bootInputs(programJson("prod"));
const secret = inputs.parameterValue;
const reaperNames = reaperParameterNames(inputs.parameterName);

for (const release of RELEASES) {
    const suite = suiteOf(release);
    describe(`boot faults on Debian ${release} (${suite})`, () => {
        const tag = `boot-faults[${suite}]`;
        let vm: BootedVm | undefined;
        /** The running container: vm.container until the first reboot, then the rebooted one. */
        let container: Container | undefined;
        const children: ChildProcess[] = [];

        beforeAll(async () => {
            vm = await bootUserData({ ...inputs, release, log: (l) => console.log(`${tag}: ${l}`) });
            container = vm.container;
            console.log(`${tag}: first boot timings (s) ${JSON.stringify(vm.timings)}`);
            assert.equal(vm.finalState, "active", `${tag}: cloud-final failed on the first boot:\n${vm.diagnostics()}`);
        }, 20 * 60_000);

        afterAll(async () => {
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
            if (container && container !== vm?.container) await container.stop();
            await vm?.teardown();
        });

        /** A case on the booted container; on failure its message names the release and carries what the operator would look at. */
        const fault = (name: string, fn: (vm: BootedVm, c: Container) => Promise<void>) =>
            test(`${suite}: ${name}`, { timeout: 180_000 }, async () => {
                assert.ok(vm && container, `${tag}: the container did not boot`);
                try {
                    await fn(vm, container);
                } catch (e) {
                    if (e instanceof Error) e.message = `${tag}: ${e.message}\n\n${faultDiagnostics(container)}`;
                    throw e;
                }
            });
        const sh = (c: Container, script: string) => c.check("sh", "-c", script).trim();
        const show = (c: Container, prop: string, unit = "coturn.service") => sh(c, `systemctl show -P ${prop} ${unit}`);
        const watch = async (v: BootedVm) => {
            const w = await servingWatch(v.edge.prefix, VM_IP, LISTENERS, secret, SERVING_BOUND_MS);
            children.push(w.child);
            return w;
        };
        const peerListener = async (v: BootedVm) => {
            const { child, lines } = await startUdpListener(v.edge.prefix, PUBLIC_PEER, PEER_PORT);
            children.push(child);
            return { lines, stop: () => child.kill("SIGTERM") };
        };
        const hold = async (v: BootedVm) => {
            const h = await holdAllocation(v.edge.prefix, [VM_IP, "3478", "udp", PUBLIC_PEER, String(PEER_PORT)], { TURN_SHARED_SECRET: secret });
            children.push(h.child);
            return h;
        };
        const atPeer = async (c: Container, peer: { lines: string[] }, texts: string[]) =>
            c.waitFor(`${texts.join(", ")} at the peer`, () => (texts.every((t) => peer.lines.some((l) => l.endsWith(` ${t}`))) ? true : undefined), 10_000, 100);

        fault("coturn killed with SIGKILL: systemd restarts it and a new allocation succeeds (the ones it held are gone)", async (v, c) => {
            assert.equal(show(c, "Restart"), "always", "coturn's unit must restart it whatever ended it");
            const pid = show(c, "MainPID");
            const restarts = Number(show(c, "NRestarts"));
            const held = await hold(v);
            const w = await watch(v);
            const t0 = Date.now();
            c.check("kill", "-KILL", pid);
            const r = await w.go(t0);
            assert.ok(r.serving, `not serving ${SERVING_BOUND_MS / 1000} s after coturn was killed: ${r.line}`);
            // Allocations live in coturn's memory: a client must allocate again (ICE restart), as after any relay restart.
            try {
                assert.match(await held.send("after-kill"), /^error after-kill: .*437/, "an allocation made before the kill answers as if nothing happened");
            } finally {
                held.stop();
            }
            console.log(`${tag} coturn SIGKILL: serving again after ${r.seconds.toFixed(1)} s (Restart=${show(c, "Restart")}, RestartSec=${show(c, "RestartUSec")})`);
            assert.notEqual(show(c, "MainPID"), pid, "the same process still runs");
            assert.equal(Number(show(c, "NRestarts")), restarts + 1, "systemd restarted coturn once");
            const journal = sh(c, "journalctl -b --no-pager -o cat -u coturn.service");
            assert.match(journal, /Main process exited, code=killed, status=9\/KILL/);
        });

        fault("a full /var/log (journal): coturn keeps relaying an existing allocation, and a new one succeeds", async (v, c) => {
            const pid = show(c, "MainPID");
            const peer = await peerListener(v);
            const held = await hold(v);
            try {
                assert.equal(await held.send("before-full"), "sent before-full");
                const full = fillVarLog(c);
                try {
                    const avail = Number(sh(c, "df --output=avail -B1 /var/log | tail -1"));
                    assert.ok(avail < 64 * 1024, `/var/log still has ${avail} bytes free`);
                    const w = await watch(v);
                    const t0 = Date.now();
                    const r = await w.go(t0);
                    assert.ok(r.serving, `a new allocation failed with /var/log full: ${r.line}`);
                    assert.equal(await held.send("while-full"), "sent while-full", "the allocation opened before the disk filled stopped relaying");
                    const fresh = await hold(v);
                    try {
                        assert.equal(await fresh.send("new-while-full"), "sent new-while-full");
                    } finally {
                        fresh.stop();
                    }
                    await atPeer(c, peer, ["before-full", "while-full", "new-while-full"]);
                    assert.equal(show(c, "MainPID"), pid, "coturn restarted while the disk was full");
                    const df = sh(c, "df -h --output=size,used,avail,pcent /var/log | tail -1");
                    console.log(`${tag} full /var/log (size used avail use%: ${df}): kept relaying, no restart; a new allocation answered in ${r.seconds.toFixed(1)} s`);
                } finally {
                    full.restore();
                }
            } finally {
                held.stop();
                peer.stop();
            }
        });

        /** Per-instance semaphores cloud-init keeps, with their modification times. */
        const semaphores = (c: Container) => sh(c, "cd /var/lib/cloud/instance/sem && stat -c '%n %.9Y' * | sort");
        /** The (realm, secret) rows of coturn's database. */
        const dbSecrets = (c: Container): [string, string][] =>
            JSON.parse(sh(c, `python3 -c 'import json, sqlite3; print(json.dumps(sqlite3.connect("file:${SYNC_PATHS.userdb}?mode=ro", uri=True).execute("SELECT realm, value FROM turn_secret ORDER BY value").fetchall()))'`));
        const ssmReads = (v: BootedVm, name: string) => v.requests.filter((r) => r.service === "ssm" && r.name === name).length;

        fault("reboot: coturn serves again with the same secret and firewall; cloud-init re-runs nothing", async (v, c) => {
            const dbBefore = dbSecrets(c);
            const semBefore = semaphores(c);
            const aptBefore = v.requests.filter((r) => r.service === "apt").length;
            const cliReads = ssmReads(v, reaperNames.cliPassword);
            const w = await watch(v);
            const { container: next, t0, timings } = await reboot(c, join(v.work, "console-reboot.log"));
            container = next;
            const r = await w.go(t0);
            assert.ok(r.serving, `not serving ${SERVING_BOUND_MS / 1000} s after the reboot: ${r.line}`);
            console.log(`${tag} reboot: serving again after ${r.seconds.toFixed(1)} s (shut down after ${timings.down.toFixed(1)} s, container up after ${timings.up.toFixed(1)} s)`);
            // cloud-init runs at every boot; with the same instance-id its per-instance modules are skipped.
            const finalState = await next.waitFor("cloud-final.service after the reboot", () => {
                const s = next.exec("systemctl", "is-active", "cloud-final.service").stdout.trim();
                return s === "active" || s === "failed" ? s : undefined;
            }, 120_000, 200);
            assert.equal(finalState, "active");
            assert.match(next.exec("cloud-init", "status").stdout, /^status: done$/m);
            assert.equal(semaphores(next), semBefore, "cloud-init ran a per-instance module again (its semaphore changed)");
            assert.equal(v.requests.filter((r) => r.service === "apt").length, aptBefore, "the reboot fetched packages again (package_update/packages re-ran)");
            assert.equal(ssmReads(v, reaperNames.cliPassword), cliReads, "runcmd ran again: the CLI password was read from SSM again");
            const log = sh(next, "cat /var/log/cloud-init.log");
            const thisBoot = log.slice(log.lastIndexOf("running 'init-local'"));
            for (const module of ["write-files", "package-update-upgrade-install", "runcmd", "scripts-user"]) {
                assert.match(thisBoot, new RegExp(`config-${module.replace(/-/g, "[-_]")} already ran`), `cloud-init's log does not say ${module} was skipped after the reboot`);
            }
            // Same secret (the client above used it), same firewall.
            assert.deepEqual(dbSecrets(next), dbBefore, "coturn's database holds other secrets after the reboot");
            assert.deepEqual(dbBefore.map(([, value]) => value), [secret]);
            assert.equal(show(next, "ActiveState", "turn-stack-firewall.service"), "active");
            assert.match(sh(next, "nft list table inet turn_stack"), /ip daddr @non_public_v4 counter packets \d+ bytes \d+ drop/);
            assert.equal(next.exec("systemctl", "--failed", "--no-legend", "--plain").stdout.trim(), "", "failed units after the reboot");
        });

        fault("the firewall unit fails to load (restarted, then at boot): coturn does not run; the operator sees the failed unit and the listeners down; fixed, coturn serves", async (v, c) => {
            const rulesetPath = join(v.work, "root", VM_PATHS.nftables);
            const ruleset = readFileSync(rulesetPath, "utf8");
            // A ruleset nft refuses (on a VM: a corrupted file, or a kernel without what it needs).
            writeFileSync(rulesetPath, ruleset.replace("table inet turn_stack {", "table inet turn_stack {\n\tnot-a-statement"));
            let restored = false;
            try {
                // Reloaded while coturn runs (an operator's `systemctl restart`): the stop removes the table, the start
                // fails, and coturn, which Requires= it, is restarted with it and so stays stopped.
                assert.notEqual(c.exec("systemctl", "restart", "turn-stack-firewall.service").status, 0, "the broken ruleset loaded");
                assert.equal(show(c, "ActiveState"), "inactive", "coturn still runs after its firewall failed to reload");
                assert.notEqual(c.exec("nft", "list", "table", "inet", "turn_stack").status, 0, "the table is loaded");
                assert.equal(c.exec("pgrep", "-x", "turnserver").status, 1, "a turnserver process runs");

                const { container: next, t0 } = await reboot(c, join(v.work, "console-firewall.log"));
                container = next;
                // systemd's own "boot finished" answer: degraded once a unit failed.
                // (systemctl answers once the new init has its socket; then --wait blocks until the boot finished. exec is
                // synchronous, so timeout(1) bounds it: a boot that never finishes fails here instead of hanging the run.)
                const running = await next.waitFor("systemctl is-system-running --wait", () => next.exec("timeout", "60", "systemctl", "is-system-running", "--wait").stdout.trim() || undefined, 120_000, 100);
                const settled = secondsSince(t0);
                assert.equal(running, "degraded", "the system came up without a failed unit");
                assert.equal(next.exec("systemctl", "--failed", "--no-legend", "--plain").stdout.trim().split(/\s+/)[0], "turn-stack-firewall.service");
                assert.equal(show(next, "Result", "turn-stack-firewall.service"), "exit-code");
                assert.equal(show(next, "ActiveState"), "inactive", "coturn started without its firewall");
                assert.equal(show(next, "MainPID"), "0");
                assert.equal(next.exec("pgrep", "-x", "turnserver").status, 1, "a turnserver process runs");
                assert.notEqual(next.exec("nft", "list", "table", "inet", "turn_stack").status, 0, "the table is loaded");
                const journal = sh(next, "journalctl -b --no-pager -o cat -u coturn.service -u turn-stack-firewall.service");
                assert.match(journal, /Dependency failed for coturn/, "coturn's journal does not say why it did not start");
                assert.match(journal, /not-a-statement/, "the firewall's journal does not show nft's error");
                // What the stack's readiness gate and the canary run: they name every listener that does not answer.
                const probe = await runProbe(v.edge.prefix, ["--host", VM_IP, "--listeners", LISTENERS, "--timeout-ms", "1000"], secret);
                assert.equal(probe.status, 1);
                assert.match(probe.stderr, /TURN server not ready: udp:3478 \(.+\); tcp:3478 \(.+\)/);
                const status = next.exec("systemctl", "status", "--no-pager", "--lines=0", "turn-stack-firewall.service", "coturn.service").stdout;
                console.log(`${tag} firewall fails to load: visible ${settled.toFixed(1)} s after the reboot (systemctl is-system-running: degraded); the operator sees:\n${status.trim()}\n${journal.split("\n").filter((l) => /Dependency failed|Failed to start|not-a-statement|Error/.test(l)).join("\n")}\n${probe.stderr.trim().split("\n").pop()}`);

                // The fix: a good ruleset, then one command (coturn's Requires= starts the firewall first).
                writeFileSync(rulesetPath, ruleset);
                restored = true;
                const w = await watch(v);
                const t1 = Date.now();
                next.check("systemctl", "start", "coturn.service");
                const r = await w.go(t1);
                assert.ok(r.serving, `not serving after the ruleset was fixed and coturn started: ${r.line}`);
                assert.equal(show(next, "ActiveState", "turn-stack-firewall.service"), "active");
                console.log(`${tag} firewall fixed: serving ${r.seconds.toFixed(1)} s after systemctl start coturn.service`);
            } finally {
                if (!restored) writeFileSync(rulesetPath, ruleset);
            }
        });
    });
}
