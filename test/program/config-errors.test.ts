/**
 * A config error reaches `pulumi preview` as a clean message: the program throws a `pulumi.RunError`,
 * which Pulumi's Node.js runtime prints alone, with no stack trace and no "unhandled exception"
 * (@pulumi/pulumi cmd/run/run.js, uncaughtHandler: "Always hide the stack for RunErrors"). Any other
 * error is printed as "Running program ... failed with an unhandled exception" plus its stack.
 *
 * The program runs as the language host runs it (test/helpers/engine.ts, langhost-run.cjs: node,
 * @pulumi/pulumi's own run script, Pulumi's mocks in place of the engine), so what is checked is
 * what the runtime itself prints. With PULUMI_NODEJS_TRANSPILE_ONLY=true (the run script's own switch):
 * ts-node then transpiles without type-checking, which `npm test`'s `tsc --noEmit` has done, and
 * test/program/engine-commands.test.ts runs the program once with ts-node's type-check. What the
 * runtime prints for an error the program throws is the same either way.
 */
import { test, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { engineWorkingDirectory, languageHostEnv, transpileOnlyEnv } from "../helpers/engine";
import { ROOT, stackConfig } from "../helpers/stack-config";

/** Run the program for `stack` as the language host does; never throws. */
function runAsHost(stack: string, overrides: Record<string, string>) {
    const { pwd, main } = engineWorkingDirectory();
    const runPath = dirname(require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] }));
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-config-errors-"));
    try {
        const out = join(dir, "out.json");
        const r = spawnSync(
            process.execPath,
            ["-r", join(ROOT, "test", "helpers", "langhost-run.cjs"), runPath, "--monitor", "mock", "--project", "turn", "--root-directory", ROOT, "--stack", stack, "--pwd", pwd, main],
            { cwd: pwd, env: transpileOnlyEnv({ ...languageHostEnv({ ...stackConfig(stack), ...overrides }), TURN_STACK_LANGHOST_OUT: out }, true), encoding: "utf8" },
        );
        const declared = JSON.parse(readFileSync(out, "utf8")) as { resources: { type: string }[]; typeCheck: boolean | null };
        // ts-node is what loaded the program (null would mean no ts-node at all).
        expect(declared.typeCheck).toBe(false);
        return { status: r.status, output: r.stdout + r.stderr, resources: declared.resources };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

test("bad config: Pulumi's runtime prints every problem as one clean error (a RunError), and no resource is declared", () => {
    const { status, output, resources } = runAsHost("prod", {
        "aws:region": "cn-north-1",
        "turn:relayMinPort": "80",
        "turn:realm": "my realm",
        "turn:acmeEmail": "o'brien@example.com",
        "turn:clientCidrs": JSON.stringify(Array.from({ length: 12 }, (_, i) => `198.51.${i}.0/24`)),
    });
    expect(status).not.toBe(0);
    expect(output).toMatch(/^error: \[runtime\] invalid turn-stack configuration:$/m);
    for (const needle of [
        'aws:region = "cn-north-1": must be a region of the standard AWS partition (aws)',
        "turn:relayMinPort = 80: must be a port from 1024 to 65535",
        'turn:realm = "my realm": must be 1 to 127 printable ASCII characters',
        'turn:acmeEmail = "o\'brien@example.com": must be an email address',
        "12 CIDRs make 61 inbound security group rules; the quota is 60",
    ]) {
        expect(output.split("\n").some((l) => l.startsWith("  - ") && l.includes(needle)), `${needle} in:\n${output}`).toBe(true);
    }
    // What the runtime prints for any error other than a RunError:
    expect(output).not.toMatch(/unhandled exception/);
    expect(output, "no stack trace").not.toMatch(/^\s+at /m);
    expect(resources).toEqual([]);
});

test("a valid config through the same path declares the server (the check above can pass only by refusing)", () => {
    const { status, output, resources } = runAsHost("dev", {});
    expect(status, output).toBe(0);
    expect(resources.some((r) => r.type === "aws:ec2/instance:Instance")).toBe(true);
});
