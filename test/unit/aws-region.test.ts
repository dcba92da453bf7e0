/** Regions (infra/aws-region.ts): the standard aws partition only, and the recovery alarm's ARN there. */
import { test, expect } from "vitest";
import { isSupportedRegion, MAX_REGION_LENGTH, recoverActionArn } from "../../infra/aws-region";

test("standard-partition regions are supported, other partitions are not", () => {
    for (const r of ["us-east-1", "eu-west-1", "ap-southeast-7", "il-central-1", "mx-central-1", "ca-west-1", "af-south-1", "me-central-1", "sa-east-1"]) {
        expect(isSupportedRegion(r), r).toBe(true);
    }
    // aws-cn, aws-us-gov, aws-iso*, aws-eusc, and not regions at all.
    for (const r of ["cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1", "eu-west", "EU-WEST-1", "eu-west-1a", ""]) {
        expect(isSupportedRegion(r), r).toBe(false);
    }
    expect(isSupportedRegion(`ap-${"x".repeat(16)}-99`)).toBe(true);
    expect(`ap-${"x".repeat(16)}-99`).toHaveLength(MAX_REGION_LENGTH);
    expect(isSupportedRegion(`ap-${"x".repeat(17)}-99`)).toBe(false);
});

test("the recovery alarm action is arn:aws:automate:<region>:ec2:recover, and other partitions are refused", () => {
    expect(recoverActionArn("eu-west-1")).toBe("arn:aws:automate:eu-west-1:ec2:recover");
    expect(() => recoverActionArn("cn-north-1")).toThrow(/standard aws partition/);
    expect(() => recoverActionArn("us-gov-west-1")).toThrow(/standard aws partition/);
});
