#!/usr/bin/env node
/**
 * A STAND-IN for the Pulumi CLI (no real CLI, cloud or Pulumi account in tests).
 * It answers exactly the commands turn-stack's Automation API paths run
 * (scripts/lib/automation-backend.ts, scripts/ice.ts through
 * @pulumi/pulumi/automation 3.248), with the flags, JSON shapes, files and
 * error texts of pulumi/pulumi (sources cited per command below), over a
 * self-managed ("diy") file backend: PULUMI_BACKEND_URL=file://<dir>, laid out
 * like the real one (pkg/backend/diy: `.pulumi/stacks/<project>/<stack>.json`,
 * tags in `<stack>.pulumi-tags`, locks in `.pulumi/locks/<project>/<stack>/`).
 *
 * Secrets use the real passphrase secrets provider: a per-stack 8-byte salt
 * stored as `encryptionsalt: v1:<salt>:<"pulumi" encrypted>` in
 * Pulumi.<stack>.yaml, keys from PBKDF2-SHA256 with 1,000,000 iterations,
 * values `v1:<nonce>:<AES-256-GCM>` (pkg/secrets/passphrase/manager.go
 * NewPassphraseSecretsManager; sdk/go/common/resource/config/crypt.go). So a
 * ciphertext copied from another stack does not decrypt here, as in the CLI.
 * Unlike the CLI, which derives the key again in every process (about 0.5 s of CPU each), the
 * stand-in keeps each derived key in `$PULUMI_HOME/standin-kdf/` (the test's temp directory), named
 * by a hash of passphrase and salt: same keys, same ciphertexts and refusals, one derivation per
 * salt and passphrase for a whole test file.
 *
 * What it does NOT do: run the program. `up` records what it was asked to do
 * (stack, flags such as --policy-pack, the config the program would get) in
 * `<backend>/standin-calls.jsonl` and writes a deployment modelled on the
 * program's one protectable resource (the Elastic IP, protected when
 * turn:protectAddress is true), plus outputs a test seeded (`standin-outputs`).
 * Anything else answers "unsupported by the stand-in" with exit 255, so a
 * script that starts using a new command fails its test until this learns it.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, stringify as toYaml } from "yaml";

const require = createRequire(import.meta.url);
/** The CLI version `npx pulumi` pins (package.json devDependency `pulumi`, npm/README.md: version = CLI version). */
/** PULUMI_STANDIN_VERSION pretends to be another version (a test of the minimum-version check). */
const VERSION = process.env.PULUMI_STANDIN_VERSION ?? require(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "node_modules", "pulumi", "package.json")).version;

class CliError extends Error {}
const fail = (msg) => {
    throw new CliError(msg);
};

// ---- arguments ----------------------------------------------------------------------------
/** Flags that take a value, per the CLI's cobra definitions the Automation API uses. */
const VALUE_FLAGS = new Set(["--stack", "-s", "--policy-pack", "--policy-pack-config", "--exec-kind", "--event-log", "--message", "-m", "--page-size", "--page", "--client", "--secrets-provider", "--parallel", "--exec-agent", "--target", "--replace", "--exclude", "--config-file"]);
function parseArgv(argv) {
    const pos = [];
    const flags = {};
    const add = (k, v) => (flags[k] ??= []).push(v);
    let i = 0;
    // `config set-all` takes --json/--plaintext/--secret with values (config.go newConfigSetAllCmd).
    const setAll = argv[0] === "config" && argv[1] === "set-all";
    while (i < argv.length) {
        const a = argv[i++];
        if (a === "--") {
            pos.push(...argv.slice(i));
            break;
        }
        if (a.startsWith("-")) {
            const eq = a.indexOf("=");
            if (eq > 0) add(a.slice(0, eq), a.slice(eq + 1));
            else if (VALUE_FLAGS.has(a) || (setAll && ["--json", "--plaintext", "--secret"].includes(a))) add(a, argv[i++]);
            else add(a, true);
        } else pos.push(a);
    }
    return { pos, flags, has: (k) => k in flags, one: (k) => flags[k]?.at(-1), all: (k) => flags[k] ?? [] };
}

// ---- backend (pkg/backend/diy) ------------------------------------------------------------
function backendDir() {
    const url = process.env.PULUMI_BACKEND_URL;
    // The stand-in only does file:// (never the user's ~/.pulumi: Pulumi.yaml's file://~ is refused).
    if (!url || !url.startsWith("file://") || url === "file://~") fail(`the stand-in needs PULUMI_BACKEND_URL=file://<test temp dir>, got ${JSON.stringify(url)}`);
    const dir = url.slice("file://".length);
    mkdirSync(join(dir, ".pulumi"), { recursive: true });
    return dir;
}
function project() {
    const f = join(process.cwd(), "Pulumi.yaml");
    if (!existsSync(f)) fail(`no Pulumi.yaml project file found (searching upwards from ${process.cwd()})`);
    return parseYaml(readFileSync(f, "utf8"));
}
const stackBase = (b, proj, s) => join(b, ".pulumi", "stacks", proj.name, s);
const checkpointFile = (b, proj, s) => `${stackBase(b, proj, s)}.json`;
/** Tags beside the checkpoint (pkg/backend/diy/stack_tags.go: StackBasePath + ".pulumi-tags"). */
const tagsFile = (b, proj, s) => `${stackBase(b, proj, s)}.pulumi-tags`;
const historyFile = (b, proj, s) => join(b, ".pulumi", "history", proj.name, s, "history.json");
const lockDir = (b, proj, s) => join(b, ".pulumi", "locks", proj.name, s);
const readJson = (f, dflt) => (existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : dflt);
const writeJson = (f, v) => {
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, JSON.stringify(v, null, 2));
};
function requireStack(b, proj, s) {
    if (!s) fail("no stack selected; pass --stack");
    // errors.js in the Automation API maps /no stack named.*found/ to StackNotFoundError.
    if (!existsSync(checkpointFile(b, proj, s))) fail(`no stack named '${s}' found`);
    return readJson(checkpointFile(b, proj, s));
}
/** Take the stack's lock; an existing lock of another process fails (pkg/backend/diy/lock.go checkForLock). */
function lock(b, proj, s) {
    const dir = lockDir(b, proj, s);
    const others = existsSync(dir) ? readdirSync(dir) : [];
    if (others.length > 0) fail(`the stack is currently locked by ${others.length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.`);
    mkdirSync(dir, { recursive: true });
    const f = join(dir, `${randomUUID()}.json`);
    writeJson(f, { pid: process.pid, timestamp: new Date().toISOString() });
    return () => rmSync(f, { force: true });
}

// ---- stack files and the passphrase secrets provider --------------------------------------
const stackFile = (s) => join(process.cwd(), `Pulumi.${s}.yaml`);
/** A missing Pulumi.<stack>.yaml loads as an empty project stack (pkg/workspace LoadProjectStack). */
const loadStackFile = (s) => (existsSync(stackFile(s)) ? (parseYaml(readFileSync(stackFile(s), "utf8")) ?? {}) : {});
const saveStackFile = (s, ps) => writeFileSync(stackFile(s), toYaml(ps));
function passphrase() {
    const p = process.env.PULUMI_CONFIG_PASSPHRASE;
    if (p === undefined) fail("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
    return p;
}
/** PBKDF2 as manager.go derives it, cached per (passphrase, salt) in this process and in $PULUMI_HOME/standin-kdf. */
const derived = new Map();
function keyFor(salt) {
    const id = createHash("sha256").update(JSON.stringify([passphrase(), Buffer.from(salt).toString("base64")])).digest("hex");
    if (derived.has(id)) return derived.get(id);
    const dir = process.env.PULUMI_HOME ? join(process.env.PULUMI_HOME, "standin-kdf") : undefined;
    let key = dir && existsSync(join(dir, id)) ? Buffer.from(readFileSync(join(dir, id), "utf8"), "hex") : undefined;
    if (key?.length !== 32) {
        key = pbkdf2Sync(passphrase(), salt, 1_000_000, 32, "sha256");
        if (dir) {
            mkdirSync(dir, { recursive: true });
            // Written whole, then renamed: a concurrent reader sees the key or nothing.
            const tmp = join(dir, `${id}.${process.pid}`);
            writeFileSync(tmp, key.toString("hex"));
            renameSync(tmp, join(dir, id));
        }
    }
    derived.set(id, key);
    return key;
}
function encryptWith(key, plaintext) {
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, nonce);
    const ct = Buffer.concat([c.update(plaintext, "utf8"), c.final(), c.getAuthTag()]);
    return `v1:${nonce.toString("base64")}:${ct.toString("base64")}`;
}
function decryptWith(key, value) {
    const [v, n, c] = String(value).split(":");
    if (v !== "v1" || c === undefined) fail("bad value");
    const buf = Buffer.from(c, "base64");
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(n, "base64"));
    d.setAuthTag(buf.subarray(buf.length - 16));
    return Buffer.concat([d.update(buf.subarray(0, buf.length - 16)), d.final()]).toString("utf8");
}
/** A crypter from `encryptionsalt` state, checking the passphrase against its "pulumi" message. */
function crypterFromState(state) {
    const [, salt, ...msg] = state.split(":");
    const key = keyFor(Buffer.from(salt, "base64"));
    try {
        if (decryptWith(key, msg.join(":")) !== "pulumi") throw new Error();
    } catch {
        fail("incorrect passphrase");
    }
    return { encrypt: (p) => encryptWith(key, p), decrypt: (c) => decryptWith(key, c), state };
}
/** A new passphrase secrets manager: fresh 8-byte salt (manager.go NewPassphraseSecretsManager). */
function newCrypterState() {
    const salt = randomBytes(8);
    return `v1:${salt.toString("base64")}:${encryptWith(keyFor(salt), "pulumi")}`;
}
/** The stack file's crypter, creating (and recording) a salt when it has none. */
function stackCrypter(s, ps) {
    if (!ps.encryptionsalt) ps.encryptionsalt = newCrypterState();
    return crypterFromState(ps.encryptionsalt);
}

// ---- config values (sdk/go/common/resource/config) ----------------------------------------
const isSecure = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.secure === "string";
const qualify = (proj, k) => (k.includes(":") ? k : `${proj.name}:${k}`);
/** A stored value as `pulumi config --json` prints it (config.go listConfig, configValueJSON). */
function jsonEntry(v, crypter, showSecrets) {
    if (isSecure(v)) {
        if (!showSecrets) return { secret: true };
        const plain = crypter.decrypt(v.secure);
        let obj;
        try {
            obj = JSON.parse(plain);
        } catch {}
        return obj !== null && typeof obj === "object" ? { value: plain, objectValue: obj, secret: true } : { value: plain, secret: true };
    }
    if (v !== null && typeof v === "object") return { value: JSON.stringify(v), objectValue: v, secret: false };
    return { value: String(v), secret: false };
}
/** The stack's config merged with Pulumi.yaml `config:` defaults (pkg/workspace ApplyProjectConfig). */
function effectiveConfig(proj, ps) {
    const out = { ...(ps.config ?? {}) };
    for (const [k, spec] of Object.entries(proj.config ?? {})) {
        const key = qualify(proj, k);
        if (!(key in out) && spec && typeof spec === "object" && "default" in spec) out[key] = spec.default;
    }
    return out;
}
function listConfigJson(proj, s, showSecrets) {
    const ps = loadStackFile(s);
    const cfg = effectiveConfig(proj, ps);
    const hasSecure = Object.values(cfg).some(isSecure);
    const crypter = hasSecure && showSecrets ? (ps.encryptionsalt ? crypterFromState(ps.encryptionsalt) : fail("could not decrypt configuration values: no secrets provider in the stack file")) : undefined;
    return Object.fromEntries(Object.keys(cfg).sort().map((k) => [k, jsonEntry(cfg[k], crypter, showSecrets)]));
}
/** What the program receives: `ns:key` → string, secrets decrypted (the Node.js runtime's PULUMI_CONFIG). */
function programConfig(proj, ps) {
    const cfg = effectiveConfig(proj, ps);
    const crypter = Object.values(cfg).some(isSecure) ? crypterFromState(ps.encryptionsalt ?? fail("stack file has secrets but no encryptionsalt")) : undefined;
    const out = {};
    const secretKeys = [];
    for (const [k, v] of Object.entries(cfg)) {
        const e = jsonEntry(v, crypter, true);
        out[k] = e.value;
        if (e.secret) secretKeys.push(k);
    }
    return { config: out, secretKeys: secretKeys.sort() };
}

// ---- commands -----------------------------------------------------------------------------
const out = (s) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
const printJson = (v) => out(JSON.stringify(v, null, 4));
function record(b, entry) {
    if (!b) return;
    mkdirSync(b, { recursive: true });
    appendFileSync(join(b, "standin-calls.jsonl"), `${JSON.stringify({ ...entry, cwd: process.cwd(), env: { PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE !== undefined, CLOUDFLARE_API_TOKEN: !!process.env.CLOUDFLARE_API_TOKEN, PULUMI_AUTOMATION_API: process.env.PULUMI_AUTOMATION_API } })}\n`);
}

function main(argv) {
    const a = parseArgv(argv);
    const [c0, c1, c2] = a.pos;
    if (c0 === "version") {
        // Recorded too (when a backend is set), so a test sees that a refusal came before any CLI call.
        const u = process.env.PULUMI_BACKEND_URL;
        record(u?.startsWith("file:///") ? u.slice(7) : undefined, { argv });
        // `pulumi version` prints `v<semver>` (PulumiCommand.get parses it and checks the minimum).
        return out(`v${VERSION}`);
    }
    const b = backendDir();
    const proj = project();
    const stack = a.one("--stack") ?? a.one("-s");
    record(b, { argv });

    // `stack select --stack <s>`: fails with "no stack named '<s>' found" (LocalWorkspace.selectStack).
    if (c0 === "stack" && c1 === "select") {
        requireStack(b, proj, stack ?? c2);
        return;
    }
    if (c0 === "stack" && c1 === "init") {
        const s = c2 ?? stack;
        if (existsSync(checkpointFile(b, proj, s))) fail(`stack '${s}' already exists`);
        // `stack init` with the passphrase provider writes the new salt to Pulumi.<stack>.yaml.
        const ps = loadStackFile(s);
        ps.encryptionsalt = newCrypterState();
        saveStackFile(s, ps);
        writeJson(checkpointFile(b, proj, s), { version: 3, checkpoint: { stack: s, latest: null } });
        // Self-managed backends inject the system tag pulumi:project (CHANGELOG 3.211.0, #19882).
        writeJson(tagsFile(b, proj, s), { version: 1, tags: { "pulumi:project": proj.name } });
        return out(`Created stack '${s}'`);
    }
    if (c0 === "stack" && c1 === "ls") {
        if (!a.has("--json")) fail("unsupported by the stand-in: stack ls without --json");
        const dir = join(b, ".pulumi", "stacks", proj.name);
        const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort() : [];
        // stack_list.go stackSummaryJSON: name, current, lastUpdate, updateInProgress, resourceCount, url.
        return printJson(
            names.map((n) => {
                const cp = readJson(checkpointFile(b, proj, n)).checkpoint;
                const e = { name: n, current: false, updateInProgress: false, url: `file://${b}` };
                if (cp.latest) Object.assign(e, { lastUpdate: cp.latest.manifest.time, resourceCount: cp.latest.resources.length });
                return e;
            }),
        );
    }
    // `stack rm --yes <s>`: refuses while resources remain (stack_remove.go), removes the stack's
    // checkpoint, tags and history, and its Pulumi.<stack>.yaml unless --preserve-config.
    if (c0 === "stack" && c1 === "rm") {
        const s = c2 ?? stack;
        const cp = requireStack(b, proj, s).checkpoint;
        if ((cp.latest?.resources ?? []).length > 0 && !a.has("--force")) fail(`'${s}' still has resources; removal rejected. Possible actions:\n- Make sure that '${s}' is the stack that you want to destroy\n- Run \`pulumi destroy\` to delete the resources, then run \`pulumi stack rm\`\n- Run \`pulumi stack rm --force\` to override this error`);
        for (const f of [checkpointFile(b, proj, s), tagsFile(b, proj, s)]) rmSync(f, { force: true });
        rmSync(dirname(historyFile(b, proj, s)), { recursive: true, force: true });
        if (!a.has("--preserve-config")) rmSync(stackFile(s), { force: true });
        return out(`Stack '${s}' has been removed!`);
    }
    // `stack tag ls --json` prints the name → value map; `get` the value; `set`/`rm` change the
    // tags file (LocalWorkspace listTags/getTag/setTag/removeTag).
    if (c0 === "stack" && c1 === "tag") {
        requireStack(b, proj, stack);
        const t = readJson(tagsFile(b, proj, stack), { version: 1, tags: {} });
        const [, , , k, v] = a.pos;
        if (c2 === "ls") return a.has("--json") ? printJson(t.tags) : out(Object.entries(t.tags).map(([x, y]) => `${x} ${y}`).join("\n"));
        if (c2 === "get") return k in t.tags ? out(t.tags[k]) : fail(`stack tag '${k}' not found for stack '${stack}'`);
        if (c2 === "set") {
            // Tag names and values as validated by pkg/util/validation/stack.go ValidateStackTags.
            if (!/^[a-zA-Z0-9-_.:]{1,40}$/.test(k)) fail("stack tag names may only contain alphanumerics, hyphens, underscores, periods, or colons");
            if (String(v).length > 256) fail(`stack tag "${k}" value is too long (max length 256 characters)`);
            t.tags[k] = v;
            return writeJson(tagsFile(b, proj, stack), t);
        }
        if (c2 === "rm") {
            delete t.tags[k];
            return writeJson(tagsFile(b, proj, stack), t);
        }
    }
    // `stack export --show-secrets`: an untyped deployment {version: 3, deployment: {manifest,
    // secrets_providers, resources}} (apitype.UntypedDeployment; LocalWorkspace.exportStack parses it).
    if (c0 === "stack" && c1 === "export") {
        const cp = requireStack(b, proj, stack).checkpoint;
        return printJson({ version: 3, deployment: cp.latest ?? { manifest: { time: new Date(0).toISOString(), magic: "", version: "" } } });
    }
    // `stack output --json [--show-secrets]`: secrets print as "[secret]" without --show-secrets,
    // which is how LocalWorkspace.stackOutputs tells them apart.
    if (c0 === "stack" && c1 === "output") {
        const cp = requireStack(b, proj, stack).checkpoint;
        const outputs = cp.standinOutputs ?? {};
        const shown = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret && !a.has("--show-secrets") ? "[secret]" : o.value]));
        return printJson(shown);
    }
    // `stack history --json --page-size N --page P`: newest first, UpdateInfo objects with
    // startTime/endTime strings (Stack.history parses them as dates; Stack.up/destroy call it).
    if (c0 === "stack" && c1 === "history") {
        requireStack(b, proj, stack);
        const h = readJson(historyFile(b, proj, stack), []).slice().reverse();
        const size = Number(a.one("--page-size") ?? h.length);
        const page = Number(a.one("--page") ?? 1);
        return printJson(h.slice((page - 1) * size, page * size));
    }
    // `config --show-secrets --json` and `config get <key> --json` (config.go listConfig/getConfig).
    if (c0 === "config" && (c1 === undefined || c1 === "get")) {
        requireStack(b, proj, stack);
        const all = listConfigJson(proj, stack, c1 === "get" || a.has("--show-secrets"));
        if (c1 === undefined) return a.has("--json") ? printJson(all) : fail("unsupported by the stand-in: config without --json");
        const k = qualify(proj, c2);
        if (!(k in all)) fail(`configuration key '${c2}' not found for stack '${stack}'`);
        return a.has("--json") ? printJson(all[k]) : out(all[k].value);
    }
    if (c0 === "config" && c1 === "set-all") {
        requireStack(b, proj, stack);
        if (a.has("--path")) fail("unsupported by the stand-in: set-all --path");
        const ps = loadStackFile(stack);
        ps.config ??= {};
        let crypter;
        const enc = (p) => (crypter ??= stackCrypter(stack, ps)).encrypt(p);
        const split = (kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)];
        for (const kv of a.all("--plaintext")) {
            const [k, v] = split(kv);
            ps.config[qualify(proj, k)] = v;
        }
        for (const kv of a.all("--secret")) {
            const [k, v] = split(kv);
            ps.config[qualify(proj, k)] = { secure: enc(v) };
        }
        // --json: the format `pulumi config --json` prints (config.go newConfigSetAllCmd, 3.202.0):
        // a value must be present; `objectValue` stores an object; `secret` encrypts with THIS stack's crypter.
        if (a.has("--json")) {
            for (const [k, e] of Object.entries(JSON.parse(a.one("--json")))) {
                if (e.value === undefined || e.value === null) fail(`value for --json object key "${k}" is nil`);
                const key = qualify(proj, k);
                if (e.secret) ps.config[key] = { secure: enc(e.value) };
                else if (e.objectValue !== undefined && e.objectValue !== null) ps.config[key] = JSON.parse(e.value);
                else ps.config[key] = e.value;
            }
        }
        return saveStackFile(stack, ps);
    }
    if (c0 === "config" && c1 === "refresh") {
        // config.go newConfigRefreshCmd: the last deployment's config and its secrets provider state.
        const cp = requireStack(b, proj, stack).checkpoint;
        if (!cp.latest) fail("getting latest configuration: no previous deployment");
        const ps = existsSync(stackFile(stack)) && !a.has("--force") ? fail("unsupported by the stand-in: config refresh without --force over an existing file") : loadStackFile(stack);
        ps.config = cp.config ?? {};
        if (cp.latest.secrets_providers?.type === "passphrase") ps.encryptionsalt = cp.latest.secrets_providers.state.salt;
        return saveStackFile(stack, ps);
    }
    // `up --yes --skip-preview [--policy-pack p] --exec-kind auto.local` and `destroy --yes
    // --skip-preview` (Stack.up/destroy in stack.js): take the stack's lock (diy backend.go Update,
    // Destroy), write the checkpoint with the config used and the secrets provider state.
    if (c0 === "up" || c0 === "destroy") {
        const cp = requireStack(b, proj, stack);
        if (!a.has("--yes") || !a.has("--skip-preview")) fail("unsupported by the stand-in: interactive up/destroy");
        const unlock = lock(b, proj, stack);
        try {
            const started = new Date().toISOString();
            let ps = loadStackFile(stack);
            let secretsState;
            let recorded;
            if (c0 === "up") {
                // The program would get this config; the stand-in records it instead of running the program.
                const pc = programConfig(proj, ps);
                secretsState = stackCrypter(stack, ps).state;
                saveStackFile(stack, ps);
                recorded = { command: "up", stack, policyPacks: a.all("--policy-pack"), execKind: a.one("--exec-kind"), ...pc };
                const protect = pc.config[`${proj.name}:protectAddress`] === "true";
                const resources = [
                    { urn: `urn:pulumi:${stack}::${proj.name}::pulumi:pulumi:Stack::${proj.name}-${stack}`, type: "pulumi:pulumi:Stack" },
                    { urn: `urn:pulumi:${stack}::${proj.name}::aws:ec2/eip:Eip::turn-eip`, type: "aws:ec2/eip:Eip", protect },
                ];
                cp.checkpoint.config = ps.config ?? {};
                cp.checkpoint.latest = { manifest: { time: started, magic: "stand-in", version: `v${VERSION}` }, secrets_providers: { type: "passphrase", state: { salt: secretsState } }, resources };
            } else {
                // destroy.go: "Destroy is always permitted to fall back to looking for secrets providers
                // in state" (FallbackToState), so a runner without Pulumi.<stack>.yaml can destroy.
                const state = ps.encryptionsalt ?? cp.checkpoint.latest?.secrets_providers?.state?.salt;
                if (state) crypterFromState(state);
                const prot = (cp.checkpoint.latest?.resources ?? []).filter((r) => r.protect);
                if (prot.length > 0) fail(`resource "${prot[0].urn}" cannot be deleted because it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${prot[0].urn}'\``);
                if (cp.checkpoint.latest) cp.checkpoint.latest.resources = [];
                recorded = { command: "destroy", stack, policyPacks: a.all("--policy-pack"), execKind: a.one("--exec-kind"), hadStackFile: existsSync(stackFile(stack)) };
            }
            writeJson(checkpointFile(b, proj, stack), cp);
            const h = readJson(historyFile(b, proj, stack), []);
            h.push({ version: h.length + 1, kind: c0 === "up" ? "update" : "destroy", startTime: started, endTime: new Date().toISOString(), message: "", environment: {}, config: {}, result: "succeeded", resourceChanges: {} });
            writeJson(historyFile(b, proj, stack), h);
            record(b, recorded);
            return out(`${c0 === "up" ? "Updating" : "Destroying"} (${stack}):\n\nResources:\n\nDuration: 0s (stand-in: the program was not run)`);
        } finally {
            unlock();
        }
    }
    fail(`unsupported by the stand-in: pulumi ${argv.join(" ")}`);
}

try {
    main(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`error: ${e instanceof CliError ? e.message : e?.stack ?? String(e)}\n`);
    process.exit(255);
}
