/**
 * vitest configuration: three projects that mirror the code (see README, Tests).
 *
 * - unit: pure modules (infra/*.ts without @pulumi imports, scripts/lib logic); no root, no real components.
 * - program: the real Pulumi program under `pulumi.runtime.setMocks`. Pulumi's runtime state is
 *   global per process, so every file runs in its own forked process (pool "forks", isolate on).
 * - integration: real coturn, Chromium, network namespaces, nftables, the boot container. These share
 *   fixed loopback ports and namespace names, so their files run one at a time; each test that starts
 *   a real component sets its own timeout.
 *
 * The optional full-VM test (test/integration/vm) is not in `npm test`: `npm run test:vm`.
 */
import { defineConfig } from "vitest/config";

const VM_TEST = "test/integration/vm/**";

export default defineConfig({
    test: {
        pool: "forks",
        isolate: true,
        // A test whose tool is missing fails; nothing is skipped or focused in CI.
        allowOnly: false,
        passWithNoTests: false,
        coverage: {
            provider: "v8",
            include: ["infra/**/*.ts", "scripts/**/*.ts"],
            reporter: ["text", "json-summary"],
            reportsDirectory: "coverage",
        },
        projects: [
            {
                extends: true,
                test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 },
            },
            {
                extends: true,
                test: { name: "program", include: ["test/program/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
            },
            {
                extends: true,
                test: {
                    name: "integration",
                    include: ["test/integration/**/*.test.ts"],
                    exclude: process.env.TURN_STACK_VM_TEST ? [] : [VM_TEST],
                    fileParallelism: false,
                    testTimeout: 120_000,
                    hookTimeout: 300_000,
                },
            },
        ],
    },
});
