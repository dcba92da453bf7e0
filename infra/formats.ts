/**
 * `RTCIceServer[]` in the formats real WebRTC products read (see ../shared/reference):
 *
 * | format      | consumer | shape |
 * |-------------|----------|-------|
 * | `json`      | browsers' `RTCPeerConnection({ iceServers })`, any app | JSON array |
 * | `neko`      | neko `config.yaml` | YAML `webrtc.iceservers.frontend` |
 * | `neko-env`  | neko in Docker | `NEKO_WEBRTC_ICESERVERS_FRONTEND='[...]'` |
 * | `vidmeet`   | GKSPHONE VidMeet (FiveM) `serverconfig.lua` | `Cfg.VidMeet` Lua block: `IceServer = "manual"` with `ManualIceServers`, or with a Cloudflare key `IceServer = "cloudflare"` with `Cloudflare = { TokenID, ApiToken, TTL }` |
 * | `env`       | apps reading `ICE_SERVERS` (e.g. Geti Prompt) | `ICE_SERVERS='[...]'` |
 * | `mediasoup` | mediasoup demo server | `MEDIASOUP_CLIENT_ICESERVER_{HOST,PORT,PROTO,USER,PASS}` for one TURN server |
 * | `aiortc`    | Python aiortc | `RTCConfiguration(iceServers=[RTCIceServer(...)])` |
 *
 * Two of these clients use one TURN URL, never all of them: the mediasoup
 * server passes one host/port/transport on, and aiortc 1.4 (Debian 12) keeps
 * only the first TURN URL it accepts and never falls back
 * (aiortc/rtcicetransport.py `connection_kwargs`: "only a single TURN server is
 * supported"). For them `prefer` chooses the transport ({@link preferredTurnUrl}).
 *
 * Quoting is chosen so credentials containing `+ / = " $` (and `'` where the
 * format allows it) read back unchanged with the consumer's parser: env files
 * are valid for both `bash` sourcing and dotenv parsers.
 */
import { stringify } from "yaml";
import type { RTCIceServer } from "./ice";
import { CLOUDFLARE_MAX_TTL_SECONDS } from "./cloudflare-api";

export const FORMATS = ["json", "neko", "neko-env", "vidmeet", "env", "mediasoup", "aiortc"] as const;
export type Format = (typeof FORMATS)[number];

/** TURN transports a client can prefer: `turn:…?transport=udp`, `turn:…?transport=tcp`, `turns:` (TLS over TCP), RFC 7065. */
export const TURN_TRANSPORTS = ["udp", "tcp", "tls"] as const;
export type TurnTransport = (typeof TURN_TRANSPORTS)[number];
/** The formats whose client uses one TURN URL, so `prefer` chooses which; the others list every URL and their clients try them all. */
export const ONE_URL_FORMATS: readonly Format[] = ["aiortc", "mediasoup"];
/**
 * Ports a URL of the preferred transport is chosen on first: networks that block UDP often
 * allow only the web ports (the Geti Prompt guide and the plain-language coturn guide in
 * ../shared/reference send such clients to TURN on 443), so 443, then 80, then the first URL.
 */
export const WEB_PORTS: readonly number[] = [443, 80];

/** Options of {@link formatIceServers}. */
export interface FormatOptions {
    /** For the formats in {@link ONE_URL_FORMATS}: the transport of the one TURN URL the client will use (`npm run ice -- --prefer`). */
    prefer?: TurnTransport;
    /**
     * For `vidmeet` only: the stack's Cloudflare TURN key and the credential lifetime VidMeet asks Cloudflare for
     * (seconds, 1 to 172800: Cloudflare's generate-ice-servers limit). With it, VidMeet's production mode is rendered,
     * `IceServer = "cloudflare"`: VidMeet mints credentials per call itself (../shared/reference/000_*.txt, "Mode 2").
     */
    vidmeetCloudflare?: { keyId: string; key: string; ttlSeconds: number };
}

/** The transports `prefer` may name for `format` (mediasoup's PROTO has no TLS), or none when the format lists every URL. */
export function preferableTransports(format: Format): readonly TurnTransport[] {
    if (format === "mediasoup") return ["udp", "tcp"];
    return ONE_URL_FORMATS.includes(format) ? TURN_TRANSPORTS : [];
}

/**
 * Refuse a `prefer` the format cannot take, before anything is fetched or minted.
 * @throws Error naming `--prefer`, the value and what is allowed
 */
export function checkPrefer(format: Format, prefer: string | undefined): TurnTransport | undefined {
    if (prefer === undefined) return undefined;
    const allowed = preferableTransports(format);
    if (allowed.length === 0) {
        throw new Error(`--prefer ${prefer}: only for the formats whose client uses one TURN URL (${ONE_URL_FORMATS.join(", ")}); --format ${format} lists every URL and its client tries them all`);
    }
    if (!(allowed as readonly string[]).includes(prefer)) {
        const why = format === "mediasoup" && prefer === "tls" ? " (MEDIASOUP_CLIENT_ICESERVER_PROTO names a transport, udp or tcp; it has no TLS setting)" : "";
        throw new Error(`--prefer ${prefer}: one of ${allowed.join(", ")} for --format ${format}${why}`);
    }
    return prefer as TurnTransport;
}

/** The transport of a TURN URI (RFC 7065: `turns:` is TLS over TCP; `turn:` without `?transport=` is UDP), or undefined for any other URI. */
export function turnTransport(url: string): TurnTransport | undefined {
    const m = /^(turns?):[^?]*(?:\?transport=(udp|tcp))?$/.exec(url);
    if (!m) return undefined;
    if (m[1] === "turns") return m[2] === "udp" ? undefined : "tls";
    return (m[2] ?? "udp") as TurnTransport;
}

/** Port of a TURN URI, with RFC 7065's defaults (3478, 5349 for `turns:`). */
function turnPort(url: string): number {
    const m = /^turns?:(?:\[[^\]]+\]|[^:?]+)(?::(\d+))?/.exec(url);
    return m?.[1] ? Number(m[1]) : url.startsWith("turns:") ? 5349 : 3478;
}

/**
 * The one TURN URL a one-URL client should use for `prefer`: in server order (own relay before
 * Cloudflare), the first server with a credential and a URL of that transport; within it the URL
 * on a {@link WEB_PORTS web port} if there is one, else its first.
 * @returns the server and URL
 * @throws Error naming `--prefer`, the value and the transports these servers do offer
 *   (e.g. `tls` for a stack without a domain, which has no `turns:` URL)
 */
export function preferredTurnUrl(servers: RTCIceServer[], prefer: TurnTransport): { server: RTCIceServer; url: string } {
    const usable = servers.filter((s) => s.username !== undefined && s.credential !== undefined);
    for (const server of usable) {
        const urls = [server.urls].flat().filter((u) => turnTransport(u) === prefer);
        if (urls.length === 0) continue;
        const url = WEB_PORTS.map((p) => urls.find((u) => turnPort(u) === p)).find((u) => u !== undefined) ?? urls[0];
        return { server, url };
    }
    const offered = TURN_TRANSPORTS.filter((t) => usable.some((s) => [s.urls].flat().some((u) => turnTransport(u) === t)));
    const hint = prefer === "tls" ? " (turns: URLs need turn:domain)" : "";
    const choose = offered.length ? `choose one of ${offered.join(", ")}` : "they have no TURN URL with a credential at all";
    throw new Error(`--prefer ${prefer}: the stack's ICE servers have no TURN over ${prefer.toUpperCase()} URL${hint}; ${choose}`);
}

/**
 * Render ICE servers in a consumer's format.
 * @param o `prefer`: for aiortc and mediasoup, the transport of the one TURN URL rendered (see {@link preferredTurnUrl})
 * @throws Error for an unknown format, a `prefer` the format cannot take or the servers do not offer,
 *   or (mediasoup) when there is no TURN URL or a value cannot be quoted portably for both bash and dotenv
 */
export function formatIceServers(servers: RTCIceServer[], format: Format, o: FormatOptions = {}): string {
    const prefer = checkPrefer(format, o.prefer);
    switch (format) {
        case "json":
            return JSON.stringify(servers, null, 2) + "\n";
        case "neko":
            return stringify({ webrtc: { iceservers: { frontend: servers } } }, { lineWidth: 0 });
        case "neko-env":
            return `NEKO_WEBRTC_ICESERVERS_FRONTEND=${jsonEnvValue(servers)}\n`;
        case "env":
            return `ICE_SERVERS=${jsonEnvValue(servers)}\n`;
        case "vidmeet":
            return vidmeet(servers, o.vidmeetCloudflare);
        case "mediasoup":
            return mediasoup(servers, prefer);
        case "aiortc":
            return aiortc(servers, prefer);
        default:
            throw new Error(`unknown format ${JSON.stringify(format)}; one of ${FORMATS.join(", ")}`);
    }
}

/**
 * JSON in single quotes. A `'` inside is written as the JSON escape `\u0027`,
 * so bash and dotenv both read the same literal text and JSON.parse restores it.
 */
function jsonEnvValue(v: unknown): string {
    return `'${JSON.stringify(v).replace(/'/g, "\\u0027")}'`;
}

/**
 * A plain env value that bash and dotenv read identically: single quotes when
 * it has no `'`; double quotes when it has `'` but nothing bash expands there.
 * @throws Error when no quoting is read the same by both
 */
export function envValue(v: string): string {
    if (/[\r\n\0]/.test(v)) throw new Error("an env value cannot hold a line break");
    if (!v.includes("'")) return `'${v}'`;
    if (!/["$`\\]/.test(v)) return `"${v}"`;
    throw new Error(`value ${JSON.stringify(v)} mixes ' with " $ \` or \\: no env quoting reads the same in bash and dotenv`);
}

/** A Lua string literal (Lua 5.4 reference manual §3.1). */
function luaString(s: string): string {
    return (
        '"' +
        s.replace(/[\\"\x00-\x1f\x7f]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : `\\${c.charCodeAt(0).toString().padStart(3, "0")}`)) +
        '"'
    );
}

/**
 * VidMeet's `Cfg.VidMeet` block (../shared/reference/000_*.txt, "Configuration Block Reference"). Without a Cloudflare
 * key: `IceServer = "manual"` and `ManualIceServers` (the own relay, time-limited credentials). With one
 * (`cloudflare` and `both` modes): `IceServer = "cloudflare"` and `Cloudflare = { TokenID, ApiToken, TTL }`, VidMeet's
 * recommended production mode; in `both` mode the own relay stays in `ManualIceServers`, which VidMeet uses only when
 * switched back to `"manual"`.
 */
function vidmeet(servers: RTCIceServer[], cf?: FormatOptions["vidmeetCloudflare"]): string {
    if (cf && (!Number.isInteger(cf.ttlSeconds) || cf.ttlSeconds < 1 || cf.ttlSeconds > CLOUDFLARE_MAX_TTL_SECONDS)) {
        // Cloudflare, Generate Credentials: generate-ice-servers takes a TTL of at most 172800 s.
        throw new Error(`VidMeet's Cloudflare TTL ${cf.ttlSeconds}: Cloudflare's generate-ice-servers accepts 1 to ${CLOUDFLARE_MAX_TTL_SECONDS} seconds`);
    }
    const entries = servers.map((s) => {
        const fields = [`urls = { ${[s.urls].flat().map(luaString).join(", ")} }`];
        if (s.username !== undefined) fields.push(`username = ${luaString(s.username)}`);
        if (s.credential !== undefined) fields.push(`credential = ${luaString(s.credential)}`);
        return `        { ${fields.join(", ")} },`;
    });
    const manual = ["    ManualIceServers = {", ...entries, "    },"];
    const head = "-- gksphone/config/serverconfig.lua: generated by turn-stack (npm run ice -- --format vidmeet).";
    if (!cf) {
        return [head, "-- These are time-limited TURN credentials: regenerate before they expire.", "Cfg.VidMeet = {", "    Enabled = true,", '    IceServer = "manual",', ...manual, "}", ""].join("\n");
    }
    return [
        head,
        "-- Cloudflare mode: VidMeet mints TURN credentials per call from this key. ApiToken is the key's secret: keep this file on the server.",
        "Cfg.VidMeet = {",
        "    Enabled = true,",
        '    IceServer = "cloudflare",',
        "    Cloudflare = {",
        `        TokenID = ${luaString(cf.keyId)},`,
        `        ApiToken = ${luaString(cf.key)},`,
        `        TTL = ${cf.ttlSeconds},`,
        "    },",
        // both mode: the own relay too, for a switch back to manual; cloudflare mode has none.
        ...(entries.length ? ['    -- The own relay, used only with IceServer = "manual"; time-limited credentials: regenerate before they expire.', ...manual] : []),
        "}",
        "",
    ].join("\n");
}

function mediasoup(servers: RTCIceServer[], prefer?: TurnTransport): string {
    // The mediasoup demo takes one TURN server (it has no TLS setting): the preferred transport's,
    // else UDP, then TCP.
    let pick: { s: RTCIceServer; url: string } | undefined;
    if (prefer) {
        const p = preferredTurnUrl(servers, prefer);
        pick = { s: p.server, url: p.url };
    } else {
        const candidates = servers.flatMap((s) => [s.urls].flat().map((url) => ({ s, url })));
        pick = candidates.find((c) => /^turn:.*\?transport=udp$/.test(c.url)) ?? candidates.find((c) => /^turn:.*\?transport=tcp$/.test(c.url));
    }
    if (!pick || pick.s.username === undefined || pick.s.credential === undefined) {
        throw new Error("mediasoup format needs a turn: URL with credentials");
    }
    const m = /^turn:(\[[^\]]+\]|[^:?]+):(\d+)\?transport=(udp|tcp)$/.exec(pick.url);
    if (!m) throw new Error(`mediasoup format needs host, port and transport in the TURN URL; got ${pick.url}`);
    return [
        "MEDIASOUP_CLIENT_ENABLE_ICESERVER='yes'",
        `MEDIASOUP_CLIENT_ICESERVER_HOST=${envValue(m[1])}`,
        `MEDIASOUP_CLIENT_ICESERVER_PORT='${m[2]}'`,
        `MEDIASOUP_CLIENT_ICESERVER_PROTO='${m[3]}'`,
        `MEDIASOUP_CLIENT_ICESERVER_USER=${envValue(pick.s.username)}`,
        `MEDIASOUP_CLIENT_ICESERVER_PASS=${envValue(pick.s.credential)}`,
        "",
    ].join("\n");
}

function aiortc(servers: RTCIceServer[], prefer?: TurnTransport): string {
    // JSON string literals are valid Python string literals (same escapes, \uXXXX included).
    const py = (s: string) => JSON.stringify(s);
    const comment: string[] = [];
    if (prefer) {
        // Exactly what aiortc will use: the chosen TURN URL, and the first STUN URL (it keeps one of each).
        const { server, url } = preferredTurnUrl(servers, prefer);
        const stun = servers.flatMap((s) => [s.urls].flat()).find((u) => /^stuns?:/.test(u));
        servers = [{ urls: [url], username: server.username, credential: server.credential }, ...(stun ? [{ urls: [stun] }] : [])];
        comment.push(`# aiortc uses one TURN URL, the first it accepts: TURN over ${prefer.toUpperCase()} (npm run ice -- --prefer ${prefer}).`);
    }
    const entries = servers.map((s) => {
        const args = [`urls=[${[s.urls].flat().map(py).join(", ")}]`];
        if (s.username !== undefined) args.push(`username=${py(s.username)}`);
        if (s.credential !== undefined) args.push(`credential=${py(s.credential)}`);
        return `    RTCIceServer(${args.join(", ")}),`;
    });
    return ["from aiortc import RTCConfiguration, RTCIceServer", "", ...comment, "config = RTCConfiguration(iceServers=[", ...entries, "])", ""].join("\n");
}
