/** Pulumi.yaml and the stack files: Pulumi's own project schema, and the config block equal to infra/config.ts. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../infra/config";
import { ROOT, stackConfig } from "../helpers/stack-config";

const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as Record<string, any>;

test("Pulumi.yaml validates against Pulumi's project schema (../shared/schemas)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "..", "shared", "schemas", "pulumi-project.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    assert.ok(validate(project), JSON.stringify(validate.errors, null, 2));
    assert.equal(project.name, "turn");
    // No main: the engine runs the program and its providers in this directory (test/program/engine-commands.test.ts).
    assert.equal(project.main, undefined);
    assert.equal(project.runtime.name ?? project.runtime, "nodejs");
});

test("the schema rejects what Pulumi rejects (the check can fail)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "..", "shared", "schemas", "pulumi-project.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    assert.equal(validate({ ...project, config: { realm: { type: "object" } } }), false);
});

test("Pulumi.yaml's config block declares exactly CONFIG_KEYS, with the same types, defaults and descriptions", () => {
    assert.deepEqual(Object.keys(project.config).sort(), Object.keys(CONFIG_KEYS).sort());
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
        const decl = project.config[key];
        assert.equal(decl.type, spec.type, key);
        assert.deepEqual(decl.default, spec.default, key);
        assert.equal(decl.description, spec.description, `${key}: Pulumi.yaml's description equals CONFIG_KEYS'`);
        if (spec.type === "array") assert.deepEqual(decl.items, { type: "string" });
    }
});

test("stack files use only declared turn:* keys, with values of the declared type", () => {
    for (const stack of ["dev", "prod"]) {
        for (const [full, raw] of Object.entries(stackConfig(stack))) {
            const [ns, key] = full.split(":");
            if (ns !== "turn") continue;
            const spec = CONFIG_KEYS[key as keyof typeof CONFIG_KEYS];
            assert.ok(spec, `${stack}: ${full} is not declared`);
            if (spec.type === "integer") assert.match(raw, /^\d+$/, `${stack}: ${full}`);
            if (spec.type === "boolean") assert.match(raw, /^(true|false)$/, `${stack}: ${full}`);
            if (spec.type === "array") assert.ok(Array.isArray(JSON.parse(raw)), `${stack}: ${full}`);
        }
    }
});

test("state defaults to the local file backend (no Pulumi Cloud account)", () => {
    assert.equal(project.backend.url, "file://~");
});

test("README documents every config key with its default", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
        const row = readme.split("\n").find((l) => l.startsWith(`| \`turn:${key}\` |`));
        assert.ok(row, `README has no row for turn:${key}`);
        assert.ok(row.includes(`\`${JSON.stringify(spec.default).replace(/^"(.+)"$/, "$1")}\``), `README row for turn:${key} shows default ${JSON.stringify(spec.default)}`);
    }
});
