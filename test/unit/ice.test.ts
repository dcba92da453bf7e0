/** ICE servers in the RTCIceServer shape with RFC 7065 TURN URIs (infra/ice.ts). */
import { test } from "vitest";
import assert from "node:assert/strict";
import { buildIceServers, turnUrls } from "../../infra/ice";
import { mintTurnCredential } from "../../infra/credentials";

test("ICE servers: one RTCIceServer, UDP first, TLS URLs only with TLS; without TLS, TURN over TCP on 443 last", () => {
    assert.deepEqual(turnUrls("turn.example.com", true), [
        "turn:turn.example.com:3478?transport=udp",
        "turn:turn.example.com:3478?transport=tcp",
        "turns:turn.example.com:5349?transport=tcp",
        "turns:turn.example.com:443?transport=tcp",
    ]);
    assert.deepEqual(turnUrls("203.0.113.10", false), ["turn:203.0.113.10:3478?transport=udp", "turn:203.0.113.10:3478?transport=tcp", "turn:203.0.113.10:443?transport=tcp"]);
    assert.deepEqual(buildIceServers("203.0.113.10", false), [{ urls: turnUrls("203.0.113.10", false) }]);
    const cred = mintTurnCredential("s3cret", { ttlSeconds: 60, nowMs: 0 });
    assert.deepEqual(buildIceServers("203.0.113.10", false, cred)[0], { urls: turnUrls("203.0.113.10", false), username: cred.username, credential: cred.credential });
});

test("ICE servers: the URLs name coturn's listening port when it is not 3478 (npm run local -- --port); IPv6 hosts are bracketed", () => {
    // npm run local: coturn without the VM's nftables, so no 443 (redirected: false).
    assert.deepEqual(turnUrls("127.0.0.1", false, 3579, false), ["turn:127.0.0.1:3579?transport=udp", "turn:127.0.0.1:3579?transport=tcp"]);
    assert.deepEqual(buildIceServers("127.0.0.1", false, undefined, 3579, false), [{ urls: turnUrls("127.0.0.1", false, 3579, false) }]);
    // Behind the VM's firewall, 443 is redirected to whatever the listening port is.
    assert.deepEqual(turnUrls("127.0.0.1", false, 3579).at(-1), "turn:127.0.0.1:443?transport=tcp");
    assert.deepEqual(turnUrls("turn.example.com", true, 3579).slice(2), ["turns:turn.example.com:5349?transport=tcp", "turns:turn.example.com:443?transport=tcp"], "TLS ports do not move");
    assert.deepEqual(turnUrls("2001:db8::10", false), ["turn:[2001:db8::10]:3478?transport=udp", "turn:[2001:db8::10]:3478?transport=tcp", "turn:[2001:db8::10]:443?transport=tcp"]);
});
