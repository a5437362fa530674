#!/bin/sh
# Splits /in/$2 into parts of $1 bytes (/out/$2.part01, ...) and lists them
# as name<TAB>size<TAB>sha256 in /listing.tsv.
set -eu
mkdir -p /out
cd /out
split -b "$1" -d -a 2 --numeric-suffixes=1 "/in/$2" "$2.part"
for f in "$2".part*; do printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"; done > /listing.tsv
