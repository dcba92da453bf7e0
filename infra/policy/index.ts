/**
 * turn-stack's cloud contract as a Pulumi policy pack (CrossGuard). Loaded only
 * by the Pulumi CLI: `npx pulumi preview --stack dev --policy-pack infra/policy`
 * (and `pulumi up`) runs every policy on every resource before it reaches AWS
 * or Cloudflare; a violation is mandatory and stops the run.
 *
 * How the CLI loads it: it reads PulumiPolicy.yaml (runtime nodejs), runs
 * `pulumi-analyzer-policy` in this directory, which resolves
 * `@pulumi/pulumi/cmd/run-policy-pack` from here (found in the repository's
 * node_modules), registers ts-node and requires this directory (index.ts).
 * `PolicyPack` reads its version from ./package.json and starts the analyzer's
 * gRPC server. The policies themselves are in ./policies.ts, which tests import.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
    policies,
    enforcementLevel: "mandatory",
    description: "Documented AWS and Cloudflare constraints on every value turn-stack sends, checked before it is sent.",
});
