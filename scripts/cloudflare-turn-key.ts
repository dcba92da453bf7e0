/**
 * Create or delete a Cloudflare Realtime TURN key; run by the
 * `turn:cloudflare:TurnKey` component's `@pulumi/command` resource (see
 * infra/components/cloudflare.ts for why not `cloudflare.CallsTurnApp`).
 *
 *   create: env CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, TURN_KEY_NAME;
 *           prints {"keyId": "...", "key": "..."} (a Pulumi secret output)
 *   delete: the same account and token, and PULUMI_COMMAND_STDOUT (the create output)
 *
 * CLOUDFLARE_API_BASE_URL points it at another API base (tests use a local stand-in).
 */
import { createTurnKey, deleteTurnKey } from "../infra/cloudflare-api";

async function main(action: string | undefined): Promise<void> {
    const env = (k: string): string => {
        const v = process.env[k];
        if (!v) throw new Error(`${k} is not set`);
        return v;
    };
    const common = { accountId: env("CLOUDFLARE_ACCOUNT_ID"), apiToken: env("CLOUDFLARE_API_TOKEN"), baseUrl: process.env.CLOUDFLARE_API_BASE_URL };
    if (action === "create") {
        const created = await createTurnKey({ ...common, name: env("TURN_KEY_NAME") });
        process.stdout.write(JSON.stringify(created));
        console.error(`turn-stack: created Cloudflare TURN key ${created.keyId}`);
    } else if (action === "delete") {
        const previous = JSON.parse(env("PULUMI_COMMAND_STDOUT")) as { keyId?: string };
        if (!previous.keyId) throw new Error("PULUMI_COMMAND_STDOUT holds no keyId");
        await deleteTurnKey({ ...common, keyId: previous.keyId });
        console.error(`turn-stack: deleted Cloudflare TURN key ${previous.keyId}`);
    } else {
        throw new Error("usage: cloudflare-turn-key.ts create|delete");
    }
}

main(process.argv[2]).catch((e: unknown) => {
    console.error(`turn-stack: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
