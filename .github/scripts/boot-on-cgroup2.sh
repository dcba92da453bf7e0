#!/usr/bin/env bash
# Run the boot test (systemd-nspawn --boot) as it runs in the CI test job's Docker container on
# GitHub's cgroup v2-only runners, on a machine whose /sys/fs/cgroup is cgroup v1 or hybrid:
# in a private mount namespace, /sys/fs/cgroup becomes a writable mount of the unified hierarchy
# (what `--privileged` gives a container), and the job moves into its own cgroup shared with the
# container's other processes and its PID 1 (Docker puts `docker exec` processes in the
# container's cgroup and PID namespace).
#   private: Docker's default on cgroup v2 (--cgroupns=private): that cgroup is the root of the
#            job's cgroup namespace, seen as "/";
#   host:    --cgroupns=host: the job sees the whole hierarchy, its cgroup as a non-root path.
# Usage (root, under the integration lock, from the repository):
#   flock /tmp/turn-stack-integration.lock unshare -m .github/scripts/boot-on-cgroup2.sh private|host
# It removes the cgroups it made, also on failure. README, "Use it in CI", has the results.
set -euo pipefail
mode=${1:?usage: boot-on-cgroup2.sh private|host}
cd "$(dirname "$0")/../.."
mount -t cgroup2 none /sys/fs/cgroup
job=/sys/fs/cgroup/turn-stack-ci-job-$$
mkdir "$job"
cleanup() {
    echo $$ > /sys/fs/cgroup/cgroup.procs
    find "$job" -depth -type d -exec rmdir {} \;
}
trap cleanup EXIT
echo $$ > "$job/cgroup.procs"
run='stat -fc "/sys/fs/cgroup: %T" /sys/fs/cgroup; echo "job cgroup: $(tail -n1 /proc/self/cgroup), PID 1: $(tail -n1 /proc/1/cgroup)"; npx vitest run test/integration/boot.test.ts'
case "$mode" in
    private) unshare --cgroup --mount --pid --fork --mount-proc bash -c "umount /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && $run" ;;
    host) unshare --pid --fork --mount-proc bash -c "$run" ;;
    *) echo "mode: private or host" >&2; exit 2 ;;
esac
echo "cgroups systemd-nspawn made under the job's cgroup:"
find "$job" -mindepth 1 -type d | sed "s|^$job|  |"
