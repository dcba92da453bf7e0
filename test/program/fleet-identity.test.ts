/**
 * The 1×1 invariant (issue 16): a stack with one region and one server declares exactly the
 * resources it declared before fleets existed, so upgrading turn-stack replaces nothing.
 *
 * test/program/fixtures/one-server/*.json are what the program asks the engine for with one server,
 * dumped by test/helpers/resource-dump.ts. First taken at c73b15f, before any fleet code; again at d969930,
 * before the fleet's components (the AMI stash of #15 and the canary and monitoring of #14 had changed a
 * one-server stack), and the fleet's components passed against those; again at 42e795d, where #15's SSM
 * reader changed the instance's user data and nothing else, every other input equal. Each holds every resource
 * registration (type, name, URN, parent URN, provider reference, every input, dependencies, every
 * option the request carries) and every invoke with its provider. This test dumps the current
 * program the same way and compares every resource of the fixture input by input, for dev, prod, prod with Cloudflare DNS
 * and dev in both mode; and once more with the fleet keys spelled out for one server
 * (`turn:regions: [<aws:region>]`, `turn:serversPerRegion: 1`). Resources that other features added
 * since (monitoring, canary) are allowed; a fleet's (a second server, an explicit AWS provider, Route 53) are not.
 *
 * A change that is meant to alter a one-server stack regenerates the fixtures in the same commit
 * (`npx tsx test/helpers/resource-dump.ts <stack> '<overrides>' > test/program/fixtures/one-server/<case>.json`)
 * and says why; the diff then shows exactly what an upgrade changes.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { ResourceDump } from "../helpers/resource-dump";
import { ROOT } from "../helpers/stack-config";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const CASES: { fixture: string; stack: string; overrides: Record<string, string>; env?: Record<string, string> }[] = [
    { fixture: "dev", stack: "dev", overrides: {} },
    { fixture: "prod", stack: "prod", overrides: {} },
    { fixture: "prod-cloudflare-dns", stack: "prod", overrides: { "turn:cloudflareZoneId": ACCOUNT } },
    { fixture: "dev-both", stack: "dev", overrides: { "turn:mode": "both", "turn:cloudflareAccountId": ACCOUNT }, env: { CLOUDFLARE_API_TOKEN: "x" } },
    // The fleet keys written out for one server in the provider's region: the same stack.
    { fixture: "prod", stack: "prod", overrides: { "turn:regions": '["eu-west-1"]', "turn:serversPerRegion": "1" } },
];

function dump(stack: string, overrides: Record<string, string>, env: Record<string, string> = {}): Promise<ResourceDump> {
    return new Promise((resolve, reject) =>
        execFile(
            process.execPath,
            ["--import", "tsx", join(ROOT, "test", "helpers", "resource-dump.ts"), stack, JSON.stringify(overrides)],
            { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CLOUDFLARE_API_TOKEN: "", ...env } },
            (err, stdout, stderr) => (err ? reject(new Error(`program run for ${stack} failed:\n${stderr}`)) : resolve(JSON.parse(stdout))),
        ),
    );
}

describe("one region, one server: every resource of the fixtures unchanged, nothing of a fleet", () => {
    const runs = CASES.map((c) => dump(c.stack, c.overrides, c.env));
    CASES.forEach((c, i) => {
        test(`${c.fixture}${Object.keys(c.overrides).length ? ` with ${JSON.stringify(c.overrides)}` : ""}`, async () => {
            const before: ResourceDump = JSON.parse(readFileSync(join(ROOT, "test", "program", "fixtures", "one-server", `${c.fixture}.json`), "utf8"));
            const now = await runs[i];
            // Every resource of the fixtures is still declared, field by field (a failure names the resource), so none is
            // renamed, re-parented, moved to another provider or given other inputs or options.
            const byUrn = new Map(now.resources.map((r) => [r.urn, r]));
            expect(before.resources.filter((r) => !byUrn.has(r.urn)).map((r) => r.urn), "resources gone").toEqual([]);
            for (const was of before.resources) expect(byUrn.get(was.urn), was.urn).toEqual(was);
            // Resources added since are other features' own (monitoring, canary: issue 14), never a fleet's: no second
            // server, no explicit AWS provider, no fleet or DNS component.
            const known = new Set(before.resources.map((r) => r.urn));
            const added = now.resources.filter((r) => !known.has(r.urn));
            const fleetish = added.filter(
                (r) => r.type === "turn:aws:TurnServer" || r.type.startsWith("pulumi:providers:") || r.type.startsWith("turn:aws:Fleet") || r.type.startsWith("turn:dns:") || r.type.startsWith("aws:route53/") || r.provider !== "",
            );
            expect(fleetish.map((r) => r.urn), "fleet resources in a one-server stack").toEqual([]);
            // The same invokes with the same providers (others may add their own).
            const invokes = now.invokes.map((v) => JSON.stringify(v));
            for (const v of before.invokes) expect(invokes, "invoke of the fixtures").toContain(JSON.stringify(v));
            // The outputs it had, unchanged (a fleet adds its own, null here).
            for (const [k, v] of Object.entries(before.outputs ?? {})) expect(now.outputs?.[k], `output ${k}`).toEqual(v);
            expect(now.outputs?.servers).toBeNull();
            // Nothing is left to the defaults: the case really declares a server with the default provider.
            expect(before.resources.some((r) => r.type === "aws:ec2/instance:Instance" && r.provider === "")).toBe(true);
        }, 120_000);
    });
});
