/**
 * Run the real Pulumi program (infra/index.ts) under Pulumi's unit-test mocks
 * (`pulumi.runtime.setMocks`), with a real stack's config, and record every
 * resource it declares: type, name, inputs and the options tests care about.
 *
 * No Pulumi CLI, engine or cloud credentials are involved: the mocks stand in
 * for the AWS provider and answer the two invokes the program makes
 * (getAmi, getRegion) the way the AWS API documents them.
 *
 * One program run per process (Node caches the module); node's test runner
 * gives each test file its own process.
 */
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "./stack-config";

export interface MockedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    protect: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    parent?: string;
}

export const MOCK_PUBLIC_IP = "203.0.113.10";
export const MOCK_AMI = "ami-0d1e2b3a4c5f60718";
export const MOCK_REGION = "eu-west-1";
export const MOCK_ACCOUNT = "123456789012";
export const MOCK_CF_KEY_ID = "0123456789abcdef0123456789abcdef";
export const MOCK_CF_KEY = "mock-cloudflare-bearer-token-fedcba9876543210";

/**
 * What the mocked providers answer for a new resource: its inputs as state,
 * plus the outputs the program reads (Elastic IP, random result, command stdout,
 * ARNs and autonamed names). Shared with test/helpers/langhost-run.cjs.
 */
export function mockNewResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    const state: Record<string, any> = { ...args.inputs };
    if (args.type === "aws:ec2/eip:Eip") state.publicIp = mockPublicIp(args.name);
    // A fleet's explicit provider per region (infra/components/fleet.ts): invokes through it answer for its region.
    if (args.type === "pulumi:providers:aws") PROVIDER_REGIONS.set(`${args.name}-id`, args.inputs.region);
    // A subnet without a zone gets one AWS chose (EC2 CreateSubnet): the fleet keeps its other servers out of it.
    if (args.type === "aws:ec2/subnet:Subnet" && !args.inputs.availabilityZone) state.availabilityZone = `${MOCK_REGION}b`;
    if (args.type === "random:index/randomPassword:RandomPassword") state.result = "mock-shared-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    if (args.type === "command:local:Command") state.stdout = JSON.stringify({ keyId: MOCK_CF_KEY_ID, key: MOCK_CF_KEY });
    // pulumi.Stash (the engine's built-in): output is the input it was created with (Pulumi docs, "Stash").
    if (args.type === "pulumi:index:Stash") state.output = args.inputs.input;
    if (args.type.startsWith("aws:")) {
        state.arn = `arn:aws:mock:${MOCK_REGION}:123456789012:${args.name}`;
        state.name ??= args.name; // what autonaming would give, minus the random suffix
    }
    return { id: `${args.name}-id`, state };
}

/** Regions of the explicit AWS providers declared so far, by provider id. */
const PROVIDER_REGIONS = new Map<string, string>();

/**
 * The Elastic IP of `eipName`: {@link MOCK_PUBLIC_IP} for the single server's (`turn-eip`), another
 * TEST-NET-3 address (RFC 5737) for each of a fleet's other servers, the same on every run.
 */
export function mockPublicIp(eipName: string): string {
    if (eipName === "turn-eip") return MOCK_PUBLIC_IP;
    let h = 0;
    for (const c of eipName) h = (h * 31 + c.charCodeAt(0)) % 200;
    return `203.0.113.${20 + h}`;
}

/** The invokes the program makes, answered the way the AWS API documents them (for the provider's region). */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    const region = (args.provider && PROVIDER_REGIONS.get(args.provider.slice(args.provider.lastIndexOf("::") + 2))) || MOCK_REGION;
    if (args.token === "aws:ec2/getAmi:getAmi") return { id: MOCK_AMI, imageId: MOCK_AMI, architecture: "arm64" };
    if (args.token === "aws:index/getRegion:getRegion") return { id: region, name: region, region };
    // EC2 DescribeAvailabilityZones: three zones, as AWS promises every region (infra/fleet.ts MIN_ZONES_PER_REGION).
    if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones") return { id: region, names: ["a", "b", "c"].map((z) => `${region}${z}`), zoneIds: [1, 2, 3].map((n) => `${region}-az${n}`) };
    // STS GetCallerIdentity (the canary's role policy names the secret parameter's full ARN).
    if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "AIDAMOCK" };
    throw new Error(`unexpected invoke ${args.token}`);
}

/** Resolve an Output to its value (mocks resolve everything). */
export function value<T>(o: pulumi.Output<T> | T): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => { resolve(v as T); return v; }));
}

/**
 * Run the program for `stack` (its Pulumi.<stack>.yaml, with `overrides` on top).
 * @returns every declared resource and the program's exports
 */
export async function runProgram(stack: string, overrides: Record<string, string> = {}): Promise<{
    resources: MockedResource[];
    outputs: Record<string, any>;
}> {
    const resources: MockedResource[] = [];
    const options = new Map<string, { protect: boolean; deleteBeforeReplace: boolean; ignoreChanges: string[]; parent?: string }>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const o = options.get(`${args.type}::${args.name}`);
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, protect: false, deleteBeforeReplace: false, ignoreChanges: [], ...o });
                return mockNewResource(args);
            },
            call: mockCall,
        },
        "turn",
        stack,
        true,
    );
    pulumi.runtime.setAllConfig({ ...stackConfig(stack), ...overrides });
    let outputs: Record<string, any> = {};
    // runInPulumiStack creates the root stack resource, as the Pulumi CLI's
    // language host does, so a stack transformation can see resource options.
    await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
        options.set(`${args.type}::${args.name}`, {
            protect: Boolean(args.opts.protect),
            deleteBeforeReplace: Boolean((args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace),
            ignoreChanges: args.opts.ignoreChanges ?? [],
            parent: args.opts.parent ? (args.opts.parent as any).__name : undefined,
        });
        return undefined;
    });
    try {
        outputs = await import("../../infra/index");
    } catch (e) {
        // Let callers see what (if anything) was declared before the failure.
        throw Object.assign(e as Error, { declared: resources });
    }
    });
    // Wait until every resource registration has reached the mocks.
    await pulumi.runtime.disconnect();
    // Let every registration settle.
    const settled: Record<string, any> = {};
    for (const [k, v] of Object.entries(outputs)) settled[k] = await value(v as any);
    return { resources, outputs: { ...outputs, __values: settled } };
}
