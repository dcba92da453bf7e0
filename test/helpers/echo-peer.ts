/** A TURN peer on loopback for relay tests. */
import dgram from "node:dgram";

/**
 * Binds a UDP socket on `address` (an ephemeral port) that answers every datagram to its sender with
 * `echo:` + the datagram. Resolves once bound, with the socket (close it in afterAll) and its port.
 */
export async function startEchoPeer(address: string): Promise<{ socket: dgram.Socket; port: number }> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((res) => socket.bind(0, address, () => res()));
    socket.on("message", (msg, from) => socket.send(Buffer.concat([Buffer.from("echo:"), msg]), from.port, from.address));
    return { socket, port: socket.address().port };
}
