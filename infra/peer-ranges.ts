/**
 * Address ranges a TURN relay must never relay to (its peer deny-list).
 *
 * Every range the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and updates) mark as not globally reachable, plus multicast
 * (RFC 5771, RFC 4291) and the cloud-internal addresses AWS uses for instance
 * metadata (169.254.169.254, fd00:ec2::254), the ECS task metadata endpoint
 * (169.254.170.2) and the Amazon DNS/NTP link-local addresses. A relay that can
 * reach these is an SSRF proxy into the VPC (RFC 8656 §21.3, "Attacks on
 * Internal Networks").
 *
 * coturn 4.6.1 takes `denied-peer-ip=<first>-<last>`; it does not understand
 * CIDR notation there, so ranges are rendered first-last (see
 * {@link coturnRange}).
 */
import ipaddr from "ipaddr.js";

/** One denied range: CIDR and why it is denied. */
export interface DeniedRange {
    /** CIDR, e.g. `10.0.0.0/8`. */
    cidr: string;
    /** Registry name or reason, rendered as a comment in turnserver.conf. */
    reason: string;
    /**
     * false when the range must not be written to coturn's deny-list. coturn
     * 4.6.1 treats a lone unspecified address (`::`, `::-::`, `0.0.0.0`) as a
     * wildcard that denies every peer, public ones included (found by
     * test/coturn.test.ts's public-peer control); coturn refuses those
     * addresses as peers by itself anyway.
     */
    coturn?: false;
}

/** IPv4 ranges that are not globally reachable (IANA IPv4 Special-Purpose Address Registry). */
export const DENIED_IPV4: readonly DeniedRange[] = [
    { cidr: "0.0.0.0/8", reason: "\"this network\" (RFC 791)" },
    { cidr: "10.0.0.0/8", reason: "private (RFC 1918)" },
    { cidr: "100.64.0.0/10", reason: "shared address space / CGNAT (RFC 6598)" },
    { cidr: "127.0.0.0/8", reason: "loopback (RFC 1122)" },
    { cidr: "169.254.0.0/16", reason: "link-local, incl. EC2 metadata 169.254.169.254, ECS 169.254.170.2 (RFC 3927)" },
    { cidr: "172.16.0.0/12", reason: "private (RFC 1918)" },
    { cidr: "192.0.0.0/24", reason: "IETF protocol assignments (RFC 6890)" },
    { cidr: "192.0.2.0/24", reason: "documentation TEST-NET-1 (RFC 5737)" },
    { cidr: "192.88.99.0/24", reason: "deprecated 6to4 relay anycast (RFC 7526)" },
    { cidr: "192.168.0.0/16", reason: "private (RFC 1918)" },
    { cidr: "198.18.0.0/15", reason: "benchmarking (RFC 2544)" },
    { cidr: "198.51.100.0/24", reason: "documentation TEST-NET-2 (RFC 5737)" },
    { cidr: "203.0.113.0/24", reason: "documentation TEST-NET-3 (RFC 5737)" },
    { cidr: "224.0.0.0/4", reason: "multicast (RFC 5771)" },
    { cidr: "240.0.0.0/4", reason: "reserved, incl. limited broadcast 255.255.255.255 (RFC 1112, RFC 919)" },
];

/** IPv6 ranges that are not globally reachable (IANA IPv6 Special-Purpose Address Registry). */
export const DENIED_IPV6: readonly DeniedRange[] = [
    { cidr: "::/128", reason: "unspecified (RFC 4291)", coturn: false },
    { cidr: "::1/128", reason: "loopback (RFC 4291)" },
    { cidr: "::ffff:0:0/96", reason: "IPv4-mapped (RFC 4291)" },
    { cidr: "64:ff9b::/96", reason: "IPv4/IPv6 translation (RFC 6052)" },
    { cidr: "64:ff9b:1::/48", reason: "local-use IPv4/IPv6 translation (RFC 8215)" },
    { cidr: "100::/64", reason: "discard-only (RFC 6666)" },
    { cidr: "2001::/23", reason: "IETF protocol assignments, incl. Teredo (RFC 2928)" },
    { cidr: "2001:db8::/32", reason: "documentation (RFC 3849)" },
    { cidr: "2002::/16", reason: "6to4, embeds any IPv4 address (RFC 3056)" },
    { cidr: "3fff::/20", reason: "documentation (RFC 9637)" },
    { cidr: "5f00::/16", reason: "segment routing SIDs (RFC 9602)" },
    { cidr: "fc00::/7", reason: "unique local, incl. EC2 metadata fd00:ec2::254 (RFC 4193)" },
    { cidr: "fe80::/10", reason: "link-local (RFC 4291)" },
    { cidr: "fec0::/10", reason: "deprecated site-local (RFC 3879)" },
    { cidr: "ff00::/8", reason: "multicast (RFC 4291)" },
];

/** All denied ranges, IPv4 first. */
export const DENIED_PEER_RANGES: readonly DeniedRange[] = [...DENIED_IPV4, ...DENIED_IPV6];

/**
 * First and last address of a CIDR block.
 * @param cidr e.g. `172.16.0.0/12` or `fc00::/7`
 * @returns `{ first, last }` in each family's normal text form
 * @throws Error if `cidr` is not a valid CIDR
 */
export function cidrBounds(cidr: string): { first: string; last: string } {
    const isV6 = cidr.includes(":");
    const cls = isV6 ? ipaddr.IPv6 : ipaddr.IPv4;
    const first = cls.networkAddressFromCIDR(cidr);
    const last = cls.broadcastAddressFromCIDR(cidr);
    return { first: first.toString(), last: last.toString() };
}

/** The ranges written to coturn's `denied-peer-ip` lines. */
export const COTURN_DENIED_RANGES: readonly DeniedRange[] = DENIED_PEER_RANGES.filter((r) => r.coturn !== false);

/**
 * A range in coturn's `denied-peer-ip`/`allowed-peer-ip` syntax: `first-last`,
 * or a single address for a /32 or /128.
 * @throws Error for the unspecified address alone, which coturn 4.6.1 reads as "every address"
 */
export function coturnRange(cidr: string): string {
    const { first, last } = cidrBounds(cidr);
    if (first === last && ipaddr.parse(first).range() === "unspecified") {
        throw new Error(`${cidr}: coturn 4.6.1 treats a lone unspecified address as a wildcard; it must not be rendered`);
    }
    return first === last ? first : `${first}-${last}`;
}

/**
 * True when `address` lies in any denied range.
 * @throws Error if `address` is not an IPv4 or IPv6 address
 */
export function isDeniedPeer(address: string): boolean {
    const addr = ipaddr.parse(address);
    return DENIED_PEER_RANGES.some((r) => {
        const [net, bits] = ipaddr.parseCIDR(r.cidr);
        return addr.kind() === net.kind() && addr.match(net, bits);
    });
}
