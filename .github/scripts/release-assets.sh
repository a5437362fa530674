#!/usr/bin/env bash
# Lays out the GitHub Release of a fanned-out release: the publishing job's
# directory (notes, checksums and their signature, statements, VERIFY.txt,
# REASSEMBLE-*.txt) and the artifact jobs' files it published from
# (with-artifacts --server reads them from the runner's disk and returns no
# copy), merged into the first one. Files are moved, not copied; a file over
# GitHub's 2 GiB asset limit is split into the parts SHA256SUMS lists
# (release.json: split, assets) and then removed; the jobs' records and the
# builds' NAME.sha256 files are not assets. Every file SHA256SUMS lists is checked before anything is attached,
# and nothing is left that it does not list but the release's own documents.
#
#   .github/scripts/release-assets.sh DIST BUILT
set -euo pipefail

dist=${1:?usage: $0 DIST BUILT}
built=${2:?usage: $0 DIST BUILT}
for d in "$dist" "$built"; do
	[ -d "$d" ] || { echo "release-assets: $d: no such directory" >&2; exit 2; }
done
[ -f "$dist/release.json" ] || { echo "release-assets: $dist/release.json missing: DIST is the publishing job's directory (the dist artifact)" >&2; exit 2; }
version=$(jq -er .version "$dist/release.json")
sums="SHA256SUMS-$version.txt"
[ -f "$dist/$sums" ] || { echo "release-assets: $dist/$sums missing" >&2; exit 2; }

shopt -s nullglob
for f in "$built"/*; do
	n=${f##*/}
	# the jobs' records and the builds' NAME.sha256 files (SHA256SUMS lists every file) are not assets
	case "$n" in built-*.json | *.sha256) continue ;; esac
	if [ -e "$dist/$n" ]; then
		echo "release-assets: $n is in both $dist and $built" >&2
		exit 1
	fi
	mv -- "$f" "$dist/$n"
done

# the split ones: parts of the size release.json gives part01 (release-split.sh's rule)
jq -r '.split[]?.Name' "$dist/release.json" | while read -r name; do
	size=$(jq -er --arg p "$name.part01" '.assets[] | select(.Name == $p) | .Size' "$dist/release.json")
	[ -f "$dist/$name" ] || { echo "release-assets: $name (published as parts) missing" >&2; exit 1; }
	split -b "$size" -d -a 2 --numeric-suffixes=1 -- "$dist/$name" "$dist/$name.part"
	echo "release-assets: $name split into parts of $size bytes"
done

# every file SHA256SUMS lists, with its bytes (the wholes of split files too)
(cd "$dist" && sha256sum --check --strict --quiet -- "$sums")
jq -r '.split[]?.Name' "$dist/release.json" | while read -r name; do rm -- "$dist/$name"; done

# nothing else: what is attached is listed, or is one of the release's documents
for f in "$dist"/*; do
	n=${f##*/}
	case "$n" in
	"$sums" | "$sums".* | cosign.pub | RELEASE_NOTES.md | PLAN.txt | release.json | VERIFY.txt | REASSEMBLE-*.txt) continue ;;
	esac
	if ! cut -d' ' -f3- "$dist/$sums" | grep -qxF -- "$n"; then
		echo "release-assets: $n is not in $sums: not attached" >&2
		exit 1
	fi
done
echo "release-assets: $(find "$dist" -maxdepth 1 -type f | wc -l) files in $dist, every one SHA256SUMS lists checked"
