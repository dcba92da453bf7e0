/**
 * ICE server configuration in the W3C WebRTC `RTCIceServer` shape
 * (`{ urls, username?, credential? }`, WebRTC 1.0 §4.2.1), with TURN URIs as
 * RFC 7065 defines them: `turn:host:port?transport=udp|tcp`, `turns:host:port?transport=tcp`.
 */
import { listeners } from "./listeners";
import type { TurnCredential } from "./credentials";

/** W3C `RTCIceServer`. */
export interface RTCIceServer {
    urls: string[];
    username?: string;
    credential?: string;
}

/**
 * The TURN URIs a server offers, UDP first (the cheapest transport for media),
 * then TCP, then TLS on 5349 and 443.
 * @param host the server's public IP or DNS name (IPv6 literals are bracketed)
 * @param tls whether the server has TLS listeners (only with a domain and certificate)
 * @param listeningPort coturn's `listening-port` (TURN over UDP/TCP), default 3478
 */
export function turnUrls(host: string, tls: boolean, listeningPort?: number): string[] {
    const h = host.includes(":") ? `[${host}]` : host;
    return listeners(tls, listeningPort).map((l) => `${l.scheme}:${h}:${l.port}?transport=${l.transport}`);
}

/**
 * `RTCIceServer[]` for one turn-stack server.
 * @param host public IP or DNS name; `turns:` URLs use it too, so with TLS it
 *   must be the certificate's name
 * @param tls whether to include the `turns:` URLs
 * @param credential minted credential; omitted: URLs only (for stack outputs)
 * @param listeningPort coturn's `listening-port` (TURN over UDP/TCP), default 3478: pass the value
 *   the turnserver.conf was rendered with, so the URLs name the port coturn listens on
 */
export function buildIceServers(host: string, tls: boolean, credential?: TurnCredential, listeningPort?: number): RTCIceServer[] {
    const server: RTCIceServer = { urls: turnUrls(host, tls, listeningPort) };
    if (credential) {
        server.username = credential.username;
        server.credential = credential.credential;
    }
    return [server];
}
