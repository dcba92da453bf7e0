/**
 * The user data the program really declares (from a mocked program run), checked
 * by Debian's cloud-init 22.4 `schema`, a strict YAML 1.1 parse, nftables' own
 * parser and bash's syntax check.
 */
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument, stringify } from "yaml";
import { parseTurnConfig } from "../../infra/config";
import { renderTurnserverConf } from "../../infra/turnserver-conf";
import { REAPER_PATHS } from "../../infra/reaper";
import { VM_PATHS, COTURN_NOFILE } from "../../infra/cloud-init";
import { SYNC_PATHS } from "../../infra/secret-sync";
import { programJson, userDataOf } from "../helpers/program-json";
import { MOCK_PUBLIC_IP } from "../helpers/mock-program";
import { stackConfig } from "../helpers/stack-config";
import { newerCloudConfigSchema, validateCloudConfig, writeOrderProblems } from "../helpers/cloud-config-checks";

const stacks = { prod: programJson("prod"), dev: programJson("dev") };
const newer = newerCloudConfigSchema();
const dir = mkdtempSync(join(tmpdir(), "turn-stack-cloud-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input?: string) {
    const r = spawnSync(cmd, args, { encoding: "utf8", input });
    if (r.error) throw new Error(`${cmd} is required for this test (apt-get install it): ${r.error.message}`);
    return r;
}

function doc(userData: string) {
    const d = parseDocument(userData, { version: "1.1", uniqueKeys: true, strict: true });
    assert.deepEqual(d.errors, [], "YAML 1.1 parse errors");
    assert.deepEqual(d.warnings, []);
    return d.toJS() as { packages: string[]; write_files: { path: string; owner: string; permissions: string; content: string }[]; runcmd: string[][] };
}

for (const [stack, { resources }] of Object.entries(stacks)) {
    const userData = userDataOf(resources);

    test(`${stack}: cloud-init schema (Debian's cloud-init 22.4) accepts the user data`, () => {
        const file = join(dir, `${stack}.yaml`);
        writeFileSync(file, userData);
        const r = run("cloud-init", ["schema", "--config-file", file]);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Valid cloud-config/);
    });

    test(`${stack}: the newer cloud-config schema (Debian cloud-init ${newer.version}, unknown keys rejected) accepts the user data`, () => {
        assert.deepEqual(validateCloudConfig(newer.schema, doc(userData)), []);
    });

    test(`${stack}: write order: files written before packages are installed are owned by users every Debian system has`, () => {
        assert.deepEqual(writeOrderProblems(doc(userData)), []);
    });

    test(`${stack}: strict YAML 1.1 parse, #cloud-config header, octal modes as strings, root-owned files only`, () => {
        assert.ok(userData.startsWith("#cloud-config\n"));
        const d = doc(userData);
        for (const f of d.write_files) {
            assert.match(f.permissions, /^0[0-7]{3}$/, f.path);
            // Written in cloud-init's init stage, before packages: no package user exists yet.
            assert.equal(f.owner, "root:root", f.path);
        }
        assert.ok(d.packages.includes("coturn") && d.packages.includes("nftables"));
        assert.ok(!d.packages.includes("awscli"), "SSM is read with curl (infra/ssm-get.ts), not awscli");
    });

    test(`${stack}: the secret is not in the user data; coturn's config is the rendered one`, () => {
        assert.doesNotMatch(userData, /mock-shared-secret/);
        assert.doesNotMatch(userData, /^\s*static-auth-secret=/m, "no secret line in the config");
        const d = doc(userData);
        const base = d.write_files.find((f) => f.path === VM_PATHS.confBase)!;
        const cfg = parseTurnConfig(stackConfig(stack));
        const expected = renderTurnserverConf({
            ...cfg,
            listeningIp: "10.73.0.10",
            relayIp: "10.73.0.10",
            externalIp: { public: MOCK_PUBLIC_IP, private: "10.73.0.10" },
            tls: cfg.domain ? { certFile: VM_PATHS.tlsCert, keyFile: VM_PATHS.tlsKey } : undefined,
            // The secrets live in coturn's SQLite database, synced from SSM (infra/secret-sync.ts).
            userdb: SYNC_PATHS.userdb,
            // coturn's admin CLI on 127.0.0.1 for the session reaper (infra/reaper.ts).
            adminCli: true,
        });
        assert.equal(base.content, expected);
        assert.equal(base.permissions, "0600");
    });

    test(`${stack}: runcmd loads the firewall, then starts the configure unit and coturn after it; the configure script writes the config with the CLI password's hash`, () => {
        const d = doc(userData);
        const idx = (needle: string) => d.runcmd.findIndex((c) => c.join(" ").includes(needle));
        assert.ok(idx("turn-stack-firewall") >= 0);
        assert.ok(idx("turn-stack-firewall") < idx("start --no-block turn-stack-configure.service coturn.service"));
        assert.ok(idx("start --no-block turn-stack-configure.service coturn.service") < idx("turn-stack-reaper.timer"));
        // The reaper's setup appends the CLI password's hash to the config before it is renamed into place for coturn.
        const configure = d.write_files.find((f) => f.path === VM_PATHS.configureScript)!.content;
        assert.ok(configure.indexOf(`${REAPER_PATHS.script} setup`) < configure.indexOf(`mv ${VM_PATHS.conf}.new ${VM_PATHS.conf}`));
        assert.match(d.write_files.find((f) => f.path === VM_PATHS.dropIn)!.content, /^After=.*turn-stack-configure\.service/m);
        const dropIn = d.write_files.find((f) => f.path === VM_PATHS.dropIn)!.content;
        assert.match(dropIn, new RegExp(`^ConditionPathExists=${VM_PATHS.conf}$`, "m"));
        assert.match(dropIn, /^ExecStart=$/m);
        assert.match(dropIn, new RegExp(`^ExecStart=/usr/bin/turnserver -c ${VM_PATHS.conf} `, "m"));
        assert.match(dropIn, new RegExp(`^LimitNOFILE=${COTURN_NOFILE}$`, "m"));
        assert.match(dropIn, /^Restart=always$/m);
        assert.match(dropIn, /^Requires=turn-stack-firewall.service$/m);
    });

    test(`${stack}: shell scripts pass bash -n, the nftables ruleset passes nft -c`, () => {
        const d = doc(userData);
        for (const f of d.write_files.filter((x) => x.content.startsWith("#!/bin/"))) {
            const r = run("bash", ["-n"], f.content);
            assert.equal(r.status, 0, `${f.path}: ${r.stderr}`);
        }
        const nft = d.write_files.find((f) => f.path === VM_PATHS.nftables)!;
        const file = join(dir, `${stack}.nft`);
        writeFileSync(file, nft.content);
        // nft -c resolves `meta skuid "turnserver"`: the coturn package creates that user.
        const r = run("nft", ["-c", "-f", file]);
        assert.equal(r.status, 0, r.stderr);
        // 443: TURN over TLS to 5349 with a domain (prod); plain TURN over TCP to 3478 without (dev).
        assert.match(nft.content, stack === "prod" ? /tcp dport 443 redirect to :5349/ : /tcp dport 443 redirect to :3478 comment "TURN over TCP on 443"/);
        assert.equal(nft.content.match(/ redirect to /g)?.length, 1, "one redirect");
        assert.match(nft.content, /169\.254\.0\.0\/16/);
        assert.match(nft.content, /fc00::\/7/);
    });
}

test("prod obtains a certificate for its domain; dev has no TLS at all", () => {
    const prod = doc(userDataOf(stacks.prod.resources));
    assert.ok(prod.packages.includes("certbot"));
    const unit = prod.write_files.find((f) => f.path === VM_PATHS.certUnit)!;
    assert.match(unit.content, /-d turn\.example\.com/);
    assert.match(unit.content, /--deploy-hook \/etc\/letsencrypt\/renewal-hooks\/deploy\/turn-stack-coturn/);
    const hook = prod.write_files.find((f) => f.path === VM_PATHS.certHook)!;
    assert.match(hook.content, /-g turnserver -m 0640/);
    const dev = doc(userDataOf(stacks.dev.resources));
    assert.ok(!dev.packages.includes("certbot"));
    assert.ok(!dev.write_files.some((f) => f.path === VM_PATHS.certUnit));
    assert.match(dev.write_files.find((f) => f.path === VM_PATHS.confBase)!.content, /^no-tls$/m);
});

test("the schema check can fail: cloud-init rejects a broken document", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "#cloud-config\npackages: coturn\nwrite_files:\n  - content: x\n");
    const r = run("cloud-init", ["schema", "--config-file", file]);
    assert.notEqual(r.status, 0);
});

test("the newer schema catches what 22.4's does not: an unknown top-level key", () => {
    const d = doc(userDataOf(stacks.dev.resources)) as Record<string, unknown>;
    const typo: Record<string, unknown> = { ...d, write_file: d.write_files };
    delete typo.write_files;
    const file = join(dir, "typo.yaml");
    writeFileSync(file, "#cloud-config\n" + stringify(typo, { version: "1.1" }));
    assert.equal(run("cloud-init", ["schema", "--config-file", file]).status, 0, "22.4 lets the typo through");
    assert.deepEqual(validateCloudConfig(newer.schema, typo), ["/ must NOT have additional properties: write_file"]);
    assert.notDeepEqual(validateCloudConfig(newer.schema, { ...d, packages: "coturn" }), []);
});

test("the write-order check catches a file owned by a package's user that is written before the package exists", () => {
    const early = { write_files: [{ path: "/etc/coturn/turnserver.conf", owner: "root:turnserver" }] };
    assert.equal(writeOrderProblems(early).length, 1);
    assert.deepEqual(writeOrderProblems({ write_files: [{ ...early.write_files[0], defer: true }] }), []);
});

test("cloud-init 22.4's module order on Debian 12: write_files, then packages, then deferred files and runcmd", () => {
    // The write order the user data relies on, read from Debian's own /etc/cloud/cloud.cfg (same package as on the VM).
    const cfg = parseDocument(readFileSync("/etc/cloud/cloud.cfg", "utf8")).toJS() as Record<string, string[]>;
    assert.ok(cfg.cloud_init_modules.includes("write-files"));
    const final = cfg.cloud_final_modules;
    const at = (m: string) => final.indexOf(m);
    assert.ok(at("package-update-upgrade-install") >= 0 && at("package-update-upgrade-install") < at("write-files-deferred"));
    assert.ok(at("write-files-deferred") < at("scripts-user"), "runcmd's script runs after deferred files");
});
