/**
 * infra/ssm-get.ts rendered directly: the VM's SSM reader compiles with python3, signs for the stack's region with
 * curl's SigV4, keeps the credentials off curl's command line, and refuses what it cannot carry. It runs for real
 * (IMDSv2 and SSM stand-ins, the signature checked) on both Debian releases in test/integration/boot.test.ts.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { SSM_GET_PATH, SSM_GET_TIMEOUT_SECONDS, ssmGetScript } from "../../infra/ssm-get";

const script = ssmGetScript("eu-west-1");

test("compiles with python3; a wrong call prints its usage and fails", () => {
    const c = spawnSync("python3", ["-c", "import sys; compile(sys.stdin.read(), 'turn-stack-ssm-get', 'exec')"], { input: script, encoding: "utf8" });
    assert.equal(c.status, 0, c.stderr);
    for (const args of [[], ["/a", "--decrypt", "x"], ["/a", "--nope"]]) {
        const r = spawnSync("python3", ["-", ...args], { input: script, encoding: "utf8" });
        assert.equal(r.status, 1, args.join(" "));
        assert.match(r.stderr, /^usage: turn-stack-ssm-get <name> \[--decrypt\]$/m);
    }
});

test("IMDSv2 token first, then the role's credentials; curl signs GetParameter for the region, credentials on stdin only", () => {
    assert.ok(script.startsWith("#!/usr/bin/python3\n"));
    assert.ok(script.includes(`imds("api/token", "PUT", **{"X-aws-ec2-metadata-token-ttl-seconds": "300"})`));
    assert.ok(script.includes(`"--aws-sigv4", "aws:amz:eu-west-1:ssm"`));
    assert.ok(script.includes(`"https://ssm.eu-west-1.amazonaws.com/"`));
    assert.ok(script.includes(`"X-Amz-Target: AmazonSSM.GetParameter"`) && script.includes(`"Content-Type: application/x-amz-json-1.1"`));
    assert.ok(script.includes(`"--max-time", "${SSM_GET_TIMEOUT_SECONDS}"`));
    // The curl argument list names no credential; the key and token travel in the config on stdin (-K -).
    const argv = /subprocess\.run\((\[[\s\S]*?\]),\n\s*input=cfg/.exec(script)![1];
    assert.doesNotMatch(argv, /AccessKeyId|SecretAccessKey|Token"\]|cfg/);
    assert.match(argv, /"-K", "-"/);
    assert.equal(SSM_GET_PATH, "/usr/local/sbin/turn-stack-ssm-get");
});

test("the curl config quotes values the way curl reads them (backslash and double quote escaped)", () => {
    const q = /^q = lambda s: .*$/m.exec(script)![0];
    const r = spawnSync("python3", ["-c", `${q}\nprint(q('a"b\\\\c/d+e='))`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '"a\\"b\\\\c/d+e="');
});

test("refuses a region a URL and a SigV4 scope here cannot carry", () => {
    assert.throws(() => ssmGetScript('eu-west-1"'), /region "eu-west-1\\"" has characters not allowed/);
    assert.throws(() => ssmGetScript("EU-WEST-1"), /region/);
});
