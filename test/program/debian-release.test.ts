/**
 * turn:debianRelease under Pulumi's mocks: the AMI the program looks up (the getAmi invoke's owner and filters, as
 * EC2 DescribeImages takes them) and how the instance holds it. Each release runs the real program in its own
 * forked process (Pulumi's runtime state is global per process): this file runs the default (no key: 13), and
 * test/helpers/dump-program.ts runs 12 and the repository's stack files.
 */
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockNewResource, MOCK_AMI, type MockedResource } from "../helpers/mock-program";
import { programJson } from "../helpers/program-json";
import { stackConfig } from "../helpers/stack-config";
import { DEBIAN_AMI_OWNER } from "../../infra/debian";

const invokes: { token: string; inputs: Record<string, any> }[] = [];
const resources: { type: string; name: string; inputs: Record<string, any> }[] = [];

beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                return mockNewResource(args);
            },
            call(args) {
                invokes.push({ token: args.token, inputs: args.inputs });
                return mockCall(args);
            },
        },
        "turn",
        "dev",
        true,
    );
    // Pulumi.dev.yaml without its turn:debianRelease: a stack that never set the key.
    const { ["turn:debianRelease"]: kept, ...config } = stackConfig("dev");
    assert.equal(kept, "12", "Pulumi.dev.yaml keeps Debian 12");
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.runInPulumiStack(async () => import("../../infra/index"));
    await pulumi.runtime.disconnect();
}, 120_000);

/** The getAmi invoke's filters as name -> values. */
const filters = (inputs: Record<string, any>) => Object.fromEntries((inputs.filters as { name: string; values: string[] }[]).map((f) => [f.name, f.values]));

test("a stack without turn:debianRelease looks up the newest official Debian 13 AMI for its architecture", () => {
    const amis = invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi");
    assert.equal(amis.length, 1, "one AMI lookup");
    assert.deepEqual(amis[0].inputs.owners, [DEBIAN_AMI_OWNER]);
    assert.equal(amis[0].inputs.mostRecent, true);
    assert.deepEqual(filters(amis[0].inputs), { name: ["debian-13-arm64-2*"], architecture: ["arm64"], "virtualization-type": ["hvm"] });
});

test("the AMI is kept in a Stash named per release and architecture, and the instance takes it, ignoring nothing", () => {
    const stash = resources.filter((r) => r.type === "pulumi:index:Stash");
    assert.deepEqual(stash.map((r) => [r.name, r.inputs.input]), [["turn-ami-debian-13-arm64", MOCK_AMI]]);
    const instance = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    assert.equal(instance.inputs.ami, MOCK_AMI);
});

/** The stash and instance of a program run in a child process (test/helpers/dump-program.ts). */
function amiOf(run: { resources: MockedResource[] }) {
    const stash = run.resources.filter((r) => r.type === "pulumi:index:Stash");
    const instance = run.resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    return { stash: stash.map((r) => r.name), ami: instance.inputs.ami, ignoreChanges: instance.ignoreChanges };
}

test("turn:debianRelease 12: Debian 12's AMI, in a stash of its own name (so changing the release replaces the instance)", () => {
    assert.deepEqual(amiOf(programJson("dev", { "turn:debianRelease": "12" })), { stash: ["turn-ami-debian-12-arm64"], ami: MOCK_AMI, ignoreChanges: [] });
    assert.deepEqual(amiOf(programJson("prod", { "turn:debianRelease": "13" })), { stash: ["turn-ami-debian-13-arm64"], ami: MOCK_AMI, ignoreChanges: [] });
});

test("the repository's dev and prod stacks keep Debian 12; an x86 type gets an amd64 stash; a pinned AMI needs no stash", () => {
    assert.deepEqual(amiOf(programJson("prod")).stash, ["turn-ami-debian-12-arm64"]);
    assert.deepEqual(amiOf(programJson("dev", { "turn:instanceType": "c7i.large" })).stash, ["turn-ami-debian-12-amd64"]);
    assert.deepEqual(amiOf(programJson("dev", { "turn:amiId": "ami-0123456789abcdef0" })), { stash: [], ami: "ami-0123456789abcdef0", ignoreChanges: [] });
});

test("turn:debianRelease outside 12 and 13 fails naming the key, the value and the releases", () => {
    assert.throws(() => programJson("dev", { "turn:debianRelease": "11" }), /turn:debianRelease = "11": must be one of 12 \(bookworm\), 13 \(trixie\)/);
});
