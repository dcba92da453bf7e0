/**
 * The canary's CloudWatch metrics: one contract shared by the canary handler
 * (which publishes them), the alarms and the dashboard (which read them).
 *
 * Namespace: one per stack, so the canary's IAM policy can limit
 * `cloudwatch:PutMetricData` to it with the `cloudwatch:namespace` condition key
 * (AWS "Using condition keys to limit access to CloudWatch namespaces").
 * CloudWatch namespaces: 1-255 characters from alphanumerics, `.`, `-`, `_`, `/`,
 * `#`, `:` and space, and must not start with `AWS/` (CloudWatch API Reference,
 * PutMetricData, Namespace).
 */

/** Prefix of every turn-stack canary namespace. */
export const CANARY_NAMESPACE_PREFIX = "TurnStack";

/**
 * The stack's metric namespace, e.g. `TurnStack/turn/prod`.
 * @param project Pulumi project name
 * @param stack Pulumi stack name
 */
export function canaryNamespace(project: string, stack: string): string {
    return `${CANARY_NAMESPACE_PREFIX}/${project}/${stack}`;
}

/** Metric names (CloudWatch MetricName: 1-255 characters). */
export const CANARY_METRICS = {
    /** 1 when the listener answered a real TURN allocation, 0 when not. Unit: None. Dimensions: Server, Listener. */
    success: "ListenerSuccess",
    /** Time to a successful allocation on the listener. Unit: Milliseconds. Dimensions: Server, Listener. */
    latency: "ListenerLatency",
    /** Days until the TLS certificate's notAfter (fractional). Unit: None. Dimensions: Server. */
    certificateDaysToExpiry: "CertificateDaysToExpiry",
} as const;

/** Dimension names. `Server`: the server's name in the stack (e.g. `turn`); `Listener`: probe syntax, e.g. `udp:3478`, `tls:5349` (listeners.ts probeListenerSpec). */
export const CANARY_DIMENSIONS = { server: "Server", listener: "Listener" } as const;
