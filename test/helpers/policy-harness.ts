/**
 * A stand-in for the Pulumi engine's analyzer: feeds resources to the policies
 * of infra/policy the way @pulumi/policy's analyzer server does
 * (node_modules/@pulumi/policy/server.js, `analyze` and `analyzeStack`), without
 * the gRPC server that constructing a `PolicyPack` starts.
 *
 * It builds the argument bags the policies receive, following @pulumi/policy's
 * `ResourceValidationArgs` and `StackValidationArgs` shapes: type, props (the
 * inputs), urn, name, opts, `isType`/`asType` by the class's `__pulumiType`,
 * `getConfig` (the policy's configSchema defaults, as the CLI applies them),
 * `notApplicable`, which throws as the server's does, and secrets unwrapped as
 * the server deserializes them. What it does not
 * stand in for: the engine's unknown values at preview (everything here is
 * known, unless {@link atPreview} hides them), the provider resource, and
 * property dependencies (rules are grouped by their resolved `securityGroupId`).
 */
import { gunzipSync } from "node:zlib";
import type {
    Policies,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** A declared resource: type token, logical name, inputs. */
export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    /** Per input property, the names of the resources its value came from (the engine's property dependencies). */
    propertyDependencies?: Record<string, string[]>;
}

/** One violation a policy reported. */
export interface Violation {
    policy: string;
    urn: string;
    message: string;
}

class NotApplicable extends Error {}

/**
 * @pulumi/policy's own unknown-value machinery (proxy.js: the sentinels the
 * analyzer deserializes unknowns to, the proxy that throws UnknownValueError on
 * reading one). Internal to the package, so untyped here.
 */
const policyProxy: {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...args: any[]) => Error;
    unknownStringValue: string;
    unknownArrayValue: string;
} = require("@pulumi/policy/proxy");

/** Pulumi's signature key for a serialized secret (`{ [SECRET_SIG]: SECRET_VALUE, value }`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * Inputs as the analyzer hands them to policies: secrets unwrapped to their
 * values (@pulumi/policy deserializes properties with keepSecrets = false).
 */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") {
        if (SECRET_SIG in v) return unwrapSecrets(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

const urnOf = (r: DeclaredResource) => `urn:pulumi:test::turn::${r.type}::${r.name}`;

const isTypeOf = (type: string) => (cls: any) => cls?.__pulumiType === type;

function configOf(policy: ResourceValidationPolicy | StackValidationPolicy): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(policy.configSchema?.properties ?? {})) if ((s as any).default !== undefined) out[k] = (s as any).default;
    return out;
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** The args a resource validation receives for `r`. */
export function resourceArgs(r: DeclaredResource, policy?: ResourceValidationPolicy): ResourceValidationArgs {
    return {
        type: r.type,
        props: policyProxy.unknownCheckingProxy(unwrapSecrets(r.inputs)),
        urn: urnOf(r),
        name: r.name,
        opts: {
            protect: r.protect ?? false,
            ignoreChanges: r.ignoreChanges ?? [],
            deleteBeforeReplace: r.deleteBeforeReplace,
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        isType: isTypeOf(r.type) as ResourceValidationArgs["isType"],
        asType: ((cls: any) => (isTypeOf(r.type)(cls) ? policyProxy.unknownCheckingProxy(unwrapSecrets(r.inputs)) : undefined)) as ResourceValidationArgs["asType"],
        getConfig: (() => (policy ? configOf(policy) : {})) as ResourceValidationArgs["getConfig"],
        notApplicable,
    };
}

/** The args a stack validation receives for `resources`. */
export function stackArgs(resources: DeclaredResource[], policy?: StackValidationPolicy): StackValidationArgs {
    const byName = new Map<string, PolicyResource>();
    const policyResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: policyProxy.unknownCheckingProxy(unwrapSecrets(r.inputs)),
        urn: urnOf(r),
        name: r.name,
        opts: resourceArgs(r).opts,
        dependencies: [],
        propertyDependencies: {},
        isType: isTypeOf(r.type) as PolicyResource["isType"],
        asType: ((cls: any) => (isTypeOf(r.type)(cls) ? policyProxy.unknownCheckingProxy(unwrapSecrets(r.inputs)) : undefined)) as PolicyResource["asType"],
    }));
    policyResources.forEach((p, i) => byName.set(resources[i].name, p));
    resources.forEach((r, i) => {
        for (const [k, names] of Object.entries(r.propertyDependencies ?? {})) {
            policyResources[i].propertyDependencies[k] = names.map((n) => byName.get(n)!).filter(Boolean);
        }
    });
    return {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: (() => (policy ? configOf(policy) : {})) as StackValidationArgs["getConfig"],
        notApplicable,
    };
}

/**
 * Run one policy over `resources`, as the analyzer would: a resource policy on
 * each resource (each of its validations; not-applicable ones skipped), a stack
 * policy once over all of them.
 */
export async function runPolicy(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    resources: DeclaredResource[],
    /** The stack's config, which the CLI hands the pack as JSON in PULUMI_CONFIG (stack policies read it). */
    stackConfig?: Record<string, string>,
): Promise<{ violations: Violation[]; applied: number; unknown: string[] }> {
    const violations: Violation[] = [];
    const unknown: string[] = [];
    let applied = 0;
    const report = (urn: string) => (message: string, u?: string) => violations.push({ policy: policy.name, urn: u ?? urn, message });
    if ("validateStack" in policy) {
        // Set for the synchronous part of the call only, so concurrent tests never see each other's config.
        const saved = process.env.PULUMI_CONFIG;
        try {
            if (stackConfig) process.env.PULUMI_CONFIG = JSON.stringify(stackConfig);
            const done = policy.validateStack(stackArgs(resources, policy), report("stack"));
            if (saved === undefined) delete process.env.PULUMI_CONFIG;
            else process.env.PULUMI_CONFIG = saved;
            await done;
            applied++;
        } catch (e) {
            if (saved === undefined) delete process.env.PULUMI_CONFIG;
            else process.env.PULUMI_CONFIG = saved;
            // The analyzer reports a policy that reads an unknown value as not run during preview (advisory).
            if (e instanceof policyProxy.UnknownValueError) unknown.push("stack");
            else if (!(e instanceof NotApplicable)) throw e;
        }
        return { violations, applied, unknown };
    }
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const r of resources) {
        for (const v of validations) {
            try {
                await v(resourceArgs(r, policy), report(urnOf(r)));
                applied++;
            } catch (e) {
                if (e instanceof policyProxy.UnknownValueError) unknown.push(urnOf(r));
                else if (!(e instanceof NotApplicable)) throw e;
            }
        }
    }
    return { violations, applied, unknown };
}

/** Run every policy over `resources`. */
export async function analyze(policies: Policies, resources: DeclaredResource[], stackConfig?: Record<string, string>): Promise<Violation[]> {
    const out: Violation[] = [];
    for (const p of policies) out.push(...(await runPolicy(p, resources, stackConfig)).violations);
    return out;
}

/**
 * Properties the AWS provider fills in by autonaming when the program leaves
 * them out: `<logical name>-<7 hex>` (Pulumi, "Resource names: autonaming"). The
 * engine runs the analyzer on the provider-checked inputs, so the policies see
 * these names; under mocks nobody fills them in, so the matrix does.
 */
export const AUTONAMED: Record<string, string> = {
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:ssm/parameter:Parameter": "name",
    "aws:sns/topic:Topic": "name",
    "aws:lambda/function:Function": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
};

/**
 * The resources as `pulumi preview` shows them to the analyzer: every value
 * that comes from another resource's outputs is not known yet. Under the mocks
 * those are the strings that carry a mock output (`markers`: resource ids,
 * ARNs, the Elastic IP, ...); they become @pulumi/policy's unknown sentinel.
 * A security group's `ingress`/`egress` are computed outputs, unknown too
 * (stack policies see outputs).
 */
export function atPreview(resources: DeclaredResource[], markers: string[]): DeclaredResource[] {
    // gzip-compressed user data (userDataBase64, infra/cloud-init.ts packUserData) carries its markers inside.
    const text = (v: string) => (v.startsWith("H4sI") ? gunzipSync(Buffer.from(v, "base64")).toString("utf8") : v);
    const hide = (v: any): any => {
        if (typeof v === "string") return markers.some((m) => text(v).includes(m)) ? policyProxy.unknownStringValue : v;
        if (Array.isArray(v)) return v.map(hide);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x)]));
        return v;
    };
    return resources.map((r) => {
        const inputs = hide(unwrapSecrets(r.inputs));
        if (r.type === "aws:ec2/securityGroup:SecurityGroup") Object.assign(inputs, { ingress: policyProxy.unknownArrayValue, egress: policyProxy.unknownArrayValue });
        return { ...r, inputs };
    });
}

/**
 * Fill in each resource's property dependencies as the engine records them:
 * a property depends on the resources whose mock id (`<name>-id`, see
 * mock-program.ts) its value carries.
 */
export function withPropertyDependencies(resources: DeclaredResource[]): DeclaredResource[] {
    return resources.map((r) => {
        const deps: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(r.inputs)) {
            const text = JSON.stringify(unwrapSecrets(v)) ?? "";
            const names = resources.filter((o) => o !== r && text.includes(`"${o.name}-id"`)).map((o) => o.name);
            if (names.length > 0) deps[k] = names;
        }
        return { ...r, propertyDependencies: deps };
    });
}

/** `r` with its autonamed property filled in as the provider would. */
export function withAutoname(r: DeclaredResource): DeclaredResource {
    const prop = AUTONAMED[r.type];
    if (!prop || r.inputs[prop] !== undefined) return r;
    return { ...r, inputs: { ...r.inputs, [prop]: `${r.name}-a1b2c3d` } };
}
