/** The one list of TURN listeners (infra/listeners.ts) that turnserver.conf, the security group and the ICE URLs derive from. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { COTURN_LISTENING_PORTS, HTTPS_PORT, TURN_PORT, TURNS_HTTPS_PORT, TURNS_PORT, listeners, probeListenerSpec } from "../../infra/listeners";

test("listeners: UDP then TCP on 3478; with TLS, TLS on 5349 and on 443 redirected to coturn's 5349; without, TCP on 443 redirected to 3478", () => {
    assert.deepEqual(
        listeners(false).map((l) => [l.scheme, l.transport, l.port, l.coturnPort]),
        [
            ["turn", "udp", 3478, 3478],
            ["turn", "tcp", 3478, 3478],
            ["turn", "tcp", 443, 3478],
        ],
    );
    assert.deepEqual(
        listeners(true).map((l) => [l.scheme, l.transport, l.port, l.coturnPort]),
        [
            ["turn", "udp", 3478, 3478],
            ["turn", "tcp", 3478, 3478],
            ["turns", "tcp", 5349, 5349],
            ["turns", "tcp", 443, 5349],
        ],
    );
    assert.ok(listeners(true).every((l) => l.description.length > 0));
    // coturn binds only these (nftables redirects 443 to 5349 or 3478), so the relay range must avoid exactly them.
    assert.deepEqual([...COTURN_LISTENING_PORTS], [TURN_PORT, TURNS_PORT]);
    assert.ok(!COTURN_LISTENING_PORTS.includes(TURNS_HTTPS_PORT));
});

test("listeners: the listening port is one value, for the plain listeners only (npm run local -- --port)", () => {
    const l = listeners(true, 3579);
    assert.deepEqual(
        l.map((x) => [x.port, x.coturnPort]),
        [
            [3579, 3579],
            [3579, 3579],
            [5349, 5349],
            [443, 5349],
        ],
    );
    assert.deepEqual(listeners(false, TURN_PORT), listeners(false), "default is 3478");
    assert.deepEqual(listeners(false, 3579).map((x) => [x.scheme, x.port, x.coturnPort]).at(-1), ["turn", 443, 3579], "443 is redirected to the listening port");
    assert.deepEqual(listeners(false, 443).map((x) => [x.transport, x.port]), [["udp", 443], ["tcp", 443]], "listening on 443 itself: nothing to redirect");
});

test("listeners without the VM's firewall (npm run local): only the ports coturn binds, no redirected 443", () => {
    assert.deepEqual(listeners(false, 3579, false).map((x) => [x.transport, x.port]), [["udp", 3579], ["tcp", 3579]]);
    assert.deepEqual(listeners(true, TURN_PORT, false).map((x) => [x.scheme, x.port]), [["turn", 3478], ["turn", 3478], ["turns", 5349]]);
    for (const tls of [true, false]) assert.ok(listeners(tls, TURN_PORT, false).every((l) => l.port === l.coturnPort));
    // Descriptions are security group rule descriptions: they name the redirect.
    assert.equal(listeners(false).at(-1)!.description, "TURN over TCP on 443 (redirected to 3478)");
    assert.equal(HTTPS_PORT, TURNS_HTTPS_PORT);
});

test("probe listener spec: every listener once, in the probe's transport:port syntax", () => {
    assert.equal(probeListenerSpec(false), "udp:3478,tcp:3478,tcp:443");
    assert.equal(probeListenerSpec(true), "udp:3478,tcp:3478,tls:5349,tls:443");
});
