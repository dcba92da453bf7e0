/**
 * Everything the real program asks the engine for, under Pulumi's mocks, as the
 * engine would receive it: each resource registration (type, name, URN, parent
 * URN, provider reference, every input, dependencies and options) and each
 * invoke (token, arguments, provider). Usage:
 *   tsx test/helpers/resource-dump.ts <stack> [json config overrides]
 * prints the dump as JSON, sorted by URN, so two program versions can be
 * compared input by input (test/program/fleet-identity.test.ts).
 *
 * It hooks the mock monitor's RegisterResource and Invoke (the gRPC calls the
 * Node.js SDK makes, @pulumi/pulumi runtime/resource.js), so it sees the request
 * itself rather than what a transformation sees.
 */
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockNewResource, value } from "./mock-program";
import { stackConfig } from "./stack-config";

/** One resource registration, as the engine receives it. */
export interface RegisteredResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Parent URN ("" for the stack itself). */
    parent: string;
    /** Provider reference `<provider urn>::<id>`; "" means the default provider. */
    provider: string;
    inputs: Record<string, unknown>;
    dependencies: string[];
    options: Record<string, unknown>;
}

/** One invoke (data source call). */
export interface Invoke {
    token: string;
    args: Record<string, unknown>;
    provider: string;
}

export interface ResourceDump {
    resources: RegisteredResource[];
    invokes: Invoke[];
    /** The stack's outputs, resolved (secrets as plain values: mocks). */
    outputs?: Record<string, unknown>;
}

/** Run the program for `stack` (with `overrides`) and collect every registration and invoke. */
export async function dumpProgram(stack: string, overrides: Record<string, string> = {}): Promise<ResourceDump> {
    const resources: RegisteredResource[] = [];
    const invokes: Invoke[] = [];
    await pulumi.runtime.setMocks({ newResource: mockNewResource, call: mockCall }, "turn", stack, true);
    const monitor = pulumi.runtime.getMonitor() as any;
    // The engine's URN: `urn:pulumi:<stack>::<project>::<parent's qualified type>$<type>::<name>`, the root
    // stack's type left out (pulumi/pulumi sdk/go/common/resource/urn.go NewURN). The mock monitor's own URNs
    // keep the stack's type and only the parent's last type; map them to the engine's.
    const qualified = new Map<string, string>();
    const real = new Map<string, string>();
    const engineUrn = (mockUrn: string) => real.get(mockUrn) ?? mockUrn;
    const ref = (providerRef: string) => {
        const i = providerRef.lastIndexOf("::");
        return providerRef ? `${engineUrn(providerRef.slice(0, i))}${providerRef.slice(i)}` : "";
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        const o = req.toObject();
        const mockUrn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
        const parentType = qualified.get(req.getParent());
        const qtype = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${req.getType()}` : req.getType();
        qualified.set(mockUrn, qtype);
        const urn = `urn:pulumi:${stack}::turn::${qtype}::${req.getName()}`;
        real.set(mockUrn, urn);
        const inputs = pulumi.runtime.deserializeProperties(req.getObject());
        // Keep every option the request carries, minus what is recorded above or is per-run noise.
        const { type, name, parent, custom, object, provider, dependenciesList, propertydependenciesMap, sourceposition, stacktrace, ...options } = o;
        resources.push({
            urn,
            type,
            name,
            custom,
            parent: engineUrn(parent),
            provider: ref(provider),
            inputs,
            dependencies: dependenciesList.map(engineUrn).sort(),
            options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
        });
        return register(req, cb);
    };
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: any, cb: any) => {
        invokes.push({ token: req.getTok(), args: pulumi.runtime.deserializeProperties(req.getArgs()), provider: ref(req.getProvider()) });
        return invoke(req, cb);
    };
    pulumi.runtime.setAllConfig({ ...stackConfig(stack), ...overrides });
    let exports: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
        exports = await import("../../infra/index");
    });
    await pulumi.runtime.disconnect();
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(exports)) if (k !== "default") outputs[k] = await value(v as any);
    resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    invokes.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return { resources, invokes, outputs };
}

if (process.argv[1]?.endsWith("resource-dump.ts")) {
    const [stack, overrides] = process.argv.slice(2);
    dumpProgram(stack, overrides ? JSON.parse(overrides) : {})
        .then((d) => process.stdout.write(`${JSON.stringify(d, null, 1)}\n`))
        .catch((e) => {
            process.stderr.write(`${String(e?.stack ?? e)}\n`);
            process.exit(1);
        });
}
