/**
 * Short-lived test stacks (`test-*`, `pr-*`): create with a TTL, destroy and
 * remove, sweep the expired. The decisions (which names, which stacks have
 * expired, what may be destroyed, what config a test stack gets) are pure
 * functions; everything that talks to Pulumi goes through
 * {@link TestStackBackend} (scripts/lib/automation-backend.ts is the real one).
 *
 * The expiry lives where the state backend keeps it, so a runner with nothing
 * but a fresh checkout (the hourly sweep) reads it:
 * - the stack tag `turn:expiresAt` (ISO 8601). Self-managed backends (S3,
 *   file, ...) have had stack tags since Pulumi 3.211.0 (pulumi/pulumi
 *   CHANGELOG, "[backend/diy] Add stack tags support for DIY backends",
 *   #19882: stored as `.pulumi-tags` files beside the checkpoints);
 * - for stacks made before the tag, the config of the stack's last deployment,
 *   which `pulumi config refresh` restores from the backend.
 * Never a `Pulumi.<stack>.yaml` alone: that file exists only on the machine
 * that created the stack, and a missing file reads as empty config.
 */

/** Names a test stack may have: `test-<id>` or `pr-<number or id>`. */
export const TEST_STACK_PATTERN = /^(test|pr)-[a-z0-9][a-z0-9-]{0,40}$/;
/**
 * Stack tag (and config key) holding a test stack's expiry. Tag names: at most
 * 40 of `[a-zA-Z0-9-_.:]`, values at most 256 characters (pulumi/pulumi
 * pkg/util/validation/stack.go, ValidateStackTags).
 */
export const EXPIRES_KEY = "turn:expiresAt";
/** Default and maximum TTL, hours. */
export const DEFAULT_TTL_HOURS = 24;
export const MAX_TTL_HOURS = 24 * 14;
/** The stack whose config test stacks copy. */
export const BASE_STACK = "dev";

/**
 * One config value as `pulumi config --show-secrets --json` prints it and
 * `pulumi config set-all --json` takes it back (pulumi/pulumi
 * pkg/cmd/pulumi/config/config.go, `configValueJSON`): `value` is the plaintext
 * (an object or array as JSON text), `objectValue` the parsed object or array,
 * `secret` whether the stack keeps it encrypted.
 */
export interface ConfigEntry {
    value: string;
    secret: boolean;
    objectValue?: unknown;
}
export type StackConfig = Record<string, ConfigEntry>;

/** What the flows need from Pulumi. */
export interface TestStackBackend {
    /** Names of the project's stacks in the state backend. */
    listStacks(): Promise<string[]>;
    /** The stack's tags, from the state backend. */
    getTags(stack: string): Promise<Record<string, string>>;
    setTag(stack: string, key: string, value: string): Promise<void>;
    /**
     * The config of the stack's last deployment, restored from the state
     * backend (`pulumi config refresh`), secrets in plaintext.
     */
    refreshedConfig(stack: string): Promise<StackConfig>;
    /** A stack's config with secrets decrypted (`pulumi config --show-secrets --json`). */
    readConfig(stack: string): Promise<StackConfig>;
    /**
     * Create (or select) the stack and set its config; secret entries are
     * encrypted by the new stack's own secrets provider, objects and arrays
     * stay objects and arrays.
     */
    createStack(stack: string, config: StackConfig): Promise<void>;
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

/** An ISO 8601 expiry, or undefined when absent or not a date. */
export function parseExpiry(raw: string | undefined): Date | undefined {
    if (!raw) return undefined;
    const d = new Date(raw);
    return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The config of a new test stack: the base (dev's) config entry by entry,
 * secrets still marked secret and objects/arrays still objects/arrays, never a
 * protected address, and the expiry.
 */
export function testStackConfig(base: StackConfig, expiresAt: Date): StackConfig {
    return {
        ...base,
        "turn:protectAddress": { value: "false", secret: false },
        [EXPIRES_KEY]: { value: expiresAt.toISOString(), secret: false },
    };
}

/**
 * Create or update a test stack with a TTL: tag it with its expiry first (so a
 * failed `up` still leaves a stack the sweep finds), then deploy. Returns the expiry.
 * @throws RefusedError for a non-test name, before any backend call
 */
export async function upTestStack(
    backend: TestStackBackend,
    o: { name: string; ttlHours: number; now: Date; dryRun?: boolean; log?: (l: string) => void },
): Promise<Date> {
    assertTestStackName(o.name);
    const expiresAt = expiryFor(o.now, o.ttlHours);
    o.log?.(`${o.dryRun ? "would create/update" : "creating/updating"} ${o.name} with ${BASE_STACK}'s config, expires ${expiresAt.toISOString()}`);
    if (o.dryRun) return expiresAt;
    const base = await backend.readConfig(BASE_STACK);
    await backend.createStack(o.name, testStackConfig(base, expiresAt));
    await backend.setTag(o.name, EXPIRES_KEY, expiresAt.toISOString());
    await backend.up(o.name);
    return expiresAt;
}

/**
 * Destroy and remove a test stack.
 * @throws RefusedError for a non-test name (before any backend call) or a stack holding protected resources
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

/**
 * A test stack's expiry as the state backend holds it: the `turn:expiresAt`
 * tag, else (stacks made before the tag) the config of its last deployment.
 */
export async function backendExpiry(backend: TestStackBackend, name: string): Promise<{ expiresAt?: Date; from?: "tag" | "deployed config" }> {
    const tag = parseExpiry((await backend.getTags(name))[EXPIRES_KEY]);
    if (tag) return { expiresAt: tag, from: "tag" };
    const deployed = parseExpiry((await backend.refreshedConfig(name).catch(() => ({}) as StackConfig))[EXPIRES_KEY]?.value);
    return deployed ? { expiresAt: deployed, from: "deployed config" } : {};
}

/** What a sweep did. */
export interface SweepResult {
    destroyed: string[];
    /** Refused (protected resources): need a person. */
    refused: string[];
    /** Test stacks with no expiry anywhere in the backend: left alone, reported. */
    noExpiry: string[];
    /** Failed to destroy (e.g. locked by a running update): retried next sweep. */
    failed: string[];
}

/**
 * Destroy every expired test stack. A refusal or failure for one does not stop the others.
 */
export async function sweepTestStacks(backend: TestStackBackend, o: { now: Date; dryRun?: boolean; log?: (l: string) => void }): Promise<SweepResult> {
    const stacks: StackExpiry[] = [];
    const noExpiry: string[] = [];
    for (const name of await backend.listStacks()) {
        if (!TEST_STACK_PATTERN.test(name)) continue;
        const e = await backendExpiry(backend, name);
        if (!e.expiresAt) {
            o.log?.(`${name} has no valid ${EXPIRES_KEY} tag or deployed config; left alone`);
            noExpiry.push(name);
        } else {
            o.log?.(`${name} expires ${e.expiresAt.toISOString()} (${e.from})`);
        }
        stacks.push({ name, expiresAt: e.expiresAt });
    }
    const r: SweepResult = { destroyed: [], refused: [], noExpiry, failed: [] };
    for (const s of expiredStacks(stacks, o.now)) {
        try {
            await destroyTestStack(backend, { name: s.name, dryRun: o.dryRun, log: o.log });
            r.destroyed.push(s.name);
        } catch (e) {
            o.log?.(e instanceof Error ? e.message : String(e));
            (e instanceof RefusedError ? r.refused : r.failed).push(s.name);
        }
    }
    return r;
}
