/**
 * The relay port range as one value, and every rule about it in one place:
 * its bounds and size, its distance from coturn's listening ports, and the
 * room it leaves for the kernel's ephemeral ports.
 *
 * The validator (config.ts), the security group (network.ts), turnserver.conf
 * (`min-port`/`max-port`, turnserver-conf.ts) and the sysctl
 * `net.ipv4.ip_local_port_range` (cloud-init.ts) all take the same
 * {@link PortRange}; none of them passes two loose numbers around.
 *
 * Pure: no `@pulumi/*` import.
 */
import { COTURN_LISTENING_PORTS } from "./listeners";

/** Highest TCP/UDP port. */
export const MAX_PORT = 65_535;
/**
 * Lowest relay port: ports below 1024 are privileged (Linux
 * `net.ipv4.ip_unprivileged_port_start`, default 1024). The kernel also
 * refuses an `ip_local_port_range` starting below it (ip-sysctl.rst).
 */
export const MIN_UNPRIVILEGED_PORT = 1024;
/** Smallest relay range: each allocation holds one relay port (RFC 8656 §6.2). */
export const MIN_RELAY_PORTS = 128;

/**
 * An inclusive range of TCP/UDP ports, `min` to `max`. Always valid: whole
 * numbers, 0 ≤ min ≤ max ≤ 65535 ({@link PortRange.of} refuses anything else).
 */
export class PortRange {
    private constructor(
        /** First port in the range. */
        readonly min: number,
        /** Last port in the range (inclusive). */
        readonly max: number,
    ) {
        Object.freeze(this);
    }

    /**
     * @param min first port
     * @param max last port, inclusive
     * @throws RangeError unless both are whole numbers with 0 ≤ min ≤ max ≤ 65535
     */
    static of(min: number, max: number): PortRange {
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > MAX_PORT || min > max) {
            throw new RangeError(`port range ${min}-${max} is not a range of ports (whole numbers, 0 <= min <= max <= ${MAX_PORT})`);
        }
        return new PortRange(min, max);
    }

    /** Number of ports in the range. */
    get size(): number {
        return this.max - this.min + 1;
    }

    /** True when `port` lies in the range. */
    contains(port: number): boolean {
        return port >= this.min && port <= this.max;
    }

    /** True when the two ranges share at least one port. */
    overlaps(other: PortRange): boolean {
        return this.min <= other.max && other.min <= this.max;
    }

    /** `min-max`, e.g. `49152-65535`. */
    toString(): string {
        return `${this.min}-${this.max}`;
    }

    /** Serialises as `{ min, max }` (JSON, e.g. test dumps of the program). */
    toJSON(): { min: number; max: number } {
        return { min: this.min, max: this.max };
    }
}

/** The default relay range, coturn's own default (the IANA dynamic ports, RFC 6335 §6). */
export const DEFAULT_RELAY_PORT_RANGE = PortRange.of(49152, MAX_PORT);

/**
 * Linux's default ephemeral port range, `net.ipv4.ip_local_port_range = 32768 60999`
 * (Documentation/networking/ip-sysctl.rst), which Debian 12 keeps.
 */
export const KERNEL_EPHEMERAL_PORT_RANGE = PortRange.of(32768, 60999);

/**
 * Fewest ephemeral ports the VM keeps outside the relay range. The VM's own
 * outbound traffic is small: apt (one pipelined connection per mirror),
 * the SSM agent (a few long-lived HTTPS connections), awscli and certbot (a
 * few each), DNS and NTP queries. Linux shares one local port between
 * connections to different destinations, so the limit that bites is TIME_WAIT:
 * a port stays busy 60 s per destination (TCP_TIMEWAIT_LEN). 1000 ports allow
 * 16 new connections per second to one destination, sustained, well above
 * what those clients open. It is also the margin turn-stack has always kept
 * (so existing stacks render the same sysctl as before).
 */
export const MIN_EPHEMERAL_PORTS = 1000;

/** One problem with a relay range: which end (`min`/`max`) it belongs to, the value, what is allowed. */
export interface RelayRangeProblem {
    end: "min" | "max";
    value: number | string;
    allowed: string;
}

/** How the problems name the two ends (the validator passes its config keys). */
export interface RelayRangeNames {
    min: string;
    max: string;
}

/**
 * Every rule a relay port range must meet, checked at once.
 * @param min first relay port (coturn `min-port`); NaN when it was not a number (skipped, already reported)
 * @param max last relay port (coturn `max-port`); NaN likewise
 * @param names how messages refer to the two ends, e.g. `turn:relayMinPort`
 * @returns every problem found (empty when the range is valid), and the range whenever
 *   the two numbers form one (also when it breaks a rule, so callers can still report its size)
 */
export function checkRelayPortRange(min: number, max: number, names: RelayRangeNames): { range?: PortRange; problems: RelayRangeProblem[] } {
    const problems: RelayRangeProblem[] = [];
    for (const [end, port] of [["min", min], ["max", max]] as const) {
        if (Number.isInteger(port) && (port < MIN_UNPRIVILEGED_PORT || port > MAX_PORT)) {
            problems.push({ end, value: port, allowed: `must be a port from ${MIN_UNPRIVILEGED_PORT} to ${MAX_PORT} (ports below ${MIN_UNPRIVILEGED_PORT} are privileged)` });
        }
    }
    if (!Number.isInteger(min) || !Number.isInteger(max)) return { problems };
    if (min > max) {
        problems.push({ end: "min", value: min, allowed: `must not be above ${names.max} (${max}); the relay range is inverted` });
        return { problems };
    }
    if (min < 0 || max > MAX_PORT) return { problems };
    const range = PortRange.of(min, max);
    if (range.size < MIN_RELAY_PORTS) {
        problems.push({ end: "max", value: max, allowed: `relay range ${range} holds ${range.size} ports; at least ${MIN_RELAY_PORTS} are needed (one per allocation)` });
    }
    const clash = COTURN_LISTENING_PORTS.filter((p) => range.contains(p));
    if (clash.length > 0) {
        problems.push({
            end: "min",
            value: min,
            allowed: `relay range ${range} overlaps listening port ${clash.join(", ")}; use a range clear of ${COTURN_LISTENING_PORTS.join(", ")} (default ${DEFAULT_RELAY_PORT_RANGE})`,
        });
    }
    // Only for a range within the allowed ports: below 1024 the bounds problem says it all.
    if (min >= MIN_UNPRIVILEGED_PORT && !ephemeralPortRange(range)) {
        problems.push({
            end: "min",
            value: min,
            allowed:
                `relay range ${range} (${names.min} to ${names.max}) leaves no run of ${MIN_EPHEMERAL_PORTS} ports from ${MIN_UNPRIVILEGED_PORT} to ${MAX_PORT} ` +
                `outside it and the listening ports ${COTURN_LISTENING_PORTS.join(", ")} for the kernel's ephemeral ports; ` +
                `shrink it so such a run remains (default ${DEFAULT_RELAY_PORT_RANGE})`,
        });
    }
    return { range, problems };
}

/** True when `r` is clear of the relay range and the listening ports, and large enough. */
function usableEphemeral(r: PortRange, relay: PortRange): boolean {
    return r.size >= MIN_EPHEMERAL_PORTS && !r.overlaps(relay) && !COTURN_LISTENING_PORTS.some((p) => r.contains(p));
}

/**
 * The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`) for a
 * relay range: at least {@link MIN_EPHEMERAL_PORTS} ports, disjoint from the
 * relay range (an ephemeral socket holding a relay port makes that port
 * unusable for allocations) and from coturn's listening ports. The first
 * candidate that qualifies wins:
 *  1. the kernel default's start up to just below the relay range
 *     (32768 to min-1; prod and dev: 32768-49151);
 *  2. just above the relay range up to the kernel default's end (max+1 to 60999);
 *  3. the longest run of ports from 1024 to 65535 outside the relay range and
 *     the listening ports (the lowest of equals), e.g. 5350-9999 for 10000-65535.
 * Candidates 1 and 2 are what turn-stack always rendered, so existing stacks
 * keep their user data; 3 covers the ranges that left the kernel default
 * overlapping the relay range.
 * @returns the range, or undefined when no run of {@link MIN_EPHEMERAL_PORTS} ports is left
 */
export function ephemeralPortRange(relay: PortRange): PortRange | undefined {
    const k = KERNEL_EPHEMERAL_PORT_RANGE;
    const candidates: PortRange[] = [];
    if (relay.min - 1 >= k.min) candidates.push(PortRange.of(k.min, relay.min - 1));
    if (relay.max + 1 <= k.max) candidates.push(PortRange.of(relay.max + 1, k.max));
    const first = candidates.find((c) => usableEphemeral(c, relay));
    if (first) return first;
    // Runs between the relay range and the listening ports, from 1024 to 65535.
    const walls = [relay, ...COTURN_LISTENING_PORTS.map((p) => PortRange.of(p, p))].sort((a, b) => a.min - b.min);
    let best: PortRange | undefined;
    let from = MIN_UNPRIVILEGED_PORT;
    for (const wall of [...walls, undefined]) {
        const to = wall ? wall.min - 1 : MAX_PORT;
        if (to >= from && (!best || to - from + 1 > best.size)) best = PortRange.of(from, to);
        if (wall) from = Math.max(from, wall.max + 1);
    }
    return best && usableEphemeral(best, relay) ? best : undefined;
}
