/**
 * Create, keep or delete a Cloudflare Realtime TURN key; run by the
 * `turn:cloudflare:TurnKey` component's `@pulumi/command` resource (see
 * infra/components/cloudflare.ts for why not `cloudflare.CallsTurnApp`, and
 * why `update` keeps the key).
 *
 *   create: env CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, TURN_KEY_NAME;
 *           prints {"keyId": "...", "key": "..."} (a Pulumi secret output)
 *   update: env PULUMI_COMMAND_STDOUT (the stored create output); prints it back
 *           unchanged, so the stack keeps its key. No API call.
 *   delete: the same account and token, and PULUMI_COMMAND_STDOUT; deletes that key id
 *
 * CLOUDFLARE_API_BASE_URL points it at another API base (tests use a local stand-in).
 */
import { createTurnKey, deleteTurnKey } from "../infra/cloudflare-api";
import { parseCli, UsageError } from "./lib/cli";

const ACTIONS = ["create", "update", "delete"] as const;
const USAGE = `usage: tsx scripts/cloudflare-turn-key.ts ${ACTIONS.join("|")}

Run by pulumi (the Cloudflare TURN key's @pulumi/command resource), not by hand.
  create  mint a key; env CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, TURN_KEY_NAME; prints {"keyId","key"}
  update  keep the key: print PULUMI_COMMAND_STDOUT (the stored create output) back; no API call
  delete  delete the key in PULUMI_COMMAND_STDOUT; env CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN
  -h, --help  this text
CLOUDFLARE_API_BASE_URL overrides https://api.cloudflare.com/client/v4.`;

function env(k: string): string {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set`);
    return v;
}

/** The stored create output, checked before anything else happens. */
function previousKey(): { keyId: string; key: string } {
    let previous: { keyId?: unknown; key?: unknown };
    try {
        previous = JSON.parse(env("PULUMI_COMMAND_STDOUT"));
    } catch (e) {
        throw new Error(`PULUMI_COMMAND_STDOUT is not the create output: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof previous.keyId !== "string" || !previous.keyId) throw new Error("PULUMI_COMMAND_STDOUT holds no keyId");
    if (typeof previous.key !== "string" || !previous.key) throw new Error("PULUMI_COMMAND_STDOUT holds no key");
    return { keyId: previous.keyId, key: previous.key };
}

async function main(): Promise<number> {
    const args = parseCli(USAGE, { options: {}, allowPositionals: true });
    if (!args) {
        console.log(USAGE);
        return 0;
    }
    const { positionals } = args;
    const action = positionals[0];
    if (positionals.length !== 1 || !(ACTIONS as readonly string[]).includes(action)) {
        throw new UsageError(`expected one action, ${ACTIONS.join(", ")}; got ${JSON.stringify(positionals.join(" "))}`, USAGE);
    }
    if (action === "update") {
        // The same bytes back, once checked: the key id and token in state stay as they are.
        const previous = previousKey();
        process.stdout.write(env("PULUMI_COMMAND_STDOUT"));
        console.error(`turn-stack: kept Cloudflare TURN key ${previous.keyId}`);
        return 0;
    }
    const common = { accountId: env("CLOUDFLARE_ACCOUNT_ID"), apiToken: env("CLOUDFLARE_API_TOKEN"), baseUrl: process.env.CLOUDFLARE_API_BASE_URL };
    if (action === "create") {
        const created = await createTurnKey({ ...common, name: env("TURN_KEY_NAME") });
        process.stdout.write(JSON.stringify(created));
        console.error(`turn-stack: created Cloudflare TURN key ${created.keyId}`);
    } else {
        const previous = previousKey();
        await deleteTurnKey({ ...common, keyId: previous.keyId });
        console.error(`turn-stack: deleted Cloudflare TURN key ${previous.keyId}`);
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`turn-stack: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    },
);
