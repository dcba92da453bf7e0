/**
 * vitest global setup of the boot lane (vitest.config.ts, project integration-boot): at the very beginning of a run,
 * start test/helpers/boot/prebuild.ts in the background, one process per release, to build whatever the boots need
 * and the cache lacks (each release's mmdebstrap base and its local apt repository; about 55-90 s each, cold, depending
 * on the machine's load). boot.test.ts boots the releases side by side, so both are built side by side too. The unit, program and other
 * integration tests run meanwhile; a boot test that gets there first waits for the build under its lock
 * (image.ts baseImage/aptRepository) instead of repeating it. With everything cached the child finds nothing to do.
 *
 * Their output goes to `<cache>/prebuild-<release>.log`. The teardown waits for them (a build killed halfway would leave its
 * working directory behind), which takes no time when the boot tests have used its results.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { DEBIAN_RELEASES } from "../../../infra/debian";
import { ROOT } from "../stack-config";
import { cacheDir } from "./image";

const children: ChildProcess[] = [];

export function setup(): void {
    const only = process.env.TURN_STACK_DEBIAN_RELEASE;
    for (const release of only ? [only] : Object.keys(DEBIAN_RELEASES)) {
        const log = join(cacheDir(), `prebuild-${release}.log`);
        const fd = openSync(log, "w");
        const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test", "helpers", "boot", "prebuild.ts"), "all", release], { cwd: ROOT, stdio: ["ignore", fd, fd] });
        closeSync(fd);
        children.push(child);
        console.log(`boot images: checking/building Debian ${release} in the background (PID ${child.pid}, log ${log})`);
    }
}

export async function teardown(): Promise<void> {
    await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => once(c, "exit")));
}
