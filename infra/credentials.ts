/**
 * TURN REST API time-limited credentials (draft-uberti-behave-turn-rest-00 §2.2),
 * as coturn checks them with `use-auth-secret` + `static-auth-secret`:
 *
 *   username   = "<expiry, unix seconds>:<user id>"
 *   credential = base64(HMAC-SHA1(shared secret, username))
 *
 * This is the one implementation an app server imports to mint credentials per
 * call; nobody should copy the HMAC code.
 */
import { createHmac } from "node:crypto";

/** Options for {@link mintTurnCredential}. */
export interface MintOptions {
    /** Lifetime, seconds; must be a positive whole number. */
    ttlSeconds: number;
    /** Opaque user id appended after the expiry (no `:`). Default `turn-stack`. */
    userId?: string;
    /** Current time, unix milliseconds (for tests). Default `Date.now()`. */
    nowMs?: number;
}

/** A minted credential, in RTCIceServer field names. */
export interface TurnCredential {
    username: string;
    credential: string;
    /** Expiry, unix seconds. */
    expiresAt: number;
}

/**
 * Mint a TURN REST API credential.
 * @param secret the server's `static-auth-secret`
 * @throws Error when the secret is empty, the TTL is not a positive whole
 *   number of seconds, or the user id contains `:` (coturn's separator)
 */
export function mintTurnCredential(secret: string, opts: MintOptions): TurnCredential {
    if (!secret) throw new Error("TURN shared secret is empty");
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) {
        throw new Error(`TTL ${opts.ttlSeconds}: must be a positive whole number of seconds`);
    }
    const userId = opts.userId ?? "turn-stack";
    if (userId === "" || userId.includes(":")) {
        throw new Error(`user id ${JSON.stringify(userId)}: must be non-empty and must not contain ':' (the TURN REST API separator)`);
    }
    const expiresAt = Math.floor((opts.nowMs ?? Date.now()) / 1000) + opts.ttlSeconds;
    const username = `${expiresAt}:${userId}`;
    return { username, credential: turnRestPassword(secret, username), expiresAt };
}

/** base64(HMAC-SHA1(secret, username)): the password coturn expects for `username`. */
export function turnRestPassword(secret: string, username: string): string {
    return createHmac("sha1", secret).update(username).digest("base64");
}

/**
 * A consumer name (a per-consumer credential's user id, and the name `npm run revoke` takes): 1 to 64 ASCII
 * letters, digits, `.`, `_` and `-`. No `:` (the TURN REST API separator), no space, quote, `<`/`>` or line
 * break, so it survives a TURN username (RFC 8489 §14.3, at most 509 bytes), coturn's log lines and its admin
 * CLI's `user <...>` output, a JSON key and a shell word. The one rule: the CLIs check names with it and the
 * VM's reaper (infra/reaper.ts) matches usernames with its source.
 */
export const CONSUMER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Why `name` is not a consumer name, naming the flag, the value and what is allowed; undefined when it is one.
 * @param flag the CLI flag that carried it, e.g. `--consumer`
 */
export function consumerNameProblem(flag: string, name: string): string | undefined {
    if (CONSUMER_NAME_PATTERN.test(name)) return undefined;
    return `${flag} ${JSON.stringify(name)}: a consumer name is 1 to 64 characters from A-Z a-z 0-9 . _ - (it goes into TURN usernames, log lines and coturn's admin CLI output)`;
}

/**
 * The longest a credential minted from a stack's secret may live, seconds: 7 days, the ceiling of
 * `npm run ice -- --consumer <name> --valid-for <duration>` (per-consumer credentials for products that
 * take a static config). Per-call credentials stop far below it (turn:credentialTtlSeconds and `--ttl`,
 * at most 172800 s).
 *
 * Why 7 days: a static config is handed to every client of the product (neko's `frontend` list, VidMeet's
 * `ManualIceServers` and Geti Prompt's `ICE_SERVERS` reach each browser), so its credential leaks by design;
 * whoever holds it can relay through the server until it expires (or its consumer is revoked). 7 days bounds
 * that while a weekly renewal is one scheduled command (README, Credentials). It is also VidMeet's own
 * upper mark ("604800 s: debug only", ../shared/reference/000_*.txt), and it sets how long a rotation's overlap
 * lasts (infra/rotation.ts: every credential minted before a rotation stays valid until the overlap ends), so a
 * longer ceiling would delay every rotation by as much.
 */
export const MAX_CONSUMER_VALIDITY_SECONDS = 7 * 86_400;

/** Units of {@link parseDuration}, seconds each. */
const DURATION_UNITS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** A duration in the largest unit that states it exactly: 604800 → `7d`, 5400 → `90m`, 61 → `61s`. */
export function durationText(seconds: number): string {
    const [unit, size] = Object.entries(DURATION_UNITS).find(([, size]) => seconds % size === 0)!;
    return `${seconds / size}${unit}`;
}

/**
 * Parse a duration: a whole number with a unit `d`, `h`, `m` or `s` (`30d`, `12h`, `90m`, `3600s`), or plain
 * seconds (`3600`).
 * @param flag the CLI flag that carried it, e.g. `--valid-for`, named in errors
 * @param min,max bounds, seconds
 * @param maxWhy what the maximum is, appended to the error for a duration over it
 * @returns seconds
 * @throws Error naming the flag, the value and what is allowed, for text that is no duration or one outside min..max
 */
export function parseDuration(flag: string, text: string, min: number, max: number, maxWhy = ""): number {
    const allowed = `${durationText(min)} to ${durationText(max)} (${min} to ${max} s)`;
    const m = /^(\d{1,9})([dhms]?)$/.exec(text);
    if (!m) throw new Error(`${flag} ${JSON.stringify(text)}: a whole number with a unit d, h, m or s (e.g. 7d, 12h, 90m, 3600s) or plain seconds, from ${allowed}`);
    const seconds = Number(m[1]) * DURATION_UNITS[m[2] || "s"];
    if (seconds < min) throw new Error(`${flag} ${text}: ${seconds} s is shorter than ${durationText(min)}; allowed: ${allowed}`);
    if (seconds > max) throw new Error(`${flag} ${text}: ${seconds} s is over the ceiling of ${durationText(max)}${maxWhy ? ` (${maxWhy})` : ""}; allowed: ${allowed}`);
    return seconds;
}
