#!/usr/bin/env bash
# Makes room on a GitHub-hosted runner for one release job and fails in its
# first minute when the job cannot fit, naming the space it needs and the
# setting that gives a larger runner (docs/releasing.md, "Disk per job").
#
#   .github/scripts/disk.sh <job>      # linux-vm, baremetal-iso, wsl-bundle, bundle, baremetal-iso-offline, publish, github-release
#
# It first deletes the runner image's preinstalled toolchains no release job
# uses (FREE_DIRS, when present), then compares the space left where the
# engine writes (Docker's data root) with what the job needs with real
# media: its peak measured on real-size stand-ins (bench -release-disk
# -size real) with what Ubuntu's larger ISO adds where the job holds it,
# rounded up (docs/releasing.md, "Disk per job").
# DISK_NEED_GIB overrides the need (a larger base ISO, a self-hosted runner).
set -euo pipefail

job=${1:?usage: $0 <release job>}
case "$job" in
	bundle) need=3 ;;
	wsl-bundle) need=10 ;;
	linux-vm) need=7 ;;
	baremetal-iso) need=12 ;;
	baremetal-iso-offline) need=14 ;; # the ISO job and its payload (packages, images): estimated
	publish) need=7 ;; # the jobs' files downloaded, the module streaming them
	github-release) need=10 ;; # no engine: the jobs' files downloaded and the parts of the ones over 2 GiB
	*) echo "disk.sh: unknown job \"$job\"" >&2; exit 2 ;;
esac
need=${DISK_NEED_GIB:-$need}
[[ "$need" =~ ^[0-9]+$ ]] || { echo "DISK_NEED_GIB \"$need\": want a whole number of GiB" >&2; exit 2; }

# the hosted image's toolchains: none of them is used by a release job
: "${FREE_DIRS:=/usr/share/dotnet /usr/local/lib/android /opt/ghc /usr/local/.ghcup /opt/hostedtoolcache/CodeQL /usr/local/share/powershell /usr/share/swift}"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
for d in $FREE_DIRS; do
	[ -d "$d" ] || continue
	"${sudo[@]}" rm -rf -- "$d"
	echo "disk: removed $d"
done

# where the engine's cache and exports land: Docker's data root, else /
where=${DISK_PATH:-/var/lib/docker}
[ -d "$where" ] || where=/
avail=$(df -P -k "$where" | awk 'NR == 2 { print int($4 / 1048576) }')
echo "disk: ${avail} GiB free at $where; the $job job needs about ${need} GiB with real media"
if [ "$avail" -lt "$need" ]; then
	echo "::error::the $job job needs about ${need} GiB of disk and this runner has ${avail} GiB free at $where: set vars.RELEASE_RUNNER to a larger runner (docs/releasing.md, \"Disk per job\"), or DISK_NEED_GIB when you know better"
	exit 1
fi
