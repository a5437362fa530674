#!/usr/bin/env bash
# Reserves the git tag of each beta of channels.yml's matrix (MATRIX, from
# channels.sh) before anything is built, and rewrites its ref to the tag:
# the git tags are the one numbering authority, so a beta made by the job
# and a hand-made vX.Y.P-beta.N tag never take the same number. A commit
# that already carries a beta tag of its line keeps it (a rerun); a number
# taken meanwhile (a hand-made tag pushed while the module numbered) moves
# on to the next free one. The tag is pushed with this job's token, which
# starts no workflow (GitHub's rule), so release.yml does not build it a
# second time: channels.yml releases the tag itself, with a pre-release.
#
# Environment: MATRIX, GITHUB_OUTPUT; origin writable (contents: write).
set -euo pipefail

: "${MATRIX:?MATRIX: the matrix of the plan job}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT: where the matrix goes}"
git=(git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com")

reserve() { # version sha -> prints the reserved tag
	local want=$1 sha=$2 line n attempt held
	line=${want%-beta.*}
	held=$(git tag --points-at "$sha" -l "$line-beta.*" | sort -V | tail -n1)
	if [ -n "$held" ]; then
		echo "::notice::$sha is already $held: its number is kept" >&2
		echo "$held"
		return 0
	fi
	n=${want##*-beta.}
	for attempt in 1 2 3 4 5; do
		"${git[@]}" tag -a -m "UnisonOS $line-beta.$n (channels.yml)" "$line-beta.$n" "$sha" 2>/dev/null &&
			"${git[@]}" push -q origin "refs/tags/$line-beta.$n" 2>/dev/null && {
			echo "$line-beta.$n"
			return 0
		}
		git tag -d "$line-beta.$n" >/dev/null 2>&1 || true
		git fetch -q --force origin 'refs/tags/*:refs/tags/*'
		local top
		top=$(git tag -l "$line-beta.*" | sed 's/.*-beta\.//' | sort -n | tail -n1)
		echo "::notice::$line-beta.$n is taken (a hand-made tag?): trying $line-beta.$((top + 1)) (attempt $attempt)" >&2
		n=$((top + 1))
	done
	echo "::error::could not reserve a $line-beta.N tag: the tags kept moving" >&2
	return 1
}

out=()
while read -r e; do
	beta=$(jq -r .beta <<< "$e")
	if [ -n "$beta" ]; then
		tag=$(reserve "$beta" "$(jq -r .sha <<< "$e")")
		e=$(jq -c --arg ref "refs/tags/$tag" '.ref = $ref | .beta = ""' <<< "$e")
		echo "beta $tag reserved"
	fi
	out+=("$e")
done < <(jq -c '.[]' <<< "$MATRIX")
echo "matrix=$(printf '%s\n' "${out[@]}" | jq -cs 'map(select(. != null))')" >> "$GITHUB_OUTPUT"
