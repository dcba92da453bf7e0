/**
 * The TURN listeners a turn-stack server offers, one list that the
 * turnserver.conf renderer, the security group and the ICE servers all derive
 * from, so they can never disagree.
 *
 * Ports follow RFC 8656 §4 / RFC 7350: 3478 for TURN over UDP and TCP, 5349
 * for TURN over TLS. Port 443 gets through firewalls that only allow HTTPS
 * (the Geti Prompt guide and the plain-language coturn guide in
 * ../shared/reference send clients behind UDP-blocking firewalls there): with
 * a domain it is TURN over TLS, without one plain TURN over TCP (a `turns:`
 * URL needs a certificate name). coturn binds no privileged port and 4.6.1 has
 * one TLS listening port (its `alt-tls-listening-port` only opens with RFC 5780
 * and two listening IPs), so on the VM nftables redirects 443 to coturn's own
 * port: 5349 with TLS, the listening port (3478) without
 * (infra/cloud-init.ts renderNftables, from this list).
 */

/** TURN over UDP and TCP (RFC 8656 §4). */
export const TURN_PORT = 3478;
/** TURN over TLS (RFC 7350). */
export const TURNS_PORT = 5349;
/** The HTTPS port, for networks that only allow 443: TURN over TLS with a domain, plain TURN over TCP without. */
export const HTTPS_PORT = 443;
/** TURN over TLS on the HTTPS port (with a domain): {@link HTTPS_PORT}. */
export const TURNS_HTTPS_PORT = HTTPS_PORT;
/** HTTP, opened only for Let's Encrypt's HTTP-01 challenge when a domain is set. */
export const ACME_HTTP_PORT = 80;

/** One listener as clients see it. */
export interface Listener {
    /** Port clients connect to. */
    port: number;
    /** Transport clients use: the `?transport=` of the TURN URI (RFC 7065). */
    transport: "udp" | "tcp";
    /** `turn` (plain) or `turns` (TLS). */
    scheme: "turn" | "turns";
    /**
     * Port coturn itself binds. It differs from `port` only for 443, which the VM's nftables
     * redirects (to 5349 with TLS, to the listening port without): such a listener exists only
     * where that host firewall runs.
     */
    coturnPort: number;
    /** Human description, used for security group rule descriptions. */
    description: string;
}

/**
 * The listeners a server offers. TLS listeners exist only when the server has a
 * certificate (a domain), since `turns:` needs a name a certificate can match;
 * 443 is TURN over TLS then, and plain TURN over TCP without.
 *
 * Order is the ICE servers' order: UDP first (the cheapest transport for media), then TCP on the
 * listening port, then 443 (plain TCP without a domain), then TLS. Browsers gather candidates from
 * every URL at once and rank relay candidates UDP over TCP over TLS whatever the order, so the
 * order matters only between URLs of one protocol (libwebrtc gives each TURN URL a priority from
 * its place, "first in the list gets highest priority": pc/ice_server_parsing.cc), and to
 * clients that use one URL (aiortc, mediasoup: infra/formats.ts `prefer`). TCP 443 after TCP 3478:
 * where both get through, the direct listener needs no redirect.
 * @param tls whether TLS listeners are enabled
 * @param listeningPort the TURN over UDP/TCP port (coturn's `listening-port`): 3478 in the cloud;
 *   `npm run local -- --port` changes it, and the ICE URLs follow from this one value
 * @param redirected whether the VM's host firewall redirects 443 to coturn (default true, as on the
 *   VM); false where coturn runs without it (`npm run local`), so only the ports coturn binds itself
 * @returns with TLS: UDP, TCP, TLS 5349, TLS 443; without: UDP, TCP, TCP 443
 */
export function listeners(tls: boolean, listeningPort: number = TURN_PORT, redirected: boolean = true): Listener[] {
    const out: Listener[] = [
        { port: listeningPort, transport: "udp", scheme: "turn", coturnPort: listeningPort, description: "TURN over UDP" },
        { port: listeningPort, transport: "tcp", scheme: "turn", coturnPort: listeningPort, description: "TURN over TCP" },
    ];
    if (tls) {
        out.push(
            { port: TURNS_PORT, transport: "tcp", scheme: "turns", coturnPort: TURNS_PORT, description: "TURN over TLS" },
            { port: HTTPS_PORT, transport: "tcp", scheme: "turns", coturnPort: TURNS_PORT, description: "TURN over TLS on 443 (redirected to 5349)" },
        );
    } else if (listeningPort !== HTTPS_PORT) {
        out.push({ port: HTTPS_PORT, transport: "tcp", scheme: "turn", coturnPort: listeningPort, description: `TURN over TCP on 443 (redirected to ${listeningPort})` });
    }
    return redirected ? out : out.filter((l) => l.port === l.coturnPort);
}

/** Ports coturn binds itself; the relay range must not overlap them. */
export const COTURN_LISTENING_PORTS: readonly number[] = [TURN_PORT, TURNS_PORT];

/**
 * The readiness probe's listener list for a server (scripts/probe.ts syntax):
 * `udp:3478,tcp:3478,tls:5349,tls:443` with TLS, `udp:3478,tcp:3478,tcp:443` without.
 */
export function probeListenerSpec(tls: boolean): string {
    return listeners(tls)
        .map((l) => `${l.scheme === "turns" ? "tls" : l.transport}:${l.port}`)
        .join(",");
}
