/**
 * What a turn-stack relay can carry and what its egress costs: pure arithmetic over a table of
 * instance types' network bandwidth and a table of egress prices, each figure with its source and
 * the date it was taken. `npm run capacity` (scripts/capacity.ts) prints it; infra/alarms.ts takes
 * the GB and month definitions from here so the egress alarm and the cost figures agree.
 *
 * A relayed stream crosses the relay twice: the relay receives it from one side (NetworkIn) and
 * sends it to the other (NetworkOut). EC2's bandwidth figures apply to each direction separately
 * ("up to 10 Gbps for inbound traffic and, simultaneously, up to 10 Gbps for outbound traffic",
 * EC2 User Guide, "Amazon EC2 instance network bandwidth"), so a stream of b bit/s takes b of the
 * inbound and b of the outbound bandwidth, and the number of streams is bandwidth / b, not / 2b.
 * Only the outbound copy is billed: data transfer in from the internet is free, out is charged
 * (Amazon EC2 On-Demand Pricing, "Data Transfer"); Cloudflare bills the TURN server → client
 * direction only (Cloudflare Realtime TURN FAQ, "How exactly is it calculated?").
 *
 * Pure: no `@pulumi/*` import.
 */

/** When the figures below were taken from their sources. */
export const FIGURES_DATE = "2026-11-22";

/**
 * Bytes in one GB as AWS bills it: 2^30 (the Amazon S3 FAQ's billing example counts
 * "100GB (107,374,182,400 bytes)" and divides byte-hours by "1,073,741,824 bytes" per GB).
 * CloudWatch's NetworkOut is in bytes, so the egress alarm converts with this.
 */
export const BYTES_PER_GB = 2 ** 30;
/** Hours in a billing month as AWS prices it: 730 (Amazon EC2 On-Demand Pricing and the AWS Pricing Calculator assume 730 hours per month, 365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * A monthly egress budget's hourly share in bytes, as CloudWatch's NetworkOut counts: GB/month ×
 * 2^30 bytes / 730 h, rounded down to a whole byte. The egress alarm's threshold and the dashboard's line.
 */
export function egressBytesPerHour(monthlyEgressBudgetGb: number): number {
    return Math.floor((monthlyEgressBudgetGb * BYTES_PER_GB) / HOURS_PER_MONTH);
}

/** One instance type's network figures (EC2 Instance Types Guide, "Network specifications"). */
export interface NetworkSpec {
    /** Baseline bandwidth, Gbit/s per direction: what the type sustains. */
    baselineGbps: number;
    /** Burst bandwidth, Gbit/s per direction: for minutes at a time, from network I/O credits ("up to"). */
    burstGbps: number;
    /** Default vCPUs (the internet gateway cap depends on it). */
    vcpus: number;
}

/** Where the bandwidth table comes from. */
export const NETWORK_SPECS_SOURCES = [
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network (general purpose: t3, t3a, t4g, m7g, m7i)",
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html#co_network (compute optimized: c6gn, c6i, c7g, c7gn, c7i)",
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-network-bandwidth.html (per direction; internet gateway cap)",
] as const;

const spec = (baselineGbps: number, burstGbps: number, vcpus: number): NetworkSpec => ({ baselineGbps, burstGbps, vcpus });
/** T3, T3a and T4g share one network ladder: baseline doubles per size, burst 5 Gbit/s. */
const T_LADDER: Record<string, NetworkSpec> = {
    nano: spec(0.032, 5, 2),
    micro: spec(0.064, 5, 2),
    small: spec(0.128, 5, 2),
    medium: spec(0.256, 5, 2),
    large: spec(0.512, 5, 2),
    xlarge: spec(1.024, 5, 4),
    "2xlarge": spec(2.048, 5, 8),
};
/** C7g and M7g (Graviton3) share one ladder. */
const G3_LADDER: Record<string, NetworkSpec> = {
    medium: spec(0.52, 12.5, 1),
    large: spec(0.937, 12.5, 2),
    xlarge: spec(1.876, 12.5, 4),
    "2xlarge": spec(3.75, 15, 8),
    "4xlarge": spec(7.5, 15, 16),
};
/** C6i, C7i and M7i (Intel) share one ladder. */
const INTEL_LADDER: Record<string, NetworkSpec> = {
    large: spec(0.781, 12.5, 2),
    xlarge: spec(1.562, 12.5, 4),
    "2xlarge": spec(3.125, 12.5, 8),
    "4xlarge": spec(6.25, 12.5, 16),
};

/**
 * Network figures per family and size, from {@link NETWORK_SPECS_SOURCES} as of {@link FIGURES_DATE}.
 * Verify or extend one with `aws ec2 describe-instance-types --instance-types <type> --query
 * 'InstanceTypes[].NetworkInfo.NetworkCards[].[BaselineBandwidthInGbps,PeakBandwidthInGbps]'`.
 */
export const NETWORK_SPECS: Record<string, Record<string, NetworkSpec>> = {
    t3: T_LADDER,
    t3a: T_LADDER,
    t4g: T_LADDER,
    c7g: G3_LADDER,
    m7g: G3_LADDER,
    c6i: INTEL_LADDER,
    c7i: INTEL_LADDER,
    m7i: INTEL_LADDER,
    c7gn: {
        medium: spec(3.125, 25, 1),
        large: spec(6.25, 30, 2),
        xlarge: spec(12.5, 40, 4),
        "2xlarge": spec(25, 50, 8),
        "4xlarge": spec(50, 50, 16),
        "8xlarge": spec(100, 100, 32),
        "16xlarge": spec(200, 200, 64),
    },
    c6gn: {
        medium: spec(1.6, 16, 1),
        large: spec(3, 25, 2),
        xlarge: spec(6.3, 25, 4),
        "2xlarge": spec(12.5, 25, 8),
        "4xlarge": spec(25, 25, 16),
        "8xlarge": spec(50, 50, 32),
        "16xlarge": spec(100, 100, 64),
    },
};

/** The network figures of an instance type, or undefined when turn-stack's table does not have it. */
export function networkSpec(instanceType: string): NetworkSpec | undefined {
    const [family, size] = instanceType.split(".", 2);
    return NETWORK_SPECS[family]?.[size];
}

/**
 * Multi-flow traffic through an internet gateway: at most 5 Gbit/s for instances with fewer than 32
 * vCPUs; with 32 or more, 50 % of the instance's bandwidth or 5 Gbit/s, whichever is larger
 * (EC2 User Guide, "Amazon EC2 instance network bandwidth", multi-flow traffic). A relay's clients
 * are on the internet, so this caps it.
 */
export const INTERNET_GATEWAY_GBPS = 5;
export const INTERNET_GATEWAY_FULL_VCPUS = 32;

/** The baseline a relay can use towards the internet, Gbit/s per direction: the baseline, capped by the internet gateway rule. */
export function internetBaselineGbps(s: NetworkSpec): number {
    const cap = s.vcpus < INTERNET_GATEWAY_FULL_VCPUS ? INTERNET_GATEWAY_GBPS : Math.max(INTERNET_GATEWAY_GBPS, s.baselineGbps / 2);
    return Math.min(s.baselineGbps, cap);
}

/**
 * Streams a relay sustains at `bitrateKbps` (kbit/s on the wire, headers included), from its
 * usable baseline (never its burst): each stream takes its bitrate inbound and again outbound, and
 * the two directions have separate bandwidth, so it is usable / bitrate, rounded down.
 * @throws RangeError for a bitrate that is not a positive number
 */
export function streamsAtBitrate(usableGbps: number, bitrateKbps: number): number {
    if (!(bitrateKbps > 0) || !Number.isFinite(bitrateKbps)) throw new RangeError(`bitrate ${bitrateKbps} kbit/s: must be a positive number`);
    return Math.floor((usableGbps * 1e6) / bitrateKbps);
}

/** Egress of `streams` relayed streams at `bitrateKbps` for `hours`, in GB (2^30 bytes): each stream leaves the relay once. */
export function egressGb(streams: number, bitrateKbps: number, hours: number): number {
    return (streams * bitrateKbps * 1000 * 3600 * hours) / 8 / BYTES_PER_GB;
}

/** One price tier: `upToGb` GB per month (cumulative; Infinity for the last) at `usdPerGb`. */
export interface PriceTier {
    upToGb: number;
    usdPerGb: number;
}

/** An egress price list. */
export interface EgressPrices {
    name: string;
    /** GB free per month before the tiers apply. */
    freeGb: number;
    tiers: PriceTier[];
    source: string;
    date: string;
    note: string;
}

const TB = 1024; // AWS's price tiers are in TB of 1024 GB (its GB being 2^30 bytes).

/**
 * AWS data transfer out from EC2 to the internet, per month: first 10 TB $0.09/GB, next 40 TB $0.085,
 * next 100 TB $0.07, above 150 TB $0.05, after 100 GB free. The tiers are those of US East (N. Virginia
 * and Ohio), US West (Oregon), Europe (Ireland) and Europe (Frankfurt); other regions charge more.
 * The 100 GB are per account, across all AWS services and regions (AWS News Blog, "AWS Free Tier Data
 * Transfer Expansion", 2021-11-24), so another workload in the account may have used them.
 */
export const AWS_EGRESS: EgressPrices = {
    name: "AWS EC2 data transfer out to the internet",
    freeGb: 100,
    tiers: [
        { upToGb: 10 * TB, usdPerGb: 0.09 },
        { upToGb: 50 * TB, usdPerGb: 0.085 },
        { upToGb: 150 * TB, usdPerGb: 0.07 },
        { upToGb: Infinity, usdPerGb: 0.05 },
    ],
    source: "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer",
    date: FIGURES_DATE,
    note: "us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1; 100 GB/month free per account (all services)",
};
/** Regions whose EC2 internet egress tiers are {@link AWS_EGRESS}'s. */
export const AWS_EGRESS_REGIONS: readonly string[] = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"];

/**
 * Cloudflare Realtime TURN: $0.05 per GB sent from Cloudflare to TURN clients, after 1,000 GB free
 * per month, shared with the Realtime SFU (Cloudflare Realtime TURN FAQ; Realtime "Limits, timeouts
 * and quotas": "1,000GB/month of data transfer from Cloudflare to your client for free").
 */
export const CLOUDFLARE_TURN_EGRESS: EgressPrices = {
    name: "Cloudflare Realtime TURN",
    freeGb: 1000,
    tiers: [{ upToGb: Infinity, usdPerGb: 0.05 }],
    source: "https://developers.cloudflare.com/realtime/turn/faq/",
    date: FIGURES_DATE,
    note: "1,000 GB/month free, shared with Cloudflare Realtime SFU; Cloudflare counts the GB sent to clients, TURN overhead included",
};

/**
 * Monthly cost of `gb` GB of egress under `prices`, USD, not rounded: the free GB first, then
 * each tier in turn. (Cloudflare does not say whether its GB is 10^9 or 2^30 bytes; the same GB
 * figure is priced on both sides.)
 * @throws RangeError for a negative or non-finite amount
 */
export function monthlyCostUsd(gb: number, prices: EgressPrices): number {
    if (!(gb >= 0) || !Number.isFinite(gb)) throw new RangeError(`egress ${gb} GB: must be a number of GB, 0 or more`);
    let billable = Math.max(0, gb - prices.freeGb);
    let cost = 0;
    let floor = 0;
    for (const tier of prices.tiers) {
        const inTier = Math.min(billable, tier.upToGb - floor);
        cost += inTier * tier.usdPerGb;
        billable -= inTier;
        floor = tier.upToGb;
        if (billable <= 0) break;
    }
    return cost;
}

/**
 * The AWS Budgets limit for a monthly egress budget: its GB at {@link AWS_EGRESS}'s tiers without the
 * free 100 GB (those are per account, and another workload may use them), rounded up to the cent,
 * at least $0.01.
 */
export function egressBudgetUsd(monthlyEgressBudgetGb: number): number {
    const usd = monthlyCostUsd(monthlyEgressBudgetGb, { ...AWS_EGRESS, freeGb: 0 });
    return Math.max(0.01, Math.ceil(Math.round(usd * 1e6) / 1e4) / 100);
}

/** A server as the capacity report sees it. */
export interface CapacityServer {
    name: string;
    instanceType: string;
    /** Overrides the table (`npm run capacity -- --baseline-gbps`), for a type it does not list. */
    baselineGbps?: number;
}

/** What {@link capacityReport} works from. */
export interface CapacityInput {
    servers: CapacityServer[];
    region?: string;
    /** Stream bitrate on the wire, kbit/s. */
    bitrateKbps: number;
    /** `turn:monthlyEgressBudgetGb`; undefined without an own server (nothing watches egress then). */
    monthlyEgressBudgetGb?: number;
    /** A usage to price: GB of egress per month, if given. */
    usageGb?: number;
}

/** One server's line of the report. */
export interface ServerCapacity {
    name: string;
    instanceType: string;
    /** undefined: not in the table and no override. */
    spec?: NetworkSpec;
    /** Where the baseline came from. */
    baselineFrom: "table" | "override" | "unknown";
    usableGbps?: number;
    streams?: number;
    /** Egress of `streams` streams all month (730 h), GB. */
    fullMonthGb?: number;
}

/** A monthly egress amount priced on both sides. */
export interface PricedUsage {
    label: string;
    gb: number;
    awsUsd: number;
    cloudflareUsd: number;
}

/** The capacity report: per server, the stack's total, and what the budget and usages cost. */
export interface CapacityReport {
    servers: ServerCapacity[];
    region?: string;
    bitrateKbps: number;
    /** Sum over servers with a known baseline. */
    totalStreams: number;
    /** The egress budget, its hourly share (the NetworkOut alarm's threshold) and the streams it pays for around the clock (730 h); absent without one. */
    budget?: { monthlyGb: number; bytesPerHour: number; streamsAroundTheClock: number };
    /** Whether {@link AWS_EGRESS}'s tiers are this region's ({@link AWS_EGRESS_REGIONS}). */
    awsPricesForRegion: boolean;
    priced: PricedUsage[];
}

/**
 * Build the capacity report (pure): streams per server from its usable baseline, the egress of that
 * load all month, the budget's hourly share and what it buys, and AWS and Cloudflare prices of the
 * budget, of the full load and of `usageGb` when given.
 * @throws RangeError for a bitrate that is not positive (streamsAtBitrate)
 */
export function capacityReport(input: CapacityInput): CapacityReport {
    const servers: ServerCapacity[] = input.servers.map((s) => {
        const table = networkSpec(s.instanceType);
        const spec = s.baselineGbps !== undefined ? { baselineGbps: s.baselineGbps, burstGbps: table?.burstGbps ?? s.baselineGbps, vcpus: table?.vcpus ?? 1 } : table;
        if (!spec) return { name: s.name, instanceType: s.instanceType, baselineFrom: "unknown" };
        const usableGbps = internetBaselineGbps(spec);
        const streams = streamsAtBitrate(usableGbps, input.bitrateKbps);
        return {
            name: s.name,
            instanceType: s.instanceType,
            spec,
            baselineFrom: s.baselineGbps !== undefined ? "override" : "table",
            usableGbps,
            streams,
            fullMonthGb: egressGb(streams, input.bitrateKbps, HOURS_PER_MONTH),
        };
    });
    const totalStreams = servers.reduce((n, s) => n + (s.streams ?? 0), 0);
    const price = (label: string, gb: number): PricedUsage => ({ label, gb, awsUsd: monthlyCostUsd(gb, AWS_EGRESS), cloudflareUsd: monthlyCostUsd(gb, CLOUDFLARE_TURN_EGRESS) });
    const budgetGb = input.monthlyEgressBudgetGb;
    const priced = budgetGb === undefined ? [] : [price("the egress budget (turn:monthlyEgressBudgetGb)", budgetGb)];
    if (totalStreams > 0) priced.push(price(`every server at its baseline all month (${totalStreams} streams × ${HOURS_PER_MONTH} h)`, egressGb(totalStreams, input.bitrateKbps, HOURS_PER_MONTH)));
    if (input.usageGb !== undefined) priced.push(price("the given usage", input.usageGb));
    return {
        servers,
        region: input.region,
        bitrateKbps: input.bitrateKbps,
        totalStreams,
        budget:
            budgetGb === undefined
                ? undefined
                : { monthlyGb: budgetGb, bytesPerHour: egressBytesPerHour(budgetGb), streamsAroundTheClock: budgetGb / egressGb(1, input.bitrateKbps, HOURS_PER_MONTH) },
        awsPricesForRegion: input.region !== undefined && AWS_EGRESS_REGIONS.includes(input.region),
        priced,
    };
}
