/** Run test/helpers/dump-program.ts in a child process and parse its JSON. */
import { execFile, spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import type { MockedResource } from "./mock-program";
import { ROOT } from "./stack-config";

/**
 * @param loader how TypeScript is loaded: `tsx` (tests) or `ts-node`, which is
 *   what Pulumi's nodejs language host uses for a `typescript: true` project
 */
export function programJson(
    stack: string,
    overrides: Record<string, string> = {},
    loader: "tsx" | "ts-node" = "tsx",
): { resources: MockedResource[]; outputs: Record<string, any> } {
    const load = loader === "tsx" ? ["--import", "tsx"] : ["-r", "ts-node/register"];
    const r = spawnSync(process.execPath, [...load, join(ROOT, "test", "helpers", "dump-program.ts"), stack, JSON.stringify(overrides)], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`program run for ${stack} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout);
}

/**
 * {@link programJson} without blocking, so several program runs (each in its
 * own process, about 2 s) can overlap; TypeScript loaded with tsx.
 */
export function programJsonAsync(stack: string, overrides: Record<string, string> = {}): Promise<{ resources: MockedResource[]; outputs: Record<string, any> }> {
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            ["--import", "tsx", join(ROOT, "test", "helpers", "dump-program.ts"), stack, JSON.stringify(overrides)],
            { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => (err ? reject(new Error(`program run for ${stack} failed:\n${stderr}`)) : resolve(JSON.parse(stdout))),
        );
    });
}

/** What a program run declares: every resource with its inputs, and the stack outputs. */
export type ProgramRun = { resources: MockedResource[]; outputs: Record<string, any> };

/** The inputs of the SSM parameter resource named `name` (the Pulumi resource name); throws when there is none. */
export function ssmParameterInputs(run: ProgramRun, name: string): Record<string, any> {
    const p = run.resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.name === name);
    if (!p) throw new Error(`the program declares no SSM parameter ${name}`);
    return p.inputs;
}

/** The user data the program gives the instance. */
export function userDataOf(resources: MockedResource[]): string {
    const instance = resources.find((r) => r.type === "aws:ec2/instance:Instance");
    if (!instance) throw new Error("no instance declared");
    // The instance gets it gzip-compressed (infra/cloud-init.ts packUserData), as cloud-init reads it.
    return gunzipSync(Buffer.from(instance.inputs.userDataBase64, "base64")).toString("utf8");
}
