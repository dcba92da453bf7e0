/**
 * Read a `Pulumi.<stack>.yaml` from the project root into the raw form Pulumi
 * hands a program (`ns:key` → string; arrays and objects as JSON), so scripts
 * validate it with the same infra/config.ts the program uses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError, parseTurnConfig, type TurnConfig } from "../../infra/config";
import { UsageError } from "./cli";

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

/**
 * A stack file's config, validated by infra/config.ts as the program validates it, for the scripts that work from
 * `Pulumi.<stack>.yaml` before any backend call (`capacity`, `revoke`, `rotate-secret`). The secrets in a stack file
 * are ciphertext, so `turn:sharedSecret` and `turn:previousSharedSecret` are not read, nor any key in `omit`.
 * @param stack stack name, e.g. `prod`
 * @param usage the script's usage text, shown with a missing or unreadable file
 * @param options `env`: the environment validation sees (parseTurnConfig's); `omit`: more keys the caller reads itself
 * @returns the validated config and the raw `ns:key` → string map
 * @throws UsageError when the file is missing or not YAML; Error listing every problem when it is not valid
 */
export function validatedStackConfig(
    stack: string,
    usage: string,
    options: { env?: Record<string, string | undefined>; omit?: string[] } = {},
): { config: TurnConfig; raw: Record<string, string> } {
    let raw: Record<string, string>;
    try {
        raw = readStackConfig(stack);
    } catch (e) {
        throw new UsageError(`--stack ${stack}: ${(e as Error).message}`, usage);
    }
    const unread = new Set(["turn:sharedSecret", "turn:previousSharedSecret", ...(options.omit ?? [])]);
    const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => !unread.has(k)));
    try {
        return { config: parseTurnConfig(rest, options.env), raw };
    } catch (e) {
        if (e instanceof ConfigError) throw new Error(`--stack ${stack}: Pulumi.${stack}.yaml is not valid; fix it first:\n  - ${e.problems.join("\n  - ")}`);
        throw e;
    }
}
