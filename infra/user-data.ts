/**
 * The TURN server's EC2 user data, from the validated config and the
 * addresses known at deploy time: turnserver.conf (without the secret)
 * inside the cloud-init document. One function, so the component
 * (components/turn-server.ts) and the user data size test render the same thing.
 *
 * Pure: no `@pulumi/*` import.
 */
import type { TurnConfig } from "./config";
import { renderCloudInit, VM_PATHS } from "./cloud-init";
import { renderTurnserverConf } from "./turnserver-conf";
import { SYNC_PATHS } from "./secret-sync";
import type { Dns01Certificate } from "./dns01";

/** What the VM's user data depends on besides the config. */
export interface VmAddresses {
    /** The network interface's fixed private IPv4 (network.ts serverPrivateIp). */
    privateIp: string;
    /** The Elastic IP. */
    publicIp: string;
    /** AWS region, e.g. `eu-west-1`. */
    region: string;
    /** SSM parameter holding the shared secret (config.ts secretParameterNameFor). */
    secretParameterName: string;
}

/**
 * Render the VM's user data.
 * @param certificate a fleet's server: its certificate by DNS-01 (dns01.ts); undefined: HTTP-01 for turn:domain
 * @returns the `#cloud-config` document (at most 16 KB gzip-compressed; the instance gets it
 *   through cloud-init.ts packUserData)
 * @throws Error from renderTurnserverConf / renderCloudInit (line breaks, characters a shell
 *   line cannot carry, oversize user data)
 */
export function renderUserData(cfg: TurnConfig, vm: VmAddresses, certificate?: Dns01Certificate): string {
    const tls = cfg.domain !== undefined;
    return renderCloudInit({
        turnserverConf: renderTurnserverConf({
            realm: cfg.realm,
            listeningIp: vm.privateIp,
            relayIp: vm.privateIp,
            externalIp: { public: vm.publicIp, private: vm.privateIp },
            tls: tls ? { certFile: VM_PATHS.tlsCert, keyFile: VM_PATHS.tlsKey } : undefined,
            relayPortRange: cfg.relayPortRange,
            userQuota: cfg.userQuota,
            totalQuota: cfg.totalQuota,
            userdb: SYNC_PATHS.userdb,
            adminCli: true,
        }),
        region: vm.region,
        secretParameterName: vm.secretParameterName,
        arch: cfg.arch,
        relayPortRange: cfg.relayPortRange,
        domain: cfg.domain,
        acmeEmail: cfg.acmeEmail,
        certificate,
    });
}
