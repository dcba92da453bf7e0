/**
 * Read a real `Pulumi.<stack>.yaml` into the raw form Pulumi hands a program
 * (`pulumi.runtime.allConfig()`): keys `ns:key`, every value a string, arrays
 * and objects as JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const ROOT = join(__dirname, "..", "..");

export function stackConfig(stack: string): Record<string, string> {
    const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}
