/**
 * `npm run rotate-secret -- --stack <name> [--force]`: rotate the stack's TURN REST API shared secret with an
 * overlap (infra/rotation.ts), through the Pulumi Automation API: set turn:sharedSecret (a new secret),
 * turn:previousSharedSecret (the current one; both Pulumi secrets) and turn:secretRotatedAt, then `pulumi up`
 * with the policy pack.
 *
 * It runs `up` itself rather than leaving it to the user: the config alone changes nothing on the server, while
 * the overlap is counted from turn:secretRotatedAt, so a rotation whose `up` comes later (or never) would shorten
 * or spend the overlap with the new secret nowhere. `up` writes both SSM parameters (the instance is not replaced:
 * the user data does not change) and ends when the readiness gate, rerun with the new secret, gets an allocation.
 *
 * Every refusal comes before the first call to the Pulumi CLI: bad flags, a stack file that is not there, a stack
 * with no own server, a rotation while the previous one's overlap still runs (unless --force).
 */
import { randomInt } from "node:crypto";
import { parseCli, UsageError } from "./lib/cli";
import { PROJECT_ROOT, validatedStackConfig } from "./lib/stack-config";
import { POLICY_PACK } from "./lib/automation-backend";
import { overlapEnd, rotationRefusal, SECRET_PICKUP_BOUND_SECONDS, SHARED_SECRET_PATTERN } from "../infra/rotation";

const USAGE = `usage: npm run rotate-secret -- --stack <name> [--force]

Makes a new TURN REST API shared secret for the stack's own coturn and keeps the current one working for
the longest lifetime a credential minted from it can have (the overlap), then runs pulumi up (policy pack
included). The server picks the new secret up within ${SECRET_PICKUP_BOUND_SECONDS} s, without a restart; live
calls keep relaying. When the overlap ends, every credential minted before the rotation stops working.

  --stack <name>  the stack (its Pulumi.<name>.yaml must be here)
  --force         rotate even while the previous rotation's overlap still runs: the secret before it
                  stops working within ${SECRET_PICKUP_BOUND_SECONDS} s (for a leaked secret)
  -h, --help      this text

Needs the Pulumi CLI (npx pulumi) and the stack's backend and passphrase (PULUMI_CONFIG_PASSPHRASE).
Prints one JSON line on stdout; progress on stderr.`;

/** A refusal: the command line is fine, the stack's state says no. Exit code 2, like a usage error; nothing was changed. */
class RefusedError extends Error {}

/** A new secret like the stack's first one (RandomPassword: 48 letters and digits), from node:crypto. */
function newSecret(): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return Array.from({ length: 48 }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/** The stack's settings a rotation depends on, from its Pulumi.<stack>.yaml (secrets there are ciphertext: not read). */
function stackSettings(stack: string) {
    // turn:secretRotatedAt is read here, with a message that says which script sets it.
    const { config: cfg, raw } = validatedStackConfig(stack, USAGE, { omit: ["turn:secretRotatedAt"] });
    const rotatedRaw = raw["turn:secretRotatedAt"];
    const secretRotatedAt = rotatedRaw ? new Date(rotatedRaw) : undefined;
    if (secretRotatedAt && Number.isNaN(secretRotatedAt.getTime())) {
        throw new Error(`--stack ${stack}: turn:secretRotatedAt = ${JSON.stringify(rotatedRaw)} in Pulumi.${stack}.yaml is not an ISO 8601 time; npm run rotate-secret sets it`);
    }
    return { ...cfg, secretRotatedAt };
}

async function main(): Promise<number> {
    const args = parseCli(USAGE, { options: { stack: { type: "string" }, force: { type: "boolean", default: false } } });
    if (!args) {
        console.log(USAGE);
        return 0;
    }
    const { stack, force } = args.values as { stack?: string; force: boolean };
    if (!stack) throw new UsageError("--stack <name> is required", USAGE);
    const now = new Date();
    const settings = stackSettings(stack);
    const refusal = rotationRefusal(stack, settings, now, force);
    if (refusal) throw new RefusedError(refusal);

    const log = (l: string) => console.error(`rotate-secret: ${l}`);
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: PROJECT_ROOT });
    // The current secret: the one a previous rotation set, else the generated one (the sharedSecret output).
    const config = await s.getAllConfig();
    const current = config["turn:sharedSecret"]?.value || String((await s.outputs()).sharedSecret?.value ?? "");
    if (!SHARED_SECRET_PATTERN.test(current)) {
        throw new Error(`--stack ${stack}: no current secret to rotate (no turn:sharedSecret and no sharedSecret output): deploy the stack first with pulumi up`);
    }
    const rotated = newSecret();
    await s.setAllConfig({
        "turn:sharedSecret": { value: rotated, secret: true },
        "turn:previousSharedSecret": { value: current, secret: true },
        "turn:secretRotatedAt": { value: now.toISOString() },
    });
    log(`config set (turn:sharedSecret and turn:previousSharedSecret as secrets); running pulumi up --stack ${stack}`);
    try {
        await s.up({ onOutput: (o) => log(o.trimEnd()), policyPacks: [POLICY_PACK] });
    } catch (e) {
        throw new Error(
            `--stack ${stack}: the rotation is in the stack's config, but pulumi up failed (${(e as Error).message.split("\n")[0]}). ` +
                `Fix the cause and run: npx pulumi up --stack ${stack} --policy-pack infra/policy (do not rotate again: that would drop the secret before this one)`,
        );
    }
    const previousWorksUntil = overlapEnd(now, settings.credentialTtlSeconds).toISOString();
    console.log(JSON.stringify({ stack, rotatedAt: now.toISOString(), previousWorksUntil, pickupBoundSeconds: SECRET_PICKUP_BOUND_SECONDS }));
    log(`done: mint new credentials from the stack's sharedSecret output (npm run ice); credentials minted before now stop working at ${previousWorksUntil}`);
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`rotate-secret: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(e instanceof UsageError || e instanceof RefusedError ? 2 : 1);
    },
);
