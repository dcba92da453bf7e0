/**
 * The TURN listeners a turn-stack server offers, one list that the
 * turnserver.conf renderer, the security group and the ICE servers all derive
 * from, so they can never disagree.
 *
 * Ports follow RFC 8656 §4 / RFC 7350: 3478 for TURN over UDP and TCP, 5349
 * for TURN over TLS. TURN over TLS on 443 gets through firewalls that only
 * allow HTTPS; coturn 4.6.1 binds a single TLS listening port (its
 * `alt-tls-listening-port` only opens with RFC 5780 and two listening IPs), so
 * on the VM nftables redirects 443 to coturn's 5349.
 */

/** TURN over UDP and TCP (RFC 8656 §4). */
export const TURN_PORT = 3478;
/** TURN over TLS (RFC 7350). */
export const TURNS_PORT = 5349;
/** TURN over TLS on the HTTPS port, for networks that only allow 443. */
export const TURNS_HTTPS_PORT = 443;
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
    /** Port coturn itself binds (differs from `port` only for 443, redirected to 5349). */
    coturnPort: number;
    /** Human description, used for security group rule descriptions. */
    description: string;
}

/**
 * The listeners a server offers. TLS listeners exist only when the server has a
 * certificate (a domain), since `turns:` needs a name a certificate can match.
 * @param tls whether TLS listeners are enabled
 * @param listeningPort the TURN over UDP/TCP port (coturn's `listening-port`): 3478 in the cloud;
 *   `npm run local -- --port` changes it, and the ICE URLs follow from this one value
 * @returns UDP first, then TCP, then TLS 5349, then TLS 443
 */
export function listeners(tls: boolean, listeningPort: number = TURN_PORT): Listener[] {
    const out: Listener[] = [
        { port: listeningPort, transport: "udp", scheme: "turn", coturnPort: listeningPort, description: "TURN over UDP" },
        { port: listeningPort, transport: "tcp", scheme: "turn", coturnPort: listeningPort, description: "TURN over TCP" },
    ];
    if (tls) {
        out.push(
            { port: TURNS_PORT, transport: "tcp", scheme: "turns", coturnPort: TURNS_PORT, description: "TURN over TLS" },
            { port: TURNS_HTTPS_PORT, transport: "tcp", scheme: "turns", coturnPort: TURNS_PORT, description: "TURN over TLS on 443 (redirected to 5349)" },
        );
    }
    return out;
}

/** Ports coturn binds itself; the relay range must not overlap them. */
export const COTURN_LISTENING_PORTS: readonly number[] = [TURN_PORT, TURNS_PORT];

/**
 * The readiness probe's listener list for a server, e.g.
 * `udp:3478,tcp:3478,tls:5349,tls:443` (scripts/probe.ts syntax).
 */
export function probeListenerSpec(tls: boolean): string {
    return listeners(tls)
        .map((l) => `${l.scheme === "turns" ? "tls" : l.transport}:${l.port}`)
        .join(",");
}
