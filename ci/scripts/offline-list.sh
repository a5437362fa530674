#!/bin/sh
# Lists the offline payload in /payload: "path<TAB>size<TAB>sha256" a file,
# sorted (/listing.tsv).
set -eu
cd /payload
find . -type f ! -name manifest.json | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
  printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done > /listing.tsv
