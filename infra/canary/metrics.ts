/**
 * The canary's results as CloudWatch metric data, per the shared contract
 * (infra/canary-metrics.ts), and the PutMetricData request body.
 *
 * PutMetricData (CloudWatch API Reference, PutMetricData and MetricDatum): at most 1000
 * metrics and 1 MB per POST; up to 30 dimensions per metric; `Value` within -2^360..2^360,
 * no NaN or infinities; `Unit` from a fixed list (`None`, `Milliseconds`, ...). The body is
 * the Query protocol's form encoding (`Action=PutMetricData&Version=2010-08-01&Namespace=...&
 * MetricData.member.N.MetricName=...&MetricData.member.N.Dimensions.member.M.Name=...`), the
 * encoding the API Reference documents with its examples and every AWS SDK can send.
 *
 * Pure: no `@pulumi/*` import, no I/O.
 */
import { CANARY_DIMENSIONS, CANARY_METRICS } from "../canary-metrics";

/** One CloudWatch MetricDatum (the fields the canary uses). */
export interface MetricDatum {
    MetricName: string;
    Dimensions: { Name: string; Value: string }[];
    Value: number;
    Unit: "None" | "Milliseconds";
    Timestamp: Date;
}

/** What one run found for one listener. */
export interface ListenerOutcome {
    /** Probe syntax, e.g. `udp:3478` (the `Listener` dimension). */
    listener: string;
    ok: boolean;
    /** Milliseconds to a successful allocation; only when ok. */
    latencyMs?: number;
    /** The relayed address on success, why it failed otherwise. */
    detail: string;
}

/** What one run found for one server. */
export interface ServerOutcome {
    server: string;
    listeners: ListenerOutcome[];
    /** The TLS certificate's notAfter, when the server has a TLS listener and the handshake got that far. */
    certificateNotAfter?: Date;
    /** Why the certificate could not be read, when it has a TLS listener and it could not. */
    certificateProblem?: string;
}

/** Most metrics in one PutMetricData request (CloudWatch API Reference, PutMetricData). */
export const PUT_METRIC_DATA_MAX_METRICS = 1000;
const MS_PER_DAY = 86_400_000;

/** Days from `now` to `notAfter`, fractional; negative once expired. */
export function daysToExpiry(notAfter: Date, now: Date): number {
    return (notAfter.getTime() - now.getTime()) / MS_PER_DAY;
}

/**
 * The metric data for a run: per listener, success (1/0) and, on success, latency; per server
 * with a certificate read, its days to expiry. A listener that failed gets no latency datum,
 * so latency statistics describe working allocations only.
 * @param at the run's time, the data points' Timestamp
 */
export function canaryMetricData(outcomes: ServerOutcome[], at: Date): MetricDatum[] {
    const out: MetricDatum[] = [];
    for (const s of outcomes) {
        for (const l of s.listeners) {
            const Dimensions = [
                { Name: CANARY_DIMENSIONS.server, Value: s.server },
                { Name: CANARY_DIMENSIONS.listener, Value: l.listener },
            ];
            out.push({ MetricName: CANARY_METRICS.success, Dimensions, Value: l.ok ? 1 : 0, Unit: "None", Timestamp: at });
            if (l.ok && l.latencyMs !== undefined && Number.isFinite(l.latencyMs)) {
                out.push({ MetricName: CANARY_METRICS.latency, Dimensions, Value: Math.round(l.latencyMs * 1000) / 1000, Unit: "Milliseconds", Timestamp: at });
            }
        }
        if (s.certificateNotAfter && Number.isFinite(s.certificateNotAfter.getTime())) {
            out.push({
                MetricName: CANARY_METRICS.certificateDaysToExpiry,
                Dimensions: [{ Name: CANARY_DIMENSIONS.server, Value: s.server }],
                Value: Math.round(daysToExpiry(s.certificateNotAfter, at) * 10_000) / 10_000,
                Unit: "None",
                Timestamp: at,
            });
        }
    }
    return out;
}

/**
 * PutMetricData request bodies (Query protocol, `application/x-www-form-urlencoded`), at most
 * {@link PUT_METRIC_DATA_MAX_METRICS} metrics each. Timestamps in ISO 8601 UTC.
 */
export function putMetricDataBodies(namespace: string, data: MetricDatum[]): string[] {
    const bodies: string[] = [];
    for (let i = 0; i < data.length; i += PUT_METRIC_DATA_MAX_METRICS) {
        const p = new URLSearchParams({ Action: "PutMetricData", Version: "2010-08-01", Namespace: namespace });
        data.slice(i, i + PUT_METRIC_DATA_MAX_METRICS).forEach((d, j) => {
            const m = `MetricData.member.${j + 1}`;
            p.append(`${m}.MetricName`, d.MetricName);
            d.Dimensions.forEach((dim, k) => {
                p.append(`${m}.Dimensions.member.${k + 1}.Name`, dim.Name);
                p.append(`${m}.Dimensions.member.${k + 1}.Value`, dim.Value);
            });
            p.append(`${m}.Value`, String(d.Value));
            p.append(`${m}.Unit`, d.Unit);
            p.append(`${m}.Timestamp`, d.Timestamp.toISOString());
        });
        bodies.push(p.toString());
    }
    return bodies;
}

/** One line per failed listener, `<server> <listener>: <why>`, for the log and the run's result. */
export function failureLines(outcomes: ServerOutcome[]): string[] {
    return outcomes.flatMap((s) => s.listeners.filter((l) => !l.ok).map((l) => `${s.server} ${l.listener}: ${l.detail}`));
}
