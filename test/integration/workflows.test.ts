/**
 * GitHub Actions files: each passes action-validator (@action-validator/cli,
 * the workflow and action JSON schemas), and says what README's "Use it in CI"
 * promises: previews commented on PRs, per-PR concurrency, prod behind an
 * environment, review stacks, a scheduled sweep, OIDC instead of keys.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/stack-config";

const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = [...readdirSync(WORKFLOWS).map((f) => join(WORKFLOWS, f)), join(ROOT, ".github", "actions", "setup", "action.yml")];
const VALIDATOR = join(ROOT, "node_modules", ".bin", "action-validator");
const wf = (name: string) => parse(readFileSync(join(WORKFLOWS, name), "utf8"));

function validate(file: string) {
    return spawnSync(VALIDATOR, [file], { encoding: "utf8" });
}

test("every workflow and the setup action pass action-validator", () => {
    assert.ok(files.length >= 5);
    for (const f of files) {
        const r = validate(f);
        assert.equal(r.status, 0, `${f}:\n${r.stdout}${r.stderr}`);
    }
});

test("the validator rejects a broken workflow (the check can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-wf-"));
    try {
        const broken = join(dir, "broken.yml");
        writeFileSync(broken, readFileSync(join(WORKFLOWS, "pull-request.yml"), "utf8").replace("runs-on:", "runs_on:"));
        assert.notEqual(validate(broken).status, 0);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("pull requests: tests, then a preview per environment commented on the PR, one run per PR", () => {
    const w = wf("pull-request.yml");
    assert.ok("pull_request" in w.on);
    assert.match(w.concurrency.group, /github\.event\.pull_request\.number/);
    assert.equal(w.concurrency["cancel-in-progress"], true);
    assert.match(w.jobs.test.steps.at(-1).run, /bash \.ci\/run/);
    assert.deepEqual(w.jobs.preview.strategy.matrix.stack, ["dev", "prod"]);
    const preview = w.jobs.preview.steps.find((s: any) => s.uses?.startsWith("pulumi/actions") && s.with?.command);
    assert.equal(preview.with.command, "preview");
    assert.equal(preview.with["comment-on-pr"], true);
    assert.equal(w.permissions["pull-requests"], "write");
});

test("main: up dev, then prod in the production environment", () => {
    const w = wf("deploy.yml");
    assert.deepEqual(w.on.push.branches, ["main"]);
    assert.equal(w.jobs["up-prod"].needs, "up-dev");
    assert.equal(w.jobs["up-prod"].environment, "production");
    const up = w.jobs["up-prod"].steps.find((s: any) => s.with?.command);
    assert.deepEqual([up.with.command, up.with["stack-name"]], ["up", "prod"]);
});

test("review stacks: pr-<number> up on label/push, destroyed on close; hourly sweep", () => {
    const w = wf("review-stack.yml");
    assert.deepEqual(w.on.pull_request.types, ["labeled", "synchronize", "reopened", "closed"]);
    assert.match(w.jobs.up.steps.at(-1).run, /npm run stack:test -- up --name pr-\$\{\{ github\.event\.pull_request\.number \}\}/);
    assert.match(w.jobs.destroy.steps.at(-1).run, /npm run stack:test -- destroy --name pr-/);
    assert.match(w.jobs.destroy.if, /closed/);
    const s = wf("sweep.yml");
    assert.ok(s.on.schedule[0].cron);
    assert.match(s.jobs.sweep.steps.at(-1).run, /npm run stack:test -- sweep/);
});

test("credentials: OIDC role, no long-lived AWS keys anywhere", () => {
    for (const f of files) {
        const text = readFileSync(f, "utf8");
        assert.doesNotMatch(text, /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/, f);
    }
    const action = parse(readFileSync(join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8"));
    const creds = action.runs.steps.find((s: any) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
    assert.ok(creds.with["role-to-assume"]);
    for (const name of ["pull-request.yml", "deploy.yml", "review-stack.yml", "sweep.yml"]) assert.equal(wf(name).permissions["id-token"], "write", name);
});
