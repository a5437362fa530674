#!/usr/bin/env bash
# Expires old nightlies: in every package a release writes (the platform
# image and its OCI artifacts), deletes the versions older than KEEP_DAYS
# (default 30) whose tags are all nightly ones (edge-<branch>-YYYYMMDD,
# sha-<short>), with the cosign signature and
# attestation versions of those digests (sha256-<hex>.sig / .att). A version
# that any other tag names is kept whatever its age: releases (v*, latest),
# betas and the moving edge, edge-<branch> and beta tags never expire;
# untagged versions (the platforms of an image index) are never touched.
# GHCR deletes through GitHub's packages API, not the registry's.
#
# Environment: OWNER (github.repository_owner), GH_TOKEN (packages: write),
# KEEP_DAYS, NOW (seconds since the epoch; default the clock: tests set it),
# PACKAGES (default: the release's repositories).
set -euo pipefail

: "${OWNER:?OWNER: the repository owner (github.repository_owner)}"
keep=${KEEP_DAYS:-30}
case "$keep" in
'' | *[!0-9]*) echo "KEEP_DAYS (vars.EDGE_RETENTION_DAYS): \"$keep\": want a number of days" >&2; exit 2 ;;
esac
now=${NOW:-$(date -u +%s)}
cutoff=$((now - keep * 86400))
packages=${PACKAGES:-unison-platform unisonos-baremetal unisonos-linux-vm unisonos-wsl unison-platform-bundle}

# an organization's packages or a user's
scope=users
[ "$(gh api "/users/$OWNER" --jq .type)" = Organization ] && scope=orgs

deleted=0
for pkg in $packages; do
	if ! versions=$(gh api --paginate "/$scope/$OWNER/packages/container/$pkg/versions" 2>/dev/null | jq -cs 'add // []'); then
		echo "::notice::$pkg: no such package (nothing published there yet)"
		continue
	fi
	# expired: created before the cutoff, every tag a nightly one
	expired=$(jq -c --argjson cutoff "$cutoff" '[.[] | select((.created_at | fromdateiso8601) < $cutoff)
		| select(all(.metadata.container.tags[]; test("^(edge-.+-[0-9]{8}|sha-[0-9a-f]{7,40})$")))
		| select(.metadata.container.tags | length > 0) | {id, name}]' <<< "$versions")
	# their signatures and attestations
	sigs=$(jq -c --argjson exp "$expired" '($exp | map(.name | sub(":"; "-"))) as $d | [.[]
		| select(any(.metadata.container.tags[]; (sub("\\.(sig|att)$"; "")) as $t | $d | index($t))) | {id, name}]' <<< "$versions")
	while read -r id name; do
		[ -n "$id" ] || continue
		gh api -X DELETE "/$scope/$OWNER/packages/container/$pkg/versions/$id" >/dev/null
		echo "$pkg: deleted $name"
		deleted=$((deleted + 1))
	done < <(jq -r '.[] | "\(.id) \(.name)"' <<< "$expired"; jq -r '.[] | "\(.id) \(.name)"' <<< "$sigs")
done
echo "expired $deleted package versions older than $keep days"
