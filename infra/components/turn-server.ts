/**
 * `turn:aws:TurnServer`: a hardened coturn relay on one EC2 instance.
 *
 * Children (all named `${name}-...`):
 *  - a VPC with one public subnet, internet gateway and route;
 *  - a security group with one described rule per listener, per client CIDR,
 *    plus the UDP relay range, and explicit egress (network.ts);
 *  - a network interface with a fixed private IP and an Elastic IP on it, so
 *    both addresses are known before the instance exists and survive its
 *    replacement (the Elastic IP is `protect`ed when `protectAddress`);
 *  - the TURN shared secret (`@pulumi/random`), kept as a Pulumi secret and an
 *    SSM Parameter Store SecureString that only this instance's role can read, with
 *    the previous one (rotation.ts), coturn's admin CLI password (SecureString) and the
 *    revocation list (String) for the session reaper (reaper.ts);
 *  - an IAM role for SSM Session Manager (no SSH, no key pair);
 *  - the instance: Debian (turn:debianRelease) for the type's architecture, IMDSv2 only with hop
 *    limit 1, encrypted gp3 root volume, user data from cloud-init.ts, replaced
 *    (delete first, keeping the interface and address) when the user data changes;
 *  - a CloudWatch alarm that recovers the instance on a failed system status
 *    check, alongside EC2's simplified automatic recovery;
 *  - with `readinessCheck`, a readiness gate: `@pulumi/command` runs
 *    scripts/probe.ts on the machine running Pulumi, so `pulumi up` ends only
 *    when the server answers a real TURN allocation on its Elastic IP on every
 *    listener (bounded retries; the failure names what did not answer). It
 *    reruns whenever the instance is replaced.
 *
 * Sources: AWS EC2 and Systems Manager user guides; Pulumi AWS provider v7 API docs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import type { TurnConfig } from "../config";
import { renderUserData } from "../user-data";
import { packUserData } from "../cloud-init";
import { buildIceServers, type RTCIceServer } from "../ice";
import { ruleName, securityRules, serverPrivateIp } from "../network";
import { probeListenerSpec } from "../listeners";
import { recoverActionArn } from "../aws-region";
import { overlapEnd, previousSecretParameterName, previousSecretValue } from "../rotation";
import { reaperParameterNames, revocationsValue } from "../reaper";
import { amiFilters, DEBIAN_AMI_OWNER } from "../debian";
import type { Dns01Certificate } from "../dns01";


/**
 * The readiness probe's script, relative to the project root. The command sets
 * no `dir` (an absolute one differs per checkout), so it runs in the command
 * provider's working directory (pulumi-command v1.2.1 commandOutputs.go), which
 * the engine sets to the project root because Pulumi.yaml has no `main`
 * (pulumi/pulumi pkg/engine/project.go getPwdMain). test/integration/engine-commands.test.ts
 * runs the declared command that way against a local coturn.
 */
export const PROBE_SCRIPT = "scripts/probe.ts";
/** Readiness gate bounds: attempts per listener and pause between them (about 15 minutes in all: boot, packages, certificate). */
export const READINESS_ATTEMPTS = 90;
export const READINESS_INTERVAL_MS = 10_000;

/** A region's SSM parameters (the secrets and the revocation list), held by its first server. */
export interface RegionParameters {
    /** ARNs the instance role may read. */
    arns: pulumi.Output<string>[];
    /** The parameters themselves: an instance starts only after they exist. */
    resources: pulumi.Resource[];
}

/**
 * What makes a server one of a fleet (components/fleet.ts, infra/fleet.ts). Absent for a single
 * server, which declares exactly what it always did (test/program/fleet-identity.test.ts).
 */
export interface FleetMember {
    /** Its own DNS name, `<region>-<n>.<domain>`: on its certificate beside turn:domain. */
    hostname: string;
    /** Zone of its subnet (fleet.ts placeZones); undefined: turn:availabilityZone, as a single server. */
    availabilityZone?: pulumi.Input<string>;
    /** The stack's one TURN secret (the home server's), used instead of generating one. */
    sharedSecret?: pulumi.Output<string>;
    /** Its region's parameters, held by the region's first server; undefined: this server creates them. */
    regionParameters?: RegionParameters;
    /** Resources its instance waits for: the previous server's readiness gate in its region (rolling replacement). */
    after?: pulumi.Resource[];
    /** IAM statements added to the instance role's policy (the DNS-01 rights, dns01.ts). */
    roleStatements?: pulumi.Input<Record<string, unknown>[]>;
    /** The certificate by DNS-01 (dns01.ts), rendered into the user data. */
    certificate?: Dns01Certificate;
    /** Cloudflare DNS-01: the token a region's first server writes to SSM (`certificate.tokenParameterName`) for its region. */
    cloudflareDnsToken?: pulumi.Output<string>;
}

/** Arguments of {@link TurnServer}. */
export interface TurnServerArgs {
    /** Validated configuration (infra/config.ts). */
    config: TurnConfig;
    /** SSM parameter name for the shared secret, unique per account and region, e.g. `/turn-stack/turn/prod/static-auth-secret`. */
    secretParameterName: string;
    /** Tags for every taggable child. */
    tags?: Record<string, string>;
    /** Fleet membership; undefined for a single server. */
    fleet?: FleetMember;
}

/** A coturn TURN server on AWS. */
export class TurnServer extends pulumi.ComponentResource {
    /** The Elastic IP. */
    readonly publicIp: pulumi.Output<string>;
    /** The fixed private IP of the server's network interface. */
    readonly privateIp: string;
    /** The domain (with TLS) or the public IP: the host in ICE server URLs. */
    readonly host: pulumi.Output<string>;
    /** `RTCIceServer[]` with URLs only (mint credentials per client; see infra/credentials.ts). */
    readonly iceServers: pulumi.Output<RTCIceServer[]>;
    /** TURN REST API shared secret (`static-auth-secret`), a Pulumi secret. */
    readonly sharedSecret: pulumi.Output<string>;
    /** SSM parameter name holding the secret. */
    readonly secretParameterName: string;
    readonly instanceId: pulumi.Output<string>;
    /** The readiness gate (with `readinessCheck`): the next server of a fleet's region waits for it. */
    readonly ready?: command.local.Command;
    /** The SSM parameters this server reads (its own, or its region's first server's). */
    readonly regionParameters: RegionParameters;
    /** Zone its subnet is in (AWS's choice unless pinned). */
    readonly availabilityZone: pulumi.Output<string>;

    /**
     * @param name logical name; children are `${name}-<role>`
     * @param args validated config and the secret's parameter name
     */
    constructor(name: string, args: TurnServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("turn:aws:TurnServer", name, {}, opts);
        const cfg = args.config;
        const tags = (role: string) => ({ ...args.tags, Name: `${name}-${role}` });
        const parent = { parent: this };
        const tls = cfg.domain !== undefined;

        // Network
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cfg.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: tags("vpc") }, parent);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, parent);
        const subnet = new aws.ec2.Subnet(
            `${name}-subnet`,
            { vpcId: vpc.id, cidrBlock: cfg.vpcCidr, availabilityZone: args.fleet?.availabilityZone ?? cfg.availabilityZone, mapPublicIpOnLaunch: false, tags: tags("subnet") },
            parent,
        );
        this.availabilityZone = subnet.availabilityZone;
        const routes = new aws.ec2.RouteTable(
            `${name}-routes`,
            { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("routes") },
            parent,
        );
        new aws.ec2.RouteTableAssociation(`${name}-routes-assoc`, { subnetId: subnet.id, routeTableId: routes.id }, parent);

        const sg = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            { vpcId: vpc.id, description: "turn-stack TURN server: TURN listeners and UDP relay range", tags: tags("sg") },
            parent,
        );
        for (const rule of securityRules({ clientCidrs: cfg.clientCidrs, relayPortRange: cfg.relayPortRange, tls })) {
            const ruleArgs = {
                securityGroupId: sg.id,
                ipProtocol: rule.protocol,
                fromPort: rule.fromPort,
                toPort: rule.toPort,
                cidrIpv4: rule.cidr,
                description: rule.description,
            };
            if (rule.direction === "ingress") new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName(rule)}`, ruleArgs, parent);
            else new aws.vpc.SecurityGroupEgressRule(`${name}-${ruleName(rule)}`, ruleArgs, parent);
        }

        this.privateIp = serverPrivateIp(cfg.vpcCidr);
        const eni = new aws.ec2.NetworkInterface(
            `${name}-eni`,
            { subnetId: subnet.id, privateIps: [this.privateIp], securityGroups: [sg.id], description: "turn-stack TURN server", tags: tags("eni") },
            parent,
        );
        const eip = new aws.ec2.Eip(
            `${name}-eip`,
            { domain: "vpc", networkInterface: eni.id, associateWithPrivateIp: this.privateIp, tags: tags("eip") },
            { parent: this, protect: cfg.protectAddress, dependsOn: [igw] },
        );
        this.publicIp = eip.publicIp;

        // Shared secret: a Pulumi secret in state, a SecureString in SSM for the VM. The generated
        // one stays the current secret until the first rotation (turn:sharedSecret, rotation.ts); the
        // RandomPassword is kept either way, so an upgrade or a rotation never replaces it.
        // A fleet's other servers take the home server's secret (one secret for the stack, under one rotation).
        const password = args.fleet?.sharedSecret ? undefined : new random.RandomPassword(`${name}-secret`, { length: 48, special: false }, parent);
        const current = args.fleet?.sharedSecret ?? (cfg.sharedSecret === undefined ? password!.result : pulumi.secret(cfg.sharedSecret));
        this.sharedSecret = pulumi.secret(current);
        this.secretParameterName = args.secretParameterName;
        // The region's parameters: created by a single server and by a fleet region's first server; a fleet's other
        // servers in that region read the same ones (an SSM name exists once per region).
        const ownParameters = (): RegionParameters => {
            const parameter = new aws.ssm.Parameter(
                `${name}-secret-param`,
                { name: args.secretParameterName, type: "SecureString", value: current, description: "turn-stack TURN REST API shared secret", tags: tags("secret") },
                parent,
            );
            // The secret before the last rotation and the end of its overlap; the VM's timer reads both parameters.
            const previous = new aws.ssm.Parameter(
                `${name}-previous-secret-param`,
                {
                    name: previousSecretParameterName(args.secretParameterName),
                    type: "SecureString",
                    value: pulumi.secret(
                        previousSecretValue(
                            cfg.previousSharedSecret && cfg.secretRotatedAt
                                ? { secret: cfg.previousSharedSecret, notAfter: overlapEnd(cfg.secretRotatedAt, cfg.credentialTtlSeconds) }
                                : undefined,
                        ),
                    ),
                    description: "turn-stack TURN REST API secret before the last rotation, with the end of its overlap",
                    tags: tags("previous-secret"),
                },
                parent,
            );

            // The session reaper (reaper.ts): coturn's admin CLI password, generated once and kept (only its hash reaches
            // coturn's config, at boot), and the revocation list (turn:revokedConsumers; consumer names are not secret).
            // A revocation changes only this parameter's value: no user data change, no replacement.
            const reaperNames = reaperParameterNames(args.secretParameterName);
            const cliPassword = new random.RandomPassword(`${name}-cli-password`, { length: 32, special: false }, parent);
            const cliParameter = new aws.ssm.Parameter(
                `${name}-cli-password-param`,
                { name: reaperNames.cliPassword, type: "SecureString", value: cliPassword.result, description: "turn-stack coturn admin CLI password (loopback only, root only)", tags: tags("cli-password") },
                parent,
            );
            const revocations = new aws.ssm.Parameter(
                `${name}-revoked-consumers-param`,
                {
                    name: reaperNames.revocations,
                    type: "String",
                    value: revocationsValue(cfg.revokedConsumers),
                    description: "turn-stack revoked consumers: JSON consumer name to until (unix seconds), set by npm run revoke",
                    tags: tags("revoked-consumers"),
                },
                parent,
            );
            const own = { arns: [parameter.arn, previous.arn, cliParameter.arn, revocations.arn], resources: [parameter, previous, cliParameter, revocations] as pulumi.Resource[] };
            const cert = args.fleet?.certificate;
            if (args.fleet?.cloudflareDnsToken && cert?.plugin === "cloudflare") {
                // A fleet's Cloudflare DNS-01 token (dns01.ts), read by certbot's plugin on each server of the region.
                const token = new aws.ssm.Parameter(
                    `${name}-cloudflare-token-param`,
                    { name: cert.tokenParameterName, type: "SecureString", value: args.fleet.cloudflareDnsToken, description: "turn-stack Cloudflare API token for DNS-01 certificates (Zone DNS Edit)", tags: tags("cloudflare-token") },
                    parent,
                );
                own.arns.push(token.arn);
                own.resources.push(token);
            }
            return own;
        };
        this.regionParameters = args.fleet?.regionParameters ?? ownParameters();

        // Instance role: Session Manager and its own parameters, nothing else.
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "turn-stack TURN server: SSM Session Manager, read its TURN secret",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags: tags("role"),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-role-policy`,
            {
                role: role.id,
                policy: pulumi.all([pulumi.all(this.regionParameters.arns), args.fleet?.roleStatements ?? []]).apply(([arns, extra]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Sid: "ReadTurnSecret", Effect: "Allow", Action: "ssm:GetParameter", Resource: arns },
                            {
                                // The Session Manager actions of AmazonSSMManagedInstanceCore, without its ssm:GetParameter(s) on "*".
                                Sid: "SessionManager",
                                Effect: "Allow",
                                Action: [
                                    "ssm:UpdateInstanceInformation",
                                    "ssmmessages:CreateControlChannel",
                                    "ssmmessages:CreateDataChannel",
                                    "ssmmessages:OpenControlChannel",
                                    "ssmmessages:OpenDataChannel",
                                    "ec2messages:AcknowledgeMessage",
                                    "ec2messages:DeleteMessage",
                                    "ec2messages:FailMessage",
                                    "ec2messages:GetEndpoint",
                                    "ec2messages:GetMessages",
                                    "ec2messages:SendReply",
                                ],
                                Resource: "*",
                            },
                            ...extra,
                        ],
                    }),
                ),
            },
            parent,
        );
        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags: tags("profile") }, parent);

        // The AMI: pinned by config, or the newest official AMI of turn:debianRelease for the architecture, kept in a
        // Stash (Pulumi's built-in resource whose output keeps the value it was created with: Pulumi docs, "Stash") named
        // per release and architecture. A newer Debian build then never replaces the server, while changing the release
        // (or the architecture) creates a new stash, so the instance is replaced onto that release's AMI. (ignoreChanges
        // could not do that: the engine substitutes the old value of an ignored input on a replacement too, Pulumi docs,
        // "ignoreChanges".) `pulumi up --replace <stash URN>` moves to the newest build.
        const ami =
            cfg.amiId ??
            new pulumi.Stash(
                `${name}-ami-debian-${cfg.debianRelease}-${cfg.arch}`,
                { input: aws.ec2.getAmiOutput({ owners: [DEBIAN_AMI_OWNER], mostRecent: true, filters: amiFilters(cfg.debianRelease, cfg.arch) }, parent).id },
                parent,
            ).output.apply((id) => id as string);

        const region = aws.getRegionOutput({}, parent).region;
        // A fleet's server is reached by its own name too (its certificate carries both).
        const host = tls ? pulumi.output(args.fleet?.hostname ?? cfg.domain!) : this.publicIp;
        this.host = host;
        const userData = pulumi.all([eip.publicIp, region]).apply(([publicIp, regionName]) =>
            renderUserData(cfg, { privateIp: this.privateIp, publicIp, region: regionName, secretParameterName: args.secretParameterName }, args.fleet?.certificate),
        );

        const instance = new aws.ec2.Instance(
            `${name}-instance`,
            {
                ami,
                instanceType: cfg.instanceType,
                iamInstanceProfile: profile.name,
                primaryNetworkInterface: { networkInterfaceId: eni.id },
                // gzip-compressed (cloud-init decompresses it): EC2's 16 KB limit applies to the compressed bytes.
                userDataBase64: userData.apply(packUserData),
                userDataReplaceOnChange: true,
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
                rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 8, deleteOnTermination: true },
                maintenanceOptions: { autoRecovery: "default" },
                tags: tags("instance"),
            },
            {
                parent: this,
                // The network interface (and so the Elastic IP) can attach to one instance at a time.
                deleteBeforeReplace: true,
                dependsOn: [...this.regionParameters.resources, rolePolicy, ...(args.fleet?.after ?? [])],
            },
        );
        this.instanceId = instance.id;

        new aws.cloudwatch.MetricAlarm(
            `${name}-recover`,
            {
                alarmDescription: "Recover the TURN server when EC2 reports a failed system status check",
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed_System",
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 2,
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                dimensions: { InstanceId: instance.id },
                // Standard partition only (aws-region.ts); throws for any other region.
                alarmActions: [region.apply(recoverActionArn)],
                tags: tags("recover"),
            },
            parent,
        );

        if (cfg.readinessCheck) {
            const tlsArgs = tls ? ` --servername ${cfg.domain}` : "";
            this.ready = new command.local.Command(
                `${name}-ready`,
                {
                    create: pulumi.interpolate`npx --no-install tsx ${PROBE_SCRIPT} --host ${eip.publicIp} --listeners ${probeListenerSpec(tls)}${tlsArgs} --attempts ${READINESS_ATTEMPTS} --interval-ms ${READINESS_INTERVAL_MS} --timeout-ms 5000`,
                    environment: { TURN_SHARED_SECRET: this.sharedSecret },
                    // Rerun when the instance is replaced.
                    triggers: [instance.id],
                    logging: "stderr",
                },
                { parent: this, dependsOn: [instance] },
            );
        }

        this.iceServers = host.apply((h) => buildIceServers(h, tls));
        this.registerOutputs({
            publicIp: this.publicIp,
            privateIp: this.privateIp,
            host: this.host,
            iceServers: this.iceServers,
            sharedSecret: this.sharedSecret,
            secretParameterName: this.secretParameterName,
            instanceId: this.instanceId,
        });
    }
}
