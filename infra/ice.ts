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
 * The TURN URIs a server offers, in the order of infra/listeners.ts: UDP first (the cheapest
 * transport for media), then TCP, then with TLS `turns:` on 5349 and 443, without TLS plain
 * TURN over TCP on 443.
 * @param host the server's public IP or DNS name (IPv6 literals are bracketed)
 * @param tls whether the server has TLS listeners (only with a domain and certificate)
 * @param listeningPort coturn's `listening-port` (TURN over UDP/TCP), default 3478
 * @param redirected whether 443 reaches coturn through the VM's nftables redirect (default true);
 *   false for a coturn without that firewall (`npm run local`): no 443 URL then
 */
export function turnUrls(host: string, tls: boolean, listeningPort?: number, redirected?: boolean): string[] {
    const h = host.includes(":") ? `[${host}]` : host;
    return listeners(tls, listeningPort, redirected).map((l) => `${l.scheme}:${h}:${l.port}?transport=${l.transport}`);
}

/**
 * `RTCIceServer[]` for one turn-stack server.
 * @param host public IP or DNS name; `turns:` URLs use it too, so with TLS it
 *   must be the certificate's name
 * @param tls whether to include the `turns:` URLs
 * @param credential minted credential; omitted: URLs only (for stack outputs)
 * @param listeningPort coturn's `listening-port` (TURN over UDP/TCP), default 3478: pass the value
 *   the turnserver.conf was rendered with, so the URLs name the port coturn listens on
 * @param redirected see {@link turnUrls}: false where coturn runs without the VM's 443 redirect
 */
export function buildIceServers(host: string, tls: boolean, credential?: TurnCredential, listeningPort?: number, redirected?: boolean): RTCIceServer[] {
    const server: RTCIceServer = { urls: turnUrls(host, tls, listeningPort, redirected) };
    if (credential) {
        server.username = credential.username;
        server.credential = credential.credential;
    }
    return [server];
}

/**
 * `RTCIceServer[]` for a fleet (issue 16): the latency-routed name first (DNS answers with the
 * nearest healthy region), then each server's own name as a fallback, in the order given (pass
 * one region's servers for a client that knows its region, or all of them, region by region).
 * Browsers gather relay candidates from every URL and, among URLs of one protocol, prefer the
 * earlier one (libwebrtc pc/ice_server_parsing.cc: "first in the list gets highest priority").
 * @param domain `turn:domain`, the certificate's name and the latency-routed name
 * @param serverHosts the servers' DNS names (`<region>-<n>.<domain>`; their certificates carry them too)
 * @param tls whether the servers have TLS listeners (a fleet always has a domain, so true on AWS)
 * @param credential as in {@link buildIceServers}, set on every entry
 */
export function buildFleetIceServers(domain: string, serverHosts: string[], tls: boolean, credential?: TurnCredential): RTCIceServer[] {
    return [domain, ...serverHosts].flatMap((host) => buildIceServers(host, tls, credential));
}
