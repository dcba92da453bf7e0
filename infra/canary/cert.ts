/**
 * The TLS certificate a TURN-over-TLS listener presents: its notAfter.
 *
 * A plain TLS handshake (node:tls), separate from the TURN probe, that does not reject an
 * untrusted or expired certificate: the point is to read its expiry even when it is wrong (the
 * TURN probe on the same listener verifies it and fails if it is not trusted). RFC 5280 §4.1.2.5:
 * the validity's notAfter; Node gives it as `valid_to` (tls.TLSSocket getPeerCertificate).
 */
import tls from "node:tls";
import { isIP } from "node:net";

/**
 * Connect, read the peer certificate's notAfter, disconnect.
 * @param servername SNI name (the certificate's name); omitted for an IP
 * @throws Error on connect failure, no certificate, or no answer within timeoutMs
 */
export function certificateNotAfter(o: { host: string; port: number; servername?: string; timeoutMs: number }): Promise<Date> {
    return new Promise((resolve, reject) => {
        const sni = o.servername && !isIP(o.servername) ? o.servername : undefined;
        const socket = tls.connect({ host: o.host, port: o.port, servername: sni, rejectUnauthorized: false });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`TLS handshake with ${o.host}:${o.port} timed out after ${o.timeoutMs} ms`));
        }, o.timeoutMs);
        socket.once("secureConnect", () => {
            clearTimeout(timer);
            const cert = socket.getPeerCertificate();
            socket.destroy();
            const notAfter = cert?.valid_to ? new Date(cert.valid_to) : undefined;
            if (!notAfter || Number.isNaN(notAfter.getTime())) reject(new Error(`${o.host}:${o.port} presented no certificate`));
            else resolve(notAfter);
        });
        socket.once("error", (e) => {
            clearTimeout(timer);
            socket.destroy();
            reject(e);
        });
    });
}
