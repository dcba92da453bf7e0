/**
 * `turn:aws:Canary` in the real program under Pulumi's mocks: its resources, the function's
 * runtime, code and settings, the IAM role's least privilege, the schedule from config, and no
 * canary where there is no own server.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { runProgram, MOCK_ACCOUNT, MOCK_PUBLIC_IP, MOCK_REGION, type MockedResource } from "../helpers/mock-program";
import { programJsonAsync } from "../helpers/program-json";
import { bundleCanary } from "../../infra/canary/bundle";
import { parseCanaryConfig } from "../../infra/canary/config";

let resources: MockedResource[];
let outputs: Record<string, any>;
beforeAll(async () => {
    ({ resources, outputs } = await runProgram("prod"));
});
const one = (type: string, name: string) => {
    const r = resources.filter((x) => x.type === type && x.name === name);
    assert.equal(r.length, 1, `exactly one ${type} ${name}`);
    return r[0];
};
const mockArn = (name: string) => `arn:aws:mock:${MOCK_REGION}:123456789012:${name}`;

test("one turn:aws:Canary with its children, all canary-* under it", () => {
    one("turn:aws:Canary", "canary");
    const children = resources.filter((r) => r.parent === "canary").map((r) => `${r.type} ${r.name}`).sort();
    assert.deepEqual(children, [
        "aws:cloudwatch/eventRule:EventRule canary-schedule",
        "aws:cloudwatch/eventTarget:EventTarget canary-target",
        "aws:cloudwatch/logGroup:LogGroup canary-logs",
        "aws:iam/role:Role canary-role",
        "aws:iam/rolePolicy:RolePolicy canary-role-policy",
        "aws:lambda/function:Function canary-fn",
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig canary-invoke-config",
        "aws:lambda/permission:Permission canary-invoke",
    ]);
    assert.equal(outputs.__values.canaryFunctionName, "canary-fn");
});

test("the function: the newest Node.js runtime in @pulumi/aws's enum (nodejs22.x or later), arm64, 128 MB, 60 s, index.handler", () => {
    const fn = one("aws:lambda/function:Function", "canary-fn").inputs;
    const nodeRuntimes = Object.values(aws.lambda.Runtime).filter((r) => /^nodejs\d+\.x$/.test(r));
    const newest = nodeRuntimes.sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]))[0];
    assert.equal(fn.runtime, newest);
    assert.ok(Number(/\d+/.exec(fn.runtime)![0]) >= 22, "nodejs22.x or later (Node.js 20 is past its end of life)");
    assert.deepEqual(fn.architectures, ["arm64"]);
    assert.equal(fn.memorySize, 128);
    assert.equal(fn.timeout, 60);
    assert.equal(fn.handler, "index.handler");
    assert.equal(fn.role, mockArn("canary-role"));
    assert.deepEqual(fn.loggingConfig, { logFormat: "Text", logGroup: "/turn-stack/turn/prod/canary" });
});

test("the function's code is the esbuild bundle of the handler, index.js only, built at program run", async () => {
    const code = one("aws:lambda/function:Function", "canary-fn").inputs.code as pulumi.asset.AssetArchive;
    const assets = await code.assets;
    assert.deepEqual(Object.keys(assets), ["index.js"]);
    const text = await (assets["index.js"] as pulumi.asset.StringAsset).text;
    assert.equal(text, bundleCanary(24).code, "the same bytes as a fresh build: nothing to upload when nothing changed");
});

test("its settings: the stack's namespace, secret parameter, and the server with every listener (prod: TLS, so 4)", () => {
    const env = one("aws:lambda/function:Function", "canary-fn").inputs.environment.variables;
    assert.deepEqual(Object.keys(env), ["CANARY_CONFIG"]);
    assert.deepEqual(parseCanaryConfig(env.CANARY_CONFIG), {
        namespace: "TurnStack/turn/prod",
        secretParameterName: "/turn-stack/turn/prod/static-auth-secret",
        servers: [{ name: "turn", host: MOCK_PUBLIC_IP, servername: "turn.example.com", listeners: "udp:3478,tcp:3478,tls:5349,tls:443" }],
    });
});

test("IAM: Lambda alone assumes the role; its policy is least privilege", () => {
    const trust = JSON.parse(one("aws:iam/role:Role", "canary-role").inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const policy = JSON.parse(one("aws:iam/rolePolicy:RolePolicy", "canary-role-policy").inputs.policy);
    assert.equal(one("aws:iam/rolePolicy:RolePolicy", "canary-role-policy").inputs.role, "canary-role-id");
    assert.equal(policy.Version, "2012-10-17");
    const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
    assert.deepEqual(Object.keys(bySid).sort(), ["PublishCanaryMetrics", "ReadTurnSecret", "WriteOwnLogs"]);
    for (const s of policy.Statement) {
        assert.equal(s.Effect, "Allow");
        for (const a of [s.Action].flat()) assert.ok(!a.includes("*"), `no wildcard action: ${a}`);
    }
    // cloudwatch:PutMetricData, only in the stack's namespace (it has no resource-level permission: Resource "*").
    assert.deepEqual(bySid.PublishCanaryMetrics, {
        Sid: "PublishCanaryMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "TurnStack/turn/prod" } },
    });
    // ssm:GetParameter on the stack's secret parameter only: its full ARN, no wildcard.
    const secretParam = one("aws:ssm/parameter:Parameter", "turn-secret-param").inputs.name;
    assert.deepEqual(bySid.ReadTurnSecret, {
        Sid: "ReadTurnSecret",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `arn:aws:ssm:${MOCK_REGION}:${MOCK_ACCOUNT}:parameter${secretParam}`,
    });
    // Logs: its own log group's streams only.
    assert.deepEqual(bySid.WriteOwnLogs.Action, ["logs:CreateLogStream", "logs:PutLogEvents"]);
    assert.equal(bySid.WriteOwnLogs.Resource, `${mockArn("canary-logs")}:*`);
    // Nothing else: no kms (aws/ssm lets the account decrypt through SSM), no other service.
    const actions = policy.Statement.flatMap((s: any) => [s.Action].flat()).sort();
    assert.deepEqual(actions, ["cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter"]);
});

test("schedule: rate(5 minutes) by default; EventBridge alone may invoke, from that rule; no retries of a failed run", () => {
    assert.equal(one("aws:cloudwatch/eventRule:EventRule", "canary-schedule").inputs.scheduleExpression, "rate(5 minutes)");
    assert.deepEqual(one("aws:lambda/permission:Permission", "canary-invoke").inputs, {
        action: "lambda:InvokeFunction",
        function: "canary-fn",
        principal: "events.amazonaws.com",
        sourceArn: mockArn("canary-schedule"),
    });
    const target = one("aws:cloudwatch/eventTarget:EventTarget", "canary-target").inputs;
    assert.equal(target.rule, "canary-schedule");
    assert.equal(target.arn, mockArn("canary-fn"));
    const invoke = one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "canary-invoke-config").inputs;
    assert.equal(invoke.maximumRetryAttempts, 0);
    const logs = one("aws:cloudwatch/logGroup:LogGroup", "canary-logs").inputs;
    assert.equal(logs.retentionInDays, 14);
});

test("turn:canaryScheduleMinutes sets the rate (1: the singular unit); turn:canary false and cloudflare mode declare no canary", async () => {
    const [dev, off, cloudflare] = await Promise.all([
        programJsonAsync("dev", { "turn:canaryScheduleMinutes": "1" }),
        programJsonAsync("prod", { "turn:canary": "false" }),
        programJsonAsync("dev", { "turn:mode": "cloudflare", "turn:cloudflareAccountId": "0123456789abcdef0123456789abcdef", "cloudflare:apiToken": "t" }),
    ]);
    assert.equal(dev.resources.find((r) => r.name === "canary-schedule")?.inputs.scheduleExpression, "rate(1 minute)");
    for (const run of [off, cloudflare]) {
        assert.equal(run.resources.filter((r) => r.type === "turn:aws:Canary" || r.parent === "canary").length, 0);
        assert.equal(run.outputs.canaryFunctionName, null);
    }
    // dev: no domain, so no TLS listener and no certificate to read; 443 is plain TCP.
    const devEnv = dev.resources.find((r) => r.name === "canary-fn")!.inputs.environment.variables.CANARY_CONFIG;
    assert.deepEqual(parseCanaryConfig(devEnv).servers, [{ name: "turn", host: MOCK_PUBLIC_IP, listeners: "udp:3478,tcp:3478,tcp:443" }]);
}, 120_000);
