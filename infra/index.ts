/**
 * turn-stack's Pulumi program: read and validate config, build the TURN
 * server, export its outputs. Everything else lives in components and pure
 * modules beside this file.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseTurnConfig } from "./config";
import { TurnServer } from "./components/turn-server";

// Throws ConfigError, naming every bad key, before any resource is declared.
const config = parseTurnConfig(pulumi.runtime.allConfig());
const project = pulumi.getProject();
const stack = pulumi.getStack();

const server = new TurnServer("turn", {
    config,
    secretParameterName: `/turn-stack/${project}/${stack}/static-auth-secret`,
    tags: { "turn-stack:project": project, "turn-stack:stack": stack },
});

/** The Elastic IP clients reach. */
export const publicIp = server.publicIp;
/** DNS name of the server, when `turn:domain` is set. */
export const hostname = config.domain ?? null;
/** `RTCIceServer[]` with URLs only; mint credentials per client with `npm run ice` or infra/credentials.ts. */
export const iceServers = server.iceServers;
export const realm = config.realm;
/** Lifetime of minted TURN REST API credentials, seconds. */
export const credentialTtlSeconds = config.credentialTtlSeconds;
/** TURN REST API shared secret (secret output: `pulumi stack output sharedSecret --show-secrets`). */
export const sharedSecret = server.sharedSecret;
export const secretParameterName = server.secretParameterName;
export const instanceId = server.instanceId;
