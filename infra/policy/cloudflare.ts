/**
 * Cloudflare half of turn-stack's cloud contract: the DNS record the program
 * declares, and the inputs of the command that creates the Realtime TURN key
 * (infra/components/cloudflare.ts: the key is made by a `command.local.Command`
 * calling Cloudflare's API, so its inputs are what reaches Cloudflare).
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { CLOUDFLARE_DNS, chars, isIPv4, show } from "./limits";
import { unlessUnknown } from "./unknown";

const mandatory = "mandatory" as const;

/** The TURN server's DNS record. */
export const cloudflareDnsRecord: ResourceValidationPolicy = {
    name: "cloudflare-dns-record",
    description:
        `Cloudflare DNS record: zoneId 32 hex characters, name at most ${CLOUDFLARE_DNS.nameMax} characters (labels ${CLOUDFLARE_DNS.labelMax}), ` +
        `an A record's content an IPv4 address, ttl 1 (automatic) or ${CLOUDFLARE_DNS.ttlMin}-${CLOUDFLARE_DNS.ttlMax} ` +
        "(Cloudflare API, DNS Records: Create DNS Record); comment at most 100 characters, the Free plan's limit " +
        "(Cloudflare DNS docs, 'Record attributes'); proxied false: the proxy carries only HTTP(S), TURN and Let's Encrypt's " +
        "HTTP-01 check must reach the server itself (Cloudflare DNS docs, 'Proxy status').",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(cloudflare.DnsRecord, (r, _args, report) => {
        if (!CLOUDFLARE_DNS.identifier.test(String(r.zoneId))) report(`zoneId ${show(r.zoneId)}: 32 lowercase hex characters`);
        if (typeof r.name !== "string" || r.name.length < 1 || r.name.length > CLOUDFLARE_DNS.nameMax) report(`name ${show(r.name)}: 1 to ${CLOUDFLARE_DNS.nameMax} characters`);
        else if (r.name.split(".").some((l) => l.length > CLOUDFLARE_DNS.labelMax)) report(`name ${show(r.name)}: each label at most ${CLOUDFLARE_DNS.labelMax} characters`);
        // The address is the Elastic IP, known only at `pulumi up`.
        const content = unlessUnknown(() => r.content, undefined);
        if (r.type === "A" && content !== undefined && !isIPv4(content)) report(`content ${show(content)}: an A record holds an IPv4 address`);
        const ttl = r.ttl;
        if (ttl !== CLOUDFLARE_DNS.ttlAuto && !(Number.isInteger(ttl) && ttl >= CLOUDFLARE_DNS.ttlMin && ttl <= CLOUDFLARE_DNS.ttlMax)) {
            report(`ttl ${show(ttl)}: 1 (automatic) or ${CLOUDFLARE_DNS.ttlMin} to ${CLOUDFLARE_DNS.ttlMax}`);
        }
        if (typeof r.comment === "string" && chars(r.comment) > CLOUDFLARE_DNS.commentMax) {
            report(`comment ${show(r.comment)}: ${chars(r.comment)} characters; the Free plan allows ${CLOUDFLARE_DNS.commentMax}`);
        }
        if (r.proxied !== false) report(`proxied ${show(r.proxied)}: must be false for TURN (DNS only)`);
    }),
};

/** The inputs of the command that creates the Cloudflare Realtime TURN key. */
export const cloudflareTurnKeyCommand: ResourceValidationPolicy = {
    name: "cloudflare-turn-key-inputs",
    description:
        "Cloudflare Realtime TURN key (created by a command calling POST /accounts/{account_id}/calls/turn_keys): CLOUDFLARE_ACCOUNT_ID is the account " +
        "identifier, 32 characters (Cloudflare API, Realtime/Calls: Create a new TURN key, account_id maxLength 32; the dashboard shows it as 32 hex); " +
        "TURN_KEY_NAME is a string (the key's name, 'a short description ... not shown to end users', no documented limit).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(command.local.Command, (c, args, report) => {
        // The key command's create is a constant; one that carries unknowns (the readiness probe's host) is another command.
        if (!/cloudflare-turn-key/.test(String(unlessUnknown(() => c.create, "") ?? ""))) args.notApplicable("not the Cloudflare TURN key command");
        const env = (c.environment ?? {}) as Record<string, unknown>;
        if (!CLOUDFLARE_DNS.identifier.test(String(env.CLOUDFLARE_ACCOUNT_ID))) report(`environment.CLOUDFLARE_ACCOUNT_ID ${show(env.CLOUDFLARE_ACCOUNT_ID)}: 32 lowercase hex characters`);
        if (typeof env.TURN_KEY_NAME !== "string" || env.TURN_KEY_NAME === "") report(`environment.TURN_KEY_NAME ${show(env.TURN_KEY_NAME)}: a non-empty string`);
    }),
};

/** Every Cloudflare policy of the pack. */
export const cloudflarePolicies = [cloudflareDnsRecord, cloudflareTurnKeyCommand];
