/**
 * Every policy of turn-stack's cloud contract, importable without starting the
 * analyzer (constructing a `PolicyPack`, in ./index.ts, starts its gRPC server).
 */
import type { Policies } from "@pulumi/policy";
import { awsPolicies } from "./aws";
import { cloudflarePolicies } from "./cloudflare";
import { monitoringPolicies } from "./monitoring";
import { canaryPolicies } from "./canary";
import { route53Policies } from "./route53";

/** The pack's name (`pulumi preview --policy-pack infra/policy` reports violations under it). */
export const POLICY_PACK_NAME = "turn-stack-cloud-contract";

/** All policies, AWS (the monitoring, canary and fleet DNS resources' after the others) then Cloudflare. */
export const policies: Policies = [...awsPolicies, ...monitoringPolicies, ...canaryPolicies, ...route53Policies, ...cloudflarePolicies];
