/**
 * The EC2 user data renderer (infra/cloud-init.ts), called directly: refusals, the boot order, the files it
 * writes and the host firewall. The document the real program declares is checked by cloud-init itself in
 * test/program/cloud-init.test.ts and booted in test/integration/boot.test.ts; its size in user-data-size.test.ts.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { SSM_GET_PATH } from "../../infra/ssm-get";
import { CONFIGURE_RETRY_SECONDS, COTURN_NOFILE, VM_PATHS, packUserData, renderCloudInit, renderNftables, type CloudInitOptions } from "../../infra/cloud-init";
import { gunzipSync } from "node:zlib";
import { DENIED_IPV4, DENIED_IPV6 } from "../../infra/peer-ranges";
import { PortRange } from "../../infra/port-range";
import { SYNC_PATHS } from "../../infra/secret-sync";
import { REAPER_PATHS, cliFirewallRules } from "../../infra/reaper";

const base: CloudInitOptions = {
    turnserverConf: "listening-ip=10.73.0.10\nrealm=turn.example.com\n",
    region: "eu-west-1",
    secretParameterName: "/turn-stack/prod/shared-secret",
    arch: "arm64",
    relayPortRange: PortRange.of(49152, 65535),
};

interface Doc {
    package_update: boolean;
    packages: string[];
    write_files: { path: string; owner: string; permissions: string; content: string }[];
    runcmd: string[][];
}
const render = (o: Partial<CloudInitOptions> = {}) => {
    const text = renderCloudInit({ ...base, ...o });
    return { text, doc: parse(text, { version: "1.1" }) as Doc };
};
const file = (d: Doc, path: string) => d.write_files.find((f) => f.path === path);

test("cloud-init: refuses a config with the secret, and inputs a shell line cannot carry, naming the input", () => {
    assert.throws(() => render({ turnserverConf: base.turnserverConf + "static-auth-secret=abc\n" }), /must not contain static-auth-secret; it is fetched from SSM at boot/);
    assert.throws(() => render({ region: "eu-west-1; reboot" }), /^Error: region "eu-west-1; reboot" has characters not allowed in user data$/);
    assert.throws(() => render({ secretParameterName: "/a/$(id)" }), /secretParameterName "\/a\/\$\(id\)"/);
    assert.throws(() => render({ domain: "turn.example.com\nruncmd" }), /domain /);
    assert.throws(() => render({ acmeEmail: "a b@example.com" }), /acmeEmail /);
});

test("cloud-init: files are root-owned with string modes; the config goes in without the secret, as given", () => {
    const { text, doc } = render();
    assert.ok(text.startsWith("#cloud-config\n"));
    assert.equal(doc.package_update, true);
    assert.deepEqual(doc.packages, ["coturn", "nftables"], "SSM is read with curl (ssm-get.ts): no awscli");
    assert.ok(doc.write_files.every((f) => f.owner === "root:root" && /^0[0-7]{3}$/.test(f.permissions)), "YAML 1.1 would read a bare 0600 as a number");
    assert.match(text, /permissions: "0600"/);
    assert.deepEqual(file(doc, VM_PATHS.confBase), { path: VM_PATHS.confBase, owner: "root:root", permissions: "0600", content: base.turnserverConf });
    assert.equal(file(doc, VM_PATHS.configureScript)!.permissions, "0755");
    assert.equal(file(doc, VM_PATHS.certUnit), undefined, "no certificate without a domain");
});

test("cloud-init: boot order: firewall, the secret sync timer, then the configure unit and coturn (not waited for), then the reaper's timer; the SSM agent last", () => {
    const { doc } = render();
    assert.deepEqual(doc.runcmd.slice(0, 7), [
        ["systemctl", "daemon-reload"],
        ["sysctl", "--system"],
        ["systemctl", "enable", "--now", "turn-stack-firewall.service"],
        ["systemctl", "enable", "--now", "turn-stack-secrets.timer"],
        ["systemctl", "enable", "coturn.service"],
        ["systemctl", "start", "--no-block", "turn-stack-configure.service", "coturn.service"],
        ["systemctl", "enable", "--now", "turn-stack-reaper.timer"],
    ]);
    for (const path of [REAPER_PATHS.script, REAPER_PATHS.service, REAPER_PATHS.timer]) assert.equal(file(doc, path)!.owner, "root:root", path);
    assert.equal(file(doc, REAPER_PATHS.script)!.permissions, "0700", "the reaper reads the CLI password: root only");
    const last = doc.runcmd.at(-1)!;
    assert.equal(last[0], "sh");
    assert.match(last[2], /https:\/\/s3\.eu-west-1\.amazonaws\.com\/amazon-ssm-eu-west-1\/latest\/debian_arm64\/amazon-ssm-agent\.deb/);
    assert.match(last[2], /\|\| echo "turn-stack: SSM agent not installed" >&2$/, "a failed agent install costs shell access, not TURN");
    assert.match(render({ arch: "amd64" }).doc.runcmd.at(-1)![2], /debian_amd64/);
});

test("cloud-init: the configure script syncs the secrets from SSM, then writes the config with the CLI password's hash beside the real one and renames it into place last", () => {
    const { doc } = render();
    const script = file(doc, VM_PATHS.configureScript)!.content;
    assert.match(script, /^#!\/bin\/bash\n/);
    assert.match(script, /^set -euo pipefail$/m, "any failure stops it before the config exists, so coturn stays stopped");
    const lines = script.split("\n").filter((l) => l && !l.startsWith("#") && !l.startsWith("set "));
    assert.deepEqual(lines, [
        SYNC_PATHS.script,
        `install -o root -g turnserver -m 0640 ${VM_PATHS.confBase} ${VM_PATHS.conf}.new`,
        `${REAPER_PATHS.script} setup`,
        `mv ${VM_PATHS.conf}.new ${VM_PATHS.conf}`,
    ]);
    assert.match(file(doc, REAPER_PATHS.script)!.content, new RegExp(`open\\("${VM_PATHS.conf.replace(/\./g, "\\.")}\\.new", "a"\\)`), "the reaper's setup appends to the config being written");
    // The SSM reader: IMDSv2 credentials, curl signing SigV4 for the stack's region; the key never on a command line.
    const get = file(doc, SSM_GET_PATH)!;
    assert.deepEqual([get.owner, get.permissions], ["root:root", "0755"]);
    assert.ok(get.content.includes(`"--aws-sigv4", "aws:amz:eu-west-1:ssm"`) && get.content.includes("https://ssm.eu-west-1.amazonaws.com/"));
    assert.ok(get.content.includes(`"-K", "-"`) && get.content.includes("input=cfg"), "credentials go to curl on stdin");
    // The sync: both parameters, the realm of the config, coturn's database; no secret in the user data.
    const sync = file(doc, SYNC_PATHS.script)!.content;
    assert.match(sync, /^#!\/usr\/bin\/python3\n/);
    assert.ok(sync.includes(`["${SSM_GET_PATH}", n, "--decrypt"]`));
    assert.match(sync, /get\("\/turn-stack\/prod\/shared-secret"\)\}, get\("\/turn-stack\/prod\/previous-auth-secret"\)/);
    assert.match(sync, /^r, f = "turn\.example\.com", "\/var\/lib\/turn-stack\/turndb"$/m);
    assert.equal(file(doc, SYNC_PATHS.timer)!.permissions, "0644");
    assert.match(file(doc, SYNC_PATHS.timer)!.content, /^OnUnitActiveSec=30s$/m);
    assert.match(file(doc, SYNC_PATHS.service)!.content, new RegExp(`^ExecStart=${SYNC_PATHS.script}$`, "m"));
});

test("cloud-init: the configure unit retries every few seconds with no limit until SSM answers, then is skipped for good", () => {
    const unit = file(render().doc, VM_PATHS.configureUnit)!.content;
    assert.match(unit, /^Type=oneshot$/m);
    assert.match(unit, new RegExp(`^ExecStart=${VM_PATHS.configureScript}$`, "m"));
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^ExecStartPost=\/usr\/bin\/systemctl start --no-block coturn\.service$/m, "on success it starts coturn itself");
    assert.match(unit, new RegExp(`^RestartSec=${CONFIGURE_RETRY_SECONDS}s$`, "m"));
    // No retry budget that could run out: no start limit (systemd's default is 5 starts in 10 s), no attempt count.
    assert.match(unit, /^StartLimitIntervalSec=0$/m);
    assert.doesNotMatch(unit, /StartLimitBurst|RestartSteps|RestartMaxDelaySec/);
    assert.doesNotMatch(file(render().doc, VM_PATHS.configureScript)!.content, /for |while |sleep/, "the script makes one attempt; systemd retries");
    assert.match(unit, new RegExp(`^ConditionPathExists=!${VM_PATHS.conf}$`, "m"), "after a reboot the config is there: no SSM needed");
    assert.doesNotMatch(unit, /^\[Install\]/m, "not enabled: only the first boot's runcmd starts it");
});

test("cloud-init: coturn's drop-in waits for the config and the firewall, runs without capabilities, with the file limit", () => {
    const dropIn = file(render().doc, VM_PATHS.dropIn)!.content;
    assert.match(dropIn, new RegExp(`^ConditionPathExists=${VM_PATHS.conf}$`, "m"));
    assert.match(dropIn, /^Requires=turn-stack-firewall\.service$/m);
    assert.match(dropIn, /^After=.*turn-stack-configure\.service/m, "coturn's start job waits for the configure unit's");
    assert.doesNotMatch(dropIn, /^Requires=.*turn-stack-configure/m, "the package's post-install start must not wait for SSM");
    assert.match(dropIn, new RegExp(`^LimitNOFILE=${COTURN_NOFILE}$`, "m"));
    assert.match(dropIn, /^CapabilityBoundingSet=$/m);
    assert.match(dropIn, /^NoNewPrivileges=yes$/m);
});

test("cloud-init: with a domain, certbot and a certificate unit for it; the account email when given", () => {
    const { doc } = render({ domain: "turn.example.com", acmeEmail: "ops@example.com" });
    assert.deepEqual(doc.packages, ["coturn", "nftables", "certbot"]);
    const unit = file(doc, VM_PATHS.certUnit)!.content;
    assert.match(unit, /certbot certonly --standalone --non-interactive --agree-tos --email ops@example\.com --key-type ecdsa -d turn\.example\.com --deploy-hook /);
    assert.match(unit, /^ConditionPathExists=!\/etc\/letsencrypt\/live\/turn\.example\.com\/fullchain\.pem$/m);
    assert.equal(file(doc, VM_PATHS.certHook)!.permissions, "0755");
    assert.deepEqual(doc.runcmd.at(-2), ["systemctl", "enable", "--now", "--no-block", "turn-stack-certificate.service"]);
    const noEmail = file(render({ domain: "turn.example.com" }).doc, VM_PATHS.certUnit)!.content;
    assert.match(noEmail, /--register-unsafely-without-email/);
});

test("nftables: 443 redirected to 5349; the coturn user cannot reach any denied range, except answers from its listening ports", () => {
    const nft = renderNftables(true);
    for (const r of DENIED_IPV4) assert.ok(nft.includes(r.cidr), r.cidr);
    for (const r of DENIED_IPV6) assert.ok(nft.includes(r.cidr), r.cidr);
    assert.match(nft, /tcp dport 443 redirect to :5349/);
    const accept = nft.indexOf('th sport { 3478, 5349 } accept');
    const drop4 = nft.indexOf('ip daddr @non_public_v4 counter drop');
    const drop6 = nft.indexOf('ip6 daddr @non_public_v6 counter drop');
    assert.ok(accept > 0 && accept < drop4 && drop4 < drop6, "the listener answers are accepted before the drops");
    // coturn's admin CLI (reaper.ts): the root-only rule and its answers come first in the output chain.
    const output = nft.slice(nft.indexOf("chain output"));
    assert.deepEqual(output.split("\n").slice(2, 4).map((l) => l.trim()), cliFirewallRules());
    assert.match(nft, /^table inet turn_stack\ndelete table inet turn_stack\n/m, "reloading replaces the table");
});

test("nftables without a domain: 443 is plain TURN over TCP redirected to 3478; answers leave only from 3478", () => {
    const nft = renderNftables(false);
    assert.match(nft, /^\t\ttcp dport 443 redirect to :3478 comment "TURN over TCP on 443"$/m);
    assert.doesNotMatch(nft, /5349/, "no TLS listener without a domain");
    assert.match(nft, /th sport \{ 3478 \} accept/);
    for (const r of DENIED_IPV4) assert.ok(nft.includes(r.cidr), r.cidr);
    // The user data carries the ruleset that fits the stack.
    assert.equal(file(render().doc, VM_PATHS.nftables)!.content, nft);
    assert.equal(file(render({ domain: "turn.example.com" }).doc, VM_PATHS.nftables)!.content, renderNftables(true));
});

test("packUserData: gzip then base64, decompressing to the document; the same bytes on every machine (pinned), refused over 16 KB compressed", () => {
    const text = "#cloud-config\npackage_update: true\npackages:\n  - coturn\n" + "write_files: []\n".repeat(20);
    const packed = packUserData(text);
    assert.equal(gunzipSync(Buffer.from(packed, "base64")).toString("utf8"), text);
    // Pinned: fflate's output for this input. If an fflate upgrade changes it, every stack's user data changes and
    // its instance is replaced at the next pulumi up: pin fflate back, or announce the replacement (README, Upgrading).
    assert.equal(packed, "H4sIAAAAAAACA1NOzskvTdFNzs9Ly0znKkhMzk5MT40vLUhJLEm1UigpKk2FCRZbcSko6Cok55eUFuVxlRdllqTGp2XmAMUVomNH+STyARGJk8l4AQAA");
    assert.equal(Buffer.from(packed, "base64").subarray(4, 8).readUInt32LE(0), 0, "gzip MTIME is zero: no timestamp in the user data");
    const doc = render().text;
    assert.ok(Buffer.from(packUserData(doc), "base64").length < Buffer.byteLength(doc) / 2);
});
