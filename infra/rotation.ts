/**
 * Rotating the TURN REST API shared secret with an overlap, without restarting coturn.
 *
 * The stack holds the current secret and the previous one (config `turn:sharedSecret`,
 * `turn:previousSharedSecret`, both Pulumi secrets, and `turn:secretRotatedAt`, set by
 * `npm run rotate-secret`). SSM Parameter Store holds them for the VM: the current secret
 * in the stack's existing parameter, the previous one with the end of its overlap in a second
 * SecureString ({@link previousSecretValue}). On the VM a systemd timer copies both into
 * coturn's SQLite user database every {@link SECRET_SYNC_PERIOD_SECONDS} seconds, the previous
 * one only until its `notAfter` (infra/secret-sync.ts); coturn reads that database per request.
 *
 * The overlap is the longest lifetime any credential minted before the rotation can have
 * ({@link rotationOverlapSeconds}): once it ends, every credential minted from the previous
 * secret has expired anyway, so dropping the secret revokes nothing still valid.
 *
 * Pure: no `@pulumi/*` import.
 */
import { MAX_TTL_SECONDS } from "./config";
import { MAX_CONSUMER_VALIDITY_SECONDS } from "./credentials";

/**
 * A shared secret turn-stack accepts: 32 to 127 letters, digits, `_` and `-`. 127 is the
 * width of coturn's `turn_secret.value` column (coturn 4.6.1 schema.sql, `varchar(127)`);
 * 32 characters of this alphabet carry over 190 bits. The characters need no quoting in
 * SQL, JSON, YAML or a shell line. `npm run rotate-secret` makes 48 letters and digits,
 * like the stack's first secret (`RandomPassword`, length 48, no special characters).
 */
export const SHARED_SECRET_PATTERN = /^[A-Za-z0-9_-]{32,127}$/;

/** How often the VM copies the secrets from SSM into coturn's database (the systemd timer's period), seconds. */
export const SECRET_SYNC_PERIOD_SECONDS = 30;
/**
 * The bound on picking up a rotation: one timer period plus one run of the sync (reading two
 * SSM parameters with the VM's reader, ssm-get.ts, and writing the database; under a second on the boot test's
 * container, measured there), with margin. The boot test asserts it.
 */
export const SECRET_PICKUP_BOUND_SECONDS = SECRET_SYNC_PERIOD_SECONDS + 15;

/** Value of the previous-secret parameter when there is none (SSM values cannot be empty: PutParameter, Value, minimum length 1). */
export const NO_PREVIOUS_SECRET = "none";

/**
 * The longest lifetime a credential minted from a stack's secret can have, seconds: the
 * stack's `turn:credentialTtlSeconds`, the most `npm run ice -- --ttl` accepts
 * ({@link MAX_TTL_SECONDS}), or a per-consumer credential's ceiling (`--valid-for`,
 * {@link MAX_CONSUMER_VALIDITY_SECONDS}, 7 days), whichever is longest.
 * @param credentialTtlSeconds the stack's turn:credentialTtlSeconds
 */
export function rotationOverlapSeconds(credentialTtlSeconds: number): number {
    return Math.max(credentialTtlSeconds, MAX_TTL_SECONDS, MAX_CONSUMER_VALIDITY_SECONDS);
}

/**
 * When the previous secret stops working: the rotation time plus {@link rotationOverlapSeconds}.
 * @param rotatedAt `turn:secretRotatedAt`
 */
export function overlapEnd(rotatedAt: Date, credentialTtlSeconds: number): Date {
    return new Date(rotatedAt.getTime() + rotationOverlapSeconds(credentialTtlSeconds) * 1000);
}

/**
 * The previous-secret parameter's value: `{"secret":"…","notAfter":"<ISO 8601 UTC>"}`, or
 * {@link NO_PREVIOUS_SECRET}. The VM's sync script reads exactly this shape.
 */
export function previousSecretValue(previous?: { secret: string; notAfter: Date }): string {
    return previous ? JSON.stringify({ secret: previous.secret, notAfter: previous.notAfter.toISOString() }) : NO_PREVIOUS_SECRET;
}

/**
 * SSM parameter name of the previous secret, beside the current one's
 * (`/turn-stack/<project>/<stack>/previous-auth-secret`).
 * @param secretParameterName the current secret's parameter (config.ts secretParameterNameFor)
 */
export function previousSecretParameterName(secretParameterName: string): string {
    return secretParameterName.replace(/\/[^/]*$/, "/previous-auth-secret");
}

/** Why `npm run rotate-secret` must not rotate this stack now, or undefined when it may. */
export function rotationRefusal(stack: string, s: { selfHosted: boolean; mode: string; secretRotatedAt?: Date; credentialTtlSeconds: number }, now: Date, force: boolean): string | undefined {
    if (!s.selfHosted) {
        return `--stack ${stack}: turn:mode is ${s.mode}, so the stack has no own TURN server and no shared secret to rotate (allowed: a stack in self-hosted or both mode); Cloudflare's key is rotated with pulumi up --replace (README, Modes and Cloudflare)`;
    }
    if (s.secretRotatedAt && !force) {
        const end = overlapEnd(s.secretRotatedAt, s.credentialTtlSeconds);
        if (now < end) {
            return (
                `--stack ${stack}: the previous rotation (turn:secretRotatedAt ${s.secretRotatedAt.toISOString()}) is still in its overlap until ${end.toISOString()}; ` +
                "rotating now would drop the secret before it at once and cut off every credential minted from it. Wait until then, or pass --force " +
                "(for a leaked secret: those credentials stop working within the pickup bound)"
            );
        }
    }
    return undefined;
}
