/**
 * `npm run revoke -- --stack <name> --consumer <name> [--undo]`: revoke a consumer on the stack's own coturn
 * (infra/reaper.ts), through the Pulumi Automation API: add `<consumer>=<until>` to turn:revokedConsumers, then
 * `pulumi up` with the policy pack. `up` writes the revocation list's SSM parameter (no other input changes, so
 * the instance is not replaced); the VM's reaper closes the consumer's sessions within REVOCATION_BOUND_SECONDS
 * and keeps closing every new one until `until`.
 *
 * `until` is now plus the longest lifetime any credential minted before now can have (rotation.ts
 * rotationOverlapSeconds: a --valid-for credential's 7 days): every credential the consumer holds has expired by
 * then, so the revocation can end without letting one back in. Entries whose time has passed are dropped.
 * `--undo` drops the consumer's entry (the reaper stops closing its sessions within REVOCATIONS_REFRESH_SECONDS
 * once `up` has run).
 *
 * Like `npm run rotate-secret`, it runs `up` itself: the config alone changes nothing on the server.
 * Every refusal comes before the first call to the Pulumi CLI: bad flags, a consumer name a TURN username or log
 * line cannot carry, a stack file that is not there or not valid, a stack with no own server, --undo for a
 * consumer the stack has not revoked.
 */
import { parseCli, UsageError } from "./lib/cli";
import { PROJECT_ROOT, validatedStackConfig } from "./lib/stack-config";
import { POLICY_PACK } from "./lib/automation-backend";
import { NAMESPACE, parseTurnConfig, revokedList, type TurnConfig } from "../infra/config";
import { consumerNameProblem } from "../infra/credentials";
import { rotationOverlapSeconds } from "../infra/rotation";
import { EXPIRY_BOUND_SECONDS, REVOCATION_BOUND_SECONDS, REVOCATIONS_REFRESH_SECONDS } from "../infra/reaper";

const KEY = `${NAMESPACE}:revokedConsumers`;

const USAGE = `usage: npm run revoke -- --stack <name> --consumer <name> [--undo]

Revokes a consumer on the stack's own coturn: adds it to turn:revokedConsumers until every credential minted
for it so far has expired (the longest credential lifetime from now), then runs pulumi up (policy pack
included). The server closes the consumer's sessions within ${REVOCATION_BOUND_SECONDS} s, without a restart,
and any new one within ${EXPIRY_BOUND_SECONDS} s, until then. Other consumers' sessions are untouched.

  --stack <name>     the stack (its Pulumi.<name>.yaml must be here)
  --consumer <name>  the consumer, as in npm run ice -- --consumer <name> (1 to 64 of A-Z a-z 0-9 . _ -)
  --undo             end the consumer's revocation (the server stops closing its sessions within
                     ${REVOCATIONS_REFRESH_SECONDS} s of pulumi up)
  -h, --help         this text

Needs the Pulumi CLI (npx pulumi) and the stack's backend and passphrase (PULUMI_CONFIG_PASSPHRASE).
Prints one JSON line on stdout; progress on stderr.`;

/** A refusal: the command line is fine, the stack's state says no. Exit code 2, like a usage error; nothing was changed. */
class RefusedError extends Error {}

/** The stack's validated config, from its Pulumi.<stack>.yaml (secrets there are ciphertext: not read). */
function stackSettings(stack: string): TurnConfig {
    return validatedStackConfig(stack, USAGE).config;
}

async function main(): Promise<number> {
    const args = parseCli(USAGE, { options: { stack: { type: "string" }, consumer: { type: "string" }, undo: { type: "boolean", default: false } } });
    if (!args) {
        console.log(USAGE);
        return 0;
    }
    const { stack, consumer, undo } = args.values as { stack?: string; consumer?: string; undo: boolean };
    if (!stack) throw new UsageError("--stack <name> is required", USAGE);
    if (consumer === undefined) throw new UsageError("--consumer <name> is required", USAGE);
    const nameProblem = consumerNameProblem("--consumer", consumer);
    if (nameProblem) throw new UsageError(nameProblem, USAGE);
    const settings = stackSettings(stack);
    if (!settings.selfHosted) {
        throw new RefusedError(
            `--stack ${stack}: turn:mode is ${settings.mode}, so the stack has no own TURN server whose sessions could be closed (allowed: a stack in self-hosted or both mode); ` +
                "Cloudflare's credentials are revoked by replacing its key (pulumi up --replace, README, Modes and Cloudflare)",
        );
    }
    const now = new Date();
    if (undo && !(settings.revokedConsumers[consumer] > now)) {
        throw new RefusedError(`--consumer ${consumer} --undo: the stack ${stack} has not revoked ${consumer} (${KEY} has no running entry for it); nothing to undo`);
    }
    const until = undo ? undefined : new Date(now.getTime() + rotationOverlapSeconds(settings.credentialTtlSeconds) * 1000);

    const log = (l: string) => console.error(`revoke: ${l}`);
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: PROJECT_ROOT });
    // The list as Pulumi holds it (the same file, read through the CLI, so an edit since the check above counts).
    const raw = (await s.getAllConfig())[KEY]?.value;
    const current = parseTurnConfig(raw === undefined ? {} : { [KEY]: raw }).revokedConsumers;
    const list = revokedList(current, consumer, until, now);
    // The JSON form of `pulumi config --json`: objectValue keeps the array an array (Pulumi.yaml declares the key's type).
    await s.workspace.setAllConfigJson(stack, JSON.stringify({ [KEY]: { value: JSON.stringify(list), objectValue: list, secret: false } }));
    log(`${KEY} set (${list.length} entr${list.length === 1 ? "y" : "ies"}); running pulumi up --stack ${stack}`);
    try {
        await s.up({ onOutput: (o) => log(o.trimEnd()), policyPacks: [POLICY_PACK] });
    } catch (e) {
        throw new Error(
            `--stack ${stack}: the ${undo ? "undo" : "revocation"} is in the stack's config, but pulumi up failed (${(e as Error).message.split("\n")[0]}). ` +
                `Fix the cause and run: npx pulumi up --stack ${stack} --policy-pack infra/policy`,
        );
    }
    if (undo) {
        console.log(JSON.stringify({ stack, consumer, revoked: false, boundSeconds: REVOCATIONS_REFRESH_SECONDS }));
        log(`done: the server stops closing ${consumer}'s sessions within ${REVOCATIONS_REFRESH_SECONDS} s`);
    } else {
        const revokedUntil = list.find((e) => e.startsWith(`${consumer}=`))!.slice(consumer.length + 1);
        console.log(JSON.stringify({ stack, consumer, revoked: true, revokedUntil, boundSeconds: REVOCATION_BOUND_SECONDS }));
        log(`done: ${consumer}'s sessions are closed within ${REVOCATION_BOUND_SECONDS} s, and any new one within ${EXPIRY_BOUND_SECONDS} s, until ${revokedUntil}`);
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`revoke: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(e instanceof UsageError || e instanceof RefusedError ? 2 : 1);
    },
);
