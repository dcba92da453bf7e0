/**
 * The policy pack loads and answers as `pulumi preview --policy-pack infra/policy`
 * runs it, with no Pulumi CLI here: the CLI (pulumi/pulumi
 * sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer) reads
 * infra/policy/PulumiPolicy.yaml and, for runtime nodejs, starts the
 * `pulumi-analyzer-policy` shim with the pack directory as working directory
 * and arguments `<engine address> .`. The shim (sdk/nodejs/dist/pulumi-analyzer-policy)
 * is two steps, done here the same way: resolve
 * `@pulumi/pulumi/cmd/run-policy-pack` from that directory, then run it with
 * node. That registers ts-node (type-checking) and requires the directory,
 * whose index.ts constructs the PolicyPack, which prints its gRPC port.
 *
 * The test then talks to it as the engine does (Pulumi's own analyzer proto
 * and gRPC client): the pack's info, Analyze on a violating and on a valid
 * resource, AnalyzeStack on a rule count above the quota, and the real
 * program's resources (prod, both mode, DNS record) with no diagnostic.
 */
import { test, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { policies, POLICY_PACK_NAME } from "../../infra/policy/policies";
import { ROOT } from "../helpers/stack-config";
import { programJsonAsync } from "../helpers/program-json";
import { unwrapSecrets, withAutoname } from "../helpers/policy-harness";

const PACK_DIR = join(ROOT, "infra", "policy");
// Pulumi's generated proto modules and the protobuf/grpc copies they use (instanceof checks need the same ones).
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const analyzerPb = pulumiRequire("./analyzer_pb");
const { AnalyzerClient } = pulumiRequire("./analyzer_grpc_pb");
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
const grpc = pulumiRequire("@grpc/grpc-js");

let pack: ChildProcess | undefined;
let client: any;
let stderr = "";

beforeAll(async () => {
    // Step 1 of the shim: resolve the runner from the pack directory (found in the repository's node_modules).
    const resolved = spawnSync(process.execPath, ["-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))"], { cwd: PACK_DIR, encoding: "utf8" });
    expect(resolved.status, resolved.stderr).toBe(0);
    const runner = resolved.stdout.trim();
    expect(runner).toBe(join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js"));
    // Step 2: run it as the CLI does, with the environment constructEnv adds for a nodejs pack.
    pack = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
        cwd: PACK_DIR,
        env: { ...process.env, PULUMI_PROJECT: "turn", PULUMI_STACK: "dev", PULUMI_DRY_RUN: "true", PULUMI_NODEJS_PROJECT: "turn", PULUMI_NODEJS_STACK: "dev", PULUMI_NODEJS_DRY_RUN: "true" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    pack.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        pack!.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) resolve(Number(m[1]));
        });
        pack!.on("exit", (code) => reject(new Error(`policy pack exited (${code}) before printing its port:\n${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
    client?.close();
    if (pack?.pid && pack.exitCode === null) process.kill(pack.pid);
});

const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

function options(): any {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(false);
    return o;
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>): any {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:dev::turn::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(props))));
    req.setOptions(options());
    return req;
}

function stackRequest(resources: { type: string; name: string; props: Record<string, unknown> }[]): any {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(
        resources.map((r) => {
            const a = new analyzerPb.AnalyzerResource();
            a.setType(r.type);
            a.setName(r.name);
            a.setUrn(`urn:pulumi:dev::turn::${r.type}::${r.name}`);
            a.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
            a.setOptions(options());
            return a;
        }),
    );
    return req;
}

const diagnostics = (res: any) =>
    res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), pack: d.getPolicypackname() }));

const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

test("PulumiPolicy.yaml: runtime nodejs (the CLI then runs the pulumi-analyzer-policy shim in this directory), with a description", () => {
    const project = parse(readFileSync(join(PACK_DIR, "PulumiPolicy.yaml"), "utf8"));
    expect(project.runtime).toBe("nodejs");
    expect(project.description).toMatch(/AWS and Cloudflare/);
    expect(JSON.parse(readFileSync(join(PACK_DIR, "package.json"), "utf8")).version).toMatch(/^\d+\.\d+\.\d+$/);
});

test("the pack loads as the CLI loads it and declares every policy, mandatory, under its name and package.json version", async () => {
    const info = await call<any>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe(POLICY_PACK_NAME);
    expect(info.getVersion()).toBe("0.1.0");
    const declared = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    expect(declared).toEqual(policies.map((p) => [p.name, analyzerPb.EnforcementLevel.MANDATORY]));
});

test("Analyze: the egress description EC2 refused is a mandatory violation; the fixed one passes", async () => {
    const rule = { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" };
    const bad = diagnostics(await call("analyze", analyzeRequest(EGRESS, "turn-out", { ...rule, description: "AWS APIs, Let's Encrypt, packages (HTTPS)" })));
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ policy: "ec2-security-group-rule-description", level: analyzerPb.EnforcementLevel.MANDATORY, pack: POLICY_PACK_NAME });
    expect(bad[0].message).toMatch(/"'" not allowed; EC2 allows/);
    expect(diagnostics(await call("analyze", analyzeRequest(EGRESS, "turn-out", { ...rule, description: "AWS APIs and packages (HTTPS)" })))).toEqual([]);
});

test("AnalyzeStack: 61 inbound rules in one group break the quota", async () => {
    const rules = Array.from({ length: 61 }, (_, i) => ({
        type: INGRESS,
        name: `turn-in-${i}`,
        props: { securityGroupId: "sg-1", ipProtocol: "udp", fromPort: 3478, toPort: 3478, cidrIpv4: `198.51.100.${i}/32`, description: "TURN over UDP" },
    }));
    const found = diagnostics(await call("analyzeStack", stackRequest(rules)));
    expect(found.map((d: any) => d.policy)).toEqual(["ec2-security-group-rules-per-group"]);
    expect(found[0].message).toMatch(/61 inbound IPv4 rules; the quota is 60/);
    expect(diagnostics(await call("analyzeStack", stackRequest(rules.slice(0, 60))))).toEqual([]);
});

test("the real program's resources (prod, both mode, DNS record) pass the loaded pack, resource by resource and as a stack", async () => {
    const { resources } = await programJsonAsync("prod", {
        "turn:mode": "both",
        "turn:cloudflareAccountId": "00112233445566778899aabbccddeeff",
        "turn:cloudflareZoneId": "ffeeddccbbaa99887766554433221100",
        "cloudflare:apiToken": "token",
    });
    const declared = resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map(withAutoname).map((r) => ({ type: r.type, name: r.name, props: unwrapSecrets(r.inputs) }));
    expect(declared.some((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord")).toBe(true);
    for (const r of declared) expect(diagnostics(await call("analyze", analyzeRequest(r.type, r.name, r.props))), r.name).toEqual([]);
    expect(diagnostics(await call("analyzeStack", stackRequest(declared)))).toEqual([]);
});
