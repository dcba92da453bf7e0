/**
 * The canary's Lambda code: ./handler.ts and everything it imports (scripts/lib/probe.ts,
 * the TURN client, infra/credentials.ts, aws4fetch) bundled by esbuild into one CommonJS file,
 * `index.js`, whose `handler` export is the function's handler (`index.handler`).
 *
 * Built when the Pulumi program runs (preview and up), from the sources in this checkout, so
 * the deployed code is always the code under review. Deterministic: esbuild's output depends
 * only on its inputs and options (no timestamps), the working directory is the project root so
 * the path comments it writes are relative (`// infra/canary/run.ts`), no source map, and
 * esbuild's version is pinned exactly in package.json. Same sources, same bytes, same hash:
 * Pulumi sees no change and uploads nothing.
 *
 * No externals: the bundle needs only Node's built-in modules, which every Lambda Node.js
 * runtime has; it does not lean on the AWS SDK that Lambda's runtimes ship (its version is
 * the runtime's, not ours). test/integration/canary.test.ts loads it in a clean Node process.
 *
 * No `@pulumi/*` import.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { join } from "node:path";

/** The project root (this file is infra/canary/bundle.ts). */
const PROJECT_ROOT = join(__dirname, "..", "..");
/** The handler module, relative to the project root. */
export const CANARY_ENTRY = "infra/canary/handler.ts";
/** File name of the bundle in the function's archive, and the handler setting that names it. */
export const CANARY_BUNDLE_FILE = "index.js";
export const CANARY_HANDLER = "index.handler";

/** A built bundle. */
export interface CanaryBundle {
    /** The JavaScript, UTF-8. */
    code: string;
    /** SHA-256 of the code, hex. */
    sha256: string;
}

/**
 * Bundle the handler.
 * @param nodeMajor the Lambda runtime's Node.js major version (esbuild `target`, e.g. 24 for nodejs24.x)
 * @throws Error with esbuild's messages when the sources do not build
 */
export function bundleCanary(nodeMajor: number): CanaryBundle {
    const result = buildSync({
        absWorkingDir: PROJECT_ROOT,
        entryPoints: [CANARY_ENTRY],
        bundle: true,
        platform: "node",
        format: "cjs",
        target: `node${nodeMajor}`,
        write: false,
        outfile: CANARY_BUNDLE_FILE,
        sourcemap: false,
        minify: false,
        legalComments: "eof",
        charset: "utf8",
        logLevel: "silent",
    });
    const code = result.outputFiles[0].text;
    return { code, sha256: createHash("sha256").update(code).digest("hex") };
}
