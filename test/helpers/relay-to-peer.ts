/**
 * Run inside a test namespace: allocate on a TURN server, try to install a
 * permission for a peer and send it datagrams through the relay. Prints JSON
 * `{ relayed, permission: "ok" | "<error>", sent }`. Secret from TURN_SHARED_SECRET.
 * Usage: relay-to-peer.ts <server ip> <server port> <peer ip> <peer port> <count> [udp|tcp]
 * (the last argument is the client-to-server transport; the relay is UDP either way).
 */
import { mintTurnCredential } from "../../infra/credentials";
import { TurnClient } from "../../scripts/lib/turn-client";

async function main() {
    const [host, port, peer, peerPort, count, transport = "udp"] = process.argv.slice(2);
    if (transport !== "udp" && transport !== "tcp") throw new Error(`transport ${transport}: udp or tcp`);
    const c = await TurnClient.connect({ host, port: Number(port), transport });
    try {
        const cred = mintTurnCredential(process.env.TURN_SHARED_SECRET!, { ttlSeconds: 300 });
        const a = await c.allocate(cred.username, cred.credential);
        let permission = "ok";
        try {
            await c.createPermission(peer);
        } catch (e) {
            permission = String(e);
        }
        let sent = 0;
        if (permission === "ok") {
            for (let i = 0; i < Number(count); i++, sent++) c.sendIndication({ address: peer, port: Number(peerPort) }, Buffer.from(`probe ${i}`));
            // A Refresh round trip after the sends: the server has processed them in order by the time it answers.
            await c.refresh(300);
        }
        console.log(JSON.stringify({ relayed: `${a.relayed.address}:${a.relayed.port}`, permission, sent }));
    } finally {
        await c.close();
    }
}
main().catch((e) => {
    console.error(String(e));
    process.exit(1);
});
