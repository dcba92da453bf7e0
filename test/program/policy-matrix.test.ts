/**
 * The cloud contract over the real program: every resource the program
 * declares under Pulumi's mocks (test/helpers/dump-program.ts, one process per
 * config), across a matrix of configs, goes through every policy of
 * infra/policy, and no policy finds anything. A config the validator accepts
 * must pass every policy; when one does not, the validator or the program is
 * wrong, not the policy.
 *
 * The matrix: dev and prod; each mode with and without a domain; and the edges
 * the validator accepts, found by asking the validator itself
 * (infra/config.ts `parseTurnConfig`) rather than copying its limits here: the
 * longest realm, domain and email it accepts (up to a cap far beyond any AWS
 * limit, so an unbounded key shows up as a violation), the most client CIDRs,
 * the smallest and the largest relay range, and both architectures.
 *
 * test/helpers/policy-harness.ts stands in for the engine's analyzer (it says
 * what it does not cover), and fills in the names the AWS provider would
 * autoname, since the engine analyzes provider-checked inputs.
 */
import { test, expect } from "vitest";
import { parseTurnConfig } from "../../infra/config";
import { policies } from "../../infra/policy/policies";
import { programJsonAsync } from "../helpers/program-json";
import { stackConfig } from "../helpers/stack-config";
import { atPreview, runPolicy, withAutoname, withPropertyDependencies, type DeclaredResource, type Violation } from "../helpers/policy-harness";
import { MOCK_CF_KEY, MOCK_PUBLIC_IP } from "../helpers/mock-program";

type Overrides = Record<string, string>;

const ACCOUNT = "00112233445566778899aabbccddeeff";
const ZONE = "ffeeddccbbaa99887766554433221100";
const CLOUDFLARE: Overrides = { "turn:cloudflareAccountId": ACCOUNT, "cloudflare:apiToken": "token" };
/** Far beyond every AWS/Cloudflare limit a free-text value can reach: an unbounded key fails a policy. */
const TEXT_CAP = 20_000;
const CIDR_CAP = 500;

/** True when the validator accepts `stack`'s config with `overrides`. */
function accepts(stack: string, overrides: Overrides): boolean {
    try {
        parseTurnConfig({ ...stackConfig(stack), ...overrides }, {});
        return true;
    } catch {
        return false;
    }
}

/** Largest n in [lo, cap] for which `ok(n)` holds, assuming it holds for every smaller n from lo (binary search). */
function largest(lo: number, cap: number, ok: (n: number) => boolean): number {
    if (!ok(lo)) throw new Error(`the validator refuses even the smallest value (${lo})`);
    let [good, bad] = [lo, cap + 1];
    if (ok(cap)) return cap;
    while (bad - good > 1) {
        const mid = Math.floor((good + bad) / 2);
        if (ok(mid)) good = mid;
        else bad = mid;
    }
    return good;
}

/** A host name of exactly `n` characters: 62-character labels, then `.com`. */
function hostname(n: number): string {
    const body = Array.from({ length: Math.ceil(n / 63) + 1 }, () => "a".repeat(62)).join(".").slice(0, n - 4);
    return `${body.endsWith(".") ? `${body.slice(0, -1)}b` : body}.com`;
}

/** `n` distinct public /32 CIDRs (documentation and benchmarking-free public space). */
function cidrs(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `198.${51 + (i >> 8)}.${i & 255}.255/32`);
}

// The validator's edges, measured on prod with a domain (TLS: the most rules and the longest user data).
const realmMax = largest(1, TEXT_CAP, (n) => accepts("prod", { "turn:realm": "r".repeat(n) }));
// With prod's explicit realm: an empty realm defaults to the domain, which would bound the domain by the realm's limit.
const domainMax = largest(8, TEXT_CAP, (n) => accepts("prod", { "turn:domain": hostname(n) }));
const emailMax = largest(14, TEXT_CAP, (n) => accepts("prod", { "turn:acmeEmail": `${"e".repeat(n - 12)}@example.com` }));
const cidrMaxTls = largest(1, CIDR_CAP, (n) => accepts("prod", { "turn:clientCidrs": JSON.stringify(cidrs(n)) }));
const cidrMaxPlain = largest(1, CIDR_CAP, (n) => accepts("dev", { "turn:clientCidrs": JSON.stringify(cidrs(n)) }));
/** A raised quota (an account that asked AWS for more), declared in the stack as the validator asks. */
const RAISED: Overrides = { "turn:securityGroupRuleQuota": "200" };
const cidrMaxRaised = largest(1, CIDR_CAP, (n) => accepts("prod", { ...RAISED, "turn:clientCidrs": JSON.stringify(cidrs(n)) }));

/** Relay range overrides, with the quotas the range can hold. */
const relay = (min: number, max: number): Overrides => {
    const size = max - min + 1;
    return { "turn:relayMinPort": String(min), "turn:relayMaxPort": String(max), "turn:totalQuota": String(Math.min(size, 8000)), "turn:userQuota": String(Math.min(size, 10)) };
};
// Smallest: the fewest ports the validator accepts, at the top of the port space.
const smallestSize = Array.from({ length: 4096 }, (_, i) => i + 1).find((size) => accepts("prod", relay(65536 - size, 65535)));
// Largest: the lowest first port the validator accepts with the range ending at 65535.
const largestMin = Array.from({ length: 65535 - 1024 }, (_, i) => i + 1).find((min) => accepts("prod", relay(min, 65535)));

/** A fleet's server names sit below the domain (infra/fleet.ts): its longest domain is shorter. */
const FLEET_CF: Overrides = { "turn:serversPerRegion": "3", "turn:cloudflareZoneId": ZONE, "turn:cloudflareDnsToken": "abcdefghijklmnopqrstuvwxyz0123456789_-AB" };
const fleetDomainMax = largest(8, TEXT_CAP, (n) => accepts("prod", { ...FLEET_CF, "turn:domain": hostname(n) }));

const longestText: Overrides = {
    "turn:domain": hostname(domainMax),
    "turn:realm": "r".repeat(realmMax),
    "turn:acmeEmail": `${"e".repeat(emailMax - 12)}@example.com`,
};

const matrix: [string, string, Overrides][] = [];
for (const stack of ["dev", "prod"]) {
    const noDomain: Overrides = { "turn:domain": "", "turn:realm": `${stack}.turn-stack` };
    const domain: Overrides = { "turn:domain": "turn.example.com" };
    matrix.push(
        [`${stack}, self-hosted, no domain`, stack, { ...noDomain }],
        [`${stack}, self-hosted, domain with a Cloudflare DNS record`, stack, { ...domain, "turn:cloudflareZoneId": ZONE }],
        [`${stack}, cloudflare, no domain`, stack, { ...noDomain, ...CLOUDFLARE, "turn:mode": "cloudflare" }],
        [`${stack}, cloudflare, domain`, stack, { ...domain, ...CLOUDFLARE, "turn:mode": "cloudflare" }],
        [`${stack}, both, no domain`, stack, { ...noDomain, ...CLOUDFLARE, "turn:mode": "both" }],
        [`${stack}, both, domain with a Cloudflare DNS record`, stack, { ...domain, ...CLOUDFLARE, "turn:mode": "both", "turn:cloudflareZoneId": ZONE }],
    );
}
matrix.push(
    [`longest realm (${realmMax} characters)`, "prod", { "turn:realm": "r".repeat(realmMax) }],
    [`longest domain (${domainMax}) and email (${emailMax}), both mode with DNS record`, "prod", { ...longestText, "turn:realm": "turn.example.com", ...CLOUDFLARE, "turn:mode": "both", "turn:cloudflareZoneId": ZONE }],
    [`longest domain that is also the realm (${realmMax})`, "prod", { "turn:domain": hostname(realmMax), "turn:realm": "" }],
    [`most client CIDRs with a domain (${cidrMaxTls})`, "prod", { "turn:clientCidrs": JSON.stringify(cidrs(cidrMaxTls)) }],
    [`most client CIDRs without a domain (${cidrMaxPlain})`, "dev", { "turn:clientCidrs": JSON.stringify(cidrs(cidrMaxPlain)) }],
    [`most client CIDRs with a raised quota of 200 rules (${cidrMaxRaised})`, "prod", { ...RAISED, "turn:clientCidrs": JSON.stringify(cidrs(cidrMaxRaised)) }],
    [`smallest relay range (${smallestSize} ports)`, "prod", relay(65536 - (smallestSize ?? 0), 65535)],
    [`largest relay range (${largestMin}-65535)`, "prod", relay(largestMin ?? 0, 65535)],
    ["amd64: c7i.large", "prod", { "turn:instanceType": "c7i.large" }],
    ["amd64: m7i.xlarge, no domain", "dev", { "turn:instanceType": "m7i.xlarge" }],
    ["arm64: t4g.small with a domain", "prod", { "turn:instanceType": "t4g.small" }],
    ["monitoring: alarm email, AWS Budgets egress budget, largest egress budget", "prod", { "turn:alarmEmail": "ops@example.com", "turn:egressCostBudget": "true", "turn:monthlyEgressBudgetGb": "10000000" }],
    ["monitoring: canary every minute, no domain", "dev", { "turn:canaryScheduleMinutes": "1" }],
    // Fleets (issue 16): Route 53 and Cloudflare DNS, every server of each region, the DNS-01 rights.
    ["fleet: 2 regions × 2 servers, Route 53", "prod", { "turn:regions": '["eu-west-1","us-east-1"]', "turn:serversPerRegion": "2", "turn:route53ZoneId": "Z0123456789ABCDEFGHIJ" }],
    ["fleet: 3 regions × 3 servers, Route 53, both mode, amd64", "prod", { "turn:regions": '["eu-west-1","ap-southeast-7","us-east-1"]', "turn:serversPerRegion": "3", "turn:route53ZoneId": "Z0123456789ABCDEFGHIJ", ...CLOUDFLARE, "turn:mode": "both", "turn:instanceType": "c7i.large" }],
    [`fleet: 1 region × 3 servers, Cloudflare DNS, longest domain (${fleetDomainMax}), realm and email`, "prod", { ...longestText, ...FLEET_CF, "turn:domain": hostname(fleetDomainMax) }],
    ["one server with Route 53", "prod", { "turn:route53ZoneId": "Z0123456789ABCDEFGHIJ" }],
    [
        "every edge at once: longest texts, most CIDRs, largest relay range, amd64, both mode with DNS record",
        "prod",
        { ...longestText, "turn:clientCidrs": JSON.stringify(cidrs(cidrMaxTls)), ...relay(largestMin ?? 0, 65535), "turn:instanceType": "c7i.large", ...CLOUDFLARE, "turn:mode": "both", "turn:cloudflareZoneId": ZONE },
    ],
);

/** Per policy, how many resources (or stacks) it applied to across the matrix. */
const applied = new Map<string, number>(policies.map((p) => [p.name, 0]));
/** The resources of the fullest config (VM, key and DNS record), kept for the control below. */
let fullest: DeclaredResource[] = [];

test("the matrix is made of configs the validator accepts, and its edges were found", () => {
    expect(smallestSize, "some small relay range is accepted").toBeDefined();
    expect(largestMin, "some large relay range is accepted").toBeDefined();
    for (const [name, stack, overrides] of matrix) expect(accepts(stack, overrides), name).toBe(true);
});

test.concurrent.each(matrix)("%s: every declared resource passes every policy", async (name, stack, overrides) => {
    const { resources } = await programJsonAsync(stack, overrides);
    const declared = withPropertyDependencies(resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map(withAutoname));
    expect(declared.length).toBeGreaterThan(0);
    if (name.startsWith("prod, both, domain")) fullest = declared;
    const violations: Violation[] = [];
    for (const p of policies) {
        const result = await runPolicy(p, declared, { ...stackConfig(stack), ...overrides });
        violations.push(...result.violations);
        applied.set(p.name, applied.get(p.name)! + result.applied);
    }
    expect(violations.map((v) => `${v.policy} on ${v.urn.split("::").pop()}: ${v.message}`)).toEqual([]);
});

test("across the matrix every policy applied to something the program declares", () => {
    for (const [name, count] of applied) expect(count, name).toBeGreaterThan(0);
});

test("control: the same check finds the descriptions EC2 refused (issue 10, item 1) in the program's own resources", async () => {
    expect(fullest.length).toBeGreaterThan(0);
    const refused = "AWS APIs, Let's Encrypt, packages (HTTPS)";
    const mutated = fullest.map((r) => (r.type.startsWith("aws:vpc/securityGroupEgressRule") ? { ...r, inputs: { ...r.inputs, description: refused } } : r));
    const found = (await Promise.all(policies.map((p) => runPolicy(p, mutated)))).flatMap((x) => x.violations);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.policy === "ec2-security-group-rule-description" && /"'" not allowed/.test(v.message))).toBe(true);
});

test("at preview (values from other resources not known yet), the rule checks still run and still catch a group over its quota", async () => {
    expect(fullest.length).toBeGreaterThan(0);
    // What the mocks answer for other resources' outputs: ids, ARNs, the Elastic IP, the secret, the key's output.
    const markers = [...fullest.map((r) => `${r.name}-id`), "arn:aws:mock:", MOCK_PUBLIC_IP, "mock-shared-secret", MOCK_CF_KEY];
    const preview = atPreview(fullest, markers);
    const notRun = new Set<string>();
    for (const p of policies) {
        const result = await runPolicy(p, preview);
        expect(result.violations, p.name).toEqual([]);
        if (result.unknown.length > 0) notRun.add(p.name);
    }
    // These read values only `pulumi up` knows (user data carries the Elastic IP; the role policy the parameter's ARN); up runs them.
    expect([...notRun].sort()).toEqual(["ec2-user-data-size", "iam-policy-document", "iam-role-inline-policy-size"]);
    // The quota check groups rules by the group's URN (property dependencies), so it runs at preview, when it can still stop the update.
    const ingress = preview.filter((r) => r.type.startsWith("aws:vpc/securityGroupIngressRule"));
    // Copies of one declared rule (same group) until the group holds 61 inbound rules.
    const extra = Array.from({ length: 61 - ingress.length }, (_, i) => ({ ...ingress[0], name: `${ingress[0].name}-extra-${i}` }));
    const quota = policies.find((p) => p.name === "ec2-security-group-rules-per-group")!;
    const over = await runPolicy(quota, [...preview, ...extra]);
    expect(over.unknown).toEqual([]);
    expect(over.violations.map((v) => v.message).join()).toMatch(/security group urn:pulumi:test::turn::aws:ec2\/securityGroup:SecurityGroup::turn-sg has 61 inbound IPv4 rules; the quota is 60/);
});
