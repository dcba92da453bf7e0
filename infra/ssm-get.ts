/**
 * The VM's one way to read an SSM parameter: `turn-stack-ssm-get <name> [--decrypt]` prints its value.
 *
 * It takes the instance profile's temporary credentials from the instance metadata service (IMDSv2: a session
 * token from `PUT /latest/api/token`, then `/latest/meta-data/iam/security-credentials/<role>`; EC2 User Guide,
 * "Retrieve security credentials from instance metadata") and has curl sign an SSM `GetParameter` call with
 * Signature Version 4 (`--aws-sigv4 aws:amz:<region>:ssm`, curl ≥ 7.75; Debian 12 ships 7.88, Debian 13 8.14),
 * the temporary credentials' token in `X-Amz-Security-Token` (IAM User Guide, "Use temporary credentials with AWS
 * resources"), over the AWS JSON 1.1 protocol (`POST /`, `X-Amz-Target: AmazonSSM.GetParameter`,
 * `Content-Type: application/x-amz-json-1.1`; SSM API Reference, GetParameter).
 *
 * Why not awscli: reading one parameter with the awscli package (or its botocore) cost a Python start-up importing
 * botocore, about a second per read, and on a base without awscli a 94 MB install at boot (issue 15). curl and
 * python3 are on every Debian cloud image (cloud-init depends on python3).
 *
 * The key and token reach curl on its standard input as a config file (`-K -`), never on its command line
 * (`/proc/<pid>/cmdline` is world-readable); the value is printed only to stdout. Exits non-zero, naming the
 * parameter and what failed (never a secret), when the metadata service or SSM does not answer or refuses.
 *
 * Pure: no `@pulumi/*` import.
 */

/** Where the script lives on the VM. */
export const SSM_GET_PATH = "/usr/local/sbin/turn-stack-ssm-get";

/** Seconds each HTTP call may take (metadata service, SSM), so a caller's retry comes round. */
export const SSM_GET_TIMEOUT_SECONDS = 10;

/**
 * The script (Python 3 for the metadata calls and JSON, curl for the signed call).
 * @param region AWS region of the parameters, e.g. `eu-west-1`
 * @throws Error when the region holds characters other than letters, digits and `-`
 */
export function ssmGetScript(region: string): string {
    if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`region ${JSON.stringify(region)} has characters not allowed in the SSM read script`);
    return `#!/usr/bin/python3
# turn-stack: print an SSM parameter's value: ${SSM_GET_PATH} <name> [--decrypt] (infra/ssm-get.ts)
import json, subprocess, sys, urllib.request
if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--decrypt"]): sys.exit("usage: turn-stack-ssm-get <name> [--decrypt]")
name, md = sys.argv[1], "http://169.254.169.254/latest/"
def imds(path, method="GET", **h):
    with urllib.request.urlopen(urllib.request.Request(md + path, method=method, headers=h), timeout=${SSM_GET_TIMEOUT_SECONDS}) as r: return r.read().decode()
try:
    t = imds("api/token", "PUT", **{"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    role = imds("meta-data/iam/security-credentials/", **{"X-aws-ec2-metadata-token": t}).split()[0]
    c = json.loads(imds("meta-data/iam/security-credentials/" + role, **{"X-aws-ec2-metadata-token": t}))
except Exception as e: sys.exit("turn-stack-ssm-get: %s: no instance profile credentials from the metadata service: %s" % (name, e))
q = lambda s: '"%s"' % s.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"')
cfg = "user = %s\\nheader = %s\\n" % (q(c["AccessKeyId"] + ":" + c["SecretAccessKey"]), q("X-Amz-Security-Token: " + c["Token"]))
r = subprocess.run(["curl", "-sS", "--fail-with-body", "--max-time", "${SSM_GET_TIMEOUT_SECONDS}", "-K", "-", "--aws-sigv4", "aws:amz:${region}:ssm",
    "-H", "X-Amz-Target: AmazonSSM.GetParameter", "-H", "Content-Type: application/x-amz-json-1.1",
    "--data-binary", json.dumps({"Name": name, "WithDecryption": sys.argv[2:] == ["--decrypt"]}), "https://ssm.${region}.amazonaws.com/"],
    input=cfg, capture_output=True, text=True)
if r.returncode: sys.exit("turn-stack-ssm-get: %s: SSM GetParameter failed: %s %s" % (name, r.stderr.strip(), r.stdout.strip()[:500]))
sys.stdout.write(json.loads(r.stdout)["Parameter"]["Value"])
`;
}
