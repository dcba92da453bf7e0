/**
 * `npm run capacity`: how many streams the stack's relay carries at a bitrate, from its instance
 * type's BASELINE network bandwidth (not its burst), and what a month's egress costs on AWS and on
 * Cloudflare Realtime TURN, side by side, each figure with its source and date (infra/capacity.ts).
 *
 * Usage: npm run -s capacity -- (--stack <name> | --outputs <file>) [--bitrate-kbps <n>] [--streams <n> [--hours <h>] | --gb <n>]
 *                                [--baseline-gbps <n>] [--json]
 *
 * `--stack` reads the stack's Pulumi.<stack>.yaml and validates it with infra/config.ts, as
 * `npm run local` and `npm run revoke` do (no Pulumi CLI needed; secrets there are not read).
 * `--outputs` reads `pulumi stack output --json` (its `capacity` output), where only the outputs are at hand.
 */
import { readFileSync } from "node:fs";
import { parseCli, UsageError, wholeNumber } from "./lib/cli";
import { validatedStackConfig } from "./lib/stack-config";
import {
    AWS_EGRESS,
    AWS_EGRESS_REGIONS,
    CLOUDFLARE_TURN_EGRESS,
    FIGURES_DATE,
    HOURS_PER_MONTH,
    INTERNET_GATEWAY_GBPS,
    NETWORK_SPECS_SOURCES,
    capacityReport,
    egressGb,
    type CapacityReport,
    type CapacityServer,
} from "../infra/capacity";

/** A 720p WebRTC video stream: about 1.5 Mbit/s (the plain-language coturn guide in ../shared/reference puts 720p at 0.5 to 1 GB per stream-hour, 1.1 to 2.2 Mbit/s). */
export const DEFAULT_BITRATE_KBPS = 1500;

const USAGE = `usage: npm run -s capacity -- (--stack <name> | --outputs <file>) [options]

Streams the stack's relay carries at a bitrate, from its instance type's baseline network bandwidth
(not its burst), and the monthly egress cost on AWS and on Cloudflare Realtime TURN, side by side.
  --stack <name>         read Pulumi.<name>.yaml (validated like pulumi preview does)
  --outputs <file>       or the JSON of: pulumi stack output --stack <name> --json
  --bitrate-kbps <n>     one stream's bitrate on the wire, kbit/s (default ${DEFAULT_BITRATE_KBPS}, 720p video)
  --streams <n>          price this many streams relayed on average...
  --hours <h>            ...for this many hours a month (default ${HOURS_PER_MONTH}, all month)
  --gb <n>               or price this many GB of egress a month
  --baseline-gbps <n>    the instance type's baseline bandwidth, Gbit/s, for a type turn-stack's table lacks
                         (aws ec2 describe-instance-types --instance-types <type>
                          --query 'InstanceTypes[].NetworkInfo.NetworkCards[].BaselineBandwidthInGbps')
  --json                 print the report as JSON
  -h, --help             this text`;

/** A positive decimal from `--name <text>`. */
function positive(name: string, text: string): number {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0)) throw new UsageError(`--${name} ${text}: must be a positive number`, USAGE);
    return n;
}

/** What the report needs from a stack: its servers, region and egress budget. */
interface StackFacts {
    source: string;
    servers: CapacityServer[];
    region?: string;
    /** undefined without an own server. */
    monthlyEgressBudgetGb?: number;
}

function fromStackFile(stack: string): StackFacts {
    const { config, raw } = validatedStackConfig(stack, USAGE, { env: {} });
    return {
        source: `Pulumi.${stack}.yaml`,
        // Every server of a fleet (infra/fleet.ts), all of one instance type.
        servers: config.selfHosted ? config.fleet.servers.map((s) => ({ name: s.name, instanceType: config.instanceType })) : [],
        region: raw["aws:region"],
        monthlyEgressBudgetGb: config.selfHosted ? config.monthlyEgressBudgetGb : undefined,
    };
}

function fromOutputs(file: string): StackFacts {
    let outputs: Record<string, unknown>;
    try {
        outputs = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (e) {
        throw new UsageError(`--outputs ${file}: ${(e as Error).message}`, USAGE);
    }
    const c = outputs.capacity as { servers?: CapacityServer[]; region?: string; monthlyEgressBudgetGb?: number } | null | undefined;
    if (c === undefined) {
        throw new Error(`--outputs ${file}: no "capacity" output; the stack was deployed by a turn-stack older than npm run capacity (pulumi up with this version adds it), or use --stack`);
    }
    if (c === null) return { source: file, servers: [] };
    if (!Array.isArray(c.servers) || typeof c.monthlyEgressBudgetGb !== "number") throw new Error(`--outputs ${file}: the "capacity" output is not turn-stack's shape`);
    return { source: file, servers: c.servers, region: c.region, monthlyEgressBudgetGb: c.monthlyEgressBudgetGb };
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const gb = (n: number) => `${n.toLocaleString("en-US", { maximumFractionDigits: 1 })} GB`;

/** The report as text. */
function render(r: CapacityReport, source: string): string {
    const out = [`turn-stack capacity (${source}${r.region ? `, region ${r.region}` : ""}); figures of ${FIGURES_DATE}`, ""];
    if (r.servers.length === 0) out.push("No own TURN server (cloudflare mode): only the egress prices below apply.", "");
    for (const s of r.servers) {
        if (!s.spec) {
            out.push(`server ${s.name}: ${s.instanceType}: baseline bandwidth not in turn-stack's table; pass --baseline-gbps <n> (see --help)`, "");
            continue;
        }
        const capped = s.usableGbps! < s.spec.baselineGbps;
        out.push(
            `server ${s.name}: ${s.instanceType}, ${s.spec.vcpus} vCPU`,
            `  baseline bandwidth ${s.spec.baselineGbps} Gbit/s per direction${s.baselineFrom === "override" ? " (--baseline-gbps)" : ""}; burst ${s.spec.burstGbps} Gbit/s is not counted (minutes at a time)`,
            ...(capped ? [`  internet traffic of a type with < 32 vCPUs is capped at ${INTERNET_GATEWAY_GBPS} Gbit/s: usable ${s.usableGbps} Gbit/s`] : []),
            `  streams at ${r.bitrateKbps} kbit/s: ${s.streams} (each relayed stream crosses the relay twice: ${r.bitrateKbps} kbit/s in, ${r.bitrateKbps} kbit/s out; in and out have separate bandwidth)`,
            `  at that load all month (${HOURS_PER_MONTH} h): ${gb(s.fullMonthGb!)} of egress (only the outbound copy is billed)`,
            "",
        );
    }
    if (r.servers.length > 1) out.push(`stack: ${r.totalStreams} streams at ${r.bitrateKbps} kbit/s`, "");
    if (r.budget) {
        out.push(
            `egress budget (turn:monthlyEgressBudgetGb): ${gb(r.budget.monthlyGb)} a month = ${r.budget.bytesPerHour} bytes per hour (the NetworkOut alarm's threshold),`,
            `  about ${r.budget.streamsAroundTheClock.toFixed(1)} streams at ${r.bitrateKbps} kbit/s around the clock`,
            "",
        );
    }
    out.push("monthly egress cost (GB of 2^30 bytes):");
    if (r.priced.length === 0) out.push("  (give --gb <n> or --streams <n> to price a usage)");
    for (const p of r.priced) out.push(`  ${p.label}: ${gb(p.gb)}: AWS ${usd(p.awsUsd)}, Cloudflare ${usd(p.cloudflareUsd)}`);
    out.push(
        "",
        `AWS: ${AWS_EGRESS.name}, ${AWS_EGRESS.tiers.map((t) => `$${t.usdPerGb}`).join("/")} per GB by tier, ${AWS_EGRESS.note}; ${AWS_EGRESS.source} (${AWS_EGRESS.date})`,
        ...(r.region && !r.awsPricesForRegion ? [`  note: ${r.region} is not one of ${AWS_EGRESS_REGIONS.join(", ")}: its egress costs more than shown`] : []),
        `Cloudflare: ${CLOUDFLARE_TURN_EGRESS.name}, $${CLOUDFLARE_TURN_EGRESS.tiers[0].usdPerGb} per GB, ${CLOUDFLARE_TURN_EGRESS.note}; ${CLOUDFLARE_TURN_EGRESS.source} (${CLOUDFLARE_TURN_EGRESS.date})`,
        `bandwidth: ${NETWORK_SPECS_SOURCES.join("; ")} (${FIGURES_DATE})`,
    );
    return `${out.join("\n")}\n`;
}

function main(): void {
    const args = parseCli(USAGE, {
        options: {
            stack: { type: "string" },
            outputs: { type: "string" },
            "bitrate-kbps": { type: "string" },
            streams: { type: "string" },
            hours: { type: "string" },
            gb: { type: "string" },
            "baseline-gbps": { type: "string" },
            json: { type: "boolean", default: false },
        },
    });
    if (!args) {
        console.log(USAGE);
        return;
    }
    const v = args.values;
    if (!v.stack && !v.outputs) throw new UsageError("--stack or --outputs is required", USAGE);
    if (v.stack && v.outputs) throw new UsageError("--stack and --outputs: give one", USAGE);
    if (v.streams !== undefined && v.gb !== undefined) throw new UsageError("--streams and --gb: give one", USAGE);
    if (v.hours !== undefined && v.streams === undefined) throw new UsageError("--hours only with --streams", USAGE);
    const bitrateKbps = v["bitrate-kbps"] === undefined ? DEFAULT_BITRATE_KBPS : positive("bitrate-kbps", v["bitrate-kbps"]);
    const hours = v.hours === undefined ? HOURS_PER_MONTH : wholeNumber("hours", v.hours, USAGE, 1, 744);
    const usageGb = v.gb !== undefined ? positive("gb", v.gb) : v.streams !== undefined ? egressGb(wholeNumber("streams", v.streams, USAGE), bitrateKbps, hours) : undefined;
    const baselineGbps = v["baseline-gbps"] === undefined ? undefined : positive("baseline-gbps", v["baseline-gbps"]);

    const facts = v.stack ? fromStackFile(v.stack) : fromOutputs(v.outputs!);
    const report = capacityReport({
        servers: facts.servers.map((s) => (baselineGbps === undefined ? s : { ...s, baselineGbps })),
        region: facts.region,
        bitrateKbps,
        monthlyEgressBudgetGb: facts.monthlyEgressBudgetGb,
        usageGb,
    });
    if (v.json) process.stdout.write(`${JSON.stringify({ source: facts.source, ...report }, null, 2)}\n`);
    else process.stdout.write(render(report, facts.source));
    // A type the table lacks and no override: the streams are unknown; say so in the exit status too.
    if (report.servers.some((s) => !s.spec)) process.exitCode = 3;
}

try {
    main();
} catch (e) {
    console.error(`turn-stack capacity: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(e instanceof UsageError ? 2 : 1);
}
