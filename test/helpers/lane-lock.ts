/**
 * vitest setup file of the serial integration lanes (vitest.config.ts): a test file of lane L runs only while it
 * holds an exclusive flock(2) on /tmp/turn-stack-vitest-lane-<L>.lock, so the lane's files (fixed loopback
 * addresses, the boot namespaces) run one at a time while every other file runs beside them.
 *
 * Why not `fileParallelism: false`: vitest 4 puts every file of such a project into one "sequential" group, run
 * with a single worker AFTER all other files (vitest/dist cli-api groupSpecs: the groups run one after another),
 * so the serial lanes ran one after the other at the end instead of beside the rest.
 *
 * The lock is held by a `flock` child (util-linux) whose stdin is a pipe from this worker: released in afterAll,
 * and by the kernel when this worker dies (the pipe closes, the child exits), so a crashed run never leaves the
 * lane locked. A different file from the helpers' /tmp/turn-stack-integration.lock, which a `flock` around the
 * whole vitest run holds (taking that one here would wait for ever).
 *
 * Waiting happens in a beforeAll registered here, so before any of the test file's own hooks; the file's
 * module-level code (which starts nothing) has run by then. The time waited is not the file's: it is printed
 * when longer than a second.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll } from "vitest";

/** Set per project in vitest.config.ts. */
const lane = process.env.TURN_STACK_TEST_LANE;
/** The longest a file waits for its lane: the lane's other files together stay well under this. */
const WAIT_MS = 30 * 60_000;

let holder: ChildProcess | undefined;

beforeAll(async () => {
    if (!lane || !/^[a-z-]+$/.test(lane)) throw new Error(`lane-lock.ts: TURN_STACK_TEST_LANE is ${JSON.stringify(lane)}; set it per project in vitest.config.ts`);
    const file = `/tmp/turn-stack-vitest-lane-${lane}.lock`;
    const t0 = Date.now();
    const child = spawn("flock", ["--exclusive", file, "sh", "-c", "echo locked && exec cat >/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
    holder = child;
    await new Promise<void>((resolve, reject) => {
        child.once("error", (e) => reject(new Error(`lane-lock.ts: flock (util-linux) could not run: ${e.message}`)));
        child.once("exit", (code) => reject(new Error(`lane-lock.ts: flock ${file} exited (${code}) before taking the lock`)));
        createInterface({ input: child.stdout! }).once("line", (l) => (l === "locked" ? resolve() : reject(new Error(`lane-lock.ts: unexpected ${l}`))));
    });
    const waited = (Date.now() - t0) / 1000;
    if (waited > 1) console.log(`lane ${lane}: waited ${waited.toFixed(1)} s for the lane`);
}, WAIT_MS);

afterAll(async () => {
    const child = holder;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.stdin!.end();
    await exited;
});
