/**
 * "The prod turnserver.conf for a local coturn": the one place that says how a coturn on this machine
 * (`npm run local`, `npm run bench:relay`, the real-coturn tests) differs from the one on the VM.
 *
 * It renders with the same renderer and the stack's own config (infra/turnserver-conf.ts), then applies a
 * list of named changes, each with the coturn options it touches and why:
 *  - {@link localChanges}: what every local coturn changes (addresses, secret, logging, certificates);
 *  - the named extras below ({@link loopbackPeers}, {@link allowedPeers}, {@link listeningPort},
 *    {@link withoutDenyList}, {@link runAsUser}), which a caller adds and so spells out; a test may also
 *    pass a {@link ConfChange} of its own.
 * Everything not touched by a change is byte-for-byte what the VM runs (test/unit/local-turnserver-conf.test.ts
 * checks that the rendered difference is exactly the options the changes name).
 */
import { renderTurnserverConf, type TurnserverConfOptions } from "../../infra/turnserver-conf";

/** One change to the production turnserver.conf, named, with its reason. */
export interface ConfChange {
    /** Short name, e.g. `addresses`. */
    name: string;
    /** Why a local coturn needs it. */
    why: string;
    /** The turnserver.conf options (keys) this change adds, removes or sets. */
    touches: string[];
    /** Renderer options it sets, merged over the production ones in order. */
    options?: Partial<TurnserverConfOptions>;
    /** An edit of the rendered lines, for what the renderer has no option for. */
    edit?: (lines: string[]) => string[];
}

/** The stack's settings as the renderer takes them (a parsed stack config); the local site supplies the rest. */
export type StackConfOptions = Omit<
    TurnserverConfOptions,
    "listeningIp" | "relayIp" | "externalIp" | "listeningPort" | "tls" | "staticAuthSecret" | "log" | "allowLoopbackPeers" | "allowedPeerIps"
>;

/** Where and how the local coturn runs. */
export interface LocalSite {
    /** Address coturn listens on (loopback, or a test namespace's address). */
    listeningIp: string;
    /** Address relayed traffic leaves from; differs from `listeningIp` so no side can skip the relay unnoticed. */
    relayIp: string;
    /** The TURN REST API shared secret (fresh per run). */
    secret: string;
    /** Certificate and key files (a test PKI's); omitted: no TLS listener. `port` defaults to 5349. */
    tls?: { certFile: string; keyFile: string; port?: number };
}

const TLS_OPTIONS = ["tls-listening-port", "cert", "pkey", "no-tlsv1", "no-tlsv1_1", "cipher-list", "no-tls"];

/**
 * The changes every local coturn makes to the production config, in one list.
 * @param site addresses, secret and certificates of this run
 */
export function localChanges(site: LocalSite): ConfChange[] {
    return [
        {
            name: "addresses",
            why: "the VM listens and relays on its private IP behind an Elastic IP (external-ip=public/private); here coturn uses addresses of this machine, with no NAT in between",
            touches: ["listening-ip", "relay-ip", "external-ip"],
            options: { listeningIp: site.listeningIp, relayIp: site.relayIp, externalIp: undefined },
        },
        {
            name: "secret in the file",
            why: "on the VM the shared secret is appended at boot from SSM Parameter Store and never sits in user data; a local coturn gets a fresh one in its temporary 0600 file",
            touches: ["static-auth-secret"],
            options: { staticAuthSecret: site.secret },
        },
        {
            name: "log to stdout",
            why: "the VM logs to syslog (journald); locally the caller reads coturn's output and shows it when coturn fails",
            touches: ["syslog", "no-stdout-log", "log-file", "simple-log"],
            options: { log: "stdout" },
        },
        {
            name: site.tls ? "test certificate" : "no TLS listener",
            why: site.tls
                ? "the VM's certificate comes from Let's Encrypt under /etc/coturn/tls; locally a test CA's"
                : "no certificate here, so TURN over TLS is off (as on a stack without a domain)",
            touches: site.tls ? ["cert", "pkey", ...(site.tls.port ? ["tls-listening-port"] : [])] : TLS_OPTIONS,
            options: { tls: site.tls },
        },
    ];
}

/**
 * Loopback peers: peers on this machine have 127.x addresses, which the deny-list refuses; allow loopback
 * peers and except exactly `peers` (`allow-loopback-peers`, `allowed-peer-ip`). Never in the cloud config.
 */
export function loopbackPeers(peers: string[]): ConfChange {
    return {
        name: "loopback peers",
        why: `peers on this machine are loopback addresses the deny-list refuses; exactly ${peers.join(", ")} excepted`,
        touches: ["allow-loopback-peers", "allowed-peer-ip"],
        options: { allowLoopbackPeers: true, allowedPeerIps: peers },
    };
}

/** Except exactly `peers` from the deny-list (`allowed-peer-ip`), e.g. a test peer in a documentation range. */
export function allowedPeers(peers: string[], why: string): ConfChange {
    return { name: "allowed peers", why, touches: ["allowed-peer-ip"], options: { allowedPeerIps: peers } };
}

/** Listen for TURN over UDP/TCP on `port` instead of 3478 (`listening-port`); the ICE URLs must use the same value. */
export function listeningPort(port: number): ConfChange {
    return {
        name: "listening port",
        why: `listen on ${port} instead of 3478, e.g. beside another TURN server`,
        touches: ["listening-port"],
        options: { listeningPort: port },
    };
}

/** Drop every `denied-peer-ip` line: for a test that proves another layer (nftables) alone, or shows a check fail. */
export function withoutDenyList(why: string): ConfChange {
    return { name: "no deny-list", why, touches: ["denied-peer-ip"], edit: (lines) => lines.filter((l) => !l.startsWith("denied-peer-ip=")) };
}

/** Drop root and run as `user` (`proc-user`/`proc-group`), as systemd runs coturn on the VM. */
export function runAsUser(user: string, why: string): ConfChange {
    return {
        name: `run as ${user}`,
        why,
        touches: ["proc-user", "proc-group"],
        edit: (lines) => [...lines.slice(0, -1), `proc-user=${user}`, `proc-group=${user}`, ...lines.slice(-1)],
    };
}

/** A rendered local turnserver.conf and the changes it carries. */
export interface LocalConf {
    /** The turnserver.conf text. */
    text: string;
    /** Every change made to the production config, standard ones first. */
    changes: ConfChange[];
}

/**
 * Render the production turnserver.conf with the local changes and then `extra`, in order.
 * @param stack the stack's settings (e.g. `parseTurnConfig(readStackConfig("prod"))`)
 * @param site where this coturn runs
 * @param extra the caller's own named changes
 * @throws Error from the renderer (a line break in the secret or realm)
 */
export function localTurnserverConf(stack: StackConfOptions, site: LocalSite, extra: ConfChange[] = []): LocalConf {
    const changes = [...localChanges(site), ...extra];
    let options: TurnserverConfOptions = { ...stack, listeningIp: site.listeningIp, relayIp: site.relayIp };
    for (const c of changes) options = { ...options, ...c.options };
    let lines = renderTurnserverConf(options).split("\n");
    for (const c of changes) if (c.edit) lines = c.edit(lines);
    return { text: lines.join("\n"), changes };
}
