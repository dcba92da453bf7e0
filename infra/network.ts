/**
 * Pure network planning for the TURN server: its fixed private address and
 * the security group rules, derived from the same listener list as
 * turnserver.conf and the ICE servers.
 */
import ipaddr from "ipaddr.js";
import { ACME_HTTP_PORT, listeners } from "./listeners";
import type { PortRange } from "./port-range";

/** Offset of the server's private IP in the subnet (AWS reserves the first four and the last address). */
export const PRIVATE_IP_OFFSET = 10;

/**
 * The server's private IPv4 address: the subnet's network address + 10, fixed at
 * deploy time so turnserver.conf (listening-ip, relay-ip, external-ip) needs no
 * discovery at boot.
 * @param cidr the subnet, /16 to /28
 */
export function serverPrivateIp(cidr: string): string {
    const bytes = ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray();
    const n = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) + PRIVATE_IP_OFFSET;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Longest security group rule description EC2 accepts. */
export const SG_RULE_DESCRIPTION_MAX_LENGTH = 255;
/**
 * Characters EC2 accepts in a security group rule description: "a-z, A-Z,
 * 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 characters (EC2 API Reference, IpRange and
 * Ipv6Range, Description: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html).
 * Anything else (an apostrophe, say) makes AuthorizeSecurityGroupIngress/Egress
 * answer InvalidParameterValue. The security group's own description follows
 * the same rule (CreateSecurityGroup, GroupDescription, "Constraints for EC2-VPC").
 */
export const SG_RULE_DESCRIPTION_SPECIALS = "._-:/()#,@[]+=&;{}!$*";
/** Text of letters, digits, spaces and {@link SG_RULE_DESCRIPTION_SPECIALS} only (any length): built from them, so the list is written once. */
export const SG_RULE_DESCRIPTION_CHARSET = new RegExp(`^[a-zA-Z0-9 ${SG_RULE_DESCRIPTION_SPECIALS.replace(/[\\\]\[^-]/g, "\\$&")}]*$`);

/** True when EC2 accepts `description` for a security group rule (see {@link SG_RULE_DESCRIPTION_SPECIALS}). */
export function isValidSgRuleDescription(description: string): boolean {
    return description.length <= SG_RULE_DESCRIPTION_MAX_LENGTH && SG_RULE_DESCRIPTION_CHARSET.test(description);
}

/**
 * Default quota "Inbound or outbound rules per security group": 60 inbound and
 * 60 outbound rules, counted separately per direction (and separately for IPv4
 * and IPv6 CIDRs); adjustable in Service Quotas, Amazon VPC, quota code
 * L-0EA8095F (Amazon VPC User Guide, "Amazon VPC quotas", Security groups:
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 * Above it AWS answers RulesPerSecurityGroupLimitExceeded.
 */
export const SG_RULES_PER_DIRECTION_QUOTA = 60;
/** Service Quotas code of "Inbound or outbound rules per security group" (service code `vpc`). */
export const SG_RULES_QUOTA_CODE = "L-0EA8095F";

/** One security group rule. Ports inclusive; protocol as AWS names it. */
export interface SecurityRule {
    direction: "ingress" | "egress";
    protocol: "udp" | "tcp";
    fromPort: number;
    toPort: number;
    cidr: string;
    description: string;
}

/** Inputs of {@link securityRules}. */
export interface SecurityRuleOptions {
    clientCidrs: string[];
    /** The relay port range (port-range.ts), opened for UDP. */
    relayPortRange: PortRange;
    /** TLS listeners (and the ACME HTTP-01 port) exist only with a domain. */
    tls: boolean;
}

/**
 * Security group rules: per client CIDR one ingress rule per listener and one
 * for the UDP relay range; with TLS, port 80 from anywhere for Let's Encrypt's
 * HTTP-01 challenge; egress limited to UDP (relay to peers, any port) and
 * TCP 80/443 (Debian packages, SSM, Let's Encrypt).
 */
export function securityRules(o: SecurityRuleOptions): SecurityRule[] {
    const rules: SecurityRule[] = [];
    for (const cidr of o.clientCidrs) {
        for (const l of listeners(o.tls)) {
            rules.push({ direction: "ingress", protocol: l.transport, fromPort: l.port, toPort: l.port, cidr, description: l.description });
        }
        rules.push({ direction: "ingress", protocol: "udp", fromPort: o.relayPortRange.min, toPort: o.relayPortRange.max, cidr, description: "TURN relay range (UDP)" });
    }
    if (o.tls) {
        rules.push({ direction: "ingress", protocol: "tcp", fromPort: ACME_HTTP_PORT, toPort: ACME_HTTP_PORT, cidr: "0.0.0.0/0", description: "ACME HTTP-01 challenge (Lets Encrypt)" });
    }
    rules.push(
        { direction: "egress", protocol: "udp", fromPort: 0, toPort: 65535, cidr: "0.0.0.0/0", description: "Relayed media to peers (UDP)" },
        { direction: "egress", protocol: "tcp", fromPort: 80, toPort: 80, cidr: "0.0.0.0/0", description: "Debian packages (HTTP)" },
        { direction: "egress", protocol: "tcp", fromPort: 443, toPort: 443, cidr: "0.0.0.0/0", description: "AWS APIs, Lets Encrypt, packages (HTTPS)" },
    );
    return rules;
}

/** A stable Pulumi resource-name suffix for a rule, e.g. `in-udp-3478-0-0-0-0-0`. */
export function ruleName(r: SecurityRule): string {
    const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
    return `${r.direction === "ingress" ? "in" : "out"}-${r.protocol}-${ports}-${r.cidr.replace(/[./]/g, "-")}`;
}

/** Rules of each direction {@link securityRules} declares. */
export function securityRuleCounts(o: SecurityRuleOptions): { ingress: number; egress: number } {
    const rules = securityRules(o);
    return { ingress: rules.filter((r) => r.direction === "ingress").length, egress: rules.filter((r) => r.direction === "egress").length };
}

/**
 * Most client CIDRs whose rules fit `quota` rules per direction, derived from
 * {@link securityRules} itself (rules for no CIDR, and for one more).
 */
export function maxClientCidrs(o: Omit<SecurityRuleOptions, "clientCidrs">, quota: number = SG_RULES_PER_DIRECTION_QUOTA): number {
    const none = securityRuleCounts({ ...o, clientCidrs: [] });
    const one = securityRuleCounts({ ...o, clientCidrs: ["0.0.0.0/0"] });
    let fit = Infinity;
    for (const dir of ["ingress", "egress"] as const) {
        const per = one[dir] - none[dir];
        if (none[dir] > quota) return 0;
        if (per > 0) fit = Math.min(fit, Math.floor((quota - none[dir]) / per));
    }
    return fit;
}
