/**
 * Renders coturn's `turnserver.conf` (coturn 4.6.1 as packaged in Debian 12 and 13;
 * option names from coturn's `examples/etc/turnserver.conf` and `turnserver --help`).
 *
 * Auth is the TURN REST API (`use-auth-secret` + `static-auth-secret`,
 * draft-uberti-behave-turn-rest-00): clients get time-limited credentials
 * minted from the shared secret, never a long-lived password.
 *
 * Hardening (RFC 8656 §21): every non-public IPv4/IPv6 peer range is denied
 * (see {@link COTURN_DENIED_RANGES}), multicast peers, TCP relay (RFC 6062),
 * the telnet CLI (on the VM: loopback only, for the reaper), DTLS, RFC 5780 NAT discovery and the SOFTWARE attribute are
 * off, TLS is 1.2+ with ECDHE/AEAD ciphers, and allocations are quota-bound.
 */
import { COTURN_DENIED_RANGES, coturnRange } from "./peer-ranges";
import { TURN_PORT, TURNS_PORT } from "./listeners";
import type { PortRange } from "./port-range";
import { CLI_CONF_LINES } from "./reaper";

/** ECDHE key exchange with AEAD ciphers only (Mozilla "intermediate" TLS 1.2 list). */
export const TLS_CIPHERS = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Inputs of {@link renderTurnserverConf}. Ports are TCP/UDP port numbers. */
export interface TurnserverConfOptions {
    /** TURN realm (RFC 8489 §14.9). */
    realm: string;
    /** Address coturn listens on (the VM's private IP; 127.0.0.1 locally). */
    listeningIp: string;
    /** Address relayed traffic leaves from (the VM's private IP; 127.0.0.2 locally). */
    relayIp: string;
    /** Public address mapped to the private one (an Elastic IP in front of the VM's private IP): coturn's `external-ip=<public>/<private>`. */
    externalIp?: { public: string; private: string };
    /** TURN over UDP and TCP port (default 3478). */
    listeningPort?: number;
    /** TLS listener; omitted: TLS and DTLS are off (`no-tls`, `no-dtls`). */
    tls?: { certFile: string; keyFile: string; port?: number };
    /** Relay port range, inclusive (coturn `min-port`/`max-port`; port-range.ts). */
    relayPortRange: PortRange;
    /** Concurrent allocations per username / on the server. */
    userQuota: number;
    totalQuota: number;
    /**
     * The shared secret. Omitted in the cloud-init copy: the VM appends it at
     * boot from SSM Parameter Store, so it never sits in EC2 user data.
     */
    staticAuthSecret?: string;
    /**
     * coturn's SQLite user database (`userdb=`), where the VM keeps the secrets instead of
     * `static-auth-secret` lines, so a rotation needs no restart (infra/secret-sync.ts).
     */
    userdb?: string;
    /**
     * The VM only: coturn's admin CLI on 127.0.0.1 ({@link CLI_CONF_LINES}, reaper.ts) instead of `no-cli`, for
     * the session reaper; its hashed password is appended at boot. Local runs keep `no-cli`.
     */
    adminCli?: boolean;
    /** Where logs go: `syslog` (journald on the VM, default) or `stdout` (local runs). */
    log?: "syslog" | "stdout";
    /**
     * Local mode only, never in the cloud config: allow 127.x/::1 peers
     * (`allow-loopback-peers`). The loopback deny range still applies; only
     * `allowedPeerIps` get through.
     */
    allowLoopbackPeers?: boolean;
    /** Addresses excepted from the deny-list (`allowed-peer-ip`); local and test use only. */
    allowedPeerIps?: string[];
}

/**
 * Render turnserver.conf.
 * @returns the file's text, one option per line, `#` comments
 * @throws Error when the secret or realm contains a newline
 */
export function renderTurnserverConf(o: TurnserverConfOptions): string {
    for (const [name, v] of [["realm", o.realm], ["static-auth-secret", o.staticAuthSecret ?? ""]]) {
        if (/[\r\n]/.test(v)) throw new Error(`${name} must not contain a line break`);
    }
    const lines: string[] = [
        "# turnserver.conf rendered by turn-stack (infra/turnserver-conf.ts). Do not edit on the server.",
        "",
        "# Listeners",
        `listening-ip=${o.listeningIp}`,
        `listening-port=${o.listeningPort ?? TURN_PORT}`,
        `relay-ip=${o.relayIp}`,
    ];
    if (o.externalIp) lines.push(`external-ip=${o.externalIp.public}/${o.externalIp.private}`);
    lines.push(`min-port=${o.relayPortRange.min}`, `max-port=${o.relayPortRange.max}`);
    if (o.tls) {
        lines.push(
            `tls-listening-port=${o.tls.port ?? TURNS_PORT}`,
            `cert=${o.tls.certFile}`,
            `pkey=${o.tls.keyFile}`,
            "no-tlsv1",
            "no-tlsv1_1",
            `cipher-list="${TLS_CIPHERS}"`,
        );
    } else {
        lines.push("no-tls");
    }
    lines.push(
        "no-dtls",
        "no-rfc5780",
        "no-stun-backward-compatibility",
        "",
        "# Auth: TURN REST API (time-limited credentials from a shared secret)",
        "fingerprint",
        "use-auth-secret",
        `realm=${o.realm}`,
        "stale-nonce=600",
    );
    if (o.staticAuthSecret !== undefined) lines.push(`static-auth-secret=${o.staticAuthSecret}`);
    if (o.userdb !== undefined) lines.push(`userdb=${o.userdb}`);
    lines.push(
        "",
        "# Quotas",
        `user-quota=${o.userQuota}`,
        `total-quota=${o.totalQuota}`,
        "max-allocate-lifetime=3600",
        "",
        "# Hardening",
        ...(o.adminCli ? CLI_CONF_LINES : ["no-cli"]),
        "no-software-attribute",
        "no-tcp-relay",
        "no-multicast-peers",
    );
    if (o.allowLoopbackPeers) lines.push("allow-loopback-peers");
    lines.push("", "# Peer deny-list: every non-public range (first-last; coturn 4.6.1 has no CIDR syntax here)");
    for (const r of COTURN_DENIED_RANGES) {
        lines.push(`# ${r.cidr}: ${r.reason}`, `denied-peer-ip=${coturnRange(r.cidr)}`);
    }
    for (const ip of o.allowedPeerIps ?? []) lines.push(`allowed-peer-ip=${ip}`);
    lines.push("", "# Logging");
    lines.push(...((o.log ?? "syslog") === "syslog" ? ["syslog", "no-stdout-log"] : ["log-file=stdout", "simple-log"]));
    return lines.join("\n") + "\n";
}
