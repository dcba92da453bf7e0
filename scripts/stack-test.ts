/**
 * `npm run stack:test`: short-lived test stacks with guaranteed teardown.
 *
 *   npm run stack:test -- up [--name test-<id>|pr-<n>] [--ttl-hours 24] [--dry-run]
 *   npm run stack:test -- destroy --name <test-*|pr-*> [--dry-run]
 *   npm run stack:test -- sweep [--dry-run]
 *
 * `up` copies Pulumi.dev.yaml's config, never protects the address, records
 * the expiry in the stack (turn:expiresAt) and runs `pulumi up`. `destroy`
 * destroys and removes one test stack; it refuses any other name and any stack
 * holding protected resources. `sweep` does that for every expired test stack.
 * Needs the Pulumi CLI and the state backend (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE).
 */
import { parseArgs } from "node:util";
import { DEFAULT_TTL_HOURS, destroyTestStack, RefusedError, sweepTestStacks, upTestStack } from "./lib/test-stacks";
import { readStackConfig } from "./lib/stack-config";
import { automationBackend } from "./lib/automation-backend";

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            name: { type: "string" },
            "ttl-hours": { type: "string", default: String(DEFAULT_TTL_HOURS) },
            "dry-run": { type: "boolean", default: false },
        },
    });
    const action = positionals[0];
    const log = (l: string) => console.error(`stack:test: ${l}`);
    const dryRun = values["dry-run"];
    const backend = await automationBackend(log);
    const now = new Date();
    switch (action) {
        case "up": {
            const name = values.name ?? `test-${now.getTime().toString(36)}`;
            const expires = await upTestStack(backend, { name, ttlHours: Number(values["ttl-hours"]), now, baseConfig: readStackConfig("dev"), dryRun, log });
            console.log(JSON.stringify({ stack: name, expiresAt: expires.toISOString() }));
            return 0;
        }
        case "destroy":
            if (!values.name) throw new Error("destroy needs --name");
            await destroyTestStack(backend, { name: values.name, dryRun, log });
            return 0;
        case "sweep": {
            const r = await sweepTestStacks(backend, { now, dryRun, log });
            console.log(JSON.stringify(r));
            return r.refused.length > 0 ? 1 : 0;
        }
        default:
            throw new Error("usage: npm run stack:test -- up|destroy|sweep [--name <stack>] [--ttl-hours <h>] [--dry-run]");
    }
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`stack:test: ${e instanceof RefusedError ? "" : "error: "}${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    },
);
