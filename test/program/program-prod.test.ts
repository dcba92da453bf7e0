/**
 * The real program on the real Pulumi.prod.yaml, under Pulumi's mocks
 * (setMocks, then import infra/index.ts): the resource graph, key properties
 * and that secrets stay secret. The mocks stand in for AWS; no CLI or account.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, MOCK_AMI, MOCK_PUBLIC_IP, type MockedResource } from "../helpers/mock-program";

/** Pulumi's marker for a secret value in serialized inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
let resources: MockedResource[];
let outputs: Record<string, any>;
beforeAll(async () => {
    ({ resources, outputs } = await runProgram("prod"));
});

const byType = (t: string) => resources.filter((r) => r.type === t);
/** The one resource of type `t` of the server (the component itself or its child `turn-*`); the canary and monitoring components have roles and alarms of their own (their tests). */
const one = (t: string) => {
    const all = byType(t).filter((r) => r.type === "turn:aws:TurnServer" || r.parent === "turn");
    assert.equal(all.length, 1, `exactly one ${t} of the server`);
    return all[0];
};

test("declares the component and its children, all named turn-* under it", () => {
    one("turn:aws:TurnServer");
    for (const t of [
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/networkInterface:NetworkInterface", "aws:ec2/eip:Eip",
        "aws:ec2/instance:Instance", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/instanceProfile:InstanceProfile",
    ]) {
        const r = one(t);
        assert.match(r.name, /^turn-/, t);
        assert.equal(r.parent, "turn", `${t} is a child of the component`);
    }
    // The server's own alarm is the system-status recovery; the others belong to turn:aws:Monitoring (test/program/monitoring.test.ts).
    assert.deepEqual(byType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((r) => r.parent === "turn").map((r) => r.name), ["turn-recover"]);
    // Two generated passwords: the TURN secret (the same resource as before rotation existed) and coturn's admin CLI password (reaper.ts).
    assert.deepEqual(byType("random:index/randomPassword:RandomPassword").map((r) => [r.name, r.parent]).sort(), [["turn-cli-password", "turn"], ["turn-secret", "turn"]]);
    // Four SSM parameters: the current secret (the same resource as before rotation existed), the previous one (rotation.ts),
    // the CLI password and the revocation list (reaper.ts).
    assert.deepEqual(byType("aws:ssm/parameter:Parameter").map((r) => [r.name, r.parent]).sort(), [
        ["turn-cli-password-param", "turn"],
        ["turn-previous-secret-param", "turn"],
        ["turn-revoked-consumers-param", "turn"],
        ["turn-secret-param", "turn"],
    ]);
});

test("security group: one described ingress rule per TURN port and the relay range, from clientCidrs; explicit egress", () => {
    const ingress = byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
    const has = (proto: string, from: number, to: number) =>
        ingress.some((i) => i.ipProtocol === proto && i.fromPort === from && i.toPort === to && i.cidrIpv4 === "0.0.0.0/0" && i.description);
    assert.ok(has("udp", 3478, 3478), "TURN/UDP 3478");
    assert.ok(has("tcp", 3478, 3478), "TURN/TCP 3478");
    assert.ok(has("tcp", 5349, 5349), "TURNS 5349");
    assert.ok(has("tcp", 443, 443), "TURNS 443");
    assert.ok(has("udp", 49152, 65535), "relay range");
    assert.ok(has("tcp", 80, 80), "ACME HTTP-01 (prod has a domain)");
    assert.equal(ingress.length, 6);
    assert.ok(!ingress.some((i) => i.fromPort <= 22 && i.toPort >= 22), "no SSH");
    const egress = byType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs);
    assert.ok(egress.length > 0 && egress.every((e) => e.description));
    assert.ok(!egress.some((e) => e.ipProtocol === "-1"), "no allow-all egress");
});

test("instance: Debian AMI, prod type, IMDSv2 with hop limit 1, encrypted root, no key pair, ENI, replace on user data change", () => {
    const i = one("aws:ec2/instance:Instance");
    assert.equal(i.inputs.ami, MOCK_AMI);
    assert.equal(i.inputs.instanceType, "c7gn.large");
    assert.deepEqual(
        { tokens: i.inputs.metadataOptions.httpTokens, hop: i.inputs.metadataOptions.httpPutResponseHopLimit },
        { tokens: "required", hop: 1 },
    );
    assert.equal(i.inputs.rootBlockDevice.encrypted, true);
    assert.equal(i.inputs.keyName, undefined);
    assert.equal(i.inputs.userDataReplaceOnChange, true);
    assert.equal(i.inputs.primaryNetworkInterface.networkInterfaceId, "turn-eni-id");
    assert.equal(i.inputs.iamInstanceProfile, "turn-profile");
    assert.equal(i.inputs.maintenanceOptions.autoRecovery, "default");
    assert.equal(i.deleteBeforeReplace, true, "the ENI (and its address) moves to the replacement");
    // A newer Debian build does not replace the server: the AMI comes from a Stash per release (test/program/debian-release.test.ts).
    assert.deepEqual(i.ignoreChanges, [], "the instance ignores no input: its AMI is the stash's, so a release change replaces it onto the new AMI");
});

test("Elastic IP sits on the ENI with the fixed private IP and is protected in prod", () => {
    const eni = one("aws:ec2/networkInterface:NetworkInterface");
    assert.deepEqual(eni.inputs.privateIps, ["10.73.0.10"]);
    const eip = one("aws:ec2/eip:Eip");
    assert.equal(eip.inputs.domain, "vpc");
    assert.equal(eip.inputs.networkInterface, "turn-eni-id");
    assert.equal(eip.inputs.associateWithPrivateIp, "10.73.0.10");
    assert.equal(eip.protect, true);
});

test("the instance role reads only its own four parameters (current and previous secret, CLI password, revocations) and has no ssm:GetParameter on *", () => {
    const policy = JSON.parse(one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const named = (n: string) => byType("aws:ssm/parameter:Parameter").find((r) => r.name === n)!;
    const [param, previous, cli, revoked] = [named("turn-secret-param"), named("turn-previous-secret-param"), named("turn-cli-password-param"), named("turn-revoked-consumers-param")];
    assert.deepEqual([param.inputs.type, previous.inputs.type, cli.inputs.type, revoked.inputs.type], ["SecureString", "SecureString", "SecureString", "String"]);
    assert.equal(param.inputs.name, "/turn-stack/turn/prod/static-auth-secret");
    assert.equal(previous.inputs.name, "/turn-stack/turn/prod/previous-auth-secret");
    assert.equal(cli.inputs.name, "/turn-stack/turn/prod/cli-password");
    assert.equal(revoked.inputs.name, "/turn-stack/turn/prod/revoked-consumers");
    // The provider marks every parameter value secret; the list itself is plain JSON.
    assert.equal(revoked.inputs.value?.value ?? revoked.inputs.value, "{}", "no revocations in prod's config");
    let reads = 0;
    for (const s of policy.Statement) {
        const actions = [s.Action].flat();
        if (actions.some((a: string) => a.startsWith("ssm:GetParameter"))) {
            reads++;
            assert.equal(s.Resource.length, 4);
            assert.match(s.Resource[0], /turn-secret-param/);
            assert.match(s.Resource[1], /turn-previous-secret-param/);
            assert.match(s.Resource[2], /turn-cli-password-param/);
            assert.match(s.Resource[3], /turn-revoked-consumers-param/);
        }
    }
    assert.equal(reads, 1);
    assert.ok(byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length === 0, "no managed policy with GetParameter on *");
});

test("the shared secret is a Pulumi secret and appears in no resource input but the SSM parameter's value", async () => {
    assert.equal(await pulumi.isSecret(outputs.sharedSecret), true);
    assert.equal(await pulumi.isSecret(outputs.iceServers), false);
    const secret = outputs.__values.sharedSecret as string;
    for (const r of resources) {
        if (r.type === "aws:ssm/parameter:Parameter" || r.type.startsWith("pulumi:")) continue;
        if (r.name === "turn-ready") {
            // The readiness probe mints credentials from the secret: it gets it as a secret environment.
            assert.equal(r.inputs.environment[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270");
            assert.ok(!JSON.stringify(r.inputs.create).includes(secret), "not on the command line");
            continue;
        }
        assert.ok(!JSON.stringify(r.inputs).includes(secret), `${r.type} ${r.name} carries the secret`);
    }
});

test("outputs: public IP, hostname, ICE servers without credentials (UDP first, TLS on 5349 and 443), realm, TTL", () => {
    const v = outputs.__values;
    assert.equal(v.publicIp, MOCK_PUBLIC_IP);
    assert.equal(v.hostname, "turn.example.com");
    assert.equal(v.realm, "turn.example.com");
    assert.equal(v.credentialTtlSeconds, 3600);
    assert.deepEqual(v.iceServers, [
        {
            urls: [
                "turn:turn.example.com:3478?transport=udp",
                "turn:turn.example.com:3478?transport=tcp",
                "turns:turn.example.com:5349?transport=tcp",
                "turns:turn.example.com:443?transport=tcp",
            ],
        },
    ]);
});

test("readiness gate: probes every listener on the Elastic IP after the instance, reruns on replacement", () => {
    const gate = resources.find((r) => r.type === "command:local:Command" && r.name === "turn-ready");
    assert.ok(gate, "a readiness command");
    assert.equal(gate.parent, "turn");
    assert.equal(
        gate.inputs.create,
        `npx --no-install tsx scripts/probe.ts --host ${MOCK_PUBLIC_IP} --listeners udp:3478,tcp:3478,tls:5349,tls:443 --servername turn.example.com --attempts 90 --interval-ms 10000 --timeout-ms 5000`,
    );
    assert.deepEqual(gate.inputs.triggers, ["turn-instance-id"]);
    assert.equal(gate.inputs.environment.value.TURN_SHARED_SECRET, outputs.__values.sharedSecret);
});
