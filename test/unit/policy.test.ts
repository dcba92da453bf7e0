/**
 * The cloud contract (infra/policy): for every policy, inputs that are valid
 * pass, and each violating input fails with a message naming what is wrong.
 *
 * test/helpers/policy-harness.ts stands in for the Pulumi engine's analyzer: it
 * hands each policy the same argument bags @pulumi/policy's analyzer server
 * builds (ResourceValidationArgs / StackValidationArgs), without starting the
 * gRPC server a PolicyPack starts. test/program/policy-pack.test.ts loads the
 * real pack the way the Pulumi CLI does.
 */
import { test, expect } from "vitest";
import { policies } from "../../infra/policy/policies";
import { arnPartitionProblems, partitionOf, USER_DATA_MAX_BYTES } from "../../infra/policy/limits";
import { stackRuleQuota } from "../../infra/policy/aws";
import { runPolicy, type DeclaredResource } from "../helpers/policy-harness";

const T = {
    sg: "aws:ec2/securityGroup:SecurityGroup",
    in: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    out: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    instance: "aws:ec2/instance:Instance",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    param: "aws:ssm/parameter:Parameter",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    topic: "aws:sns/topic:Topic",
    budget: "aws:budgets/budget:Budget",
    fn: "aws:lambda/function:Function",
    rule: "aws:cloudwatch/eventRule:EventRule",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    record: "aws:route53/record:Record",
    health: "aws:route53/healthCheck:HealthCheck",
    command: "command:local:Command",
} as const;

let n = 0;
const r = (type: string, inputs: Record<string, any>): DeclaredResource => ({ type, name: `r${n++}`, inputs });
const doc = (actions: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*", ...extra }] });

// Valid inputs, shaped like what the program declares.
const sg = (o = {}) => r(T.sg, { name: "turn-sg-a1b2c3d", description: "turn-stack TURN server: TURN listeners and UDP relay range", tags: { Name: "turn-sg" }, ...o });
const ingress = (o = {}) => r(T.in, { securityGroupId: "sg-1", ipProtocol: "udp", fromPort: 3478, toPort: 3478, cidrIpv4: "0.0.0.0/0", description: "TURN over UDP", ...o });
const egress = (o = {}) => r(T.out, { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "AWS APIs and packages (HTTPS)", ...o });
const imds = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" };
const instance = (o = {}) => r(T.instance, { userData: "#cloud-config\n", metadataOptions: imds, tags: { Name: "turn-instance" }, ...o });
const role = (o = {}) =>
    r(T.role, { name: "turn-role-a1b2c3d", description: "turn-stack TURN server: SSM Session Manager, read its TURN secret", assumeRolePolicy: doc("sts:AssumeRole"), ...o });
const rolePolicy = (o = {}) => r(T.rolePolicy, { name: "turn-role-policy-a1b2c3d", role: "turn-role-id", policy: doc(["ssm:GetParameter", "ec2messages:*"]), ...o });
const param = (o = {}) =>
    r(T.param, { name: "/turn-stack/turn/prod/static-auth-secret", type: "SecureString", value: "s".repeat(48), description: "turn-stack TURN REST API shared secret", ...o });
const alarm = (o = {}) =>
    r(T.alarm, { name: "turn-recover-a1b2c3d", alarmDescription: "Recover the TURN server", alarmActions: ["arn:aws:automate:eu-west-1:ec2:recover"], ...o });
const dns = (o = {}) =>
    r(T.dns, { zoneId: "ffeeddccbbaa99887766554433221100", name: "turn.example.com", type: "A", content: "203.0.113.10", proxied: false, ttl: 300, comment: "turn-stack TURN server (DNS only)", ...o });
const keyCommand = (env: Record<string, unknown> = {}) =>
    r(T.command, {
        create: "npx --no-install tsx scripts/cloudflare-turn-key.ts create",
        delete: "npx --no-install tsx scripts/cloudflare-turn-key.ts delete",
        environment: { CLOUDFLARE_ACCOUNT_ID: "00112233445566778899aabbccddeeff", TURN_KEY_NAME: "turn-prod", ...env },
    });
const rules = (count: number, make: (i: number) => DeclaredResource) => Array.from({ length: count }, (_, i) => make(i));
const seq = <V>(count: number, make: (i: number) => V): V[] => Array.from({ length: count }, (_, i) => make(i));

interface Case {
    /** Inputs that pass (the policy must apply to at least one of them). */
    valid: DeclaredResource[][];
    /** Violating inputs and what the message must say. */
    invalid: [DeclaredResource[], RegExp][];
}

const tags51 = Object.fromEntries(seq(51, (i) => [`k${i}`, "v"]));
const cases: Record<string, Case> = {
    "aws-tags": {
        valid: [[sg(), instance({ tags: { "turn-stack:project": "turn", "turn-stack:stack": "prod", Name: "turn-instance" } })]],
        invalid: [
            [[sg({ tags: tags51 })], /51 tags: at most 50/],
            [[sg({ tags: { "aws:owner": "x" } })], /aws: prefix is reserved/],
            [[sg({ tags: { Name: "x".repeat(257) } })], /at most 256 characters/],
            [[sg({ tags: { ["k".repeat(129)]: "v" } })], /1 to 128 characters/],
            [[sg({ tags: { "owner#1": "v" } })], /only letters, numbers, spaces/],
        ],
    },
    "ec2-security-group-name-description": {
        valid: [[sg()]],
        invalid: [
            [[sg({ description: "turn-stack's TURN server" })], /"'" not allowed/],
            [[sg({ description: "d".repeat(256) })], /256 characters, at most 255/],
            [[sg({ name: "sg-turn" })], /cannot start with sg-/],
        ],
    },
    "ec2-security-group-rule-description": {
        valid: [[ingress(), egress()]],
        invalid: [
            // The descriptions `pulumi up` refused (issue 10, item 1).
            [[egress({ description: "AWS APIs, Let's Encrypt, packages (HTTPS)" })], /"'" not allowed; EC2 allows/],
            [[ingress({ description: "Let's Encrypt HTTP-01 challenge" })], /"'" not allowed/],
            [[ingress({ description: "TURN \u2013 UDP" })], /not allowed/],
            [[egress({ description: "x".repeat(256) })], /at most 255/],
        ],
    },
    "ec2-security-group-rule-ports": {
        valid: [[ingress({ fromPort: 49152, toPort: 65535 }), egress({ ipProtocol: "udp", fromPort: 0, toPort: 65535 })]],
        invalid: [
            [[ingress({ fromPort: 70000, toPort: 70000 })], /a port from 0 to 65535/],
            [[ingress({ fromPort: 5000, toPort: 4000 })], /fromPort 5000 is above toPort 4000/],
        ],
    },
    "ec2-security-group-rules-per-group": {
        valid: [
            [...rules(60, (i) => ingress({ fromPort: 1000 + i })), ...rules(60, (i) => egress({ fromPort: 1000 + i }))],
            [...rules(60, (i) => ingress({ fromPort: 1000 + i })), ...rules(60, (i) => ingress({ securityGroupId: "sg-2", fromPort: 1000 + i }))],
            [...rules(60, (i) => ingress({ fromPort: 1000 + i })), ingress({ cidrIpv4: undefined, cidrIpv6: "::/0" })],
        ],
        invalid: [
            [rules(61, (i) => ingress({ fromPort: 1000 + i })), /sg-1 has 61 inbound IPv4 rules; the quota is 60 \(ask AWS for more/],
            [rules(61, (i) => egress({ fromPort: 1000 + i })), /61 outbound IPv4 rules/],
        ],
    },
    "ec2-user-data-size": {
        valid: [[instance({ userData: "x".repeat(USER_DATA_MAX_BYTES) })], [instance({ userData: undefined, userDataBase64: Buffer.alloc(USER_DATA_MAX_BYTES).toString("base64") })]],
        invalid: [
            [[instance({ userData: "x".repeat(USER_DATA_MAX_BYTES + 1) })], /16385 bytes; EC2 takes at most 16384/],
            // Bytes, not characters: 8193 two-byte characters.
            [[instance({ userData: "\u00e9".repeat(8193) })], /16386 bytes/],
            [[instance({ userData: undefined, userDataBase64: Buffer.alloc(USER_DATA_MAX_BYTES + 1).toString("base64") })], /decodes to 16385 bytes/],
        ],
    },
    "ec2-instance-metadata-options": {
        valid: [[instance()]],
        invalid: [
            [[instance({ metadataOptions: { ...imds, httpTokens: "optional" } })], /httpTokens "optional"/],
            [[instance({ metadataOptions: { ...imds, httpPutResponseHopLimit: 65 } })], /1 to 64/],
            [[instance({ metadataOptions: { ...imds, httpPutResponseHopLimit: 2 } })], /requires 1/],
            [[instance({ metadataOptions: { ...imds, httpEndpoint: "on" } })], /enabled or disabled/],
            [[instance({ metadataOptions: undefined })], /metadataOptions not set/],
            [[instance({ metadataOptions: { ...imds, instanceMetadataTags: "enabled" }, tags: { "turn stack/role": "x" } })], /not allowed with instance tags in metadata/],
        ],
    },
    "ec2-vpc-subnet-cidr": {
        valid: [[r(T.vpc, { cidrBlock: "10.73.0.0/16" }), r(T.subnet, { cidrBlock: "10.73.0.0/28" })]],
        invalid: [
            [[r(T.vpc, { cidrBlock: "10.0.0.0/15" })], /from \/16 to \/28/],
            [[r(T.subnet, { cidrBlock: "10.73.0.0/29" })], /from \/16 to \/28/],
        ],
    },
    "iam-role": {
        valid: [[role()], [role({ name: "r".repeat(64) })]],
        invalid: [
            [[role({ name: "r".repeat(65) })], /1 to 64 characters/],
            [[role({ name: "turn role" })], /only letters, digits/],
            [[role({ namePrefix: "p".repeat(39), name: undefined })], /namePrefix .*1 to 38/],
            [[role({ description: "d".repeat(1001) })], /at most 1000/],
            [[role({ description: "the server\u2019s role" })], /only tab, LF, CR/],
            [[role({ assumeRolePolicy: doc(seq(120, (i) => `sts:AssumeRole${i}`)) })], /assumeRolePolicy is \d+ characters .* at most 2048/],
        ],
    },
    "iam-policy-and-profile-names": {
        valid: [[rolePolicy(), r(T.profile, { name: "turn-profile-a1b2c3d", role: "turn-role" })]],
        invalid: [
            [[rolePolicy({ name: "read/secret" })], /only letters, digits/],
            [[r(T.profile, { name: "p".repeat(129) })], /1 to 128 characters/],
        ],
    },
    "iam-policy-document": {
        valid: [[rolePolicy(), role()]],
        invalid: [
            [[rolePolicy({ policy: doc("ssm:Get Parameter") })], /action "ssm:Get Parameter" is not service:Action/],
            [[rolePolicy({ policy: doc("SSM:GetParameter") })], /not service:Action \(service prefix lowercase\)/],
            [[rolePolicy({ policy: doc("GetParameter") })], /not service:Action/],
            [[rolePolicy({ policy: JSON.stringify({ Version: "2012-10-18", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }) })], /Version "2012-10-18"/],
            [[rolePolicy({ policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "allow", Action: "s3:GetObject", Resource: "*" }] }) })], /Effect "allow"/],
            [[rolePolicy({ policy: "{not json" })], /not JSON/],
            [[role({ assumeRolePolicy: doc("sts:AssumeRole", { Sid: "\u2603" }) })], /characters outside/],
        ],
    },
    "iam-role-inline-policy-size": {
        valid: [[rolePolicy({ policy: doc(seq(400, (i) => `ssm:Action${i}`)) }), rolePolicy({ role: "other-role", policy: doc(seq(400, (i) => `ssm:Action${i}`)) })]],
        invalid: [
            [
                [rolePolicy({ policy: doc(seq(400, (i) => `ssm:Action${i}`)) }), rolePolicy({ policy: doc(seq(400, (i) => `ssm:Other${i}`)) })],
                /role turn-role-id: inline policies total \d+ characters; at most 10240/,
            ],
        ],
    },
    "ssm-parameter-name": {
        valid: [[param()], [param({ name: `/${seq(15, (i) => `l${i}`).join("/")}` })]],
        invalid: [
            [[param({ name: "/aws/turn/secret" })], /cannot be prefixed with aws or ssm/],
            [[param({ name: "SSM-secret" })], /cannot be prefixed with aws or ssm/],
            [[param({ name: "/turn stack/secret" })], /no spaces/],
            [[param({ name: `/${"n".repeat(1011)}` })], /1012 characters, 1 to 1011 allowed/],
            [[param({ name: `/${seq(16, (i) => `l${i}`).join("/")}` })], /16 levels, at most 15/],
            [[param({ name: "turn/secret" })], /begins with \//],
        ],
    },
    "ssm-parameter-tier-value": {
        valid: [[param({ value: "v".repeat(4096) })], [param({ tier: "Advanced", value: "v".repeat(8192) })]],
        invalid: [
            [[param({ value: "v".repeat(4097) })], /4097 bytes; the Standard tier holds at most 4096/],
            [[param({ tier: "Premium" })], /tier "Premium"/],
            [[param({ type: "Secret" })], /type "Secret"/],
            [[param({ description: "d".repeat(1025) })], /at most 1024/],
        ],
    },
    "cloudwatch-alarm-name-description": {
        valid: [[alarm()]],
        invalid: [
            [[alarm({ name: "a".repeat(256) })], /1 to 255 characters/],
            [[alarm({ name: "turn\trecover" })], /no ASCII control characters/],
            [[alarm({ alarmDescription: "d".repeat(1025) })], /at most 1024/],
            [[alarm({ alarmActions: seq(6, () => "arn:aws:automate:eu-west-1:ec2:recover") })], /6 actions, at most 5/],
        ],
    },
    "cloudwatch-alarm-action-partition": {
        valid: [[alarm()], [alarm({ alarmActions: ["arn:aws-cn:automate:cn-north-1:ec2:recover"] })], [alarm({ alarmActions: ["arn:aws-us-gov:automate:us-gov-west-1:ec2:recover"] })]],
        invalid: [
            [[alarm({ alarmActions: ["arn:aws:automate:cn-north-1:ec2:recover"] })], /Region cn-north-1 is in partition aws-cn, so the ARN must start arn:aws-cn:/],
            [[alarm({ alarmActions: ["arn:aws:automate:us-gov-east-1:ec2:recover"] })], /partition aws-us-gov/],
            [[alarm({ okActions: ["arn:aws-cn:automate:eu-west-1:ec2:recover"] })], /okActions: .*partition aws/],
            [[alarm({ alarmActions: ["recover"] })], /not arn:<partition>/],
        ],
    },
    // Monitoring (infra/policy/monitoring.ts): inputs shaped like infra/components/monitoring.ts's.
    "cloudwatch-alarm-evaluation": {
        valid: [
            [alarm({ period: 300, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: "breaching" })],
            [alarm({ period: 60, evaluationPeriods: 1440 }), alarm({ period: 3600, evaluationPeriods: 168 }), alarm({ period: 10, evaluationPeriods: 1 })],
            [alarm({ evaluationPeriods: 3, metricQueries: [{ id: "m0", returnData: false, metric: { period: 3600 } }, { id: "total", expression: "m0", returnData: true }] })],
        ],
        invalid: [
            [[alarm({ period: 90, evaluationPeriods: 1 })], /period 90: 10, 20, 30 or a multiple of 60/],
            [[alarm({ period: 60, evaluationPeriods: 1441 })], /86460 s: at most 86400 s for a period under one hour/],
            [[alarm({ period: 3600, evaluationPeriods: 169 })], /608400 s: at most 604800 s/],
            [[alarm({ period: 60, evaluationPeriods: 2, datapointsToAlarm: 3 })], /datapointsToAlarm 3: 1 to evaluationPeriods \(2\)/],
            [[alarm({ period: 60, evaluationPeriods: 0 })], /evaluationPeriods 0/],
            [[alarm({ period: 60, evaluationPeriods: 1, treatMissingData: "notbreaching" })], /treatMissingData "notbreaching"/],
            [[alarm({ evaluationPeriods: 1, metricQueries: [{ id: "M0", returnData: false, metric: { period: 60 } }, { id: "e", expression: "M0" }] })], /metric query id "M0"/],
            [[alarm({ evaluationPeriods: 1, metricQueries: [{ id: "m0", metric: { period: 60 } }, { id: "e", expression: "m0" }] })], /2 queries return data; exactly one must/],
        ],
    },
    "cloudwatch-dashboard": {
        valid: [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: JSON.stringify({ widgets: [{ type: "alarm", properties: { alarms: ["arn:aws:cloudwatch:eu-west-1:1:alarm:a"] } }] }) })]],
        invalid: [
            [[r(T.dashboard, { dashboardName: "turn/prod", dashboardBody: "{\"widgets\":[]}" })], /dashboardName "turn\/prod": 1 to 255 of A-Z a-z 0-9 - _/],
            [[r(T.dashboard, { dashboardName: "d".repeat(256), dashboardBody: "{\"widgets\":[]}" })], /1 to 255/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: "{widgets" })], /not JSON/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: "{}" })], /needs a widgets array/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: JSON.stringify({ widgets: seq(501, () => ({ type: "text", properties: {} })) }) })], /501 widgets, at most 500/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: JSON.stringify({ widgets: [{ type: "metric", properties: { metrics: seq(501, () => ["AWS/EC2", "CPUUtilization"]) } }] }) })], /501 metrics, at most 500/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: JSON.stringify({ widgets: seq(6, () => ({ type: "metric", properties: { metrics: seq(500, () => ["AWS/EC2", "CPUUtilization"]) } })) }) })], /3000 metrics, at most 2500/],
            [[r(T.dashboard, { dashboardName: "turn-prod", dashboardBody: JSON.stringify({ widgets: [{ type: "alarm", properties: { alarms: seq(101, (i) => `a${i}`) } }] }) })], /lists 101 alarms, 1 to 100/],
        ],
    },
    "sns-topic-name": {
        valid: [[r(T.topic, { name: "monitoring-alarms-a1b2c3d" })], [r(T.topic, { name: "alarms.fifo", fifoTopic: true })]],
        invalid: [
            [[r(T.topic, { name: "turn alarms" })], /1 to 256 of A-Z a-z 0-9 _ -/],
            [[r(T.topic, { name: "t".repeat(257) })], /1 to 256/],
            [[r(T.topic, { name: "alarms", fifoTopic: true })], /ends in .fifo/],
        ],
    },
    "budgets-budget": {
        valid: [[r(T.budget, { name: "turn-prod-egress", limitAmount: "90.00", notifications: [{ subscriberEmailAddresses: ["ops@example.com"] }] })]],
        invalid: [
            [[r(T.budget, { name: "turn:prod" })], /without : or \\/],
            [[r(T.budget, { name: "b".repeat(101) })], /1 to 100 characters/],
            [[r(T.budget, { name: "turn-prod", limitAmount: "$90" })], /limitAmount "\$90": a decimal number/],
            [[r(T.budget, { name: "turn-prod", notifications: seq(6, () => ({})) })], /6 notifications: at most 5/],
            [[r(T.budget, { name: "turn-prod", notifications: [{ subscriberEmailAddresses: seq(11, (i) => `o${i}@example.com`) }] })], /11 email subscribers: at most 10/],
        ],
    },
    // The canary's resources (infra/policy/canary.ts).
    "lambda-function": {
        valid: [[r(T.fn, { name: "canary-fn-a1b2c3d", description: "turn-stack TURN canary", handler: "index.handler", memorySize: 128, timeout: 60, environment: { variables: { CANARY_CONFIG: "x".repeat(3000) } } })], [r(T.fn, { name: "f".repeat(64), memorySize: 10240, timeout: 900 })]],
        invalid: [
            [[r(T.fn, { name: "f".repeat(65) })], /function name .*1 to 64 characters/],
            [[r(T.fn, { name: "canary.fn" })], /1 to 64 characters of a-z A-Z 0-9 - _/],
            [[r(T.fn, { name: "f", description: "d".repeat(257) })], /at most 256/],
            [[r(T.fn, { name: "f", handler: "index handler" })], /handler .*without white space/],
            [[r(T.fn, { name: "f", memorySize: 64 })], /memorySize 64: 128 to 10240 MB/],
            [[r(T.fn, { name: "f", timeout: 901 })], /timeout 901: 1 to 900 seconds/],
            [[r(T.fn, { name: "f", environment: { variables: { AWS_REGION: "eu-west-1" } } })], /AWS_REGION is reserved/],
            [[r(T.fn, { name: "f", environment: { variables: { "1X": "v" } } })], /a letter, then letters, digits and _/],
            [[r(T.fn, { name: "f", environment: { variables: { CANARY_CONFIG: "x".repeat(4096) } } })], /environment variables of \d+ bytes: at most 4096/],
        ],
    },
    "eventbridge-rule": {
        valid: [[r(T.rule, { name: "canary-schedule-a1b2c3d", scheduleExpression: "rate(5 minutes)" }), r(T.rule, { name: "r", scheduleExpression: "rate(1 minute)" }), r(T.rule, { name: "c", scheduleExpression: "cron(0 12 * * ? *)" })]],
        invalid: [
            [[r(T.rule, { name: "r", scheduleExpression: "rate(1 minutes)" })], /unit singular for 1/],
            [[r(T.rule, { name: "r", scheduleExpression: "rate(5 minute)" })], /schedule "rate\(5 minute\)"/],
            [[r(T.rule, { name: "r", scheduleExpression: "rate(0 minutes)" })], /positive whole value/],
            [[r(T.rule, { name: "r", scheduleExpression: "every 5 minutes" })], /rate\(<value> <unit>\)/],
            [[r(T.rule, { name: "r".repeat(65) })], /rule name .*1 to 64/],
            [[r(T.rule, { name: "r", description: "d".repeat(513) })], /at most 512/],
        ],
    },
    "cloudwatch-log-group": {
        valid: [[r(T.logGroup, { name: "/turn-stack/turn/prod/canary", retentionInDays: 14 }), r(T.logGroup, { name: "g", retentionInDays: 3653 })]],
        invalid: [
            [[r(T.logGroup, { name: "/turn stack/canary" })], /log group name .*1 to 512/],
            [[r(T.logGroup, { name: "g".repeat(513) })], /1 to 512/],
            [[r(T.logGroup, { name: "g", retentionInDays: 10 })], /retentionInDays 10: one of 1, 3, 5, 7, 14/],
        ],
    },
    // A fleet's Route 53 resources (infra/policy/route53.ts), shaped like infra/components/fleet.ts's.
    "route53-record": {
        valid: [
            [
                r(T.record, { zoneId: "Z0123456789ABCDEFGHIJ", name: "eu-west-1-2.turn.example.com", type: "A", ttl: 60, records: ["203.0.113.10"] }),
                r(T.record, { zoneId: "Z0123456789ABCDEFGHIJ", name: "eu-west-1.turn.example.com", type: "A", ttl: 60, records: ["203.0.113.10"], setIdentifier: "eu-west-1-2", multivalueAnswerRoutingPolicy: true, healthCheckId: "hc" }),
                r(T.record, { zoneId: "Z0123456789ABCDEFGHIJ", name: "turn.example.com", type: "A", setIdentifier: "eu-west-1", latencyRoutingPolicies: [{ region: "eu-west-1" }], aliases: [{ name: "eu-west-1.turn.example.com", zoneId: "Z0123456789ABCDEFGHIJ", evaluateTargetHealth: true }] }),
            ],
        ],
        invalid: [
            [[r(T.record, { zoneId: "/hostedzone/Z01", name: "a.example.com", type: "A", ttl: 60, records: ["203.0.113.10"] })], /zoneId .*a hosted zone id/],
            [[r(T.record, { zoneId: "Z01", name: `${"a".repeat(64)}.example.com`, type: "A", ttl: 60, records: ["203.0.113.10"] })], /labels 1 to 63/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: -1, records: ["203.0.113.10"] })], /ttl -1: 0 to 2147483647/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, records: ["turn.example.com"] })], /an A record holds IPv4 addresses/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, records: ["203.0.113.10", "203.0.113.11"], setIdentifier: "x", multivalueAnswerRoutingPolicy: true })], /a multivalue answer record holds one value/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, records: ["203.0.113.10"], latencyRoutingPolicies: [{ region: "eu-west-1" }] })], /setIdentifier missing/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, records: ["203.0.113.10"], setIdentifier: "s".repeat(129), latencyRoutingPolicies: [{ region: "eu-west-1" }] })], /setIdentifier .*1 to 128/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, records: ["203.0.113.10"], setIdentifier: "x", latencyRoutingPolicies: [{ region: "cn-north-1" }] })], /region "cn-north-1": an AWS region of the standard partition/],
            [[r(T.record, { zoneId: "Z01", name: "a.example.com", type: "A", ttl: 60, setIdentifier: "x", latencyRoutingPolicies: [{ region: "eu-west-1" }], aliases: [{ name: "b.example.com", zoneId: "Z01", evaluateTargetHealth: true }] })], /alias record carries no ttl/],
        ],
    },
    "route53-health-check": {
        valid: [[r(T.health, { type: "TCP", ipAddress: "203.0.113.10", port: 3478, requestInterval: 30, failureThreshold: 3 }), r(T.health, { type: "TCP", ipAddress: "203.0.113.10", port: 1, requestInterval: 10, failureThreshold: 10 })]],
        invalid: [
            [[r(T.health, { type: "HTTP", ipAddress: "203.0.113.10", port: 3478, requestInterval: 30, failureThreshold: 3 })], /type "HTTP": turn-stack checks TCP/],
            [[r(T.health, { type: "TCP", ipAddress: "203.0.113.10", port: 3478, requestInterval: 20, failureThreshold: 3 })], /requestInterval 20: 10 or 30/],
            [[r(T.health, { type: "TCP", ipAddress: "203.0.113.10", port: 3478, requestInterval: 30, failureThreshold: 11 })], /failureThreshold 11: 1 to 10/],
            [[r(T.health, { type: "TCP", ipAddress: "turn.example.com", port: 0, requestInterval: 30, failureThreshold: 3 })], /port 0: 1 to 65535/],
        ],
    },
    "cloudflare-dns-record": {
        valid: [[dns()], [dns({ ttl: 1 }), dns({ ttl: 60 }), dns({ ttl: 86400, comment: "c".repeat(100) })]],
        invalid: [
            [[dns({ ttl: 30 })], /ttl 30: 1 \(automatic\) or 60 to 86400/],
            [[dns({ ttl: 86401 })], /ttl 86401/],
            [[dns({ content: "turn.example.com" })], /an A record holds an IPv4 address/],
            [[dns({ content: "203.0.113.256" })], /IPv4 address/],
            [[dns({ comment: "c".repeat(101) })], /101 characters; the Free plan allows 100/],
            [[dns({ proxied: true })], /proxied true: must be false/],
            [[dns({ name: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com` })], /1 to 255 characters/],
            [[dns({ name: `${"a".repeat(64)}.example.com` })], /each label at most 63/],
            [[dns({ zoneId: "example.com" })], /zoneId "example.com": 32 lowercase hex/],
        ],
    },
    "cloudflare-turn-key-inputs": {
        valid: [[keyCommand(), r(T.command, { create: "npx --no-install tsx scripts/probe.ts --host 203.0.113.10" })]],
        invalid: [
            [[keyCommand({ CLOUDFLARE_ACCOUNT_ID: "my-account" })], /CLOUDFLARE_ACCOUNT_ID "my-account": 32 lowercase hex/],
            [[keyCommand({ TURN_KEY_NAME: undefined })], /TURN_KEY_NAME .*non-empty string/],
        ],
    },
};

test("every policy is mandatory, cites a source in its description, and has valid and violating examples here", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.keys(cases).sort());
    for (const p of policies) {
        expect(p.enforcementLevel, p.name).toBe("mandatory");
        expect(p.description, p.name).toMatch(/(AWS|EC2|IAM|SSM|CloudWatch|Amazon VPC|Cloudflare)[^()]*(API|User Guide|General Reference|docs)/);
    }
});

for (const policy of policies) {
    const c = cases[policy.name];
    if (!c) continue; // reported by the test above
    test(`${policy.name}: valid inputs pass`, async () => {
        for (const resources of c.valid) {
            const { violations, applied } = await runPolicy(policy, resources);
            expect(violations).toEqual([]);
            expect(applied, "the policy applied to the valid input").toBeGreaterThan(0);
        }
    });
    test(`${policy.name}: each violating input fails`, async () => {
        expect(c.invalid.length).toBeGreaterThan(0);
        for (const [resources, message] of c.invalid) {
            const { violations } = await runPolicy(policy, resources);
            expect(violations.map((v) => v.message).join("\n"), String(message)).toMatch(message);
        }
    });
}

test("policies apply only to their resource types", async () => {
    const other = r("random:index/randomPassword:RandomPassword", { length: 48, special: false });
    for (const p of policies) expect((await runPolicy(p, [other])).violations, p.name).toEqual([]);
});

test("rules per group: the stack's declared quota (turn:securityGroupRuleQuota, in PULUMI_CONFIG as the CLI passes it) replaces the default", async () => {
    const quota = policies.find((p) => p.name === "ec2-security-group-rules-per-group")!;
    const rules61 = rules(61, (i) => ingress({ fromPort: 1000 + i }));
    expect((await runPolicy(quota, rules61, { "turn:securityGroupRuleQuota": "100" })).violations).toEqual([]);
    const over = (await runPolicy(quota, rules(101, (i) => ingress({ fromPort: 1000 + i })), { "turn:securityGroupRuleQuota": "100" })).violations;
    expect(over.map((v) => v.message).join()).toMatch(/101 inbound IPv4 rules; the quota is 100/);
    expect(stackRuleQuota({ PULUMI_CONFIG: JSON.stringify({ "turn:securityGroupRuleQuota": "200" }) })).toBe(200);
    expect(stackRuleQuota({})).toBeUndefined();
    expect(stackRuleQuota({ PULUMI_CONFIG: "not json" })).toBeUndefined();
});

test("partitions: Region codes map to their partition; an ARN for another Region than the provider's is refused", () => {
    expect(partitionOf("eu-west-1")).toBe("aws");
    expect(partitionOf("cn-northwest-1")).toBe("aws-cn");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
    expect(partitionOf("us-isob-east-1")).toBe("aws-iso-b");
    expect(partitionOf("mars-north-1")).toBeUndefined();
    expect(arnPartitionProblems("arn:aws:automate:eu-west-1:ec2:recover", "eu-west-1")).toEqual([]);
    expect(arnPartitionProblems("arn:aws:automate:eu-west-1:ec2:recover", "us-east-1").join()).toMatch(/Region eu-west-1, but the provider deploys to us-east-1/);
    expect(arnPartitionProblems("arn:aws:automate:cn-north-1:ec2:recover", "cn-north-1").join()).toMatch(/partition aws-cn/);
});
