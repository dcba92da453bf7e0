/**
 * Cloudflare resources: a Realtime TURN key (`turn:cloudflare:TurnKey`) and
 * the DNS-only A record for the self-hosted relay (`turn:cloudflare:DnsRecord`).
 *
 * Why the TURN key is not a `cloudflare.CallsTurnApp`: in @pulumi/cloudflare
 * v6 that resource (a) never stores the key's bearer token, because the live
 * API returns it as `secret` while the provider reads `key`, and the token is
 * only ever returned at creation; and (b) never stores `key_id`, so every
 * later refresh, update and destroy fails with "missing required key_id
 * parameter" (pulumi-cloudflare #1674, terraform-provider-cloudflare #6613).
 * A stack using it gets no usable key and cannot be destroyed. turn-stack
 * instead manages the key with `@pulumi/command`: create and delete run
 * scripts/cloudflare-turn-key.ts, which calls Cloudflare's documented TURN key
 * API; the create output (key id and token) is a Pulumi secret, and delete
 * removes exactly that key id (a key already gone counts as deleted), so
 * `pulumi destroy` of a test stack works.
 *
 * Updates keep the key. @pulumi/command runs `update` when any input other
 * than `triggers` changes (a rotated API token in `environment`, a new command
 * string after an upgrade), and without an `update` it runs `create` again,
 * which would mint a second key and never delete the first (pulumi-command
 * v1.2.1 provider/pkg/provider/local/commandController.go, `Update`: "Use
 * Create command if Update is unspecified"). `update` prints the stored
 * create output back (PULUMI_COMMAND_STDOUT, which `addPreviousOutputInEnv`
 * passes in; commandOutputs.go `run`), with no API call. A new key is always
 * a replacement: a changed account or key name (`triggers`, which the provider
 * marks replaceOnChanges, provider/pkg/provider/common/inputs.go), or an
 * explicit `pulumi up --replace <urn>` (README, Modes and Cloudflare). Pulumi
 * creates the new key first, then runs the old resource's `delete` with its
 * own stored output, so the old key is deleted.
 */
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";

/**
 * The script the key's commands run, relative to the project root. No `dir`:
 * an absolute one would differ per checkout and so re-run the command from any
 * other machine. The commands run in the provider's working directory
 * (pulumi-command v1.2.1 commandOutputs.go: `cmd.Dir = os.Getwd()` without
 * `dir`), which is the engine's: the project root, as Pulumi.yaml has no `main`
 * (pulumi/pulumi pkg/engine/project.go getPwdMain; plugins start with
 * `cmd.Dir = pwd`, sdk/go/common/resource/plugin/plugin.go).
 */
export const TURN_KEY_SCRIPT = "scripts/cloudflare-turn-key.ts";

/** Arguments of {@link CloudflareTurnKey}. */
export interface CloudflareTurnKeyArgs {
    /** Cloudflare account id. */
    accountId: string;
    /** Key name shown in the dashboard, e.g. `turn-prod` (project and stack). */
    keyName: string;
    /**
     * API token with Calls Write, from `cloudflare:apiToken`. Undefined: the
     * script reads `CLOUDFLARE_API_TOKEN` from the environment Pulumi runs in.
     */
    apiToken?: pulumi.Output<string>;
}

/** A Cloudflare Realtime TURN key. */
export class CloudflareTurnKey extends pulumi.ComponentResource {
    /** The key id (`uid`), used in the credentials URL. */
    readonly keyId: pulumi.Output<string>;
    /** The key's bearer token, a Pulumi secret. */
    readonly key: pulumi.Output<string>;

    constructor(name: string, args: CloudflareTurnKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:cloudflare:TurnKey", name, {}, opts);
        const environment: Record<string, pulumi.Input<string>> = {
            CLOUDFLARE_ACCOUNT_ID: args.accountId,
            TURN_KEY_NAME: args.keyName,
        };
        if (args.apiToken) environment.CLOUDFLARE_API_TOKEN = pulumi.secret(args.apiToken);
        const cmd = new command.local.Command(
            `${name}-key`,
            {
                create: `npx --no-install tsx ${TURN_KEY_SCRIPT} create`,
                update: `npx --no-install tsx ${TURN_KEY_SCRIPT} update`,
                delete: `npx --no-install tsx ${TURN_KEY_SCRIPT} delete`,
                environment,
                // stdout holds the token: never logged, kept only as a secret.
                logging: "stderr",
                addPreviousOutputInEnv: true,
                // A key belongs to one account and carries its name: either changing is a new key (replacement).
                triggers: [args.accountId, args.keyName],
            },
            { parent: this, additionalSecretOutputs: ["stdout"] },
        );
        const created = cmd.stdout.apply((out) => JSON.parse(out) as { keyId: string; key: string });
        this.keyId = pulumi.unsecret(created.apply((c) => c.keyId));
        this.key = pulumi.secret(created.apply((c) => c.key));
        this.registerOutputs({ keyId: this.keyId, key: this.key });
    }
}

/** Arguments of {@link CloudflareDnsRecord}. */
export interface CloudflareDnsRecordArgs {
    zoneId: string;
    /** The TURN server's name, e.g. `turn.example.com`. */
    domain: string;
    /** The Elastic IP. */
    address: pulumi.Input<string>;
}

/**
 * A DNS-only (not proxied) A record: TURN is not HTTP, so Cloudflare's proxy
 * cannot carry it, and Let's Encrypt's HTTP-01 check must reach the server itself.
 */
export class CloudflareDnsRecord extends pulumi.ComponentResource {
    readonly hostname: pulumi.Output<string>;

    constructor(name: string, args: CloudflareDnsRecordArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:cloudflare:DnsRecord", name, {}, opts);
        const record = new cloudflare.DnsRecord(
            `${name}-a`,
            { zoneId: args.zoneId, name: args.domain, type: "A", content: args.address, proxied: false, ttl: 300, comment: "turn-stack TURN server (DNS only)" },
            { parent: this },
        );
        this.hostname = record.name;
        this.registerOutputs({ hostname: this.hostname });
    }
}
