/** EC2 instance type names to Debian architectures (infra/instance-types.ts), which picks the AMI before anything is created. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { instanceTypeInfo, knownFamilies } from "../../infra/instance-types";

test("instance types: Graviton families are arm64, Intel/AMD families amd64; T families are burstable", () => {
    assert.deepEqual(instanceTypeInfo("t4g.small"), { family: "t4g", size: "small", arch: "arm64", burstable: true });
    assert.deepEqual(instanceTypeInfo("c7gn.large"), { family: "c7gn", size: "large", arch: "arm64", burstable: false });
    assert.deepEqual(instanceTypeInfo("t3.micro"), { family: "t3", size: "micro", arch: "amd64", burstable: true });
    assert.deepEqual(instanceTypeInfo("c7i-flex.2xlarge"), { family: "c7i-flex", size: "2xlarge", arch: "amd64", burstable: false });
    assert.equal(instanceTypeInfo("m7g.metal")?.arch, "arm64");
});

test("instance types: unknown families and malformed names are undefined, never guessed", () => {
    for (const name of ["p5.48xlarge", "t4g", "t4g.", ".small", "T4G.small", "t4g.small.extra", "t4g small", ""]) {
        assert.equal(instanceTypeInfo(name), undefined, JSON.stringify(name));
    }
});

test("instance types: the known families are listed sorted, each with exactly one architecture", () => {
    const families = knownFamilies();
    assert.deepEqual(families, [...families].sort());
    assert.equal(new Set(families).size, families.length, "no family in both lists");
    for (const f of families) assert.ok(instanceTypeInfo(`${f}.large`), f);
});
