/**
 * Static checks of a `#cloud-config` document beyond what cloud-init 22.4's
 * own `cloud-init schema` does:
 *
 * - {@link newerCloudConfigSchema}: the cloud-config JSON schema shipped in a
 *   newer Debian cloud-init package (trixie's), which, unlike 22.4's, rejects
 *   unknown top-level keys (`additionalProperties: false`), so a typo such as
 *   `write_file:` is an error rather than silently ignored. Fetched from
 *   Debian with apt into the boot test's cache (private apt lists; the host's
 *   apt configuration is not touched) and validated with ajv (draft-04).
 * - {@link writeOrderProblems}: a file written in cloud-init's init stage
 *   (`write_files` without `defer: true`) runs before any package is
 *   installed, so its owner must be a user and group every Debian system has
 *   (base-passwd's master files); a package's user needs `defer: true`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { cacheDir, run } from "./boot/image";

const NEWER_SUITE = "trixie";
const SCHEMA_PATH = "usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json";

/**
 * The newer cloud-config schema and the package version it came from. Cached
 * in `<cache>/cloud-init-<suite>/`; delete that directory to fetch the
 * suite's current package again.
 */
export function newerCloudConfigSchema(): { version: string; schema: object } {
    const dir = join(cacheDir(), `cloud-init-${NEWER_SUITE}`);
    const file = join(dir, "schema-cloud-config-v1.json");
    if (!existsSync(file)) {
        const work = join(cacheDir(), `cloud-init-${NEWER_SUITE}.tmp`);
        rmSync(work, { recursive: true, force: true });
        mkdirSync(join(work, "lists/partial"), { recursive: true });
        mkdirSync(join(work, "archives/partial"), { recursive: true });
        writeFileSync(join(work, "sources.list"), `deb http://deb.debian.org/debian ${NEWER_SUITE} main\n`);
        const opts = [
            "-o", `Dir::Etc::SourceList=${join(work, "sources.list")}`,
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", `Dir::State::Lists=${join(work, "lists")}`,
            "-o", `Dir::Cache=${work}`,
            "-o", "Debug::NoLocking=true",
        ];
        run("apt-get", ["-q", ...opts, "update"]);
        run("apt-get", ["-q", ...opts, "download", `cloud-init/${NEWER_SUITE}`], { cwd: work });
        const deb = readdirSync(work).find((f) => /^cloud-init_.*\.deb$/.test(f));
        if (!deb) throw new Error(`apt downloaded no cloud-init package from ${NEWER_SUITE}`);
        run("dpkg-deb", ["-x", deb, "pkg"], { cwd: work });
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "version"), run("dpkg-deb", ["-f", deb, "Version"], { cwd: work }).trim());
        // The schema file last: its presence is what marks the cache complete.
        renameSync(join(work, "pkg", SCHEMA_PATH), file);
        rmSync(work, { recursive: true, force: true });
    }
    return { version: readFileSync(join(dir, "version"), "utf8").trim(), schema: JSON.parse(readFileSync(file, "utf8")) };
}

/** Validate a parsed cloud-config document; returns ajv's error messages (empty when valid). */
export function validateCloudConfig(schema: object, doc: unknown): string[] {
    // strict: false because cloud-init's schema carries its own annotation keywords (deprecated, changed, ...).
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    if (validate(doc)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? `: ${e.params.additionalProperty}` : ""}`);
}

function masterNames(file: string): Set<string> {
    return new Set(readFileSync(join("/usr/share/base-passwd", file), "utf8").split("\n").filter(Boolean).map((l) => l.split(":")[0]));
}

/**
 * @param doc a parsed cloud-config document
 * @returns one line per `write_files` entry whose owner may not exist yet when cloud-init writes it
 */
export function writeOrderProblems(doc: { write_files?: { path: string; owner?: string; defer?: boolean }[] }): string[] {
    const users = masterNames("passwd.master");
    const groups = masterNames("group.master");
    const problems: string[] = [];
    for (const f of doc.write_files ?? []) {
        if (f.defer) continue;
        const [user, group = user] = (f.owner ?? "root:root").split(":");
        if (!users.has(user) || !groups.has(group)) {
            problems.push(`${f.path}: owner ${f.owner} is written in the init stage, before packages are installed; use a base user or defer: true`);
        }
    }
    return problems;
}
