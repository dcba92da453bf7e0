/**
 * Run inside a test namespace: open one allocation and hold it, relaying on command, so a test can
 * change the server (renew its certificate, cancel sessions) while a call is up.
 * Usage: hold-allocation.ts <server ip> <port> <udp|tcp|tls> <peer ip> <peer port> [<servername> <ca file>]
 * Credential: TURN_USERNAME + TURN_CREDENTIAL, else minted from TURN_SHARED_SECRET (10 minutes).
 * Prints `allocated <relayed address>` once the allocation and the peer's permission are in place; then each
 * stdin line `send <text>` sends <text> to the peer in a Send indication followed by a Refresh round trip
 * (so the server has handled the send when `sent <text>` is printed), or prints `error <text>: <reason>`.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { mintTurnCredential } from "../../infra/credentials";
import { TurnClient } from "../../scripts/lib/turn-client";

async function main() {
    const [host, port, transport, peer, peerPort, servername, caFile] = process.argv.slice(2);
    if (transport !== "udp" && transport !== "tcp" && transport !== "tls") throw new Error(`transport ${transport}: udp, tcp or tls`);
    const c = await TurnClient.connect({ host, port: Number(port), transport, servername, ca: caFile ? readFileSync(caFile) : undefined });
    const cred = process.env.TURN_USERNAME
        ? { username: process.env.TURN_USERNAME, credential: process.env.TURN_CREDENTIAL! }
        : mintTurnCredential(process.env.TURN_SHARED_SECRET!, { ttlSeconds: 600 });
    const a = await c.allocate(cred.username, cred.credential);
    await c.createPermission(peer);
    console.log(`allocated ${a.relayed.address}:${a.relayed.port}`);
    for await (const line of createInterface({ input: process.stdin })) {
        const text = line.replace(/^send /, "");
        try {
            c.sendIndication({ address: peer, port: Number(peerPort) }, Buffer.from(text));
            await c.refresh(600);
            console.log(`sent ${text}`);
        } catch (e) {
            console.log(`error ${text}: ${String(e)}`);
        }
    }
    await c.close();
}
main().catch((e) => {
    console.error(String(e));
    process.exit(1);
});
