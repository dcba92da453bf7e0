/** Reading Pulumi.<stack>.yaml the way Pulumi hands config to a program (scripts/lib/stack-config.ts). */
import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT, readStackConfig } from "../../scripts/lib/stack-config";

test("stack config: every key as Pulumi passes it, strings as they are, lists and objects as JSON", () => {
    const raw = (parse(readFileSync(join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    const got = readStackConfig("prod");
    assert.deepEqual(Object.keys(got).sort(), Object.keys(raw).sort());
    for (const [k, v] of Object.entries(raw)) assert.equal(got[k], typeof v === "string" ? v : JSON.stringify(v), k);
    assert.ok(Object.values(raw).some((v) => typeof v !== "string"), "prod has a non-string value (e.g. a list), so the JSON form is exercised");
});

test("stack config: a missing stack says how to create it; a name that could leave the project is refused", () => {
    assert.throws(() => readStackConfig("nosuchstack"), /no stack file .*Pulumi\.nosuchstack\.yaml; create it with: npx pulumi stack init nosuchstack/);
    for (const bad of ["../prod", "prod/x", "", "a b"]) {
        assert.throws(() => readStackConfig(bad), /letters, digits, '-', '_' and '\.' only/, JSON.stringify(bad));
    }
});
