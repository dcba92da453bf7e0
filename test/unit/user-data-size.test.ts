/**
 * EC2 user data is limited to 16 KB, raw, before base64 (EC2 User Guide, "Work with instance user data").
 * Measured, not estimated: render the user data with the real renderers (infra/user-data.ts, which the
 * TurnServer component calls) for the longest value the validator accepts for every key that reaches it.
 */
import { test, expect } from "vitest";
import fc from "fast-check";
import { MAX_PULUMI_NAME_LENGTH, MAX_REALM_LENGTH, parseTurnConfig, secretParameterNameFor, type TurnConfig } from "../../infra/config";
import { packUserData, renderCloudInit, USER_DATA_MAX_BYTES } from "../../infra/cloud-init";
import { createHash } from "node:crypto";
import { renderUserData } from "../../infra/user-data";
import { serverPrivateIp } from "../../infra/network";
import { MAX_REGION_LENGTH } from "../../infra/aws-region";
import { PortRange } from "../../infra/port-range";
import { stackConfig } from "../helpers/stack-config";

/** The longest DNS name: 253 characters, labels of 63 (RFC 1035 §2.3.4). */
const LONGEST_DOMAIN = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
/** The longest email address: 64 before the @, 254 in all (RFC 5321 §4.5.3.1). */
const LONGEST_EMAIL = `${"e".repeat(64)}@${"f".repeat(63)}.${"g".repeat(63)}.${"h".repeat(61)}`;
/** The longest region name the validator accepts. */
const LONGEST_REGION = `ap-${"x".repeat(16)}-99`;
/** Longest IPv4 addresses in dotted form; the private one is the server's address in the last /28 of 192.168/16. */
const VPC_CIDR = "192.168.255.240/28";
const LONGEST_PUBLIC_IP = "223.255.255.255";
/** The longest 127-character realms, from characters YAML might quote or escape. */
const REALMS = ["~", '"', "\\", "'", "#", ":", "%", "z"].map((c) => c.repeat(MAX_REALM_LENGTH));

function longestConfig(o: { realm: string; tls: boolean; instanceType: string }): TurnConfig {
    return parseTurnConfig(
        {
            "aws:region": LONGEST_REGION,
            "turn:realm": o.realm,
            ...(o.tls ? { "turn:domain": LONGEST_DOMAIN, "turn:acmeEmail": LONGEST_EMAIL } : {}),
            "turn:instanceType": o.instanceType,
            "turn:vpcCidr": VPC_CIDR,
            // 5-digit ports everywhere, and the largest quotas (each at most the relay range size).
            "turn:relayMinPort": "10000",
            "turn:relayMaxPort": "65535",
            "turn:userQuota": "55536",
            "turn:totalQuota": "55536",
            // Client CIDRs are not in the user data (security group only), but the most that fit are set anyway.
            "turn:clientCidrs": JSON.stringify(Array.from({ length: o.tls ? 11 : 15 }, (_, i) => `198.51.${i}.0/24`)),
        },
        {},
    );
}

/** Bytes EC2 counts: the user data as the instance gets it, gzip-compressed (packUserData), before base64. */
const sentBytes = (userData: string) => Buffer.from(packUserData(userData), "base64").length;

function longestUserData(cfg: TurnConfig): string {
    return renderUserData(cfg, {
        privateIp: serverPrivateIp(cfg.vpcCidr),
        publicIp: LONGEST_PUBLIC_IP,
        region: LONGEST_REGION,
        secretParameterName: secretParameterNameFor("p".repeat(MAX_PULUMI_NAME_LENGTH), "s".repeat(MAX_PULUMI_NAME_LENGTH)),
    });
}

test("the inputs really are the longest accepted", () => {
    expect(LONGEST_DOMAIN).toHaveLength(253);
    expect(LONGEST_EMAIL).toHaveLength(254);
    expect(LONGEST_REGION).toHaveLength(MAX_REGION_LENGTH);
    expect(serverPrivateIp(VPC_CIDR)).toBe("192.168.255.250");
    const cfg = longestConfig({ realm: REALMS[0], tls: true, instanceType: "c7gn.large" });
    expect(cfg.domain).toBe(LONGEST_DOMAIN);
    expect(cfg.acmeEmail).toBe(LONGEST_EMAIL);
    // One character more is refused for each free-text key that reaches the user data.
    expect(() => parseTurnConfig({ "turn:realm": "~".repeat(MAX_REALM_LENGTH + 1) }, {})).toThrow(/turn:realm/);
    expect(() => parseTurnConfig({ "turn:domain": `${LONGEST_DOMAIN}x` }, {})).toThrow(/turn:domain/);
    expect(() => parseTurnConfig({ "turn:domain": "turn.example.com", "turn:acmeEmail": `${LONGEST_EMAIL}x` }, {})).toThrow(/turn:acmeEmail/);
    expect(() => parseTurnConfig({ "aws:region": `ap-${"x".repeat(17)}-99` }, {})).toThrow(/aws:region/);
});

for (const tls of [true, false]) {
    for (const instanceType of ["c7gn.large", "c7i-flex.large"]) {
        test(`user data for the longest accepted values fits in 16 KB (${tls ? "TLS, longest domain and email" : "no domain"}, ${instanceType})`, () => {
            const sizes = REALMS.map((realm) => {
                const cfg = longestConfig({ realm, tls, instanceType });
                expect(cfg.arch).toBe(instanceType.startsWith("c7gn") ? "arm64" : "amd64");
                const text = longestUserData(cfg);
                return [sentBytes(text), Buffer.byteLength(text, "utf8")];
            });
            const largest = Math.max(...sizes.map(([sent]) => sent));
            expect(largest).toBeLessThanOrEqual(USER_DATA_MAX_BYTES);
            console.log(`largest user data (${tls ? "TLS" : "no TLS"}, ${instanceType}): ${largest} bytes gzip-compressed of ${USER_DATA_MAX_BYTES} (raw up to ${Math.max(...sizes.map(([, raw]) => raw))})`);
        });
    }
}

test("property: any realm of 127 printable characters, with the longest everything else, fits", () => {
    fc.assert(
        fc.property(fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: MAX_REALM_LENGTH, maxLength: MAX_REALM_LENGTH }), (realm) => {
            expect(sentBytes(longestUserData(longestConfig({ realm, tls: true, instanceType: "c7gn.large" })))).toBeLessThanOrEqual(USER_DATA_MAX_BYTES);
        }),
        { numRuns: 50 },
    );
});

test("prod's user data still has its headroom (and the renderer refuses more than 16 KB)", () => {
    const prod = parseTurnConfig(stackConfig("prod"), {});
    const text = renderUserData(prod, { privateIp: "10.73.0.10", publicIp: "203.0.113.10", region: "eu-west-1", secretParameterName: secretParameterNameFor("turn", "prod") });
    // The instance gets it gzip-compressed: 17.5 KB raw (with rotation's secret sync and the session reaper) is about 5.9 KB sent.
    expect(sentBytes(text)).toBeLessThan(8 * 1024);
    console.log(`prod's user data: ${Buffer.byteLength(text)} bytes raw, ${sentBytes(text)} gzip-compressed`);
    // 8d09650 accepted any length of acmeEmail; 4 KB of it made prod's user data 17.5 KB. Now the renderer itself says no,
    // for what does not fit compressed: 24 KB of hash output (it does not compress below 16 KB).
    const incompressible = Array.from({ length: 750 }, (_, i) => createHash("sha256").update(String(i)).digest("base64url")).join("");
    expect(() =>
        renderCloudInit({
            turnserverConf: "# x\nrealm=x\n",
            region: "eu-west-1",
            secretParameterName: "/p",
            arch: "arm64",
            relayPortRange: PortRange.of(49152, 65535),
            domain: "turn.example.com",
            acmeEmail: `${incompressible}@example.com`,
        }),
    ).toThrow(/gzip-compressed .*EC2 takes at most 16384/);
});
