/**
 * Builds what a boot needs and the cache lacks, so it can run before (and beside) the tests that boot:
 *
 *   tsx prebuild.ts base <release>                 the mmdebstrap base (image.ts buildBase)
 *   tsx prebuild.ts repo <release> <package>...    the local apt repository for those packages (image.ts buildAptRepository)
 *   tsx prebuild.ts all <release>...               for each release: its base, then the repository for the prod
 *                                                  stack's user data packages (what boot.test.ts boots), each under
 *                                                  its lock
 *
 * `base` and `repo` expect the caller to hold the artifact's lock (image.ts runs them under flock(1)); `all` takes
 * the locks itself, through image.ts baseImage/aptRepository, so a boot test started meanwhile waits for it instead
 * of building the same thing. vitest's global setup (test/helpers/boot/global-setup.ts) starts `all` in the
 * background at the beginning of a run. Log lines go to stdout.
 */
import { isDebianRelease, type DebianRelease } from "../../../infra/debian";
import { parseTurnConfig } from "../../../infra/config";
import { renderUserData } from "../../../infra/user-data";
import { stackConfig } from "../stack-config";
import { aptRepository, baseImage, buildAptRepository, buildBase } from "./image";
import { cloudConfig } from "./vm";

const log = (l: string) => console.log(`prebuild: ${l}`);

/** The packages the prod stack's user data installs (the same for every release; the addresses don't matter here). */
export function prodBootPackages(): string[] {
    const cfg = parseTurnConfig(stackConfig("prod"), {});
    const userData = renderUserData(cfg, { privateIp: "10.73.0.10", publicIp: "203.0.113.10", region: "eu-west-1", secretParameterName: "/turn-stack/turn/prod/static-auth-secret" });
    return cloudConfig(userData).packages ?? [];
}

function release(v: string | undefined): DebianRelease {
    if (!v || !isDebianRelease(v)) throw new Error(`prebuild: ${JSON.stringify(v)} is not a Debian release turn-stack supports`);
    return v;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "base") buildBase(release(args[0]), log);
else if (mode === "repo") buildAptRepository(release(args[0]), args.slice(1), log);
else if (mode === "all") {
    const packages = prodBootPackages();
    for (const r of args.map(release)) {
        const t0 = Date.now();
        // The locked builds are child processes of their own, which print their own "prebuild:" lines.
        const base = baseImage(console.log, r);
        aptRepository(base, "", packages, console.log);
        log(`Debian ${r}: base and repository ready (${((Date.now() - t0) / 1000).toFixed(1)} s${base.built ? ", built" : ", cached"})`);
    }
} else {
    console.error("usage: prebuild.ts base <release> | repo <release> <package>... | all <release>...");
    process.exit(2);
}
