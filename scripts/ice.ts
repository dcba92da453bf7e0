/**
 * `npm run ice`: print ICE servers with fresh credentials for a deployed stack,
 * in the format a consumer reads.
 *
 * Usage: npm run ice -- --stack <name> [--ttl <seconds>] [--user <id>] [--format <f>] [--outputs <file>]
 *
 * Outputs come from the Pulumi Automation API (needs the Pulumi CLI and the
 * stack's backend), or with --outputs from a file holding
 * `pulumi stack output --json --show-secrets` (so it runs where the CLI does not).
 * Formats: json (default), neko, neko-env, vidmeet, env, mediasoup, aiortc.
 * CLOUDFLARE_RTC_API_URL overrides Cloudflare's credentials API base (for a stand-in).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { iceServersForCall, iceSourceFromOutputs } from "../infra/ice-service";
import { FORMATS, formatIceServers, type Format } from "../infra/formats";
import { PROJECT_ROOT } from "./lib/stack-config";

const USAGE = `usage: npm run ice -- --stack <name> [--ttl <seconds>] [--user <id>] [--format ${FORMATS.join("|")}] [--outputs <file>]`;

/** Stack outputs as plain values, via the Automation API (secrets included). */
async function outputsFromStack(stack: string): Promise<Record<string, unknown>> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    let s;
    try {
        s = await LocalWorkspace.selectStack({ stackName: stack, workDir: PROJECT_ROOT });
    } catch (e) {
        throw new Error(
            `could not open stack ${stack} with the Pulumi CLI (${e instanceof Error ? e.message.split("\n")[0] : String(e)}). ` +
                `Where the CLI is not available, pass --outputs <file> with the output of: pulumi stack output --stack ${stack} --json --show-secrets`,
        );
    }
    const outs = await s.outputs();
    return Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v.value]));
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            ttl: { type: "string" },
            user: { type: "string", default: "turn-stack" },
            format: { type: "string", default: "json" },
            outputs: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
        },
    });
    if (values.help) {
        console.log(USAGE);
        return;
    }
    const format = values.format as Format;
    if (!FORMATS.includes(format)) throw new Error(`--format ${values.format}: one of ${FORMATS.join(", ")}`);
    if (!values.outputs && !values.stack) throw new Error(`--stack or --outputs is required\n${USAGE}`);
    const outputs = values.outputs
        ? (JSON.parse(readFileSync(values.outputs, "utf8")) as Record<string, unknown>)
        : await outputsFromStack(values.stack!);
    const ttlSeconds = values.ttl === undefined ? Number(outputs.credentialTtlSeconds ?? 3600) : Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`--ttl ${values.ttl}: must be a positive whole number of seconds`);
    const source = iceSourceFromOutputs(outputs);
    // CLOUDFLARE_RTC_API_URL points the Cloudflare call elsewhere (tests use a local stand-in).
    if (source.cloudflare && process.env.CLOUDFLARE_RTC_API_URL) source.cloudflare.baseUrl = process.env.CLOUDFLARE_RTC_API_URL;
    const servers = await iceServersForCall(source, { ttlSeconds, userId: values.user });
    process.stdout.write(formatIceServers(servers, format));
}

main().catch((e: unknown) => {
    console.error(`turn-stack ice: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
