/**
 * The unit settings the boot faults rely on (test/integration/boot-faults.test.ts shows them on a booted
 * container; these pin them in the rendered user data, where a change would first show): systemd restarts
 * coturn whatever ended it and never gives up, and coturn neither starts nor keeps running without its
 * firewall.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { VM_PATHS, renderCloudInit } from "../../infra/cloud-init";
import { PortRange } from "../../infra/port-range";

const userData = parse(
    renderCloudInit({
        turnserverConf: "listening-ip=10.73.0.10\nrealm=turn.example.com\n",
        region: "eu-west-1",
        secretParameterName: "/turn-stack/prod/shared-secret",
        arch: "arm64",
        relayPortRange: PortRange.of(49152, 65535),
    }),
    { version: "1.1" },
) as { write_files: { path: string; content: string }[] };
const content = (path: string) => userData.write_files.find((f) => f.path === path)!.content;

/** `key=value` lines of one section of a systemd unit file (systemd.syntax(7)); a repeated key keeps every value. */
function section(unit: string, name: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? "";
    for (const line of body.split("\n").slice(1)) {
        const m = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
    }
    return out;
}
const last = (s: Map<string, string[]>, key: string) => s.get(key)?.at(-1);

/** systemd's defaults when a unit sets no start limit: DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5 (systemd-system.conf(5)). */
const DEFAULT_START_LIMIT = { intervalSeconds: 10, burst: 5 };

test("coturn's drop-in: restarted whatever ended it (SIGKILL, a crash, the OOM killer), and systemd's start limit can never stop the restarts", () => {
    const dropIn = content(VM_PATHS.dropIn);
    const service = section(dropIn, "Service");
    const unit = section(dropIn, "Unit");
    assert.equal(last(service, "Restart"), "always", "Restart=always: on-failure would not restart coturn after a clean exit, no would never");
    const restartSec = Number(/^(\d+(?:\.\d+)?)s?$/.exec(last(service, "RestartSec") ?? "")?.[1]);
    assert.ok(restartSec > 0, "RestartSec in seconds");
    // Without StartLimitIntervalSec=0, systemd refuses a start after `burst` starts within the interval and coturn
    // stays down until a human comes (a crash loop, e.g. a packet of death sent every second). Each restart waits
    // RestartSec, so `burst` starts take at least burst × RestartSec: longer than the interval, the limit never trips.
    const interval = last(unit, "StartLimitIntervalSec");
    if (interval !== "0") {
        assert.equal(interval, undefined, "a start limit of its own: check it against RestartSec");
        assert.equal(last(unit, "StartLimitBurst"), undefined);
        assert.ok(
            DEFAULT_START_LIMIT.burst * restartSec >= DEFAULT_START_LIMIT.intervalSeconds,
            `RestartSec=${restartSec}s lets ${DEFAULT_START_LIMIT.burst} restarts fit into systemd's ${DEFAULT_START_LIMIT.intervalSeconds} s start limit: set StartLimitIntervalSec=0`,
        );
    }
});

test("coturn does not start or keep running without its firewall: Requires= and After= the firewall unit, which removes its table when stopped", () => {
    const unit = section(content(VM_PATHS.dropIn), "Unit");
    const words = (key: string) => (unit.get(key) ?? []).flatMap((v) => v.split(/\s+/));
    // Requires= alone starts both at once (coturn could serve before nft loaded); After= makes coturn's start wait for
    // the firewall's result, and a failed firewall fails coturn's start job ("Dependency failed", systemd.unit(5)).
    assert.ok(words("Requires").includes("turn-stack-firewall.service"), "Requires=turn-stack-firewall.service");
    assert.ok(words("After").includes("turn-stack-firewall.service"), "After=turn-stack-firewall.service");
    // Wants= would let coturn start when the firewall failed.
    assert.ok(!words("Wants").includes("turn-stack-firewall.service"));
    const firewall = content(VM_PATHS.nftablesUnit);
    const fwService = section(firewall, "Service");
    assert.equal(last(fwService, "Type"), "oneshot");
    assert.equal(last(fwService, "RemainAfterExit"), "yes", "active after nft ran, so coturn's Requires= holds while the table is loaded");
    assert.equal(last(fwService, "ExecStart"), `/usr/sbin/nft -f ${VM_PATHS.nftables}`);
    // Its stop (a restart's first half) removes the table: coturn, stopped with it by Requires=, does not outlive it.
    assert.equal(last(fwService, "ExecStop"), "/usr/sbin/nft delete table inet turn_stack");
    assert.match(firewall, /^\[Install\]\nWantedBy=multi-user\.target$/m, "loaded at every boot, not only by the first boot's runcmd");
});
