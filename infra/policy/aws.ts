/**
 * AWS half of turn-stack's cloud contract: one CrossGuard policy per documented
 * constraint on a value the program sends to AWS. The numbers and checks live
 * in ./limits.ts with their sources; each policy's description names the page.
 *
 * Resource policies see a resource's inputs as the engine will send them (at
 * `pulumi preview` some are not known yet; @pulumi/policy then reports the
 * policy as not run, and `pulumi up` runs it before the resource is created).
 * Stack policies count across resources (rules per security group).
 */
import * as aws from "@pulumi/aws";
import {
    validateResourceOfType,
    type PolicyResource,
    type ReportViolation,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
} from "@pulumi/policy";
import {
    CLOUDWATCH_ALARM,
    EC2_METADATA_TAG_KEY,
    IAM,
    IMDS_HOP_LIMIT,
    SG_RULES_PER_DIRECTION,
    SSM,
    USER_DATA_MAX_BYTES,
    VPC_PREFIX,
    arnPartitionProblems,
    chars,
    iamDocumentProblems,
    iamNameProblems,
    iamPolicySize,
    sgTextProblems,
    show,
    ssmNameProblems,
    tagProblems,
    utf8Bytes,
} from "./limits";
import { unlessUnknown } from "./unknown";

const mandatory = "mandatory" as const;

/** Report every problem in `problems`. */
function reportAll(report: ReportViolation, problems: string[], urn?: string): void {
    for (const p of problems) report(p, urn);
}

/** Tags on every AWS resource. */
export const awsTags: ResourceValidationPolicy = {
    name: "aws-tags",
    description:
        "AWS tags: at most 50 per resource, keys 1-128 and values 0-256 characters, letters, numbers, spaces and + - = . _ : / @ only, no aws: prefix " +
        "(AWS Batch User Guide and EC2 User Guide, 'Tag restrictions'; IAM User Guide, 'Tagging IAM resources').",
    enforcementLevel: mandatory,
    validateResource: (args, report) => {
        if (!args.type.startsWith("aws:")) args.notApplicable("not an AWS resource");
        reportAll(report, tagProblems(args.props.tags));
    },
};

/** Security group name and description. */
export const securityGroupText: ResourceValidationPolicy = {
    name: "ec2-security-group-name-description",
    description:
        "Security group name and description: up to 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, name not starting with sg- " +
        "(EC2 API Reference, CreateSecurityGroup GroupName and GroupDescription).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.ec2.SecurityGroup, (sg, _args, report) => {
        reportAll(report, [...sgTextProblems("name", sg.name), ...sgTextProblems("namePrefix", sg.namePrefix), ...sgTextProblems("description", sg.description)]);
        if (typeof sg.name === "string" && /^sg-/i.test(sg.name)) report(`name ${show(sg.name)}: cannot start with sg-`);
        const inline = [...unlessUnknown(() => sg.ingress ?? [], []), ...unlessUnknown(() => sg.egress ?? [], [])];
        for (const rule of inline) reportAll(report, sgTextProblems("inline rule description", rule.description));
    }),
};

/** Security group rule descriptions. */
export const securityGroupRuleDescription: ResourceValidationPolicy = {
    name: "ec2-security-group-rule-description",
    description:
        "Security group rule description: up to 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* " +
        "(EC2 API Reference, IpRange Description; AuthorizeSecurityGroupIngress/Egress answer InvalidParameterValue otherwise).",
    enforcementLevel: mandatory,
    validateResource: [
        validateResourceOfType(aws.vpc.SecurityGroupIngressRule, (r, _a, report) => reportAll(report, sgTextProblems("description", r.description))),
        validateResourceOfType(aws.vpc.SecurityGroupEgressRule, (r, _a, report) => reportAll(report, sgTextProblems("description", r.description))),
        validateResourceOfType(aws.ec2.SecurityGroupRule, (r, _a, report) => reportAll(report, sgTextProblems("description", r.description))),
    ],
};

/** Ports and protocol of a security group rule. */
export const securityGroupRulePorts: ResourceValidationPolicy = {
    name: "ec2-security-group-rule-ports",
    description:
        "Security group rule ports: for tcp and udp, fromPort and toPort from 0 to 65535 with fromPort <= toPort " +
        "(EC2 API Reference, IpPermission FromPort/ToPort).",
    enforcementLevel: mandatory,
    validateResource: (args, report) => {
        const rule =
            args.asType(aws.vpc.SecurityGroupIngressRule) ?? args.asType(aws.vpc.SecurityGroupEgressRule) ?? args.notApplicable("not a security group rule");
        if (rule.ipProtocol !== "tcp" && rule.ipProtocol !== "udp") return;
        const { fromPort, toPort } = rule;
        for (const [k, p] of [["fromPort", fromPort], ["toPort", toPort]] as const) {
            if (!Number.isInteger(p) || p! < 0 || p! > 65535) report(`${k} ${show(p)}: a port from 0 to 65535 for ${rule.ipProtocol}`);
        }
        if (Number.isInteger(fromPort) && Number.isInteger(toPort) && fromPort! > toPort!) report(`fromPort ${fromPort} is above toPort ${toPort}`);
    },
};

/**
 * The key a rule's security group is known by: the group's URN from the
 * rule's property dependencies (at preview the group's id is not known yet),
 * else the id itself (reading an unknown one throws, and the analyzer then
 * reports the policy as not run rather than counting wrongly).
 */
function groupKeyOf(r: PolicyResource): string {
    const dep = r.propertyDependencies?.securityGroupId?.[0];
    return dep ? dep.urn : String(r.props.securityGroupId);
}

/**
 * The stack's own declaration of its account's rule quota, `turn:securityGroupRuleQuota`
 * (the key the validator sizes `turn:clientCidrs` by). The CLI hands a policy
 * pack the stack's config as JSON in `PULUMI_CONFIG` (pulumi/pulumi
 * sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv).
 */
export function stackRuleQuota(env: Record<string, string | undefined> = process.env): number | undefined {
    try {
        const v = Number(JSON.parse(env.PULUMI_CONFIG ?? "{}")["turn:securityGroupRuleQuota"]);
        return Number.isInteger(v) && v > 0 ? v : undefined;
    } catch {
        return undefined;
    }
}

/** Rules per security group, per direction and address family. */
export const securityGroupRuleQuota: StackValidationPolicy = {
    name: "ec2-security-group-rules-per-group",
    description:
        `Rules per security group: at most ${SG_RULES_PER_DIRECTION} inbound and ${SG_RULES_PER_DIRECTION} outbound (default quota L-0EA8095F, enforced separately for IPv4 and IPv6); ` +
        "more fail with RulesPerSecurityGroupLimitExceeded (Amazon VPC User Guide, 'Amazon VPC quotas', Security groups). " +
        "A raised quota: the stack's turn:securityGroupRuleQuota, or this policy's maxRulesPerDirection.",
    enforcementLevel: mandatory,
    configSchema: { properties: { maxRulesPerDirection: { type: "integer", minimum: 1 } } },
    validateStack: (args, report) => {
        const max = args.getConfig<{ maxRulesPerDirection?: number }>().maxRulesPerDirection ?? stackRuleQuota() ?? SG_RULES_PER_DIRECTION;
        const counts = new Map<string, { n: number; group: string; direction: string; family: string }>();
        const count = (group: string, direction: string, family: string, n = 1) => {
            const key = `${group}\0${direction}\0${family}`;
            const c = counts.get(key) ?? { n: 0, group, direction, family };
            c.n += n;
            counts.set(key, c);
        };
        for (const r of args.resources) {
            const vpcRule = r.isType(aws.vpc.SecurityGroupIngressRule) ? "inbound" : r.isType(aws.vpc.SecurityGroupEgressRule) ? "outbound" : undefined;
            if (vpcRule) count(groupKeyOf(r), vpcRule, unlessUnknown(() => r.props.cidrIpv6, undefined) ? "IPv6" : "IPv4");
            if (r.isType(aws.ec2.SecurityGroupRule)) {
                const direction = r.props.type === "egress" ? "outbound" : "inbound";
                count(groupKeyOf(r), direction, "IPv4", (r.props.cidrBlocks ?? []).length || 1);
                if ((r.props.ipv6CidrBlocks ?? []).length) count(groupKeyOf(r), direction, "IPv6", r.props.ipv6CidrBlocks.length);
            }
            if (r.isType(aws.ec2.SecurityGroup)) {
                for (const [field, direction] of [["ingress", "inbound"], ["egress", "outbound"]] as const) {
                    // Inline rules the program declares are known; unknown means computed by the provider (none declared).
                    for (const rule of unlessUnknown(() => r.props[field] ?? [], [])) {
                        count(r.urn, direction, "IPv4", (rule.cidrBlocks ?? []).length || 1);
                        if ((rule.ipv6CidrBlocks ?? []).length) count(r.urn, direction, "IPv6", rule.ipv6CidrBlocks.length);
                    }
                }
            }
        }
        for (const c of counts.values()) {
            if (c.n > max) {
                report(
                    `security group ${c.group} has ${c.n} ${c.direction} ${c.family} rules; the quota is ${max} ` +
                        "(ask AWS for more in Service Quotas: 'Inbound or outbound rules per security group', L-0EA8095F; then set turn:securityGroupRuleQuota)",
                );
            }
        }
    },
};

/** EC2 user data size. */
export const userDataSize: ResourceValidationPolicy = {
    name: "ec2-user-data-size",
    description: `EC2 user data: at most ${USER_DATA_MAX_BYTES} bytes (16 KB) in raw form, before base64 (EC2 User Guide, 'Work with instance user data').`,
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
        if (typeof instance.userData === "string" && utf8Bytes(instance.userData) > USER_DATA_MAX_BYTES) {
            report(`userData is ${utf8Bytes(instance.userData)} bytes; EC2 takes at most ${USER_DATA_MAX_BYTES}`);
        }
        if (typeof instance.userDataBase64 === "string") {
            const raw = Buffer.from(instance.userDataBase64, "base64").length;
            if (raw > USER_DATA_MAX_BYTES) report(`userDataBase64 decodes to ${raw} bytes; EC2 takes at most ${USER_DATA_MAX_BYTES}`);
        }
    }),
};

/** Instance metadata options. */
export const instanceMetadataOptions: ResourceValidationPolicy = {
    name: "ec2-instance-metadata-options",
    description:
        "Instance metadata options: httpEndpoint and instanceMetadataTags enabled|disabled, httpPutResponseHopLimit 1-64 " +
        "(EC2 API Reference, InstanceMetadataOptionsRequest); with metadata tags on, tag keys only letters, digits and + - = . , _ : @ " +
        "(EC2 User Guide, 'View tags for your EC2 instances using instance metadata'); and turn-stack's contract, IMDSv2 only " +
        "(httpTokens required, hop limit 1; EC2 User Guide, 'Use the Instance Metadata Service to access instance metadata').",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
        const m = instance.metadataOptions;
        if (!m) {
            report("metadataOptions not set: turn-stack requires IMDSv2 (httpTokens required, hop limit 1)");
            return;
        }
        for (const k of ["httpEndpoint", "instanceMetadataTags"] as const) {
            if (m[k] !== undefined && m[k] !== "enabled" && m[k] !== "disabled") report(`metadataOptions.${k} ${show(m[k])}: enabled or disabled`);
        }
        const hop = m.httpPutResponseHopLimit;
        if (hop !== undefined && (!Number.isInteger(hop) || hop < IMDS_HOP_LIMIT.min || hop > IMDS_HOP_LIMIT.max)) {
            report(`metadataOptions.httpPutResponseHopLimit ${show(hop)}: ${IMDS_HOP_LIMIT.min} to ${IMDS_HOP_LIMIT.max}`);
        }
        if (m.httpTokens !== "required") report(`metadataOptions.httpTokens ${show(m.httpTokens)}: turn-stack requires "required" (IMDSv2 only)`);
        if (hop !== 1) report(`metadataOptions.httpPutResponseHopLimit ${show(hop)}: turn-stack requires 1 (no container on the host reaches IMDS)`);
        if (m.instanceMetadataTags === "enabled") {
            for (const k of Object.keys(instance.tags ?? {})) {
                if (!EC2_METADATA_TAG_KEY.test(k)) report(`tag key ${show(k)}: not allowed with instance tags in metadata`);
            }
        }
    }),
};

/** VPC and subnet CIDR sizes. */
export const vpcCidr: ResourceValidationPolicy = {
    name: "ec2-vpc-subnet-cidr",
    description: `VPC and subnet IPv4 CIDR blocks: from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} (Amazon VPC User Guide, 'VPC CIDR blocks' and 'Subnet CIDR blocks').`,
    enforcementLevel: mandatory,
    validateResource: (args, report) => {
        const net = args.asType(aws.ec2.Vpc) ?? args.asType(aws.ec2.Subnet) ?? args.notApplicable("not a VPC or subnet");
        if (net.cidrBlock === undefined) return;
        const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(String(net.cidrBlock));
        const bits = m ? Number(m[2]) : NaN;
        if (!(bits >= VPC_PREFIX.min && bits <= VPC_PREFIX.max)) report(`cidrBlock ${show(net.cidrBlock)}: an IPv4 CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max}`);
    },
};

/** IAM role name, description and trust policy. */
export const iamRole: ResourceValidationPolicy = {
    name: "iam-role",
    description:
        `IAM role: name 1-${IAM.roleNameMax} (namePrefix up to ${IAM.roleNamePrefixMax}) of letters, digits and _+=,.@-; description up to ${IAM.descriptionMax} ` +
        `characters of tab, LF, CR, U+0020-U+007E, U+00A1-U+00FF (IAM API Reference, CreateRole); trust policy at most ${IAM.trustPolicyMax} characters ` +
        "without white space (IAM User Guide, 'IAM and AWS STS quotas').",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.iam.Role, (role, _args, report) => {
        reportAll(report, iamNameProblems("name", role.name, IAM.roleNameMax));
        reportAll(report, iamNameProblems("namePrefix", role.namePrefix, IAM.roleNamePrefixMax));
        if (role.description !== undefined) {
            if (chars(role.description) > IAM.descriptionMax) report(`description ${show(role.description)}: at most ${IAM.descriptionMax} characters`);
            if (!IAM.descriptionCharset.test(role.description)) report(`description ${show(role.description)}: only tab, LF, CR, U+0020-U+007E and U+00A1-U+00FF`);
        }
        if (typeof role.assumeRolePolicy === "string" && iamPolicySize(role.assumeRolePolicy) > IAM.trustPolicyMax) {
            report(`assumeRolePolicy is ${iamPolicySize(role.assumeRolePolicy)} characters without white space; at most ${IAM.trustPolicyMax}`);
        }
    }),
};

/** IAM instance profile and inline policy names. */
export const iamNames: ResourceValidationPolicy = {
    name: "iam-policy-and-profile-names",
    description:
        `IAM inline policy and instance profile names: 1-${IAM.policyNameMax} letters, digits and _+=,.@- ` +
        "(IAM API Reference, PutRolePolicy PolicyName and CreateInstanceProfile InstanceProfileName).",
    enforcementLevel: mandatory,
    validateResource: [
        validateResourceOfType(aws.iam.RolePolicy, (p, _a, report) => reportAll(report, iamNameProblems("name", p.name, IAM.policyNameMax))),
        validateResourceOfType(aws.iam.InstanceProfile, (p, _a, report) => reportAll(report, iamNameProblems("name", p.name, IAM.instanceProfileNameMax))),
    ],
};

/** IAM policy documents: grammar, characters and action names. */
export const iamPolicyDocument: ResourceValidationPolicy = {
    name: "iam-policy-document",
    description:
        "IAM policy documents: JSON of tab, LF, CR and U+0020-U+00FF, Version 2012-10-17, Effect Allow|Deny, every action service:Action " +
        "with a lowercase service prefix (IAM User Guide, 'IAM JSON policy element reference', 'Grammar of the IAM JSON policy language', 'IAM and AWS STS quotas').",
    enforcementLevel: mandatory,
    validateResource: [
        validateResourceOfType(aws.iam.RolePolicy, (p, _a, report) => reportAll(report, iamDocumentProblems("policy", p.policy))),
        validateResourceOfType(aws.iam.Role, (r, _a, report) => reportAll(report, iamDocumentProblems("assumeRolePolicy", r.assumeRolePolicy))),
    ],
};

/** Aggregate size of a role's inline policies. */
export const iamRoleInlinePolicySize: StackValidationPolicy = {
    name: "iam-role-inline-policy-size",
    description:
        `IAM role policy size: a role's inline policies together at most ${IAM.roleInlinePoliciesMax} characters, white space not counted ` +
        "(IAM User Guide, 'IAM and AWS STS quotas').",
    enforcementLevel: mandatory,
    validateStack: (args, report) => {
        const perRole = new Map<string, { size: number; urns: string[] }>();
        for (const r of args.resources) {
            if (!r.isType(aws.iam.RolePolicy) || typeof r.props.policy !== "string") continue;
            const role = r.propertyDependencies?.role?.[0]?.urn ?? String(r.props.role);
            const e = perRole.get(role) ?? { size: 0, urns: [] };
            e.size += iamPolicySize(r.props.policy);
            e.urns.push(r.urn);
            perRole.set(role, e);
        }
        for (const r of args.resources) {
            if (!r.isType(aws.iam.Role)) continue;
            for (const p of r.props.inlinePolicies ?? []) {
                if (typeof p?.policy !== "string") continue;
                const e = perRole.get(r.urn) ?? { size: 0, urns: [] };
                e.size += iamPolicySize(p.policy);
                perRole.set(r.urn, e);
            }
        }
        for (const [role, e] of perRole) {
            if (e.size > IAM.roleInlinePoliciesMax) report(`role ${role}: inline policies total ${e.size} characters; at most ${IAM.roleInlinePoliciesMax}`, e.urns[0]);
        }
    },
};

/** SSM parameter name. */
export const ssmParameterName: ResourceValidationPolicy = {
    name: "ssm-parameter-name",
    description:
        `SSM parameter name: at most ${SSM.nameMax} characters of a-zA-Z0-9_.- and /, no spaces, not prefixed with aws or ssm, leading / when hierarchical, ` +
        `at most ${SSM.maxDepth} levels (SSM API Reference, PutParameter Name; Systems Manager User Guide, 'Working with parameter hierarchies').`,
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.ssm.Parameter, (p, _a, report) => reportAll(report, ssmNameProblems(p.name))),
};

/** SSM parameter type, tier, value size and description. */
export const ssmParameterValue: ResourceValidationPolicy = {
    name: "ssm-parameter-tier-value",
    description:
        "SSM parameter: type String|StringList|SecureString; tier Standard (value up to 4 KB), Advanced (8 KB) or Intelligent-Tiering; description up to 1024 characters " +
        "(SSM API Reference, PutParameter Type, Tier, Value, Description; Systems Manager User Guide, 'Managing parameter tiers').",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.ssm.Parameter, (p, _a, report) => {
        if (!(SSM.types as readonly string[]).includes(String(p.type))) report(`type ${show(p.type)}: one of ${SSM.types.join(", ")}`);
        const tier = p.tier ?? "Standard";
        const max = SSM.tiers[tier];
        if (max === undefined) report(`tier ${show(tier)}: one of ${Object.keys(SSM.tiers).join(", ")}`);
        // The value is often another resource's output (a generated secret): checked at `pulumi up`.
        for (const [k, v] of [["value", unlessUnknown(() => p.value, undefined)], ["insecureValue", unlessUnknown(() => p.insecureValue, undefined)]] as const) {
            if (typeof v === "string" && max !== undefined && utf8Bytes(v) > max) report(`${k} is ${utf8Bytes(v)} bytes; the ${tier} tier holds at most ${max}`);
        }
        if (typeof p.description === "string" && chars(p.description) > SSM.descriptionMax) report(`description: at most ${SSM.descriptionMax} characters`);
    }),
};

/** CloudWatch alarm name, description and action counts. */
export const cloudwatchAlarmFields: ResourceValidationPolicy = {
    name: "cloudwatch-alarm-name-description",
    description:
        `CloudWatch alarm: name 1-${CLOUDWATCH_ALARM.nameMax} characters without ASCII control characters, description up to ${CLOUDWATCH_ALARM.descriptionMax}, ` +
        `at most ${CLOUDWATCH_ALARM.maxActions} actions of up to ${CLOUDWATCH_ALARM.arnMax} characters per state (CloudWatch API Reference, PutMetricAlarm).`,
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.MetricAlarm, (a, _args, report) => {
        if (typeof a.name === "string") {
            if (chars(a.name) < 1 || chars(a.name) > CLOUDWATCH_ALARM.nameMax) report(`name ${show(a.name)}: 1 to ${CLOUDWATCH_ALARM.nameMax} characters`);
            if (/[\x00-\x1f\x7f]/.test(a.name)) report(`name ${show(a.name)}: no ASCII control characters`);
        }
        if (typeof a.alarmDescription === "string" && chars(a.alarmDescription) > CLOUDWATCH_ALARM.descriptionMax) {
            report(`alarmDescription ${show(a.alarmDescription)}: at most ${CLOUDWATCH_ALARM.descriptionMax} characters`);
        }
        for (const k of ["alarmActions", "okActions", "insufficientDataActions"] as const) {
            const actions = (a[k] ?? []) as unknown[];
            if (actions.length > CLOUDWATCH_ALARM.maxActions) report(`${k}: ${actions.length} actions, at most ${CLOUDWATCH_ALARM.maxActions}`);
            for (const arn of knownItems(actions)) if (typeof arn === "string" && arn.length > CLOUDWATCH_ALARM.arnMax) report(`${k}: ARN longer than ${CLOUDWATCH_ALARM.arnMax}`);
        }
    }),
};

/** Alarm action ARNs in the Region's partition. */
export const cloudwatchAlarmActionPartition: ResourceValidationPolicy = {
    name: "cloudwatch-alarm-action-partition",
    description:
        "CloudWatch alarm actions: each ARN's partition is the one its Region is in (arn:aws: for AWS Regions, arn:aws-cn: for China, arn:aws-us-gov: for GovCloud), " +
        "and its Region the provider's (AWS General Reference, 'Amazon Resource Names (ARNs)'; CloudWatch API Reference, PutMetricAlarm AlarmActions, " +
        "e.g. arn:aws:automate:region:ec2:recover).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.cloudwatch.MetricAlarm, (a, args, report) => {
        let providerRegion: string | undefined;
        try {
            const r = args.provider?.props?.region;
            providerRegion = typeof r === "string" && r ? r : undefined;
        } catch {
            providerRegion = undefined; // not known at preview
        }
        for (const k of ["alarmActions", "okActions", "insufficientDataActions"] as const) {
            for (const arn of knownItems((a[k] ?? []) as unknown[])) reportAll(report, arnPartitionProblems(arn, providerRegion).map((p) => `${k}: ${p}`));
        }
    }),
};

/**
 * The items of `list` known at this point: at `pulumi preview` an alarm action that is another
 * resource's output (the monitoring topic's ARN) is not known yet; the other actions are still
 * checked then, and `pulumi up` checks every one.
 */
function knownItems(list: unknown[]): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < list.length; i++) {
        const item = unlessUnknown(() => list[i], UNKNOWN_ITEM);
        if (item !== UNKNOWN_ITEM) out.push(item);
    }
    return out;
}
const UNKNOWN_ITEM = Symbol("unknown");

/** Every AWS policy of the pack. */
export const awsPolicies = [
    awsTags,
    securityGroupText,
    securityGroupRuleDescription,
    securityGroupRulePorts,
    securityGroupRuleQuota,
    userDataSize,
    instanceMetadataOptions,
    vpcCidr,
    iamRole,
    iamNames,
    iamPolicyDocument,
    iamRoleInlinePolicySize,
    ssmParameterName,
    ssmParameterValue,
    cloudwatchAlarmFields,
    cloudwatchAlarmActionPartition,
];
