/** infra/debian.ts: the releases turn-stack supports, turn:debianRelease's parsing, the AMI lookup's filters. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { amiFilters, DEBIAN_RELEASES, DEFAULT_DEBIAN_RELEASE, isDebianRelease, parseDebianRelease } from "../../infra/debian";

test("13 (trixie) is the default; 12 (bookworm) is supported", () => {
    assert.equal(DEFAULT_DEBIAN_RELEASE, "13");
    assert.deepEqual(Object.entries(DEBIAN_RELEASES).map(([k, r]) => [k, r.codename]), [["12", "bookworm"], ["13", "trixie"]]);
    assert.ok(isDebianRelease("12") && isDebianRelease("13") && !isDebianRelease("11") && !isDebianRelease("toString"));
});

test("parseDebianRelease: unset is the default, 12 and 13 (with spaces) pass, anything else names the releases", () => {
    assert.deepEqual(parseDebianRelease(undefined), { release: "13" });
    assert.deepEqual(parseDebianRelease(" 12 "), { release: "12" });
    for (const bad of ["11", "14", "trixie", "13.1", ""]) assert.deepEqual(parseDebianRelease(bad), { problem: "must be one of 12 (bookworm), 13 (trixie): the Debian releases whose official AMIs and packages turn-stack is booted on" }, bad);
});

test("amiFilters: the release's dated builds for the architecture, EC2's architecture name, HVM", () => {
    assert.deepEqual(amiFilters("13", "arm64"), [
        { name: "name", values: ["debian-13-arm64-2*"] },
        { name: "architecture", values: ["arm64"] },
        { name: "virtualization-type", values: ["hvm"] },
    ]);
    assert.deepEqual(amiFilters("12", "amd64").slice(0, 2), [
        { name: "name", values: ["debian-12-amd64-2*"] },
        { name: "architecture", values: ["x86_64"] },
    ]);
});
