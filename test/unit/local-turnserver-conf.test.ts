/**
 * "The prod turnserver.conf for a local coturn" (scripts/lib/local-turnserver-conf.ts): the rendered file
 * differs from what the VM runs in exactly the options its named changes list, and nowhere else.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf, type TurnserverConfOptions } from "../../infra/turnserver-conf";
import { VM_PATHS } from "../../infra/cloud-init";
import {
    allowedPeers,
    listeningPort,
    localChanges,
    localTurnserverConf,
    loopbackPeers,
    runAsUser,
    withoutDenyList,
    type ConfChange,
    type LocalSite,
} from "../../scripts/lib/local-turnserver-conf";
import { confOptions } from "../helpers/turnserver-options";
import { stackConfig } from "../helpers/stack-config";

const prod = parseTurnConfig(stackConfig("prod"));
/** What the VM runs, as infra/components/turn-server.ts renders it (the secret is appended at boot). */
const vm: TurnserverConfOptions = {
    ...prod,
    listeningIp: "10.73.0.10",
    relayIp: "10.73.0.10",
    externalIp: { public: "203.0.113.10", private: "10.73.0.10" },
    tls: { certFile: VM_PATHS.tlsCert, keyFile: VM_PATHS.tlsKey },
};
const vmConf = renderTurnserverConf(vm);
const site: LocalSite = { listeningIp: "127.0.9.1", relayIp: "127.0.9.2", secret: "s3cret" };

const keyOf = (line: string) => line.split("=")[0];

/** Option names whose values differ between two rendered files. */
function changedOptions(a: string, b: string): string[] {
    const [x, y] = [confOptions(a), confOptions(b)];
    return [...new Set([...x.keys(), ...y.keys()])].filter((k) => JSON.stringify(x.get(k)) !== JSON.stringify(y.get(k))).sort();
}

/** The file without the lines of the given options. */
function untouched(conf: string, touched: Set<string>): string[] {
    return conf.split("\n").filter((l) => !touched.has(keyOf(l)));
}

function assertExactly(conf: string, changes: ConfChange[]) {
    const touched = new Set(changes.flatMap((c) => c.touches));
    assert.deepEqual(changedOptions(vmConf, conf), [...touched].sort(), "the changes name exactly the options that differ from the VM's");
    assert.deepEqual(untouched(conf, touched), untouched(vmConf, touched), "everything else is the VM's file, line for line and in order");
    for (const c of changes) assert.ok(c.name && c.why.length > 20, `change ${c.name} says why`);
}

test("local coturn: only addresses, the secret, logging and TLS differ from the VM's turnserver.conf", () => {
    const { text, changes } = localTurnserverConf(prod, site);
    assert.deepEqual(changes.map((c) => c.name), ["addresses", "secret in the file", "log to stdout", "no TLS listener"]);
    assertExactly(text, changes);
    const o = confOptions(text);
    assert.deepEqual(o.get("listening-ip"), ["127.0.9.1"]);
    assert.deepEqual(o.get("relay-ip"), ["127.0.9.2"]);
    assert.deepEqual(o.get("static-auth-secret"), ["s3cret"]);
    assert.ok(!o.has("external-ip") && o.has("no-tls") && !o.has("allow-loopback-peers"));
    assert.ok(o.has("no-software-attribute") && o.has("no-tcp-relay") && o.has("denied-peer-ip"), "hardening kept");
    // coturn's admin CLI is the VM's alone (adminCli, set only by infra/user-data.ts for the session reaper): locally it stays off.
    assert.ok(o.has("no-cli") && !o.has("cli-ip") && !o.has("cli-port"), "a local coturn keeps no-cli");
});

test("local coturn with a test certificate on another TLS port: only cert, pkey and tls-listening-port change for TLS", () => {
    const tls = { certFile: "/tmp/pki/server.pem", keyFile: "/tmp/pki/server.key", port: 15349 };
    const { text, changes } = localTurnserverConf(prod, { ...site, tls });
    assert.equal(changes[3].name, "test certificate");
    assertExactly(text, changes);
    assert.deepEqual(confOptions(text).get("tls-listening-port"), ["15349"]);
    assert.deepEqual(confOptions(text).get("cipher-list"), confOptions(vmConf).get("cipher-list"));
});

test("local coturn: each named extra changes exactly what it says", () => {
    const extras = [
        loopbackPeers(["127.0.9.2"]),
        listeningPort(3579),
        withoutDenyList("a test of the nftables layer alone"),
        runAsUser("turnserver", "as systemd runs coturn on the VM"),
    ];
    const { text, changes } = localTurnserverConf(prod, site, extras);
    assert.deepEqual(changes.slice(4), extras);
    assertExactly(text, changes);
    const o = confOptions(text);
    assert.deepEqual(o.get("allowed-peer-ip"), ["127.0.9.2"]);
    assert.ok(o.has("allow-loopback-peers"));
    assert.deepEqual(o.get("listening-port"), ["3579"]);
    assert.ok(!o.has("denied-peer-ip"));
    assert.deepEqual([o.get("proc-user"), o.get("proc-group")], [["turnserver"], ["turnserver"]]);
    assert.ok(text.endsWith("proc-group=turnserver\n"), "still one option per line, ending in a newline");

    const doc = localTurnserverConf(prod, site, [allowedPeers(["192.0.2.1"], "the relay address, a documentation address the deny-list refuses")]);
    assertExactly(doc.text, doc.changes);
    assert.ok(!confOptions(doc.text).has("allow-loopback-peers"));
});

test("local coturn: the standard changes are one list, and a secret with a line break is still refused", () => {
    assert.equal(localChanges(site).length, 4);
    assert.throws(() => localTurnserverConf(prod, { ...site, secret: "x\nno-auth" }), /line break/);
});
