/**
 * Command-line parsing shared by the scripts: node's util.parseArgs in strict
 * mode (unknown flags and stray arguments are errors), `--help`/`-h` on every
 * script, and errors that end with the script's usage.
 *
 * Scripts check every argument before they touch a backend (coturn, the Pulumi
 * CLI, Cloudflare), so a refusal never leaves anything half done.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line: the message names the argument and ends with the usage. */
export class UsageError extends Error {
    constructor(message: string, usage: string) {
        super(`${message}\n${usage}`);
        this.name = "UsageError";
    }
}

/**
 * Parse `process.argv` (or `config.args`) strictly, with `--help`/`-h` added.
 * @returns the parsed values and positionals, or undefined when help was asked for
 *   (the caller prints `usage` to stdout and exits 0)
 * @throws UsageError for an unknown option, a missing option value or an unexpected argument
 */
export function parseCli<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> | undefined {
    const withHelp = { ...config, strict: true, options: { ...config.options, help: { type: "boolean", short: "h" } } } as T;
    let parsed: ReturnType<typeof parseArgs<T>>;
    try {
        parsed = parseArgs(withHelp);
    } catch (e) {
        const code = (e as { code?: string }).code ?? "";
        if (code.startsWith("ERR_PARSE_ARGS_")) throw new UsageError((e as Error).message, usage);
        throw e;
    }
    return (parsed.values as Record<string, unknown>).help ? undefined : parsed;
}

/**
 * A whole number from `--name <text>`, within bounds.
 * @throws UsageError naming the flag, the value and what is allowed
 */
export function wholeNumber(name: string, text: string, usage: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new UsageError(`--${name} ${text}: must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}`, usage);
    }
    return n;
}
