/**
 * The cloud contract for a fleet's Route 53 resources (issue 16: infra/components/fleet.ts, records
 * from infra/dns.ts): the records and the health checks, checked against the Route 53 API Reference.
 * The checks are pure functions below, so the policy and its unit test share them.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { isIPv4, show } from "./limits";
import { unlessUnknown } from "./unknown";
import { ROUTE53_ZONE_ID } from "../fleet";
import { STANDARD_REGIONS } from "../aws-region";

const mandatory = "mandatory" as const;

/**
 * Route 53 limits: ResourceRecordSet `SetIdentifier` 1 to 128 characters, `TTL` 0 to 2147483647 s, a DNS
 * name at most 255 octets on the wire (253 characters written without the trailing dot, labels 63:
 * RFC 1035 §2.3.4), a multivalue answer record holds one value ("Multivalue answer routing"), an
 * alias record has no TTL or values of its own (API Reference, ResourceRecordSet, AliasTarget);
 * HealthCheckConfig `RequestInterval` 10 or 30, `FailureThreshold` 1 to 10, `Port` 1 to 65535,
 * `IPAddress` a public IPv4 for an endpoint check.
 */
export const ROUTE53 = { setIdentifierMax: 128, ttlMax: 2_147_483_647, nameMax: 253, labelMax: 63, requestIntervals: [10, 30], failureThreshold: { min: 1, max: 10 } } as const;

/** What is wrong with a record's inputs (empty: nothing). */
export function route53RecordProblems(r: Record<string, any>): string[] {
    const p: string[] = [];
    if (!ROUTE53_ZONE_ID.test(String(r.zoneId))) p.push(`zoneId ${show(r.zoneId)}: a hosted zone id, Z and up to 31 capital letters or digits`);
    const name = String(r.name ?? "");
    if (name.length < 1 || name.length > ROUTE53.nameMax || name.split(".").some((l) => l.length < 1 || l.length > ROUTE53.labelMax)) {
        p.push(`name ${show(r.name)}: a DNS name of at most ${ROUTE53.nameMax} characters, labels 1 to ${ROUTE53.labelMax}`);
    }
    if (r.type !== "A") p.push(`type ${show(r.type)}: turn-stack's records are A records`);
    if (r.setIdentifier !== undefined && (typeof r.setIdentifier !== "string" || r.setIdentifier.length < 1 || r.setIdentifier.length > ROUTE53.setIdentifierMax)) {
        p.push(`setIdentifier ${show(r.setIdentifier)}: 1 to ${ROUTE53.setIdentifierMax} characters`);
    }
    const routed = Boolean(r.multivalueAnswerRoutingPolicy) || (r.latencyRoutingPolicies ?? []).length > 0;
    if (routed && r.setIdentifier === undefined) p.push("setIdentifier missing: a multivalue or latency record needs one");
    for (const l of r.latencyRoutingPolicies ?? []) {
        if (!(STANDARD_REGIONS as readonly string[]).includes(l.region)) p.push(`latencyRoutingPolicies region ${show(l.region)}: an AWS region of the standard partition`);
    }
    const aliases = (r.aliases ?? []) as Record<string, unknown>[];
    if (aliases.length > 0) {
        if (r.ttl !== undefined || r.records !== undefined) p.push("an alias record carries no ttl or records of its own");
        for (const a of aliases) if (typeof a.evaluateTargetHealth !== "boolean") p.push(`aliases evaluateTargetHealth ${show(a.evaluateTargetHealth)}: true or false`);
    } else {
        if (!(Number.isInteger(r.ttl) && r.ttl >= 0 && r.ttl <= ROUTE53.ttlMax)) p.push(`ttl ${show(r.ttl)}: 0 to ${ROUTE53.ttlMax} seconds`);
        const records = unlessUnknown(() => r.records as unknown[] | undefined, undefined);
        if (records !== undefined) {
            if (records.length < 1) p.push("records: at least one value");
            if (r.multivalueAnswerRoutingPolicy && records.length !== 1) p.push(`records ${show(records)}: a multivalue answer record holds one value`);
            for (const v of records) if (unlessUnknown(() => !isIPv4(v), false)) p.push(`records ${show(v)}: an A record holds IPv4 addresses`);
        }
    }
    return p;
}

/** What is wrong with a health check's inputs (empty: nothing). */
export function route53HealthCheckProblems(h: Record<string, any>): string[] {
    const p: string[] = [];
    if (h.type !== "TCP") p.push(`type ${show(h.type)}: turn-stack checks TCP`);
    if (!(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535)) p.push(`port ${show(h.port)}: 1 to 65535`);
    if (!(ROUTE53.requestIntervals as readonly number[]).includes(h.requestInterval)) p.push(`requestInterval ${show(h.requestInterval)}: 10 or 30 seconds`);
    const t = h.failureThreshold;
    if (!(Number.isInteger(t) && t >= ROUTE53.failureThreshold.min && t <= ROUTE53.failureThreshold.max)) p.push(`failureThreshold ${show(t)}: ${ROUTE53.failureThreshold.min} to ${ROUTE53.failureThreshold.max}`);
    // The Elastic IP, known at `pulumi up`.
    const ip = unlessUnknown(() => h.ipAddress, undefined);
    if (ip !== undefined && !isIPv4(ip)) p.push(`ipAddress ${show(ip)}: an IPv4 address`);
    return p;
}

export const route53Record: ResourceValidationPolicy = {
    name: "route53-record",
    description:
        "Route 53 record: hosted zone id, A record, DNS name of at most 253 characters, set identifier 1-128 for multivalue and latency records, latency region " +
        "of the standard partition, TTL 0-2147483647 and IPv4 values (one per multivalue record), alias records without TTL or values " +
        "(AWS Route 53 API Reference, ChangeResourceRecordSets, ResourceRecordSet, AliasTarget).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.route53.Record, (r, _args, report) => {
        for (const p of route53RecordProblems(r as Record<string, any>)) report(p);
    }),
};

export const route53HealthCheck: ResourceValidationPolicy = {
    name: "route53-health-check",
    description: "Route 53 health check: TCP, port 1-65535, request interval 10 or 30 s, failure threshold 1-10, an IPv4 address (AWS Route 53 API Reference, HealthCheckConfig).",
    enforcementLevel: mandatory,
    validateResource: validateResourceOfType(aws.route53.HealthCheck, (h, _args, report) => {
        for (const p of route53HealthCheckProblems(h as Record<string, any>)) report(p);
    }),
};

/** The fleet's Route 53 policies. */
export const route53Policies: ResourceValidationPolicy[] = [route53Record, route53HealthCheck];
