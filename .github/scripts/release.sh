#!/usr/bin/env bash
# Runs `dagger call release` the way every job of release-jobs.yml does: the
# ref's ref, commit, commit time and the repository's other version tags, the
# owner, the QA setting, a nightly's build date and branch set, and the
# registry credentials; then the job's own chain, given as arguments:
#
#   .github/scripts/release.sh artifact --name linux-vm export --path "$RUNNER_TEMP/built"
#   .github/scripts/release.sh with-artifacts --server tcp://localhost:8765 with-keyless ... publish export --path dist
#   .github/scripts/release.sh tags     (what publish would push; builds nothing)
#
# Environment: RELEASE_REF and RELEASE_SHA (the ref and commit released;
# default GITHUB_REF and GITHUB_SHA, set by the runner), OWNER, ACTOR,
# REGISTRY_TOKEN (read by dagger as a secret, never a command line), SKIP_QA
# (true or empty), OFFLINE_ISO (true: the release has the offline ISO, every
# job and the publishing one say with-offline-iso), BUILD_DATE and
# NIGHTLY_BRANCHES (a nightly: its date, YYYY-MM-DD, and the branches that get
# nightlies, separated by spaces or commas).
set -euo pipefail

: "${OWNER:?OWNER: the repository owner (github.repository_owner)}"
: "${ACTOR:?ACTOR: the registry user (github.actor)}"
: "${REGISTRY_TOKEN:?REGISTRY_TOKEN: the registry token (secrets.GITHUB_TOKEN)}"
[ "$#" -gt 0 ] || { echo "usage: $0 <release chain: artifact --name X ... | with-artifacts --server S ... publish ... | tags>" >&2; exit 2; }
ref=${RELEASE_REF:-${GITHUB_REF:?GITHUB_REF or RELEASE_REF: the ref released}}
sha=${RELEASE_SHA:-${GITHUB_SHA:?GITHUB_SHA or RELEASE_SHA: the commit released}}

offline=()
case "${OFFLINE_ISO:-}" in
	true) offline=(with-offline-iso) ;;
	"" | false) ;;
	*) echo "OFFLINE_ISO (vars.RELEASE_OFFLINE_ISO): \"$OFFLINE_ISO\": want true, false or unset" >&2; exit 2 ;;
esac

nightly=()
if [ -n "${BUILD_DATE:-}" ] || [ -n "${NIGHTLY_BRANCHES:-}" ]; then
	nightly=(with-nightly)
	[ -z "${BUILD_DATE:-}" ] || nightly+=(--date "$BUILD_DATE")
	IFS=$', \t\n' read -r -d '' -a branches <<< "${NIGHTLY_BRANCHES:-}" || true # no globbing: feature/* stays a pattern
	for b in "${branches[@]}"; do nightly+=(--branches "$b"); done
fi

tags=()
while read -r t; do
	[ "refs/tags/$t" = "$ref" ] || tags+=(--existing-tags "$t")
done < <(git tag -l 'v*')
commit_time=$(git show -s --format=%cI "$sha")

exec dagger call release \
	--ref "$ref" --sha "$sha" --commit-time "$commit_time" \
	"${tags[@]}" --owner "$OWNER" --skip-qa="${SKIP_QA:-false}" \
	"${nightly[@]}" \
	with-registry-auth --username "$ACTOR" --secret env:REGISTRY_TOKEN \
	"${offline[@]}" "$@"
