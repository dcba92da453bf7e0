/**
 * The documented constraints AWS and Cloudflare put on values turn-stack sends
 * them, as data and small pure checks. Pure: no `@pulumi/*` import, so the
 * validator (infra/config.ts) can take the same numbers, and tests can call
 * the checks directly. The policy pack (./aws.ts, ./cloudflare.ts) applies
 * them to every declared resource.
 *
 * Every check returns the problems it finds as sentences (empty: valid), each
 * naming the value and what is allowed. Lengths are counted in Unicode code
 * points unless the source says bytes. Where the validator already holds a
 * limit (infra/network.ts: security group text and rule quota), it is taken
 * from there, so each number lives in one place.
 */
import { SG_RULE_DESCRIPTION_CHARSET, SG_RULE_DESCRIPTION_MAX_LENGTH, SG_RULE_DESCRIPTION_SPECIALS, SG_RULES_PER_DIRECTION_QUOTA } from "../network";

/** Length of `s` in Unicode code points (AWS counts "Unicode characters"). */
export function chars(s: string): number {
    return [...s].length;
}

/** Length of `s` in UTF-8 bytes. */
export function utf8Bytes(s: string): number {
    return Buffer.byteLength(s, "utf8");
}

/** Quote a value for a message, shortened so a 16 KB value does not flood the output. */
export function show(v: unknown): string {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 80 ? `${s.slice(0, 77)}..."` : s;
}

// ---------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------

/**
 * Tag restrictions common to AWS services (e.g. AWS Batch User Guide, "Tag
 * restrictions"; IAM User Guide, "Tagging IAM resources"; EC2 User Guide, "Tag
 * restrictions"): at most 50 user tags per resource, key 1-128 and value 0-256
 * Unicode characters, the `aws:` prefix (any case) reserved for AWS, and the
 * characters allowed across services: letters, numbers, spaces representable
 * in UTF-8, and `+ - = . _ : / @`.
 */
export const AWS_TAGS = {
    maxTags: 50,
    maxKeyChars: 128,
    maxValueChars: 256,
    charset: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
    reservedPrefix: /^aws:/i,
} as const;

/** Problems with a resource's tags (see {@link AWS_TAGS}). */
export function tagProblems(tags: Record<string, unknown> | undefined): string[] {
    if (!tags) return [];
    const out: string[] = [];
    const keys = Object.keys(tags);
    if (keys.length > AWS_TAGS.maxTags) out.push(`${keys.length} tags: at most ${AWS_TAGS.maxTags} per resource`);
    for (const [k, v] of Object.entries(tags)) {
        if (chars(k) < 1 || chars(k) > AWS_TAGS.maxKeyChars) out.push(`tag key ${show(k)}: 1 to ${AWS_TAGS.maxKeyChars} characters`);
        if (!AWS_TAGS.charset.test(k)) out.push(`tag key ${show(k)}: only letters, numbers, spaces and + - = . _ : / @`);
        if (AWS_TAGS.reservedPrefix.test(k)) out.push(`tag key ${show(k)}: the aws: prefix is reserved for AWS`);
        if (typeof v !== "string") {
            out.push(`tag ${show(k)} = ${show(v)}: a value must be a string`);
            continue;
        }
        if (chars(v) > AWS_TAGS.maxValueChars) out.push(`tag ${show(k)} = ${show(v)}: at most ${AWS_TAGS.maxValueChars} characters`);
        if (!AWS_TAGS.charset.test(v)) out.push(`tag ${show(k)} = ${show(v)}: only letters, numbers, spaces and + - = . _ : / @`);
        if (AWS_TAGS.reservedPrefix.test(v)) out.push(`tag ${show(k)} = ${show(v)}: the aws: prefix is reserved for AWS`);
    }
    return out;
}

/**
 * With instance tags in metadata on, tag keys may hold only letters, digits and
 * `+ - = . , _ : @`, and cannot be `.`, `..` or `_index` (EC2 User Guide,
 * "View tags for your EC2 instances using instance metadata").
 */
export const EC2_METADATA_TAG_KEY = /^(?!\.{1,2}$)(?!_index$)[a-zA-Z0-9+\-=.,_:@]+$/;

// ---------------------------------------------------------------------------
// EC2 / VPC
// ---------------------------------------------------------------------------

/**
 * Security group names and descriptions, and security group rule descriptions
 * (EC2 API Reference, CreateSecurityGroup `GroupName`/`GroupDescription` and
 * IpRange `Description`): up to 255 characters of a-z, A-Z, 0-9, spaces and
 * `._-:/()#,@[]+=&;{}!$*`. A group name cannot start with `sg-`.
 */
export const EC2_SG_TEXT = {
    maxChars: SG_RULE_DESCRIPTION_MAX_LENGTH,
    charset: SG_RULE_DESCRIPTION_CHARSET,
    allowed: `a-z, A-Z, 0-9, spaces and ${SG_RULE_DESCRIPTION_SPECIALS}`,
} as const;

/** Problems with a security group (rule) name or description (see {@link EC2_SG_TEXT}). */
export function sgTextProblems(field: string, value: unknown): string[] {
    if (value === undefined || value === null) return [];
    if (typeof value !== "string") return [`${field} ${show(value)}: must be a string`];
    const out: string[] = [];
    if (value.length > EC2_SG_TEXT.maxChars) out.push(`${field} ${show(value)}: ${value.length} characters, at most ${EC2_SG_TEXT.maxChars}`);
    const bad = [...new Set([...value].filter((c) => !EC2_SG_TEXT.charset.test(c)))];
    if (bad.length > 0) out.push(`${field} ${show(value)}: ${bad.map((c) => JSON.stringify(c)).join(", ")} not allowed; EC2 allows ${EC2_SG_TEXT.allowed}`);
    return out;
}

/**
 * Default quota "Inbound or outbound rules per security group": 60, enforced
 * separately for inbound and outbound and for IPv4 and IPv6 (Amazon VPC User
 * Guide, "Amazon VPC quotas", Security groups). Adjustable in Service Quotas.
 */
export const SG_RULES_PER_DIRECTION = SG_RULES_PER_DIRECTION_QUOTA;

/** EC2 user data: at most 16 KB, in raw form, before base64 (EC2 User Guide, "Work with instance user data"). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/** IMDS options (EC2 API Reference, InstanceMetadataOptionsRequest): hop limit 1 to 64. */
export const IMDS_HOP_LIMIT = { min: 1, max: 64 } as const;

/** VPC and subnet IPv4 CIDR blocks: between /16 and /28 (Amazon VPC User Guide, "VPC CIDR blocks"). */
export const VPC_PREFIX = { min: 16, max: 28 } as const;

// ---------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------

/**
 * IAM names and descriptions (IAM API Reference: CreateRole `RoleName` 1-64,
 * PutRolePolicy `PolicyName` 1-128, CreateInstanceProfile
 * `InstanceProfileName` 1-128, all `[\w+=,.@-]+`; CreateRole `Description`
 * 0-1000 of `[\t\n\r\u0020-\u007E\u00A1-\u00FF]`; the provider's `namePrefix`
 * for a role is at most 38 characters (Pulumi AWS provider docs, iam.Role)).
 * Policy documents contain only tab, LF, CR and U+0020-U+00FF (IAM User Guide,
 * "IAM and AWS STS quotas").
 */
export const IAM = {
    nameCharset: /^[\w+=,.@-]+$/,
    roleNameMax: 64,
    roleNamePrefixMax: 38,
    policyNameMax: 128,
    instanceProfileNameMax: 128,
    descriptionMax: 1000,
    descriptionCharset: /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]*$/,
    documentCharset: /^[\t\n\r\u0020-\u00FF]*$/,
    /** Role trust policy length (IAM User Guide, "IAM and AWS STS quotas"; IAM does not count white space). */
    trustPolicyMax: 2048,
    /** Role policy size: the sum of a role's inline policies (same page; white space not counted). */
    roleInlinePoliciesMax: 10_240,
    /** `prefix:action`, prefix lowercase, wildcards allowed (IAM User Guide, "IAM JSON policy elements: Action"). */
    action: /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/,
    versions: ["2012-10-17", "2008-10-17"],
    effects: ["Allow", "Deny"],
} as const;

/** Problems with an IAM name (`what` names the kind, `max` its length limit). */
export function iamNameProblems(what: string, name: unknown, max: number): string[] {
    if (name === undefined || name === null) return [];
    if (typeof name !== "string") return [`${what} ${show(name)}: must be a string`];
    const out: string[] = [];
    if (name.length < 1 || name.length > max) out.push(`${what} ${show(name)}: 1 to ${max} characters`);
    if (!IAM.nameCharset.test(name)) out.push(`${what} ${show(name)}: only letters, digits and _+=,.@-`);
    return out;
}

/** Size IAM counts for a policy document: its JSON without white space outside strings. */
export function iamPolicySize(doc: string): number {
    try {
        return JSON.stringify(JSON.parse(doc)).length;
    } catch {
        return doc.replace(/\s/g, "").length;
    }
}

/**
 * Problems with an IAM policy document: JSON, allowed characters, `Version`,
 * each statement's `Effect`, and every `Action`/`NotAction` as `service:Action`
 * (IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM
 * JSON policy language").
 */
export function iamDocumentProblems(what: string, doc: unknown): string[] {
    if (doc === undefined || doc === null) return [];
    if (typeof doc !== "string") return [`${what}: must be a JSON string`];
    if (!IAM.documentCharset.test(doc)) return [`${what}: characters outside tab, LF, CR and U+0020-U+00FF`];
    let parsed: any;
    try {
        parsed = JSON.parse(doc);
    } catch (e) {
        return [`${what}: not JSON (${(e as Error).message})`];
    }
    const out: string[] = [];
    if (!(IAM.versions as readonly string[]).includes(parsed?.Version)) out.push(`${what}: Version ${show(parsed?.Version)} must be ${IAM.versions.join(" or ")}`);
    const statements = Array.isArray(parsed?.Statement) ? parsed.Statement : [parsed?.Statement];
    for (const [i, s] of statements.entries()) {
        if (!s || typeof s !== "object") {
            out.push(`${what}: Statement ${i} is not an object`);
            continue;
        }
        if (!(IAM.effects as readonly string[]).includes(s.Effect)) out.push(`${what}: Statement ${i} Effect ${show(s.Effect)} must be Allow or Deny`);
        const actions = [s.Action, s.NotAction].filter((a) => a !== undefined).flat();
        if (actions.length === 0) out.push(`${what}: Statement ${i} has no Action or NotAction`);
        for (const a of actions) {
            if (typeof a !== "string" || !IAM.action.test(a)) out.push(`${what}: action ${show(a)} is not service:Action (service prefix lowercase)`);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------
// SSM Parameter Store
// ---------------------------------------------------------------------------

/**
 * SSM parameters (SSM API Reference, PutParameter; Systems Manager User Guide,
 * "Parameter Store" naming and tiers): a fully qualified name of at most 1011
 * characters of `a-zA-Z0-9_.-` and `/`, no spaces, not prefixed with `aws` or
 * `ssm` (any case), a leading `/` when hierarchical, at most 15 levels; tier
 * Standard (value up to 4 KB), Advanced (8 KB) or Intelligent-Tiering;
 * description up to 1024 characters.
 */
export const SSM = {
    nameMax: 1011,
    nameCharset: /^[a-zA-Z0-9_.\-/]+$/,
    reservedPrefix: /^\/?(aws|ssm)/i,
    maxDepth: 15,
    tiers: { Standard: 4096, Advanced: 8192, "Intelligent-Tiering": 8192 } as Record<string, number>,
    types: ["String", "StringList", "SecureString"],
    descriptionMax: 1024,
} as const;

/** Problems with an SSM parameter name (see {@link SSM}). */
export function ssmNameProblems(name: unknown): string[] {
    if (name === undefined || name === null) return [];
    if (typeof name !== "string") return [`name ${show(name)}: must be a string`];
    const out: string[] = [];
    if (name.length < 1 || name.length > SSM.nameMax) out.push(`name ${show(name)}: ${name.length} characters, 1 to ${SSM.nameMax} allowed`);
    if (!SSM.nameCharset.test(name)) out.push(`name ${show(name)}: only a-zA-Z0-9_.- and / (no spaces)`);
    if (SSM.reservedPrefix.test(name)) out.push(`name ${show(name)}: cannot be prefixed with aws or ssm`);
    if (name.includes("/") && !name.startsWith("/")) out.push(`name ${show(name)}: a hierarchical name begins with /`);
    const depth = name.split("/").filter((p) => p !== "").length;
    if (depth > SSM.maxDepth) out.push(`name ${show(name)}: ${depth} levels, at most ${SSM.maxDepth}`);
    return out;
}

// ---------------------------------------------------------------------------
// CloudWatch
// ---------------------------------------------------------------------------

/**
 * PutMetricAlarm (CloudWatch API Reference): `AlarmName` 1-255 UTF-8
 * characters without ASCII control characters, `AlarmDescription` 0-1024,
 * at most 5 ARNs of 1-1024 characters in each of `AlarmActions`, `OKActions`,
 * `InsufficientDataActions`.
 */
export const CLOUDWATCH_ALARM = { nameMax: 255, descriptionMax: 1024, maxActions: 5, arnMax: 1024 } as const;

// ---------------------------------------------------------------------------
// Partitions
// ---------------------------------------------------------------------------

/**
 * AWS partitions and their Region codes. ARNs start `arn:<partition>:`: `aws`
 * for AWS Regions, `aws-cn` for China, `aws-us-gov` for GovCloud (US) (AWS
 * General Reference, "Amazon Resource Names (ARNs)"); the isolated partitions'
 * Region patterns as the AWS SDKs' partitions.json lists them.
 */
export const PARTITIONS: readonly { partition: string; regions: RegExp }[] = [
    { partition: "aws-us-gov", regions: /^us-gov-\w+-\d+$/ },
    { partition: "aws-cn", regions: /^cn-\w+-\d+$/ },
    { partition: "aws-iso", regions: /^us-iso-\w+-\d+$/ },
    { partition: "aws-iso-b", regions: /^us-isob-\w+-\d+$/ },
    { partition: "aws-iso-e", regions: /^eu-isoe-\w+-\d+$/ },
    { partition: "aws-iso-f", regions: /^us-isof-\w+-\d+$/ },
    { partition: "aws", regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
];

/** The partition of a Region code, or undefined when no partition has it. */
export function partitionOf(region: string): string | undefined {
    return PARTITIONS.find((p) => p.regions.test(region))?.partition;
}

/**
 * Problems with an ARN sent to AWS: its partition must be the one its Region
 * belongs to (and, when known, the Region must be the provider's).
 */
export function arnPartitionProblems(arn: unknown, providerRegion?: string): string[] {
    if (typeof arn !== "string") return [`ARN ${show(arn)}: must be a string`];
    const m = /^arn:([^:]+):([^:]+):([^:]*):/.exec(arn);
    if (!m) return [`ARN ${show(arn)}: not arn:<partition>:<service>:<region>:...`];
    const [, partition, , region] = m;
    const out: string[] = [];
    if (region) {
        const expected = partitionOf(region);
        if (!expected) out.push(`ARN ${show(arn)}: Region ${show(region)} is in no known partition`);
        else if (expected !== partition) out.push(`ARN ${show(arn)}: Region ${region} is in partition ${expected}, so the ARN must start arn:${expected}:`);
    }
    if (providerRegion) {
        if (region && region !== providerRegion) out.push(`ARN ${show(arn)}: Region ${region}, but the provider deploys to ${providerRegion}`);
        const expected = partitionOf(providerRegion);
        if (expected && expected !== partition) out.push(`ARN ${show(arn)}: the provider's Region ${providerRegion} is in partition ${expected}`);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Cloudflare
// ---------------------------------------------------------------------------

/**
 * DNS records (Cloudflare API, "Create DNS Record": `name` at most 255
 * characters, `ttl` 1 (automatic) or 60 to 86400 (30 on Enterprise zones),
 * `content` of an A record an IPv4 address; Cloudflare DNS docs, "Record
 * attributes": comments up to 100 characters on Free and Pro plans, 500 on
 * Business and Enterprise; "DNS record types": each label at most 63).
 * Identifiers (`zone_id`, `account_id`) are 32 characters (API: maxLength 32).
 */
export const CLOUDFLARE_DNS = {
    nameMax: 255,
    labelMax: 63,
    ttlAuto: 1,
    ttlMin: 60,
    ttlMax: 86_400,
    commentMax: 100,
    identifier: /^[0-9a-f]{32}$/,
} as const;

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: unknown): boolean {
    if (typeof s !== "string") return false;
    const parts = s.split(".");
    return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}
