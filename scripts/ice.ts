/**
 * `npm run ice`: print ICE servers with fresh credentials for a deployed stack,
 * in the format a consumer reads.
 *
 * Usage: npm run -s ice -- --stack <name> [--ttl <seconds>] [--user <id>] [--format <f>] [--prefer udp|tcp|tls] [--outputs <file>] [--out <file>]
 *        npm run -s ice -- --stack <name> --consumer <name> [--valid-for <duration>] [--format <f>] ...
 *
 * `--consumer` mints for one product's static config: the username is `<expiry>:<consumer>`, so coturn's logs,
 * quotas and `npm run revoke` apply per consumer; `--valid-for` (only with it) lets that credential outlive
 * the per-call TTL, up to MAX_CONSUMER_VALIDITY_SECONDS (infra/credentials.ts, 7 days). `--format vidmeet` on a
 * stack with a Cloudflare key renders VidMeet's own Cloudflare mode (the key, not credentials).
 *
 * `-s` keeps npm's banner out of stdout, which matters when it is redirected to a
 * file; `--out <file>` writes the file itself, mode 0600 (it holds credentials).
 * Outputs come from the Pulumi Automation API (needs the Pulumi CLI and the
 * stack's backend), or with --outputs from a file holding
 * `pulumi stack output --json --show-secrets` (so it runs where the CLI does not).
 * Formats: json (default), neko, neko-env, vidmeet, env, mediasoup, aiortc.
 * A fleet (issue 16) lists the latency-routed name first, then every server's name (`--region <r>`: that region's).
 * CLOUDFLARE_RTC_API_URL overrides Cloudflare's credentials API base (for a stand-in).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { iceServersForCall, iceSourceFromOutputs } from "../infra/ice-service";
import { checkPrefer, FORMATS, formatIceServers, ONE_URL_FORMATS, TURN_TRANSPORTS, type Format, type TurnTransport } from "../infra/formats";
import { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from "../infra/config";
import { consumerNameProblem, durationText, MAX_CONSUMER_VALIDITY_SECONDS, parseDuration } from "../infra/credentials";
import { CLOUDFLARE_MAX_TTL_SECONDS } from "../infra/cloudflare-api";
import { PROJECT_ROOT } from "./lib/stack-config";
import { parseCli, UsageError, wholeNumber } from "./lib/cli";

const USAGE = `usage: npm run -s ice -- (--stack <name> | --outputs <file>) [options]

Prints RTCIceServer[] with fresh credentials for a deployed stack, in a consumer's format.
  --stack <name>      read the stack's outputs with the Pulumi CLI (Automation API)
  --outputs <file>    or from the JSON of: pulumi stack output --stack <name> --json --show-secrets
  --format <f>        ${FORMATS.join(", ")} (default json)
  --prefer <t>        ${TURN_TRANSPORTS.join(", ")} (mediasoup: udp, tcp): ${ONE_URL_FORMATS.join(" and ")} use one TURN URL;
                      render that transport's, on 443 where the stack offers it (default: UDP)
  --ttl <seconds>     credential lifetime, ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS} (default: the stack's credentialTtlSeconds)
  --user <id>         user id in TURN REST API usernames (default turn-stack)
  --consumer <name>   mint for one product's static config: username <expiry>:<name> (1 to 64 of A-Z a-z 0-9 . _ -),
                      so logs, quotas and npm run revoke apply per consumer; instead of --user
  --valid-for <d>     with --consumer: lifetime beyond the per-call TTL, e.g. 7d, 12h, 90m, 3600s, up to
                      ${durationText(MAX_CONSUMER_VALIDITY_SECONDS)} (${CLOUDFLARE_MAX_TTL_SECONDS} s where Cloudflare mints: cloudflare/both modes); instead of --ttl
  --out <file>        write to <file> (mode 0600: it holds credentials) instead of stdout
  --region <r>        a fleet: the latency-routed name, then only region <r>'s servers (default: every server)
  -h, --help          this text
Use npm run -s (or --out) when redirecting: without -s npm prints its banner on stdout.`;

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
    const args = parseCli(USAGE, {
        options: {
            stack: { type: "string" },
            ttl: { type: "string" },
            user: { type: "string" },
            consumer: { type: "string" },
            "valid-for": { type: "string" },
            format: { type: "string", default: "json" },
            prefer: { type: "string" },
            outputs: { type: "string" },
            out: { type: "string" },
            region: { type: "string" },
        },
    });
    if (!args) {
        console.log(USAGE);
        return;
    }
    const { values } = args;
    // Every argument is checked before the Pulumi CLI or Cloudflare is called.
    const format = values.format as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format ${values.format}: one of ${FORMATS.join(", ")}`, USAGE);
    let prefer: TurnTransport | undefined;
    try {
        prefer = checkPrefer(format, values.prefer);
    } catch (e) {
        throw new UsageError((e as Error).message, USAGE);
    }
    if (!values.outputs && !values.stack) throw new UsageError("--stack or --outputs is required", USAGE);
    if (values.outputs && values.stack) throw new UsageError("--stack and --outputs: give one", USAGE);
    // The same bounds as turn:credentialTtlSeconds (infra/config.ts; 172800 s is Cloudflare's maximum too).
    const ttlArg = values.ttl === undefined ? undefined : wholeNumber("ttl", values.ttl, USAGE, MIN_TTL_SECONDS, MAX_TTL_SECONDS);
    const consumer = values.consumer;
    const validFor = values["valid-for"];
    if (consumer !== undefined) {
        const problem = consumerNameProblem("--consumer", consumer);
        if (problem) throw new UsageError(problem, USAGE);
        if (values.user !== undefined) throw new UsageError(`--consumer ${consumer} and --user ${values.user}: give one (a consumer's name is its user id)`, USAGE);
    }
    if (validFor !== undefined && consumer === undefined) {
        throw new UsageError(`--valid-for ${validFor}: only with --consumer <name> (a credential that outlives the per-call TTL must name the product it is for, so it can be revoked)`, USAGE);
    }
    if (validFor !== undefined && ttlArg !== undefined) throw new UsageError(`--valid-for ${validFor} and --ttl ${values.ttl}: give one`, USAGE);
    let validForSeconds: number | undefined;
    try {
        validForSeconds =
            validFor === undefined
                ? undefined
                : parseDuration("--valid-for", validFor, MIN_TTL_SECONDS, MAX_CONSUMER_VALIDITY_SECONDS, "the longest a credential may live: it bounds what a leaked config can do and a rotation's overlap; renew before it expires");
    } catch (e) {
        throw new UsageError((e as Error).message, USAGE);
    }
    if (values.out && !existsSync(dirname(resolve(values.out)))) throw new UsageError(`--out ${values.out}: directory ${dirname(resolve(values.out))} does not exist`, USAGE);
    const outputs = values.outputs
        ? (JSON.parse(readFileSync(values.outputs, "utf8")) as Record<string, unknown>)
        : await outputsFromStack(values.stack!);
    const perCallTtl = ttlArg ?? Number(outputs.credentialTtlSeconds ?? 3600);
    const ttlSeconds = validForSeconds ?? perCallTtl;
    let source;
    try {
        source = iceSourceFromOutputs(outputs, values.region);
    } catch (e) {
        if (values.region !== undefined && /^region /.test((e as Error).message)) throw new UsageError(`--${(e as Error).message}`, USAGE);
        throw e;
    }
    // VidMeet's Cloudflare mode takes the key itself and mints per call: Cloudflare is not called here.
    const vidmeetCloudflare = format === "vidmeet" && source.cloudflare ? { keyId: source.cloudflare.keyId, key: source.cloudflare.key, ttlSeconds: perCallTtl } : undefined;
    if (consumer !== undefined && !source.selfHosted) {
        throw new UsageError(
            `--consumer ${consumer}: turn:mode is ${String(outputs.mode)}: Cloudflare makes its credentials' usernames itself, so none can name a consumer, ` +
                `and they last at most ${CLOUDFLARE_MAX_TTL_SECONDS} s; allowed: --consumer on a stack with an own server (self-hosted, both). ` +
                "Mint per call from an app server (iceServersForCall), or for VidMeet use --format vidmeet (its Cloudflare mode mints per call)",
            USAGE,
        );
    }
    if (source.cloudflare && !vidmeetCloudflare && validForSeconds !== undefined && validForSeconds > CLOUDFLARE_MAX_TTL_SECONDS) {
        // Cloudflare, Generate Credentials: generate-ice-servers issues credentials with a TTL of at most 172800 s.
        throw new UsageError(
            `--valid-for ${validFor}: turn:mode is ${String(outputs.mode)}, and Cloudflare's generate-ice-servers issues credentials for at most ` +
                `${CLOUDFLARE_MAX_TTL_SECONDS} s; allowed here: ${durationText(MIN_TTL_SECONDS)} to ${durationText(CLOUDFLARE_MAX_TTL_SECONDS)}, renewed that often`,
            USAGE,
        );
    }
    // CLOUDFLARE_RTC_API_URL points the Cloudflare call elsewhere (tests use a local stand-in).
    if (source.cloudflare && process.env.CLOUDFLARE_RTC_API_URL) source.cloudflare.baseUrl = process.env.CLOUDFLARE_RTC_API_URL;
    const userId = consumer ?? values.user ?? "turn-stack";
    const servers = vidmeetCloudflare
        ? source.selfHosted
            ? await iceServersForCall({ selfHosted: source.selfHosted }, { ttlSeconds, userId })
            : []
        : await iceServersForCall(source, { ttlSeconds, userId });
    // A --prefer the stack does not offer (tls without turn:domain) is refused here, naming what it offers.
    const text = formatIceServers(servers, format, { prefer, vidmeetCloudflare });
    if (consumer !== undefined && source.selfHosted) {
        // The own relay's server comes first (iceServersForCall); its username starts with the expiry.
        const until = new Date(Number(servers[0].username!.split(":")[0]) * 1000).toISOString();
        console.error(`turn-stack ice: consumer ${consumer}: the own relay's credential is valid for ${durationText(ttlSeconds)}, until ${until}; renew it before then (README, Credentials)`);
    }
    if (values.out) {
        // Created 0600; an existing file is narrowed to 0600 too (writeFileSync's mode applies only on creation).
        writeFileSync(values.out, text, { mode: 0o600 });
        chmodSync(values.out, 0o600);
        const holds = servers.length ? `credentials expire in ${ttlSeconds} s` : "it holds the Cloudflare key's token; VidMeet mints per call";
        console.error(`turn-stack ice: wrote ${values.out} (mode 0600; ${holds})`);
    } else {
        process.stdout.write(text);
    }
}

main().catch((e: unknown) => {
    console.error(`turn-stack ice: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
