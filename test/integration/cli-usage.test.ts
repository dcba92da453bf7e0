/**
 * Where users meet the scripts: every script answers --help (exit 0, usage on
 * stdout) and refuses unknown flags and bad values with a message naming them
 * and the usage, before any backend call (coturn, the Pulumi CLI, Cloudflare).
 * Run through `npm run -s <script>` as README shows (cloudflare-turn-key.ts,
 * which only @pulumi/command runs, through npx tsx as the command does).
 * stack-test.ts has its own cases in workflows.test.ts.
 */
import { test, expect } from "vitest";
import { ROOT } from "../helpers/stack-config";
import { runArgv } from "../helpers/run";

const run = (argv: string[], env: NodeJS.ProcessEnv = process.env) => runArgv(argv, { cwd: ROOT, env });

const SCRIPTS: [name: string, argv: string[], usage: RegExp][] = [
    ["probe", ["npm", "run", "-s", "probe", "--"], /^usage: TURN_SHARED_SECRET=\.\.\. npm run probe -- --host/],
    ["ice", ["npm", "run", "-s", "ice", "--"], /^usage: npm run -s ice -- \(--stack <name> \| --outputs <file>\)/],
    ["local", ["npm", "run", "-s", "local", "--"], /^usage: npm run local -- \[--listen <ip>\]/],
    ["bench:relay", ["npm", "run", "-s", "bench:relay", "--"], /^usage: npm run bench:relay -- \[--allocations 40\]/],
    ["capacity", ["npm", "run", "-s", "capacity", "--"], /^usage: npm run -s capacity -- \(--stack <name> \| --outputs <file>\)/],
    ["cloudflare-turn-key", ["npx", "--no-install", "tsx", "scripts/cloudflare-turn-key.ts"], /^usage: tsx scripts\/cloudflare-turn-key\.ts create\|update\|delete/],
];

test.each(SCRIPTS)("%s --help and -h: exit 0, the usage and nothing else on stdout", async (_name, argv, usage) => {
    for (const flag of ["--help", "-h"]) {
        const r = await run([...argv, flag]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(usage);
        expect(r.stdout).toMatch(/-h, --help|\[-h\|--help\]/);
    }
});

test.each(SCRIPTS)("%s --bogus: refused, naming the flag, with the usage", async (_name, argv, usage) => {
    const r = await run([...argv, "--bogus"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Unknown option '--bogus'/);
    expect(r.stderr.split("\n").some((l) => usage.test(l))).toBe(true);
    expect(r.stdout).toBe("");
});

test("bad values are refused before the backend: no coturn started, no packet sent, no API called", async () => {
    // local: a bad --ttl used to surface only after coturn was up (and left it running).
    let r = await run(["npm", "run", "-s", "local", "--", "--ttl", "abc", "--listen", "127.0.7.1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--ttl abc: must be a whole number from 60 to 172800/);
    expect(r.stderr).not.toMatch(/starting coturn/);
    // probe: arguments are checked before the secret and before any packet.
    r = await run(["npm", "run", "-s", "probe", "--", "--host", "127.0.7.1", "--attempts", "0"], { ...process.env, TURN_SHARED_SECRET: "" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--attempts 0: must be a whole number from 1/);
    r = await run(["npm", "run", "-s", "probe", "--", "--host", "127.0.7.1", "--listeners", "sctp:3478"], { ...process.env, TURN_SHARED_SECRET: "x" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--listeners: listener "sctp:3478": expected <udp\|tcp\|tls>:<port>/);
    // bench:relay: before coturn starts.
    r = await run(["npm", "run", "-s", "bench:relay", "--", "--size", "2000"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--size 2000: must be a whole number from 8 to 1400/);
    expect(r.stderr).not.toMatch(/round 1/);
    // cloudflare-turn-key: a delete without the stored create output never calls the API.
    const cf = { ...process.env, CLOUDFLARE_ACCOUNT_ID: "00112233445566778899aabbccddeeff", CLOUDFLARE_API_TOKEN: "t", CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4" };
    r = await run(["npx", "--no-install", "tsx", "scripts/cloudflare-turn-key.ts", "delete"], cf);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PULUMI_COMMAND_STDOUT is not set/);
    r = await run(["npx", "--no-install", "tsx", "scripts/cloudflare-turn-key.ts", "rotate"], cf);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/expected one action, create, update, delete; got "rotate"/);
});
