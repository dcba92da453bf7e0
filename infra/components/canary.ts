/**
 * `turn:aws:Canary`: a Lambda function that makes a real TURN allocation on every listener of
 * the stack's servers on a schedule and publishes per-listener success and latency and each
 * certificate's days to expiry as CloudWatch metrics (infra/canary-metrics.ts; the alarms and
 * the dashboard of infra/components/monitoring.ts read them).
 *
 * One function per stack probes a LIST of servers (a fleet, issue 16, passes every server): a
 * run probes every listener of every server in parallel within one bounded budget, and the
 * metrics carry the server's name as a dimension. Children (all `${name}-...`):
 *  - the log group, with retention ({@link CANARY_LOG_RETENTION_DAYS});
 *  - an IAM role Lambda assumes, with one inline policy, least privilege (infra/canary/iam.ts): its
 *    own log group's streams, `cloudwatch:PutMetricData` in the stack's namespace only (condition
 *    `cloudwatch:namespace`), `ssm:GetParameter` on the stack's secret parameter only;
 *  - the function: Node.js 24 (`nodejs24.x`, the newest runtime Lambda and @pulumi/aws offer;
 *    deprecation 2028-04-30 in Lambda's runtime table, against 2027-04-30 for nodejs22.x), arm64
 *    (Graviton: the lower GB-second price), 128 MB, {@link CANARY_TIMEOUT_SECONDS} s, its code the
 *    esbuild bundle of infra/canary/handler.ts built at program run (infra/canary/bundle.ts: same
 *    sources, same bytes, no upload), its settings in `CANARY_CONFIG`, its logs in the log group;
 *  - its asynchronous invoke config: no retries (EventBridge invokes asynchronously and Lambda
 *    would retry a failed run twice; the next scheduled run is the retry, and the alarms count runs);
 *  - an EventBridge rule `rate(N minutes)` (turn:canaryScheduleMinutes), its target, and the
 *    permission for EventBridge to invoke the function from that rule only.
 *
 * Sources: Lambda Developer Guide (runtimes, quotas, asynchronous invocation, log groups);
 * EventBridge User Guide (rate expressions); Pulumi AWS provider v7 API docs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AWS_PARTITION } from "../aws-region";
import { canaryNamespace } from "../canary-metrics";
import { probeListenerSpec } from "../listeners";
import { CANARY_CONFIG_ENV, CANARY_TIMEOUT_SECONDS, renderCanaryConfig } from "../canary/config";
import { bundleCanary, CANARY_BUNDLE_FILE, CANARY_HANDLER } from "../canary/bundle";
import { canaryScheduleExpression } from "../canary/settings";
import { canaryPolicy } from "../canary/iam";

/** The function's runtime: the newest Node.js runtime in Lambda's table that @pulumi/aws's Runtime enum has. */
export const CANARY_RUNTIME = aws.lambda.Runtime.NodeJS24dX;
/** Node.js major version of {@link CANARY_RUNTIME}, the bundle's esbuild target. */
export const CANARY_NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(CANARY_RUNTIME)![1]);
/** Memory, MB: Lambda's minimum (128 to 10240; Lambda quotas). A run is a few sockets and timers. */
export const CANARY_MEMORY_MB = 128;
/** Log retention, days (one of CloudWatch Logs' allowed values: PutRetentionPolicy). Two weeks of run logs. */
export const CANARY_LOG_RETENTION_DAYS = 14;

/** One server the canary probes. */
export interface CanaryServerArgs {
    /** The server's name in the stack (the metrics' `Server` dimension), e.g. `turn`. */
    name: string;
    /** Its Elastic IP. */
    host: pulumi.Input<string>;
    /** turn:domain, when the server has TLS listeners. */
    domain?: string;
}

/** Arguments of {@link Canary}. */
export interface CanaryArgs {
    project: string;
    stack: string;
    servers: CanaryServerArgs[];
    /** SSM parameter holding the TURN shared secret (config.ts secretParameterNameFor). */
    secretParameterName: string;
    /** Minutes between runs, 1 to 60 (turn:canaryScheduleMinutes). */
    scheduleMinutes: number;
    tags?: Record<string, string>;
}

/** The stack's TURN canary. */
export class Canary extends pulumi.ComponentResource {
    /** The Lambda function's name. */
    readonly functionName: pulumi.Output<string>;
    readonly functionArn: pulumi.Output<string>;
    /** Where its runs log. */
    readonly logGroupName: pulumi.Output<string>;
    /** CloudWatch namespace of its metrics. */
    readonly namespace: string;

    /**
     * @param name logical name; children are `${name}-<role>`
     * @throws Error for an empty server list or a schedule outside 1..60 minutes (config.ts checks both first)
     */
    constructor(name: string, args: CanaryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:aws:Canary", name, {}, opts);
        if (args.servers.length === 0) throw new Error("turn:aws:Canary needs at least one server");
        const parent = { parent: this };
        const tags = (role: string) => ({ ...args.tags, Name: `${name}-${role}` });
        this.namespace = canaryNamespace(args.project, args.stack);

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/turn-stack/${args.project}/${args.stack}/canary`, retentionInDays: CANARY_LOG_RETENTION_DAYS, tags: tags("logs") },
            parent,
        );

        // The secret parameter's ARN, in the partition turn-stack supports (aws-region.ts): parameter names
        // that start with "/" follow "parameter" directly (SSM User Guide, "Parameter Store resource ARNs").
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const secretArn = pulumi.interpolate`arn:${AWS_PARTITION}:ssm:${region}:${account}:parameter${args.secretParameterName}`;

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "turn-stack TURN canary (Lambda): read the TURN secret, publish its metrics, write its logs",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags: tags("role"),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-role-policy`,
            {
                role: role.id,
                policy: pulumi.all([logGroup.arn, secretArn]).apply(([logGroupArn, parameterArn]) => JSON.stringify(canaryPolicy(logGroupArn, parameterArn, this.namespace))),
            },
            parent,
        );

        const bundle = bundleCanary(CANARY_NODE_MAJOR);
        const config = pulumi
            .all(args.servers.map((s) => s.host))
            .apply((hosts) =>
                renderCanaryConfig({
                    namespace: this.namespace,
                    secretParameterName: args.secretParameterName,
                    servers: args.servers.map((s, i) => ({ name: s.name, host: hosts[i], servername: s.domain, listeners: probeListenerSpec(s.domain !== undefined) })),
                }),
            );
        const fn = new aws.lambda.Function(
            `${name}-fn`,
            {
                description: "turn-stack TURN canary: a real TURN allocation on every listener, metrics to CloudWatch",
                runtime: CANARY_RUNTIME,
                architectures: ["arm64"],
                handler: CANARY_HANDLER,
                code: new pulumi.asset.AssetArchive({ [CANARY_BUNDLE_FILE]: new pulumi.asset.StringAsset(bundle.code) }),
                memorySize: CANARY_MEMORY_MB,
                timeout: CANARY_TIMEOUT_SECONDS,
                role: role.arn,
                environment: { variables: { [CANARY_CONFIG_ENV]: config } },
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
                tags: tags("fn"),
            },
            { parent: this, dependsOn: [rolePolicy, logGroup] },
        );
        new aws.lambda.FunctionEventInvokeConfig(`${name}-invoke-config`, { functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 }, parent);

        const rule = new aws.cloudwatch.EventRule(
            `${name}-schedule`,
            { description: "turn-stack TURN canary schedule", scheduleExpression: canaryScheduleExpression(args.scheduleMinutes), tags: tags("schedule") },
            parent,
        );
        const permission = new aws.lambda.Permission(
            `${name}-invoke`,
            { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
            parent,
        );
        new aws.cloudwatch.EventTarget(`${name}-target`, { rule: rule.name, arn: fn.arn }, { parent: this, dependsOn: [permission] });

        this.functionName = fn.name;
        this.functionArn = fn.arn;
        this.logGroupName = logGroup.name;
        this.registerOutputs({ functionName: this.functionName, functionArn: this.functionArn, logGroupName: this.logGroupName, namespace: this.namespace });
    }
}
