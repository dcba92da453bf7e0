/**
 * Every policy of turn-stack's cloud contract, importable without starting the
 * analyzer (constructing a `PolicyPack`, in ./index.ts, starts its gRPC server).
 */
import type { Policies } from "@pulumi/policy";
import { awsPolicies } from "./aws";
import { cloudflarePolicies } from "./cloudflare";

/** The pack's name (`pulumi preview --policy-pack infra/policy` reports violations under it). */
export const POLICY_PACK_NAME = "turn-stack-cloud-contract";

/** All policies, AWS then Cloudflare. */
export const policies: Policies = [...awsPolicies, ...cloudflarePolicies];
