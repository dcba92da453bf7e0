/**
 * `npm run test:vm` (not part of `npm test`): the prod user data booted in a
 * full Debian VM under qemu (Debian 12; `TURN_STACK_DEBIAN_RELEASE=13 npm run test:vm` for 13), for what the container boot test
 * (test/boot.test.ts) cannot show: sysctls, a real kernel (nftables, coturn's
 * full open-files limit) and cloud-init's own network setup. Stand-ins as in
 * the boot test (test/helpers/boot/vm.ts); the seed adds a NoCloud
 * network-config and an SSH key for looking inside (see helpers/boot/qemu.ts).
 * Needs qemu-system-x86 (apt-get install qemu-system-x86); uses KVM when
 * /dev/kvm is usable, else software emulation (a few minutes).
 */
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { COTURN_NOFILE, VM_PATHS } from "../../../infra/cloud-init";
import { programJson } from "../../helpers/program-json";
import { runProbe } from "../../helpers/run";
import { bootQemu, type BootedQemu } from "../../helpers/boot/qemu";
import { bootInputs, EDGE_IP, VM_IP } from "../../helpers/boot/vm";
import { isDebianRelease } from "../../../infra/debian";

const release = process.env.TURN_STACK_DEBIAN_RELEASE ?? "12";
if (!isDebianRelease(release)) throw new Error(`TURN_STACK_DEBIAN_RELEASE=${release}: not a Debian release turn-stack supports`);
const inputs = bootInputs(programJson("prod", { "turn:debianRelease": release }));
const secret = inputs.parameterValue;
const files = inputs.doc.write_files;
let vm: BootedQemu | undefined;

beforeAll(
    async () => {
        vm = await bootQemu({ ...inputs, release, log: (l) => console.log(`vm test (Debian ${release}): ${l}`) });
        console.log(`vm test: timings (s) ${JSON.stringify(vm.timings)}`);
    },
    40 * 60_000,
);
afterAll(async () => {
    await vm?.teardown();
});

function sh(script: string): string {
    const r = vm!.ssh(script);
    if (r.status !== 0) throw new Error(`${script}: exit ${r.status}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

function check(name: string, fn: () => Promise<void> | void) {
    test(name, { timeout: 120_000 }, async () => {
        assert.ok(vm, "the VM did not boot");
        try {
            await fn();
        } catch (e) {
            if (e instanceof Error) {
                const r = vm.ssh("grep -E 'WARNING|ERROR' /var/log/cloud-init.log | tail -30; tail -40 /var/log/cloud-init-output.log; journalctl --no-pager -n 40 -u coturn; systemctl --failed --no-legend");
                e.message += `\n\n----- from the VM -----\n${r.stdout}${r.stderr}`;
            }
            throw e;
        }
    });
}

check("cloud-init finished without errors or warnings; no failed units", () => {
    assert.deepEqual(JSON.parse(sh("cat /run/cloud-init/result.json")).v1.errors, []);
    assert.match(sh("cloud-init status --long"), /^status: done$/m);
    assert.equal(sh("grep -E '\\[(WARNING|ERROR|CRITICAL)\\]' /var/log/cloud-init.log || true"), "");
    assert.equal(sh("systemctl --failed --no-legend --plain"), "");
});

check("cloud-init's own network setup: eth0 configured from network-config through ifupdown", () => {
    const eni = sh("cat /etc/network/interfaces.d/50-cloud-init");
    assert.match(eni, new RegExp(`address ${VM_IP.replace(/\./g, "\\.")}/24`));
    assert.match(eni, new RegExp(`gateway ${EDGE_IP.replace(/\./g, "\\.")}`));
    assert.match(sh("ip -4 route show default"), new RegExp(`default via ${EDGE_IP.replace(/\./g, "\\.")} dev eth0`));
    assert.match(sh("ip -4 -o addr show dev eth0"), new RegExp(`inet ${VM_IP.replace(/\./g, "\\.")}/24`));
});

check("the user data's sysctls are applied by the kernel", () => {
    const sysctl = files.find((f) => f.path === VM_PATHS.sysctl)!.content;
    for (const line of sysctl.split("\n").filter((l) => /^[a-z]/.test(l))) {
        const [key, value] = line.split("=").map((x) => x.trim());
        assert.equal(sh(`sysctl -n ${key}`).replace(/\s+/g, " "), value.replace(/\s+/g, " "), key);
    }
});

check(`coturn runs with the full open-files limit (${COTURN_NOFILE}) on a real kernel, firewall loaded`, () => {
    assert.equal(sh("systemctl is-active coturn.service"), "active");
    const pid = sh("systemctl show -P MainPID coturn.service");
    assert.match(sh(`grep 'Max open files' /proc/${pid}/limits`), new RegExp(`Max open files\\s+${COTURN_NOFILE}\\s+${COTURN_NOFILE}`));
    assert.match(sh("nft list table inet turn_stack"), /tcp dport 443 redirect to :5349/);
    console.log(`vm test: kernel ${sh("uname -r")}`);
});

check("TURN over UDP and TCP from the network with the stack's secret", async () => {
    const r = await runProbe(vm!.edge.prefix, ["--host", VM_IP, "--listeners", "udp:3478,tcp:3478", "--timeout-ms", "5000"], secret);
    assert.equal(r.status, 0, r.stderr);
});
