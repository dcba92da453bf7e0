/**
 * Read a `Pulumi.<stack>.yaml` from the project root into the raw form Pulumi
 * hands a program (`ns:key` → string; arrays and objects as JSON), so scripts
 * validate it with the same infra/config.ts the program uses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** The project root (where Pulumi.yaml lives). */
export const PROJECT_ROOT = join(__dirname, "..", "..");

/**
 * @param stack stack name, e.g. `dev`
 * @throws Error when the stack file does not exist or is not YAML
 */
export function readStackConfig(stack: string): Record<string, string> {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`stack name ${JSON.stringify(stack)}: letters, digits, '-', '_' and '.' only`);
    const file = join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new Error(`no stack file ${file}; create it with: npx pulumi stack init ${stack}`);
    }
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
}
