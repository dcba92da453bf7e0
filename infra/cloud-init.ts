/**
 * Renders the EC2 user data: a `#cloud-config` document for Debian 12 and 13
 * (cloud-init 22.4 and 25.1, "Cloud config examples" and module docs; the same
 * document for both, booted on each by the boot test), emitted with the
 * `yaml` library in YAML 1.1 mode (cloud-init reads it with PyYAML, a YAML 1.1
 * parser: a bare `0640` would be an octal number there).
 *
 * What it does at boot, in cloud-init's order:
 *  1. init stage, `write_files` (root-owned files only, so no package user is
 *     needed yet): coturn's config without the secret, a systemd drop-in,
 *     the nftables ruleset and its unit, the SSM reader (ssm-get.ts), the
 *     configure script and its unit, sysctls, and with a domain the
 *     certificate unit and renewal hook;
 *  2. final stage, `packages`: coturn, nftables (and certbot) from Debian
 *     (SSM is read with curl, not awscli). The drop-in's `ConditionPathExists`
 *     keeps the package's post-install start from running coturn before its
 *     config exists;
 *  3. final stage, `runcmd`: load the firewall, start the timer that keeps the
 *     secrets in sync (secret-sync.ts), then start, without waiting for them,
 *     `turn-stack-configure.service` (copy the shared secrets from SSM Parameter
 *     Store into coturn's SQLite database, the admin CLI password's hash into the
 *     config (reaper.ts), and install the config root:turnserver 0640; retried
 *     every few seconds, with no limit, until SSM answers) and coturn, ordered
 *     after it; start the session reaper's timer (reaper.ts), then (with a domain)
 *     start obtaining the Let's Encrypt certificate, and install the SSM agent.
 *
 * No runtime IP discovery: the private and public addresses are rendered into
 * turnserver.conf from the stack (network interface and Elastic IP).
 */
import { stringify } from "yaml";
import { gzipSync } from "fflate";
import { DENIED_IPV4, DENIED_IPV6 } from "./peer-ranges";
import { listeners } from "./listeners";
import type { DebianArch } from "./instance-types";
import { ephemeralPortRange, type PortRange } from "./port-range";
import { previousSecretParameterName } from "./rotation";
import { secretSyncScript, secretSyncService, secretSyncTimer, SYNC_PATHS } from "./secret-sync";
import { cliFirewallRules, reaperParameterNames, reaperUserData } from "./reaper";
import { SSM_GET_PATH, ssmGetScript } from "./ssm-get";
import { cloudflareCredentialsScript, CLOUDFLARE_CREDENTIALS_SCRIPT, DNS01_PLUGINS, dns01CertificateUnit, type Dns01Certificate } from "./dns01";

/** Where things live on the VM. */
export const VM_PATHS = {
    /** coturn's config without the secret (root:root 0600). */
    confBase: "/etc/coturn/turnserver.conf.base",
    /** coturn's config as it reads it (root:turnserver 0640); the secrets are in its database (secret-sync.ts). */
    conf: "/etc/coturn/turnserver.conf",
    dropIn: "/etc/systemd/system/coturn.service.d/turn-stack.conf",
    configureScript: "/usr/local/sbin/turn-stack-configure",
    /** The unit that runs the configure script until SSM answers. */
    configureUnit: "/etc/systemd/system/turn-stack-configure.service",
    nftables: "/etc/turn-stack/nftables.nft",
    nftablesUnit: "/etc/systemd/system/turn-stack-firewall.service",
    sysctl: "/etc/sysctl.d/60-turn-stack.conf",
    certUnit: "/etc/systemd/system/turn-stack-certificate.service",
    certHook: "/etc/letsencrypt/renewal-hooks/deploy/turn-stack-coturn",
    tlsCert: "/etc/coturn/tls/fullchain.pem",
    tlsKey: "/etc/coturn/tls/privkey.pem",
} as const;

/**
 * Largest user data EC2 takes: "User data is limited to 16 KB, in raw form, before
 * it is base64-encoded" (EC2 User Guide, "Work with instance user data",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
 * turn-stack sends it gzip-compressed ({@link packUserData}), so the limit applies to the
 * compressed bytes. The validator bounds every key that reaches the user data;
 * test/unit/user-data-size.test.ts renders the longest accepted values and checks they fit.
 */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/**
 * The user data as the instance gets it (`userDataBase64`): the document gzip-compressed, then
 * base64. cloud-init recognises gzip user data and decompresses it before parsing (cloud-init
 * docs, "User data formats", gzip compressed content: "useful because user-data is limited to
 * 16384 bytes"; user_data.py convert_string, util.decomp_gzip; the boot test boots it through
 * cloud-init 22.4), and EC2's 16 KB limit applies to the bytes before base64, so compressing
 * makes room for the whole VM setup (about a quarter of the size). Deterministic: fflate (pure
 * JavaScript, version pinned in package-lock.json) at level 9 with a zero timestamp and no file
 * name, so the same document gives the same bytes on every machine and Node.js version and a
 * preview shows no change (Node's zlib is native and its output may differ between builds).
 * @throws Error when the compressed document exceeds {@link USER_DATA_MAX_BYTES}
 */
export function packUserData(userData: string): string {
    const packed = gzipSync(Buffer.from(userData, "utf8"), { level: 9, mtime: 0 });
    if (packed.length > USER_DATA_MAX_BYTES) {
        throw new Error(`user data is ${packed.length} bytes gzip-compressed (${Buffer.byteLength(userData)} raw); EC2 takes at most ${USER_DATA_MAX_BYTES} (16 KB, before base64)`);
    }
    return Buffer.from(packed).toString("base64");
}

/** Open files coturn may hold: each allocation uses sockets on both sides. */
export const COTURN_NOFILE = 1_048_576;

/** Inputs of {@link renderCloudInit}. */
export interface CloudInitOptions {
    /** turnserver.conf from renderTurnserverConf, without `static-auth-secret`. */
    turnserverConf: string;
    /** AWS region of the SSM parameter, e.g. `eu-west-1`. */
    region: string;
    /** Name of the SSM SecureString parameter holding the shared secret. */
    secretParameterName: string;
    /** Debian architecture, for the SSM agent package. */
    arch: DebianArch;
    /** Relay port range, to keep the kernel's ephemeral ports out of it (port-range.ts). */
    relayPortRange: PortRange;
    /** With a domain: obtain a Let's Encrypt certificate for it at boot. */
    domain?: string;
    /** Let's Encrypt account email (optional). */
    acmeEmail?: string;
    /** A fleet's server: the certificate by DNS-01 (dns01.ts) instead of HTTP-01. */
    certificate?: Dns01Certificate;
}

/**
 * Render the user data.
 * @returns `#cloud-config` followed by the YAML document
 * @throws Error when the config still contains a `static-auth-secret` (the
 *   secret must not sit in user data), an input would break a shell line, or
 *   the relay range leaves no room for the kernel's ephemeral ports (the validator refuses such ranges),
 *   or the result exceeds {@link USER_DATA_MAX_BYTES} gzip-compressed ({@link packUserData})
 */
export function renderCloudInit(o: CloudInitOptions): string {
    if (/^static-auth-secret=/m.test(o.turnserverConf)) {
        throw new Error("turnserver.conf in user data must not contain static-auth-secret; it is fetched from SSM at boot");
    }
    for (const [name, v] of [["region", o.region], ["secretParameterName", o.secretParameterName], ["domain", o.domain ?? ""], ["acmeEmail", o.acmeEmail ?? ""]]) {
        if (!/^[A-Za-z0-9@._/+-]*$/.test(v)) throw new Error(`${name} ${JSON.stringify(v)} has characters not allowed in user data`);
    }

    // The session reaper (reaper.ts): coturn's config must enable the admin CLI on loopback (turnserver-conf.ts adminCli).
    // Its setup appends the CLI password's hash to the config the configure script is about to install.
    const names = reaperParameterNames(o.secretParameterName);
    const reaper = reaperUserData({ cliPasswordParameterName: names.cliPassword, revocationsParameterName: names.revocations, confFile: CONF_NEW });
    const files: WriteFile[] = [
        { path: VM_PATHS.confBase, owner: "root:root", permissions: "0600", content: o.turnserverConf },
        { path: VM_PATHS.dropIn, owner: "root:root", permissions: "0644", content: coturnDropIn() },
        { path: SSM_GET_PATH, owner: "root:root", permissions: "0755", content: ssmGetScript(o.region) },
        { path: VM_PATHS.configureScript, owner: "root:root", permissions: "0755", content: configureScript(reaper.setup) },
        { path: VM_PATHS.configureUnit, owner: "root:root", permissions: "0644", content: configureUnit() },
        { path: SYNC_PATHS.script, owner: "root:root", permissions: "0755", content: secretSyncScript(syncOptions(o)) },
        { path: SYNC_PATHS.service, owner: "root:root", permissions: "0644", content: secretSyncService() },
        { path: SYNC_PATHS.timer, owner: "root:root", permissions: "0644", content: secretSyncTimer() },
        { path: VM_PATHS.nftables, owner: "root:root", permissions: "0644", content: renderNftables(!!o.domain) },
        { path: VM_PATHS.nftablesUnit, owner: "root:root", permissions: "0644", content: firewallUnit() },
        { path: VM_PATHS.sysctl, owner: "root:root", permissions: "0644", content: sysctls(o) },
    ];
    files.push(...reaper.files);
    const packages = ["coturn", "nftables"];
    const runcmd: string[][] = [
        ["systemctl", "daemon-reload"],
        ["sysctl", "--system"],
        ["systemctl", "enable", "--now", "turn-stack-firewall.service"],
        ["systemctl", "enable", "--now", "turn-stack-secrets.timer"],
        ["systemctl", "enable", "coturn.service"],
        // Not waited for: if SSM does not answer yet (IAM propagation, an endpoint outage), the configure unit keeps
        // retrying and starts coturn when it succeeds; cloud-init finishes meanwhile (the SSM agent gets installed).
        ["systemctl", "start", "--no-block", "turn-stack-configure.service", "coturn.service"],
        reaper.enable,
    ];
    if (o.domain) {
        packages.push("certbot");
        files.push(
            {
                path: VM_PATHS.certUnit,
                owner: "root:root",
                permissions: "0644",
                content: o.certificate ? dns01CertificateUnit(o.certificate, o.acmeEmail, VM_PATHS.certHook) : certificateUnit(o.domain, o.acmeEmail),
            },
            { path: VM_PATHS.certHook, owner: "root:root", permissions: "0755", content: certificateHook() },
        );
        if (o.certificate) packages.push(DNS01_PLUGINS[o.certificate.plugin].package);
        if (o.certificate?.plugin === "cloudflare") {
            files.push({ path: CLOUDFLARE_CREDENTIALS_SCRIPT, owner: "root:root", permissions: "0700", content: cloudflareCredentialsScript(`${SSM_GET_PATH} ${o.certificate.tokenParameterName} --decrypt`) });
        }
        runcmd.push(["systemctl", "enable", "--now", "--no-block", "turn-stack-certificate.service"]);
    }
    runcmd.push(["sh", "-c", ssmAgentInstall(o.region, o.arch)]);

    const doc = {
        package_update: true,
        packages,
        write_files: files,
        runcmd,
    };
    const userData = "#cloud-config\n" + stringify(doc, { version: "1.1", lineWidth: 0 });
    packUserData(userData); // throws when it would not fit
    return userData;
}

interface WriteFile {
    path: string;
    owner: string;
    permissions: string;
    content: string;
}

function coturnDropIn(): string {
    return `# turn-stack: run coturn on the rendered config, with the firewall, limits and restarts it needs.
[Unit]
# Until turn-stack-configure has written the config, starting coturn is skipped (not failed),
# so the package's post-install start never runs it on Debian's default config.
ConditionPathExists=${VM_PATHS.conf}
Requires=turn-stack-firewall.service
# Ordered after the configure unit (when it is queued, at first boot) but not requiring it: the package's
# post-install start must not wait for SSM, and after a reboot the config is in place already.
After=network-online.target turn-stack-firewall.service turn-stack-configure.service
Wants=network-online.target

[Service]
ExecStart=
ExecStart=/usr/bin/turnserver -c ${VM_PATHS.conf} --pidfile=
LimitNOFILE=${COTURN_NOFILE}
Restart=always
RestartSec=2s
# coturn binds only unprivileged ports (3478, 5349; 443 reaches 5349 through nftables),
# so it needs no capabilities at all.
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes
`;
}

/** The secret sync's inputs: the previous secret's parameter sits beside the current one's; the realm is the config's. */
function syncOptions(o: CloudInitOptions) {
    const realm = /^realm=(.+)$/m.exec(o.turnserverConf)?.[1];
    if (!realm) throw new Error("turnserver.conf has no realm= line: the secrets are stored in coturn's database per realm");
    return { secretParameterName: o.secretParameterName, previousSecretParameterName: previousSecretParameterName(o.secretParameterName), realm };
}

/** coturn's config while the configure script completes it; renamed into place as its last step. */
const CONF_NEW = `${VM_PATHS.conf}.new`;

/**
 * One attempt at configuring coturn (its unit retries it): the TURN secrets from SSM into coturn's database
 * (secret-sync.ts), the config with the admin CLI password's hash (reaper.ts setup) written beside the real one
 * and renamed into place last, so the config exists only once everything it needs does.
 * @param reaperSetup the reaper's setup command, which appends the hash to {@link CONF_NEW}
 */
function configureScript(reaperSetup: string[]): string {
    return `#!/bin/bash
# turn-stack: put the TURN secrets from SSM Parameter Store into coturn's database
# (${SYNC_PATHS.script}), then install coturn's config (${VM_PATHS.conf},
# root:turnserver 0640) with the admin CLI password's hash. Fails, changing no config,
# if SSM cannot be read; turn-stack-configure.service runs it again.
set -euo pipefail
${SYNC_PATHS.script}
install -o root -g turnserver -m 0640 ${VM_PATHS.confBase} ${CONF_NEW}
${reaperSetup.join(" ")}
mv ${CONF_NEW} ${VM_PATHS.conf}
`;
}

/** Seconds between attempts of the configure unit (its RestartSec). */
export const CONFIGURE_RETRY_SECONDS = 5;

/**
 * The configure script's unit: until coturn's config exists, run the script, and on failure run it again every
 * {@link CONFIGURE_RETRY_SECONDS} s, with no start limit (StartLimitIntervalSec=0), so however long SSM stays
 * unreachable at first boot, coturn starts once it answers, without a human (issue 15: the old loop gave up after
 * about 2.5 minutes and coturn never started). Restart=on-failure on a oneshot service: systemd.service(5), Restart=
 * (systemd 252 on Debian 12, 257 on 13). The first attempt's failure ends the start jobs queued with it (coturn's,
 * ordered after it, then finds no config and is skipped: seen in the boot test), so on success the unit starts coturn
 * itself (ExecStartPost). Skipped once the config exists (reboots need no SSM).
 */
function configureUnit(): string {
    return `[Unit]
Description=turn-stack: coturn's secrets and config from SSM (retried until SSM answers)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!${VM_PATHS.conf}
StartLimitIntervalSec=0

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${VM_PATHS.configureScript}
# coturn's own start job (runcmd) ends when the first attempt fails; this starts it once one succeeds.
ExecStartPost=/usr/bin/systemctl start --no-block coturn.service
Restart=on-failure
RestartSec=${CONFIGURE_RETRY_SECONDS}s
`;
}

/**
 * The host firewall (nftables): 443 is redirected to coturn's own port for it
 * (TLS 5349 with a domain, TURN over TCP 3478 without; from infra/listeners.ts),
 * and whatever coturn decides, packets from the coturn user to non-public
 * addresses are dropped (defence in depth for deny-list bypasses such as
 * CVE-2026-27624 in coturn < 4.9.0), except answers sent from the ports its
 * listeners bind: those go to clients, and a client may sit in a private
 * network (the VPC, a peered network). Answers on a redirected connection
 * still leave from coturn's port here: the redirect's reverse translation is
 * applied after this chain, at postrouting (nf_nat rewrites the source of
 * replies there). Relayed data never leaves from a listening port: it leaves
 * from the relay port range. systemd starts coturn as its user, so its
 * listening sockets belong to that user too (found by test/boot.test.ts,
 * whose client is in the VPC's private range). First in the output chain: only
 * root may reach coturn's admin CLI on loopback (reaper.ts cliFirewallRules).
 * @param tls whether the server has a domain (TLS listeners)
 */
export function renderNftables(tls: boolean): string {
    const all = listeners(tls);
    // 443 is the one listener coturn does not bind itself (it binds no privileged port).
    const redirects = all
        .filter((l) => l.port !== l.coturnPort)
        .map((l) => `\t\t${l.transport} dport ${l.port} redirect to :${l.coturnPort} comment "${l.scheme === "turns" ? "TURN over TLS" : "TURN over TCP"} on ${l.port}"`);
    const answerPorts = [...new Set(all.map((l) => l.coturnPort))].sort((a, b) => a - b);
    const v4 = DENIED_IPV4.map((r) => r.cidr);
    const v6 = DENIED_IPV6.map((r) => r.cidr);
    return `#!/usr/sbin/nft -f
# turn-stack host firewall (rendered by infra/cloud-init.ts).
table inet turn_stack
delete table inet turn_stack
table inet turn_stack {
\tset non_public_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { ${v4.join(", ")} }
\t}
\tset non_public_v6 {
\t\ttype ipv6_addr
\t\tflags interval
\t\telements = { ${v6.join(", ")} }
\t}
\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
${redirects.join("\n")}
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
${cliFirewallRules().map((r) => `\t\t${r}`).join("\n")}
\t\tmeta skuid "turnserver" meta l4proto { tcp, udp } th sport { ${answerPorts.join(", ")} } accept comment "answers from the TURN listeners, also to clients in private networks"
\t\tmeta skuid "turnserver" ip daddr @non_public_v4 counter drop comment "relay to non-public IPv4"
\t\tmeta skuid "turnserver" ip6 daddr @non_public_v6 counter drop comment "relay to non-public IPv6"
\t}
}
`;
}

function firewallUnit(): string {
    return `[Unit]
Description=turn-stack host firewall (nftables)
Before=network-pre.target coturn.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ${VM_PATHS.nftables}
ExecStop=/usr/sbin/nft delete table inet turn_stack

[Install]
WantedBy=multi-user.target
`;
}

function sysctls(o: CloudInitOptions): string {
    const lines = [
        "# turn-stack: UDP buffers for many relayed media streams",
        "net.core.rmem_max = 16777216",
        "net.core.wmem_max = 16777216",
        "net.core.netdev_max_backlog = 16384",
    ];
    // Keep the kernel's ephemeral ports (default 32768-60999) out of the relay range: an
    // ephemeral socket on a relay port makes that port unusable for allocations. Always
    // rendered, so the range never depends on the kernel's default (port-range.ts).
    const ephemeral = ephemeralPortRange(o.relayPortRange);
    if (!ephemeral) throw new Error(`relay range ${o.relayPortRange} leaves no room for the kernel's ephemeral ports`);
    lines.push(`net.ipv4.ip_local_port_range = ${ephemeral.min} ${ephemeral.max}`);
    return lines.join("\n") + "\n";
}

function certificateUnit(domain: string, email?: string): string {
    const account = email ? `--email ${email}` : "--register-unsafely-without-email";
    return `# turn-stack: obtain the Let's Encrypt certificate for ${domain} (HTTP-01 on port 80).
# Retries until DNS points here; renewals run from certbot.timer with the deploy hook.
[Unit]
Description=turn-stack: Let's Encrypt certificate for ${domain}
After=network-online.target
Wants=network-online.target
ConditionPathExists=!/etc/letsencrypt/live/${domain}/fullchain.pem

[Service]
Type=oneshot
ExecStart=/usr/bin/certbot certonly --standalone --non-interactive --agree-tos ${account} --key-type ecdsa -d ${domain} --deploy-hook ${VM_PATHS.certHook}
Restart=on-failure
RestartSec=120s

[Install]
WantedBy=multi-user.target
`;
}

function certificateHook(): string {
    // coturn 4.6.1 rereads its certificate and key on SIGUSR2 in the running process, keeping every
    // allocation (mainrelay.c reload_ssl_certs; test/integration/renewal.test.ts). It opens its TLS
    // listener only when it starts with a certificate, so the first one (issued after boot) needs a restart.
    return `#!/bin/sh
# turn-stack: copy the renewed certificate where coturn (user turnserver) can read it, then have coturn
# reread it (SIGUSR2, no dropped calls); restart it only for the first certificate.
set -eu
dir=/etc/coturn/tls
had=0; [ -s ${VM_PATHS.tlsCert} ] && had=1
install -d -o root -g turnserver -m 0750 "$dir"
install -o root -g turnserver -m 0640 "$RENEWED_LINEAGE/fullchain.pem" ${VM_PATHS.tlsCert}
install -o root -g turnserver -m 0640 "$RENEWED_LINEAGE/privkey.pem" ${VM_PATHS.tlsKey}
if [ $had = 1 ] && systemctl -q is-active coturn.service; then systemctl kill -s SIGUSR2 --kill-whom=main coturn.service
else systemctl try-restart coturn.service; fi
`;
}

function ssmAgentInstall(region: string, arch: DebianArch): string {
    // Debian's AMIs ship no SSM agent; AWS publishes it per region (AWS Systems Manager docs,
    // "Manually installing SSM Agent on Debian Server"). Failure only costs shell access, not TURN.
    const url = `https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_${arch}/amazon-ssm-agent.deb`;
    return `curl -fsSL --retry 5 -o /tmp/amazon-ssm-agent.deb ${url} && dpkg -i /tmp/amazon-ssm-agent.deb && rm -f /tmp/amazon-ssm-agent.deb || echo "turn-stack: SSM agent not installed" >&2`;
}
