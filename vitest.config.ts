/**
 * vitest configuration: three projects that mirror the code (see README, Tests).
 *
 * - unit: pure modules (infra/*.ts without @pulumi imports, scripts/lib logic); no root, no real components.
 * - program: the real Pulumi program under `pulumi.runtime.setMocks`. Pulumi's runtime state is
 *   global per process, so every file runs in its own forked process (pool "forks", isolate on).
 * - integration (test/integration), in three lanes that run beside each other and beside unit and program:
 *   - `integration`: real coturn, Chromium, aiortc, nftables on fixed loopback addresses and ports, so
 *     these files run one at a time;
 *   - `integration-boot`: the boot container; it lives in its own network namespaces (10.73.0.0/24)
 *     and touches no loopback address of the host, so it runs beside the lane above, its files one at a time;
 *   - `integration-cli`: the CLIs against stand-ins (the Pulumi CLI stand-in in each test's own temp
 *     directory, the Cloudflare stand-in on a port the kernel picks) and the workflow linters; no
 *     fixed address, so these run in parallel.
 *   Most of their time is waiting (timers, boots, expiries), not CPU, so more workers than the two
 *   cores run at once (maxWorkers). Each test that starts a real component sets its own timeout.
 *   "One at a time" is a lock per lane (test/helpers/lane-lock.ts), not `fileParallelism: false`: vitest 4
 *   runs every file of such projects in one single-worker group after all other files, so the two serial
 *   lanes ran after each other at the end (9 min). test/helpers/lane-sequencer.ts orders the queue so a
 *   file waiting for its lane rarely holds a worker.
 *
 * The optional full-VM test (test/integration/vm) is not in `npm test`: `npm run test:vm`.
 */
import { defineConfig } from "vitest/config";
import { laneSequencer } from "./test/helpers/lane-sequencer";

const VM_TEST = "test/integration/vm/**";
/** The boot container tests: boot.test.ts and boot-*.test.ts (faults). */
const BOOT_TEST = "test/integration/boot{,-*}.test.ts";
/** Integration files that start no real component on a fixed address (see the header). */
const CLI_TESTS = ["automation", "capacity-cli", "ice-cli", "revoke", "rotate-secret", "workflows"].map((f) => `test/integration/${f}.test.ts`);
const integration = { testTimeout: 120_000, hookTimeout: 300_000 };
/** A serial lane: its files hold the lane's lock (test/helpers/lane-lock.ts) while they run. */
const lane = (name: string) => ({ setupFiles: ["test/helpers/lane-lock.ts"], env: { TURN_STACK_TEST_LANE: name } });

export default defineConfig({
    test: {
        pool: "forks",
        isolate: true,
        // Two serial lanes (one file each, plus at most about one waiting) and the parallel files.
        maxWorkers: 5,
        // The boot lane's files after its first go last: a boot file waiting minutes would hold a worker.
        sequence: { sequencer: laneSequencer({ integration: "spread", "integration-boot": "after" }) },
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
                    exclude: [BOOT_TEST, ...CLI_TESTS, ...(process.env.TURN_STACK_VM_TEST ? [] : [VM_TEST])],
                    ...lane("integration"),
                    ...integration,
                },
            },
            // globalSetup: builds missing boot images (mmdebstrap bases, apt repositories) in the background from the start of the run.
            { extends: true, test: { name: "integration-boot", include: [BOOT_TEST], ...lane("integration-boot"), globalSetup: ["test/helpers/boot/global-setup.ts"], ...integration } },
            { extends: true, test: { name: "integration-cli", include: CLI_TESTS, ...integration } },
        ],
    },
});
