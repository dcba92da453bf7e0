/**
 * Short-lived test stacks (`test-*`, `pr-*`): create with a TTL, destroy and
 * remove, sweep the expired. The decisions (which names, which stacks have
 * expired, what may be destroyed) are pure functions; everything that talks to
 * Pulumi goes through {@link TestStackBackend}, so the whole flow runs in
 * tests without the Pulumi CLI (scripts/lib/automation-backend.ts is the real one).
 *
 * The TTL lives in the stack's own config (`turn:expiresAt`, ISO 8601), which
 * every backend supports (stack tags are not available on self-managed backends).
 */

/** Names a test stack may have: `test-<id>` or `pr-<number or id>`. */
export const TEST_STACK_PATTERN = /^(test|pr)-[a-z0-9][a-z0-9-]{0,40}$/;
/** Config key holding a test stack's expiry. */
export const EXPIRES_KEY = "turn:expiresAt";
/** Default and maximum TTL, hours. */
export const DEFAULT_TTL_HOURS = 24;
export const MAX_TTL_HOURS = 24 * 14;

/** What the flows need from Pulumi. */
export interface TestStackBackend {
    listStacks(): Promise<string[]>;
    /** The stack's config value for `key`, or undefined. */
    getConfig(stack: string, key: string): Promise<string | undefined>;
    /** Create (or select) the stack and set its config (values as Pulumi strings). */
    createStack(stack: string, config: Record<string, string>): Promise<void>;
    up(stack: string): Promise<void>;
    /** URNs of resources in the stack's state that are protected. */
    protectedResources(stack: string): Promise<string[]>;
    destroy(stack: string): Promise<void>;
    removeStack(stack: string): Promise<void>;
}

/** Thrown when a stack must not be touched. */
export class RefusedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RefusedError";
    }
}

/** @throws RefusedError unless `name` is a test stack name */
export function assertTestStackName(name: string): void {
    if (!TEST_STACK_PATTERN.test(name)) {
        throw new RefusedError(`refusing to touch stack ${JSON.stringify(name)}: only test stacks (test-<id>, pr-<id>; lowercase letters, digits, '-') are managed here`);
    }
}

/**
 * Expiry for a new test stack.
 * @throws Error when ttlHours is not within 1..MAX_TTL_HOURS
 */
export function expiryFor(now: Date, ttlHours: number): Date {
    if (!Number.isFinite(ttlHours) || ttlHours <= 0 || ttlHours > MAX_TTL_HOURS) {
        throw new Error(`TTL ${ttlHours} h: must be more than 0 and at most ${MAX_TTL_HOURS} hours`);
    }
    return new Date(now.getTime() + ttlHours * 3600_000);
}

/** A stack and its expiry (undefined: none set, or unreadable). */
export interface StackExpiry {
    name: string;
    expiresAt?: Date;
}

/** Test stacks whose expiry has passed at `now`. Other stacks, and test stacks without an expiry, never are. */
export function expiredStacks(stacks: StackExpiry[], now: Date): StackExpiry[] {
    return stacks.filter((s) => TEST_STACK_PATTERN.test(s.name) && s.expiresAt !== undefined && s.expiresAt.getTime() <= now.getTime());
}

/**
 * The config of a new test stack: the base (dev's) config, never a protected
 * address, and the expiry.
 */
export function testStackConfig(base: Record<string, string>, expiresAt: Date): Record<string, string> {
    return { ...base, "turn:protectAddress": "false", [EXPIRES_KEY]: expiresAt.toISOString() };
}

/** Create or update a test stack with a TTL. Returns its expiry. */
export async function upTestStack(
    backend: TestStackBackend,
    o: { name: string; ttlHours: number; now: Date; baseConfig: Record<string, string>; dryRun?: boolean; log?: (l: string) => void },
): Promise<Date> {
    assertTestStackName(o.name);
    const expiresAt = expiryFor(o.now, o.ttlHours);
    o.log?.(`${o.dryRun ? "would create/update" : "creating/updating"} ${o.name}, expires ${expiresAt.toISOString()}`);
    if (o.dryRun) return expiresAt;
    await backend.createStack(o.name, testStackConfig(o.baseConfig, expiresAt));
    await backend.up(o.name);
    return expiresAt;
}

/**
 * Destroy and remove a test stack.
 * @throws RefusedError for a non-test name or a stack holding protected resources
 */
export async function destroyTestStack(backend: TestStackBackend, o: { name: string; dryRun?: boolean; log?: (l: string) => void }): Promise<void> {
    assertTestStackName(o.name);
    if (!(await backend.listStacks()).includes(o.name)) {
        o.log?.(`${o.name} does not exist; nothing to do`);
        return;
    }
    const protectedUrns = await backend.protectedResources(o.name);
    if (protectedUrns.length > 0) {
        throw new RefusedError(`refusing to destroy ${o.name}: it holds protected resources (${protectedUrns.join(", ")}); unprotect them deliberately first`);
    }
    o.log?.(`${o.dryRun ? "would destroy and remove" : "destroying and removing"} ${o.name}`);
    if (o.dryRun) return;
    await backend.destroy(o.name);
    await backend.removeStack(o.name);
}

/** Destroy every expired test stack; returns their names. A refusal for one does not stop the others. */
export async function sweepTestStacks(
    backend: TestStackBackend,
    o: { now: Date; dryRun?: boolean; log?: (l: string) => void },
): Promise<{ destroyed: string[]; refused: string[] }> {
    const stacks: StackExpiry[] = [];
    for (const name of await backend.listStacks()) {
        if (!TEST_STACK_PATTERN.test(name)) continue;
        const raw = await backend.getConfig(name, EXPIRES_KEY);
        const d = raw ? new Date(raw) : undefined;
        if (!d || Number.isNaN(d.getTime())) o.log?.(`${name} has no valid ${EXPIRES_KEY}; left alone`);
        stacks.push({ name, expiresAt: d && !Number.isNaN(d.getTime()) ? d : undefined });
    }
    const destroyed: string[] = [];
    const refused: string[] = [];
    for (const s of expiredStacks(stacks, o.now)) {
        try {
            await destroyTestStack(backend, { name: s.name, dryRun: o.dryRun, log: o.log });
            destroyed.push(s.name);
        } catch (e) {
            if (!(e instanceof RefusedError)) throw e;
            o.log?.(e.message);
            refused.push(s.name);
        }
    }
    return { destroyed, refused };
}
