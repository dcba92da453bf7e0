/**
 * The AWS regions turn-stack supports: those of the standard `aws` partition
 * only, and the ARNs it builds there.
 *
 * Why only `aws`: the program depends on things that exist only there. The
 * official Debian AMIs (12 and 13) come from the Debian cloud team's account
 * 136693071363, which publishes in the standard partition (not in AWS China or
 * GovCloud; wiki.debian.org/Cloud/AmazonEC2Image); the SSM agent is fetched
 * from `s3.<region>.amazonaws.com` (China uses `amazonaws.com.cn`); the
 * recovery alarm's action is `arn:aws:automate:...`. Building all of those per
 * partition would be code no test or user could exercise; refusing the region
 * up front is honest.
 *
 * Pure: no `@pulumi/*` import.
 */

/** The one partition turn-stack deploys to. */
export const AWS_PARTITION = "aws";

/**
 * Region names of the standard partition: the AWS SDKs' partition table
 * (`partitions.json`, partition `aws`, regionRegex `^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`),
 * narrowed to lowercase letters and at most 16 + 2 characters for the middle
 * and the number (the longest region today, ap-southeast-7, has 9 and 1), so
 * the user data that carries the name stays bounded. Excludes aws-cn (cn-*),
 * aws-us-gov (us-gov-*), the ISO partitions (us-iso-*, us-isob-*, eu-isoe-*, ...)
 * and the European Sovereign Cloud (eusc-*).
 */
export const STANDARD_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]{1,16}-\d{1,2}$/;

/** Longest region name {@link STANDARD_REGION} accepts (for the user data size bound). */
export const MAX_REGION_LENGTH = 2 + 1 + 16 + 1 + 2;

/** True when `region` is a region of the standard `aws` partition. */
export function isSupportedRegion(region: string): boolean {
    return STANDARD_REGION.test(region);
}

/**
 * The CloudWatch alarm action that recovers an instance: `arn:aws:automate:<region>:ec2:recover`
 * (CloudWatch User Guide, "Recover your instance"; PutMetricAlarm, AlarmActions).
 * @throws Error when `region` is not in the standard partition (the validator refuses those first;
 *   this catches a region that reached the provider from elsewhere, e.g. an AWS profile)
 */
export function recoverActionArn(region: string): string {
    if (!isSupportedRegion(region)) {
        throw new Error(`AWS region ${JSON.stringify(region)} is not in the standard aws partition; turn-stack supports only that partition (README, Regions)`);
    }
    return `arn:${AWS_PARTITION}:automate:${region}:ec2:recover`;
}

/**
 * The CloudWatch alarm action that reboots an instance: `arn:aws:automate:<region>:ec2:reboot`
 * (CloudWatch User Guide, "Create alarms to stop, terminate, reboot, or recover an EC2 instance";
 * PutMetricAlarm, AlarmActions). Used on a failed instance status check (infra/alarms.ts).
 * @throws Error when `region` is not in the standard partition, as {@link recoverActionArn}
 */
export function rebootActionArn(region: string): string {
    return recoverActionArn(region).replace(/:ec2:recover$/, ":ec2:reboot");
}

/**
 * The regions of the standard partition by name, for `turn:regions`: botocore 1.43.11
 * `botocore/data/partitions.json`, partition `aws`, its `regions` (without the pseudo-region
 * `aws-global`). Each also matches {@link STANDARD_REGION}. Opt-in regions (af-south-1, ap-east-1, ...)
 * must be enabled in the account first (AWS Account Management, "Enable or disable a Region").
 * A region AWS opens later is added here with its source.
 */
export const STANDARD_REGIONS = [
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
] as const;
/** Where {@link STANDARD_REGIONS} comes from, for messages. */
export const STANDARD_REGIONS_SOURCE = "botocore 1.43.11 partitions.json, partition aws";
