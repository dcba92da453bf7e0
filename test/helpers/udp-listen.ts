/** Run inside a test namespace: print one line per UDP datagram received on <address> <port>; prints "listening" first. */
import dgram from "node:dgram";

const [address, port] = process.argv.slice(2);
const s = dgram.createSocket("udp4");
s.on("message", (m, from) => console.log(`${from.address}:${from.port} ${m.toString()}`));
s.bind(Number(port), address, () => console.log("listening"));
process.on("SIGTERM", () => s.close(() => process.exit(0)));
