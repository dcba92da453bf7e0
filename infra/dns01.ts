/**
 * Certificates for a fleet by ACME DNS-01 (issue 16). The latency-routed name points at every
 * region, so Let's Encrypt's HTTP-01 request (from several vantage points, RFC 8555 §8.3) would reach
 * whichever server DNS gave it, not the one asking; DNS-01 proves control of the name with a TXT
 * record at `_acme-challenge.<name>` (RFC 8555 §8.4), which any server can write.
 *
 * certbot's own DNS plugins from Debian do the writing: `python3-certbot-dns-route53` (2.1.0 in
 * bookworm) and `python3-certbot-dns-cloudflare` (2.0.0 in bookworm), both in Debian 12 and 13.
 *  - Route 53: the plugin uses boto3's default credentials, here the instance role. The role may
 *    change only TXT records named `_acme-challenge.<domain>` and `_acme-challenge.<own name>` in the
 *    stack's zone, by UPSERT and DELETE (IAM condition keys route53:ChangeResourceRecordSetsNormalizedRecordNames,
 *    ...RecordTypes, ...Actions; Route 53 Developer Guide, "Using IAM policy conditions for
 *    fine-grained access control"). It also needs ListHostedZones (to find the zone: no resource-level
 *    permission, so `*`) and GetChange (to wait for INSYNC), as the plugin's docs list
 *    (certbot-dns-route53, "Credentials").
 *  - Cloudflare: the plugin takes an API token in an ini file (`dns_cloudflare_api_token`). The token
 *    reaches the VM as an SSM SecureString, like the TURN secret, written to a root-only file at boot.
 *    What cannot be narrowed: Cloudflare API token permissions are per zone ("Zone / DNS / Edit"), not
 *    per record name or type, so the token can change any record of the zone (Cloudflare docs, "API
 *    token permissions"). Use a zone that holds only the TURN names, or Route 53.
 *
 * Pure: no `@pulumi/*` import.
 */
import { AWS_PARTITION } from "./aws-region";

/** The DNS plugins, as certbot names them, and their Debian packages. */
export const DNS01_PLUGINS = {
    route53: { package: "python3-certbot-dns-route53", flag: "--dns-route53" },
    cloudflare: { package: "python3-certbot-dns-cloudflare", flag: "--dns-cloudflare" },
} as const;

/** Where the Cloudflare plugin's credentials go on the VM (root only). */
export const CLOUDFLARE_CREDENTIALS_PATH = "/etc/letsencrypt/turn-stack-cloudflare.ini";

/**
 * Seconds certbot waits after writing the TXT record before asking Let's Encrypt to check it. The
 * Route 53 plugin waits for the change to be INSYNC itself; the Cloudflare plugin's default is 10 s,
 * and 30 s leaves room for Cloudflare's propagation (certbot-dns-cloudflare docs, "--dns-cloudflare-propagation-seconds").
 */
export const CLOUDFLARE_PROPAGATION_SECONDS = 30;

/** A server's certificate by DNS-01. */
export type Dns01Certificate =
    | { plugin: "route53"; names: string[] }
    | { plugin: "cloudflare"; names: string[]; tokenParameterName: string };

/** The challenge record name of `name`, normalized as the IAM condition key compares it (lower case, no trailing dot). */
export function challengeName(name: string): string {
    return `_acme-challenge.${name.toLowerCase().replace(/\.$/, "")}`;
}

/**
 * IAM statements that let a server's role answer DNS-01 for `names` in `zoneId` and nothing more.
 * @param zoneId Route 53 hosted zone id (fleet.ts ROUTE53_ZONE_ID)
 * @param names the certificate's names (turn:domain and the server's own name)
 */
export function route53ChallengeStatements(zoneId: string, names: string[]): Record<string, unknown>[] {
    return [
        {
            Sid: "AcmeChallengeRecords",
            Effect: "Allow",
            Action: "route53:ChangeResourceRecordSets",
            Resource: `arn:${AWS_PARTITION}:route53:::hostedzone/${zoneId}`,
            Condition: {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": names.map(challengeName),
                    "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
                },
            },
        },
        { Sid: "AcmeFindZone", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
        { Sid: "AcmeWaitForChange", Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${AWS_PARTITION}:route53:::change/*` },
    ];
}

/**
 * certbot's command line for the certificate: the first name is the lineage (`--cert-name`, so the
 * files are in `/etc/letsencrypt/live/<domain>/` as for a single server).
 * @param email Let's Encrypt account email, or undefined
 * @param deployHook path of the deploy hook (cloud-init.ts VM_PATHS.certHook)
 */
export function certbotDns01Args(cert: Dns01Certificate, email: string | undefined, deployHook: string): string[] {
    const args = ["certonly", DNS01_PLUGINS[cert.plugin].flag, "--non-interactive", "--agree-tos", ...(email ? ["--email", email] : ["--register-unsafely-without-email"])];
    if (cert.plugin === "cloudflare") {
        args.push("--dns-cloudflare-credentials", CLOUDFLARE_CREDENTIALS_PATH, "--dns-cloudflare-propagation-seconds", String(CLOUDFLARE_PROPAGATION_SECONDS));
    }
    args.push("--key-type", "ecdsa", "--cert-name", cert.names[0], ...cert.names.flatMap((n) => ["-d", n]), "--deploy-hook", deployHook);
    return args;
}

/** Where the script that writes the Cloudflare credentials sits on the VM. */
export const CLOUDFLARE_CREDENTIALS_SCRIPT = "/usr/local/sbin/turn-stack-cloudflare-credentials";

/**
 * The script that writes {@link CLOUDFLARE_CREDENTIALS_PATH} (root:root 0600) from the SSM SecureString
 * holding the token, read with the instance role like the TURN secret. Run before each certbot
 * attempt, so a token replaced in SSM is used on the next one. The token never reaches a command
 * line: it goes from the reader's stdout into the file through the shell's `printf` builtin.
 * @param readToken shell command that prints the parameter's decrypted value (cloud-init.ts passes
 *   the VM's SSM reader)
 * @throws Error when the command holds characters a shell line here cannot carry
 */
export function cloudflareCredentialsScript(readToken: string): string {
    if (!/^[A-Za-z0-9 ._/:=-]+$/.test(readToken)) throw new Error(`SSM read command ${JSON.stringify(readToken)} has characters not allowed in the Cloudflare credentials script`);
    return `#!/bin/sh
# turn-stack: the Cloudflare API token for certbot's DNS-01 plugin, from SSM, root only
set -eu
umask 077
t=$(${readToken})
printf 'dns_cloudflare_api_token = %s\n' "$t" > ${CLOUDFLARE_CREDENTIALS_PATH}.tmp
mv ${CLOUDFLARE_CREDENTIALS_PATH}.tmp ${CLOUDFLARE_CREDENTIALS_PATH}
`;
}

/**
 * The systemd unit that obtains the certificate by DNS-01 at boot; same retries and condition as the
 * single server's HTTP-01 unit (cloud-init.ts), and renewals run from certbot.timer with the same
 * settings (certbot stores the plugin and its options in the lineage's renewal config).
 */
export function dns01CertificateUnit(cert: Dns01Certificate, email: string | undefined, deployHook: string): string {
    const pre = cert.plugin === "cloudflare" ? `ExecStartPre=${CLOUDFLARE_CREDENTIALS_SCRIPT}\n` : "";
    return `# turn-stack: obtain the Let's Encrypt certificate for ${cert.names.join(", ")} (DNS-01 through ${cert.plugin}).
# Retries until it succeeds; renewals run from certbot.timer with the deploy hook.
[Unit]
Description=turn-stack: Let's Encrypt certificate for ${cert.names[0]}
After=network-online.target
Wants=network-online.target
ConditionPathExists=!/etc/letsencrypt/live/${cert.names[0]}/fullchain.pem

[Service]
Type=oneshot
${pre}ExecStart=/usr/bin/certbot ${certbotDns01Args(cert, email, deployHook).join(" ")}
Restart=on-failure
RestartSec=120s

[Install]
WantedBy=multi-user.target
`;
}
