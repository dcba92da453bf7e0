/**
 * {@link TestStackBackend} on the Pulumi Automation API: a LocalWorkspace on
 * this project, driving the `pulumi` CLI found on PATH (PulumiCommand.get;
 * under `npm run` that is node_modules/.bin/pulumi, which runs the CLI cached
 * in $PULUMI_HOME/versions/<version>). Needs the stack's backend
 * (PULUMI_BACKEND_URL) and passphrase (PULUMI_CONFIG_PASSPHRASE).
 *
 * Every command here, and the version that brought it (pulumi/pulumi CHANGELOG):
 * `stack ls --json`; `stack tag get/set/ls --json` on self-managed backends (3.211.0);
 * `config --show-secrets --json` and `config set-all --json` (3.202.0), which
 * re-encrypts secrets with the target stack's provider and keeps `objectValue`
 * objects and arrays; `config refresh --force`; `stack export`; `up`/`destroy`
 * with `--policy-pack`; `stack rm`.
 */
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import type { StackConfig, TestStackBackend } from "./test-stacks";
import { PROJECT_ROOT } from "./stack-config";

/** Oldest CLI with every command used here: stack tags on self-managed backends came in 3.211.0. */
export const MIN_PULUMI_VERSION = "3.211.0";
/** The policy pack every `up` runs (infra/policy, a @pulumi/policy pack). */
export const POLICY_PACK = join(PROJECT_ROOT, "infra", "policy");

export async function automationBackend(log: (l: string) => void): Promise<TestStackBackend> {
    // Runs `pulumi version` (PulumiCommand.get checks it against the Automation API's own minimum).
    const pulumiCommand = await PulumiCommand.get();
    if (pulumiCommand.version && pulumiCommand.version.compare(MIN_PULUMI_VERSION) < 0) {
        throw new Error(`Pulumi CLI ${pulumiCommand.version.format()} is too old: stack tags on self-managed backends need ${MIN_PULUMI_VERSION} or newer (npx pulumi uses the version in package.json)`);
    }
    const ws = await LocalWorkspace.create({ workDir: PROJECT_ROOT, pulumiCommand });
    const select = (stackName: string): Promise<Stack> => LocalWorkspace.selectStack({ stackName, workDir: PROJECT_ROOT }, { pulumiCommand });
    const onOutput = (out: string) => log(out.trimEnd());
    return {
        listStacks: async () => (await ws.listStacks()).map((s) => s.name),
        getTags: async (stack) => ws.listTags(stack),
        setTag: async (stack, key, value) => ws.setTag(stack, key, value),
        refreshedConfig: async (stack) => (await ws.refreshConfig(stack)) as StackConfig,
        readConfig: async (stack) => (await ws.getAllConfig(stack)) as StackConfig,
        createStack: async (stackName, config) => {
            await LocalWorkspace.createOrSelectStack({ stackName, workDir: PROJECT_ROOT }, { pulumiCommand });
            // The JSON form of `pulumi config --json`: secrets are encrypted by this stack's own
            // secrets provider, never copied as another stack's ciphertext; objectValue keeps arrays arrays.
            await ws.setAllConfigJson(stackName, JSON.stringify(config));
        },
        up: async (stack) => {
            await (await select(stack)).up({ onOutput, policyPacks: [POLICY_PACK] });
        },
        protectedResources: async (stack) => {
            const state = await ws.exportStack(stack);
            const resources = (state.deployment?.resources ?? []) as { urn: string; protect?: boolean }[];
            return resources.filter((r) => r.protect).map((r) => r.urn);
        },
        destroy: async (stack) => {
            // `pulumi destroy` reads the secrets provider from the state when the runner has no
            // Pulumi.<stack>.yaml (pulumi/pulumi pkg/cmd/pulumi/operations/destroy.go: FallbackToState).
            await (await select(stack)).destroy({ onOutput });
        },
        removeStack: async (stack) => ws.removeStack(stack),
    };
}
