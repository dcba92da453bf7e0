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
