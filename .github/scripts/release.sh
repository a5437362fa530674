#!/usr/bin/env bash
# Runs `dagger call release` the way every job of release.yml does: the tag's
# ref, commit, commit time and the repository's other version tags, the
# owner, the QA setting and the registry credentials; then the job's own
# chain, given as arguments:
#
#   .github/scripts/release.sh artifact --name linux-vm export --path "$RUNNER_TEMP/built"
#   .github/scripts/release.sh with-artifacts --dir "$RUNNER_TEMP/built" with-keyless ... publish export --path dist
#
# Environment: GITHUB_REF, GITHUB_REF_NAME, GITHUB_SHA (set by the runner),
# OWNER, ACTOR, REGISTRY_TOKEN (read by dagger as a secret, never a command
# line), SKIP_QA (true or empty), OFFLINE_ISO (true: the release has the
# offline ISO, every job and the publishing one say with-offline-iso).
set -euo pipefail

: "${OWNER:?OWNER: the repository owner (github.repository_owner)}"
: "${ACTOR:?ACTOR: the registry user (github.actor)}"
: "${REGISTRY_TOKEN:?REGISTRY_TOKEN: the registry token (secrets.GITHUB_TOKEN)}"
[ "$#" -gt 0 ] || { echo "usage: $0 <release chain: artifact --name X ... | with-artifacts --dir D ... publish ...>" >&2; exit 2; }

offline=()
case "${OFFLINE_ISO:-}" in
	true) offline=(with-offline-iso) ;;
	"" | false) ;;
	*) echo "OFFLINE_ISO (vars.RELEASE_OFFLINE_ISO): \"$OFFLINE_ISO\": want true, false or unset" >&2; exit 2 ;;
esac

tags=()
while read -r t; do
	[ "$t" = "$GITHUB_REF_NAME" ] || tags+=(--existing-tags "$t")
done < <(git tag -l 'v*')
commit_time=$(git show -s --format=%cI "$GITHUB_SHA")

exec dagger call release \
	--ref "$GITHUB_REF" --sha "$GITHUB_SHA" --commit-time "$commit_time" \
	"${tags[@]}" --owner "$OWNER" --skip-qa="${SKIP_QA:-false}" \
	with-registry-auth --username "$ACTOR" --secret env:REGISTRY_TOKEN \
	"${offline[@]}" "$@"
