/**
 * `npm run stack:test`: short-lived test stacks with guaranteed teardown.
 * See USAGE below; needs the Pulumi CLI and the state backend
 * (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE), never for --help or a refusal.
 */
import { assertTestStackName, DEFAULT_TTL_HOURS, destroyTestStack, EXPIRES_KEY, expiryFor, MAX_TTL_HOURS, RefusedError, sweepTestStacks, upTestStack } from "./lib/test-stacks";
import { automationBackend } from "./lib/automation-backend";
import { parseCli, UsageError } from "./lib/cli";

const USAGE = `usage: npm run stack:test -- <action> [options]

  up [--name test-<id>|pr-<id>] [--ttl-hours <h>] [--dry-run]
      create or update a test stack with dev's config (secrets stay secret, re-encrypted
      for the new stack), the address never protected, tagged ${EXPIRES_KEY} = now + TTL
      (default ${DEFAULT_TTL_HOURS} h, at most ${MAX_TTL_HOURS} h), then \`pulumi up\` with the policy pack
  destroy --name <test-*|pr-*> [--dry-run]
      destroy and remove one test stack; refuses any other name and any stack holding
      protected resources
  sweep [--dry-run]
      destroy and remove every test stack whose ${EXPIRES_KEY} (stack tag, or for older
      stacks the config of their last deployment, both read from the state backend) has passed
  -h, --help  this text

Needs the Pulumi CLI (npx pulumi) and the state backend: PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.
Prints one JSON line on stdout; progress on stderr.`;

async function main(argv: string[]): Promise<number> {
    const parsed = parseCli(USAGE, {
        args: argv,
        allowPositionals: true,
        options: {
            name: { type: "string" },
            "ttl-hours": { type: "string", default: String(DEFAULT_TTL_HOURS) },
            "dry-run": { type: "boolean", default: false },
        },
    });
    if (!parsed) {
        console.log(USAGE);
        return 0;
    }
    const { values, positionals } = parsed;
    const action = positionals[0];
    if (positionals.length !== 1 || !["up", "destroy", "sweep"].includes(action)) throw new UsageError(`expected one action, up, destroy or sweep; got ${JSON.stringify(positionals)}`, USAGE);
    const log = (l: string) => console.error(`stack:test: ${l}`);
    const dryRun = values["dry-run"];
    const now = new Date();

    // Every refusal and usage error comes before the first call to the CLI or the backend.
    const name = action === "up" ? (values.name ?? `test-${now.getTime().toString(36)}`) : values.name;
    if (action === "destroy" && !name) throw new UsageError("destroy needs --name <test-*|pr-*>", USAGE);
    if (action === "sweep" && name) throw new UsageError("sweep takes no --name", USAGE);
    if (name) assertTestStackName(name);
    const ttlHours = Number(values["ttl-hours"]);
    if (action === "up") expiryFor(now, ttlHours);

    const backend = await automationBackend(log);
    switch (action) {
        case "up": {
            const expires = await upTestStack(backend, { name: name!, ttlHours, now, dryRun, log });
            console.log(JSON.stringify({ stack: name, expiresAt: expires.toISOString(), dryRun }));
            return 0;
        }
        case "destroy":
            await destroyTestStack(backend, { name: name!, dryRun, log });
            console.log(JSON.stringify({ stack: name, destroyed: !dryRun, dryRun }));
            return 0;
        default: {
            const r = await sweepTestStacks(backend, { now, dryRun, log });
            console.log(JSON.stringify({ ...r, dryRun }));
            for (const s of r.noExpiry) log(`warning: ${s} has no expiry in the backend; destroy it by hand (npm run stack:test -- destroy --name ${s})`);
            return r.refused.length + r.failed.length > 0 ? 1 : 0;
        }
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        if (e instanceof UsageError) console.error(`stack:test: ${msg}`);
        else console.error(`stack:test: ${e instanceof RefusedError ? "" : "error: "}${msg}`);
        process.exit(e instanceof UsageError ? 2 : 1);
    },
);
