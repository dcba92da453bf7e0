/**
 * The canary's config keys, `turn:canary` and `turn:canaryScheduleMinutes`, and their checks
 * (called from infra/config.ts parseTurnConfig, which reports every problem at once).
 *
 * `turn:canary` is `auto` (the default), `true` or `false`, not a boolean: Pulumi applies a
 * project's declared defaults onto the stack's config before the program sees it (pulumi/pulumi
 * sdk/go/common/workspace ApplyProjectConfig), so a boolean defaulting to true would reach the
 * program as an explicit `true` in every cloudflare-mode stack. `auto` is on when the stack has
 * its own server (self-hosted, both) and off in cloudflare mode.
 *
 * Cloudflare mode: refused, not probed. The canary watches what the stack runs and can act on
 * (an instance to reboot, a certificate to renew, a listener to fix). Probing Cloudflare's TURN
 * would put the Cloudflare key's bearer token within the function's reach and call Cloudflare's
 * credential API every run, to alarm on a service the stack cannot repair (Cloudflare reports
 * its own status). In `both` mode the canary probes the stack's own servers only.
 *
 * Pure: no `@pulumi/*` import.
 */
import type { KeySpec } from "../config";

/** The canary's keys, spread into config.ts CONFIG_KEYS (and mirrored in Pulumi.yaml). */
export const CANARY_CONFIG_KEYS = {
    canary: {
        type: "string",
        default: "auto",
        description:
            "A Lambda canary that makes a real TURN allocation on every listener on a schedule and publishes CloudWatch metrics: auto (on with an own server, off in cloudflare mode), true, or false. Refused in cloudflare mode.",
    },
    canaryScheduleMinutes: { type: "integer", default: 5, description: "Minutes between canary runs (1 to 60; EventBridge rate expression)." },
} as const satisfies Record<string, KeySpec>;

/** Accepted values of `turn:canary`. */
export const CANARY_SWITCH_VALUES = ["auto", "true", "false"] as const;
/** Bounds of `turn:canaryScheduleMinutes`: every minute (EventBridge's finest rate) to every hour. */
export const MIN_CANARY_SCHEDULE_MINUTES = 1;
export const MAX_CANARY_SCHEDULE_MINUTES = 60;

/** The canary's validated settings. */
export interface CanarySettings {
    /** Whether the stack declares the canary. */
    canary: boolean;
    /** Minutes between runs. */
    canaryScheduleMinutes: number;
}

/**
 * Check the canary's keys.
 * @param raw the keys' raw values (undefined: not set, the default applies)
 * @param selfHosted whether the stack has its own server (mode self-hosted or both)
 * @returns the settings, and one problem line per bad key (`turn:<key> = <value>: <what is allowed>`)
 */
export function checkCanarySettings(raw: { canary?: string; canaryScheduleMinutes?: string }, mode: string, selfHosted: boolean): { settings: CanarySettings; problems: string[] } {
    const problems: string[] = [];
    const switchValue = (raw.canary ?? CANARY_CONFIG_KEYS.canary.default).trim();
    if (!(CANARY_SWITCH_VALUES as readonly string[]).includes(switchValue)) {
        problems.push(`turn:canary = ${JSON.stringify(raw.canary)}: must be auto (on with an own server), true or false`);
    } else if (switchValue === "true" && !selfHosted) {
        problems.push(
            `turn:canary = "true": ${mode} mode has no own TURN server to probe, and the canary does not probe Cloudflare's (README, Operate it); ` +
                "set it to auto or false, or use mode both",
        );
    }
    const canary = switchValue === "true" || (switchValue === "auto" && selfHosted);

    const minutesRaw = raw.canaryScheduleMinutes;
    let canaryScheduleMinutes: number = CANARY_CONFIG_KEYS.canaryScheduleMinutes.default;
    if (minutesRaw !== undefined) {
        const n = Number(minutesRaw.trim());
        if (minutesRaw.trim() === "" || !Number.isInteger(n) || n < MIN_CANARY_SCHEDULE_MINUTES || n > MAX_CANARY_SCHEDULE_MINUTES) {
            problems.push(
                `turn:canaryScheduleMinutes = ${JSON.stringify(minutesRaw)}: must be a whole number of minutes from ${MIN_CANARY_SCHEDULE_MINUTES} to ${MAX_CANARY_SCHEDULE_MINUTES}`,
            );
        } else {
            canaryScheduleMinutes = n;
        }
    }
    return { settings: { canary, canaryScheduleMinutes }, problems };
}

/**
 * The EventBridge schedule for a run every `minutes`: `rate(1 minute)`, `rate(5 minutes)`.
 * "If the value is equal to 1, then the unit must be singular. If the value is greater than 1,
 * the unit must be plural" (EventBridge User Guide, "Rate expressions reference").
 * @throws Error for a value outside 1..60 or not whole
 */
export function canaryScheduleExpression(minutes: number): string {
    if (!Number.isInteger(minutes) || minutes < MIN_CANARY_SCHEDULE_MINUTES || minutes > MAX_CANARY_SCHEDULE_MINUTES) {
        throw new Error(`canary schedule ${minutes} minutes: must be a whole number from ${MIN_CANARY_SCHEDULE_MINUTES} to ${MAX_CANARY_SCHEDULE_MINUTES}`);
    }
    return `rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`;
}
