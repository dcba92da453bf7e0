/**
 * {@link TestStackBackend} on the Pulumi Automation API (a local workspace on
 * this project; needs the Pulumi CLI and the stack's backend, e.g.
 * PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE).
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { TestStackBackend } from "./test-stacks";
import { PROJECT_ROOT } from "./stack-config";

/** Config keys set as Pulumi secrets when copied. */
const SECRET_KEYS = new Set(["cloudflare:apiToken"]);

export async function automationBackend(log: (l: string) => void): Promise<TestStackBackend> {
    const ws = await LocalWorkspace.create({ workDir: PROJECT_ROOT });
    const select = (stackName: string) => LocalWorkspace.selectStack({ stackName, workDir: PROJECT_ROOT });
    const onOutput = (out: string) => log(out.trimEnd());
    return {
        listStacks: async () => (await ws.listStacks()).map((s) => s.name),
        getConfig: async (stack, key) => {
            try {
                return (await ws.getConfig(stack, key)).value;
            } catch {
                return undefined;
            }
        },
        createStack: async (stackName, config) => {
            const s = await LocalWorkspace.createOrSelectStack({ stackName, workDir: PROJECT_ROOT });
            await s.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, value]) => [k, { value, secret: SECRET_KEYS.has(k) }])));
        },
        up: async (stack) => {
            await (await select(stack)).up({ onOutput });
        },
        protectedResources: async (stack) => {
            const state = await (await select(stack)).exportStack();
            const resources = (state.deployment?.resources ?? []) as { urn: string; protect?: boolean }[];
            return resources.filter((r) => r.protect).map((r) => r.urn);
        },
        destroy: async (stack) => {
            await (await select(stack)).destroy({ onOutput });
        },
        removeStack: async (stack) => ws.removeStack(stack),
    };
}
