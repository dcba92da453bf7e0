/**
 * The canary role's permissions, least privilege (infra/components/canary.ts attaches them):
 *
 * - its own log group's streams only (`logs:CreateLogStream`, `logs:PutLogEvents` on
 *   `<log group ARN>:*`, the scoping Lambda's guide shows for a function's log group);
 * - `cloudwatch:PutMetricData` only with `cloudwatch:namespace` = the stack's namespace
 *   (CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces";
 *   PutMetricData supports no resource-level permission, so its Resource is `*`);
 * - `ssm:GetParameter` on the stack's secret parameter only. No `kms:Decrypt`: the parameter is a
 *   SecureString under the AWS managed key `aws/ssm`, which "grants Decrypt permission to all IAM
 *   principals in the AWS account" (SSM User Guide, "Restricting decryption of SecureString
 *   parameter values").
 *
 * Pure: no `@pulumi/*` import.
 */

/**
 * The canary role's policy document: its log group's streams, PutMetricData in its namespace only,
 * GetParameter on the secret only.
 * @param logGroupArn the log group's ARN as the provider gives it (without `:*`)
 */
export function canaryPolicy(logGroupArn: string, secretParameterArn: string, namespace: string): { Version: string; Statement: Record<string, unknown>[] } {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
            { Sid: "PublishCanaryMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": namespace } } },
            { Sid: "ReadTurnSecret", Effect: "Allow", Action: "ssm:GetParameter", Resource: secretParameterArn },
        ],
    };
}
