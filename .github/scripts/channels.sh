#!/usr/bin/env bash
# What channels.yml publishes for this event, as the matrix of
# release-jobs.yml calls (one JSON object a ref: ref, sha, date,
# github_release, dry_run, beta) written to $GITHUB_OUTPUT as matrix=...:
#
#   schedule           a nightly of every branch of NIGHTLY_BRANCHES with
#                      commits in the last 24 hours (the day before's
#                      nightly already has the others: edge-<branch> stays)
#   push               release/X.Y: its next beta (beta-tag.sh reserves the
#                      git tag, then the tag is released with a GitHub
#                      pre-release); a branch of NIGHTLY_BRANCHES: a nightly
#                      of the commit (the day's second build of a branch
#                      gets the moving tags and sha-<short>, never the dated
#                      tag: docs/channels.md); any other branch: nothing
#   workflow_dispatch  the chosen branch, as a push; DRY_RUN=true: a dry run
#                      of any branch (nothing tagged, pushed or signed)
#
# Environment: EVENT (github.event_name), GITHUB_REF, GITHUB_SHA,
# NIGHTLY_BRANCHES (names or patterns, separated by spaces or commas;
# default main), DRY_RUN, NOW (seconds since the epoch; default the clock:
# tests set it), and for a beta what release.sh needs (it asks the module
# which number comes next: the registry's betas next to the git tags).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${EVENT:?EVENT: the event (github.event_name)}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT: where the matrix goes}"
now=${NOW:-$(date -u +%s)}
today=$(date -u -d "@$now" +%F)
IFS=$', \t\n' read -r -d '' -a set <<< "${NIGHTLY_BRANCHES:-main}" || true # no globbing: feature/* stays a pattern
[ "${#set[@]}" -gt 0 ] || set=(main)
dry=false
[ "${DRY_RUN:-false}" = true ] && dry=true

entries=()
add() { # ref sha date github_release beta
	entries+=("$(jq -cn --arg ref "$1" --arg sha "$2" --arg date "$3" --argjson gh "$4" --argjson dry "$dry" --arg beta "$5" \
		'{ref: $ref, sha: $sha, date: $date, github_release: $gh, dry_run: $dry, beta: $beta}')")
}
nightly() { # branch
	local b=$1 p
	for p in "${set[@]}"; do
		# shellcheck disable=SC2053 # $p is a pattern
		[[ $b == $p ]] && return 0
	done
	return 1
}
branch_event() { # ref sha
	local b=${1#refs/heads/}
	if [ "$b" = "$1" ]; then
		echo "::error::$1 is not a branch: channels.yml publishes branches (release.yml publishes v* tags)" >&2
		return 1
	elif [[ $b == release/* ]]; then
		if [ "$dry" = true ]; then
			add "$1" "$2" "" false "" # the module numbers it; nothing is tagged
			return 0
		fi
		local next
		next=$(RELEASE_REF=$1 RELEASE_SHA=$2 "$here/release.sh" tags | sed -n 's/^release \(v[^ ]*\)  channel beta .*/\1/p')
		if [ -z "$next" ]; then
			echo "::error::$1: the module planned no beta" >&2
			return 1
		fi
		add "$1" "$2" "" true "$next"
	elif nightly "$b"; then
		add "$1" "$2" "$today" false ""
	elif [ "$dry" = true ]; then
		add "$1" "$2" "$today" false ""
	elif [ "$EVENT" = workflow_dispatch ]; then
		echo "::error::$b gets no nightlies (NIGHTLY_BRANCHES: ${set[*]}): add it to the repository variable NIGHTLY_BRANCHES, or run a dry run" >&2
		return 1
	else
		echo "::notice::$b gets no nightlies (NIGHTLY_BRANCHES: ${set[*]}): nothing to publish"
	fi
}

case "$EVENT" in
schedule)
	while read -r b; do
		if [ "$b" = HEAD ] || ! nightly "$b"; then continue; fi
		head=$(git rev-parse "refs/remotes/origin/$b")
		age=$((now - $(git show -s --format=%ct "$head")))
		if [ "$age" -lt 86400 ]; then
			add "refs/heads/$b" "$head" "$today" false ""
		else
			echo "::notice::$b: no commits in the last 24 hours; its last nightly stays edge-$b"
		fi
	done < <(git for-each-ref --format='%(refname:lstrip=3)' refs/remotes/origin)
	;;
push | workflow_dispatch)
	: "${GITHUB_REF:?}" "${GITHUB_SHA:?}"
	branch_event "$GITHUB_REF" "$GITHUB_SHA"
	;;
*)
	echo "::error::channels.sh: event $EVENT: want schedule, push or workflow_dispatch" >&2
	exit 2
	;;
esac

matrix=$(printf '%s\n' "${entries[@]}" | jq -cs 'map(select(. != null))')
echo "matrix=$matrix" >> "$GITHUB_OUTPUT"
echo "nightly_branches=${set[*]}" >> "$GITHUB_OUTPUT"
echo "plan: $matrix"
