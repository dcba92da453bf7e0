/**
 * Property: any valid config renders a turnserver.conf that real coturn
 * accepts and serves. fast-check draws valid configs (realm, relay range,
 * quotas, TLS or not, TTL); each is validated by infra/config.ts, rendered,
 * started in Debian's coturn on loopback (addresses changed for loopback only),
 * and must answer an allocation with a credential minted for that config's TTL,
 * on a relay port inside that config's range.
 */
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { parseTurnConfig } from "../../infra/config";
import { mintTurnCredential } from "../../infra/credentials";
import { startCoturn } from "../../scripts/lib/coturn";
import { localTurnserverConf } from "../../scripts/lib/local-turnserver-conf";
import { TurnClient } from "../../scripts/lib/turn-client";
import { makeTestPki } from "../helpers/tls-certs";

const pki = makeTestPki("turn.example.net");
afterAll(() => pki.cleanup());

const validRaw = fc
    .record({
        realm: fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/),
        min: fc.integer({ min: 10000, max: 60000 }),
        span: fc.integer({ min: 127, max: 5000 }),
        userQuota: fc.integer({ min: 1, max: 50 }),
        tls: fc.boolean(),
        ttl: fc.integer({ min: 60, max: 172800 }),
    })
    .filter(({ min, span }) => min + span <= 65535);

test("property: every valid config renders a turnserver.conf coturn accepts and serves", async () => {
    await fc.assert(
        fc.asyncProperty(validRaw, async (r) => {
            const cfg = parseTurnConfig({
                "turn:realm": r.realm,
                "turn:relayMinPort": String(r.min),
                "turn:relayMaxPort": String(r.min + r.span),
                "turn:userQuota": String(r.userQuota),
                "turn:totalQuota": String(r.userQuota + 10),
                "turn:credentialTtlSeconds": String(r.ttl),
                ...(r.tls ? { "turn:domain": "turn.example.net" } : {}),
            });
            const secret = randomBytes(24).toString("base64");
            const conf = localTurnserverConf(cfg, {
                listeningIp: "127.0.3.1",
                relayIp: "127.0.3.2",
                secret,
                tls: cfg.domain ? { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } : undefined,
            }).text;
            const coturn = await startCoturn({ conf, host: "127.0.3.1", port: 3478, secret });
            try {
                const transports = cfg.domain ? (["udp", "tls"] as const) : (["udp"] as const);
                for (const transport of transports) {
                    const c = await TurnClient.connect({ host: "127.0.3.1", port: transport === "tls" ? 5349 : 3478, transport, servername: cfg.domain, ca: pki.caCert });
                    try {
                        // One username per transport: with user-quota=1, coturn may not yet have released the previous
                        // allocation's quota slot when the next one arrives (that race is not what this property tests).
                        const cred = mintTurnCredential(secret, { ttlSeconds: cfg.credentialTtlSeconds, userId: `property-${transport}` });
                        const a = await c.allocate(cred.username, cred.credential);
                        assert.ok(cfg.relayPortRange.contains(a.relayed.port));
                    } finally {
                        await c.close();
                    }
                }
            } finally {
                await coturn.stop();
            }
        }),
        { numRuns: 12 },
    );
});
