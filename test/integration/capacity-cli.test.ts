/**
 * `npm run capacity` end to end, run as npm runs it (tsx scripts/capacity.ts): from a stack file
 * (the repository's Pulumi.dev.yaml and Pulumi.prod.yaml) and from an outputs file that the real
 * program's `capacity` output fills (the program run under Pulumi's mocks, test/helpers/program-json.ts,
 * as `pulumi stack output --json` would print it); the numbers, the sources, and every refusal.
 */
import { test, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTs } from "../helpers/run";
import { ROOT } from "../helpers/stack-config";
import { programJsonAsync } from "../helpers/program-json";
import { AWS_EGRESS, CLOUDFLARE_TURN_EGRESS, FIGURES_DATE } from "../../infra/capacity";

const SCRIPT = join(ROOT, "scripts", "capacity.ts");
const dir = mkdtempSync(join(tmpdir(), "turn-stack-capacity-"));
const capacity = (args: string[]) => runTs(SCRIPT, args, { cwd: ROOT });
const json = async (args: string[]) => {
    const r = await capacity([...args, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
};
let prodOutputs: string;
let cloudflareOutputs: string;

beforeAll(async () => {
    // The outputs the program exports for prod and for a cloudflare-mode stack, as `pulumi stack output --json` prints them.
    const [prod, cf] = await Promise.all([
        programJsonAsync("prod"),
        programJsonAsync("dev", { "turn:mode": "cloudflare", "turn:cloudflareAccountId": "00112233445566778899aabbccddeeff", "cloudflare:apiToken": "token" }),
    ]);
    prodOutputs = join(dir, "prod.json");
    cloudflareOutputs = join(dir, "cloudflare.json");
    writeFileSync(prodOutputs, JSON.stringify(prod.outputs));
    writeFileSync(cloudflareOutputs, JSON.stringify(cf.outputs));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("dev (t4g.small): 85 streams at 1500 kbit/s from the 0.128 Gbit/s baseline, never the 5 Gbit/s burst", async () => {
    const r = await capacity(["--stack", "dev"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("server turn: t4g.small");
    expect(r.stdout).toContain("baseline bandwidth 0.128 Gbit/s per direction; burst 5 Gbit/s is not counted");
    expect(r.stdout).toContain("streams at 1500 kbit/s: 85 ");
    expect(r.stdout).toContain("crosses the relay twice");
    // Every figure cites its source and date.
    for (const s of [AWS_EGRESS.source, CLOUDFLARE_TURN_EGRESS.source, "docs.aws.amazon.com/ec2/latest/instancetypes/gp.html", FIGURES_DATE]) expect(r.stdout).toContain(s);
});

test("prod (c7gn.large): the internet gateway's 5 Gbit/s cap below 32 vCPUs, 3333 streams; the budget priced on both sides", async () => {
    const r = await json(["--stack", "prod"]);
    expect(r.source).toBe("Pulumi.prod.yaml");
    expect(r.region).toBe("eu-west-1");
    expect(r.servers[0]).toMatchObject({ instanceType: "c7gn.large", usableGbps: 5, streams: 3333, baselineFrom: "table" });
    expect(r.servers[0].spec.baselineGbps).toBe(6.25);
    // 1000 GB: AWS 900 billable × $0.09 = $81; Cloudflare within its 1000 free GB.
    expect(r.priced[0]).toMatchObject({ gb: 1000, cloudflareUsd: 0 });
    expect(r.priced[0].awsUsd).toBeCloseTo(81, 6);
    expect(r.budget).toMatchObject({ monthlyGb: 1000, bytesPerHour: Math.floor((1000 * 2 ** 30) / 730) });
    expect(r.awsPricesForRegion).toBe(true);
});

test("--bitrate-kbps, --gb and --streams/--hours change exactly what they should", async () => {
    expect((await json(["--stack", "prod", "--bitrate-kbps", "3000"])).servers[0].streams).toBe(1666);
    const gb = await json(["--stack", "dev", "--gb", "5000"]);
    const given = gb.priced.find((p: { label: string }) => p.label === "the given usage");
    // 5000 GB: AWS (5000 − 100) × 0.09 = 441; Cloudflare (5000 − 1000) × 0.05 = 200.
    expect(given.awsUsd).toBeCloseTo(441, 6);
    expect(given.cloudflareUsd).toBeCloseTo(200, 6);
    const streams = await json(["--stack", "dev", "--streams", "10", "--hours", "100"]);
    // 10 streams × 1.5 Mbit/s × 100 h = 10 × 187,500 B/s × 360,000 s = 675,000,000,000 bytes.
    expect(streams.priced.find((p: { label: string }) => p.label === "the given usage").gb).toBeCloseTo(675e9 / 2 ** 30, 6);
});

test("--outputs: the program's own capacity output gives the same report as the stack file", async () => {
    const fromOutputs = await json(["--outputs", prodOutputs]);
    const fromStack = await json(["--stack", "prod"]);
    expect({ ...fromOutputs, source: undefined }).toEqual({ ...fromStack, source: undefined });
});

test("cloudflare mode: no own server, only the prices", async () => {
    const r = await capacity(["--outputs", cloudflareOutputs, "--gb", "2000"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("No own TURN server (cloudflare mode)");
    expect(r.stdout).toMatch(/the given usage: 2,000 GB: AWS \$171\.00, Cloudflare \$50\.00/);
});

test("a type the table lacks: exit 3 naming --baseline-gbps; with it, the streams", async () => {
    const file = join(dir, "r7g.json");
    writeFileSync(file, JSON.stringify({ capacity: { servers: [{ name: "turn", instanceType: "r7g.large" }], region: "ap-southeast-1", monthlyEgressBudgetGb: 500 } }));
    const r = await capacity(["--outputs", file]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("r7g.large: baseline bandwidth not in turn-stack's table; pass --baseline-gbps");
    // Region outside the price table: said, not hidden.
    expect(r.stdout).toContain("ap-southeast-1 is not one of");
    const ok = await json(["--outputs", file, "--baseline-gbps", "0.937"]);
    expect(ok.servers[0]).toMatchObject({ baselineFrom: "override", streams: 624 });
});

test.each([
    [["--stack", "dev", "--frobnicate"], /Unknown option '--frobnicate'/],
    [[], /--stack or --outputs is required/],
    [["--stack", "dev", "--outputs", "x.json"], /give one/],
    [["--stack", "dev", "--streams", "1", "--gb", "1"], /--streams and --gb: give one/],
    [["--stack", "dev", "--hours", "5"], /--hours only with --streams/],
    [["--stack", "dev", "--bitrate-kbps", "0"], /--bitrate-kbps 0: must be a positive number/],
    [["--stack", "dev", "--gb=-3"], /--gb -3: must be a positive number/],
    [["--stack", "nosuchstack"], /no stack file .*Pulumi\.nosuchstack\.yaml/],
])("refuses %j with exit 2 and the usage", async (args, message) => {
    const r = await capacity(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("usage: npm run -s capacity");
});

test("an outputs file from before the capacity output: exit 1, saying why", async () => {
    const file = join(dir, "old.json");
    writeFileSync(file, JSON.stringify({ mode: "self-hosted", publicIp: "203.0.113.10" }));
    const r = await capacity(["--outputs", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no "capacity" output; the stack was deployed by a turn-stack older than npm run capacity/);
});

test("--help prints the usage and exits 0", async () => {
    const r = await capacity(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--bitrate-kbps <n>");
});

test.each(["dev", "prod"])("README's Operate it shows what npm run capacity prints for %s today", async (stack) => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const r = await capacity(["--stack", stack]);
    expect(r.status, r.stderr).toBe(0);
    expect(readme).toContain(`$ npm run -s capacity -- --stack ${stack}\n${r.stdout}\`\`\``);
});
