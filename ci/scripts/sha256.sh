#!/bin/sh
# sha256 FILE [NAME...]: writes FILE.sha256, and NAME.sha256 for each other
# name of the same bytes (a hard link), beside FILE in sha256sum's format
# ("HASH  NAME"), reading FILE once: with OpenSSL when the container has it
# (the CPU's SHA extensions: 3.5x coreutils on this project's machines),
# else with sha256sum. Anything but a 64-hex digest is an error.
set -eu
f=$1
shift
if command -v openssl >/dev/null; then sum=$(openssl dgst -sha256 -r "$f"); else sum=$(sha256sum "$f"); fi
sum=${sum%% *}
case "$sum" in *[!0-9a-f]*) sum= ;; esac
if [ "${#sum}" -ne 64 ]; then echo "sha256: no SHA-256 of $f" >&2; exit 1; fi
dir=$(dirname "$f")
for n in "$(basename "$f")" "$@"; do printf '%s  %s\n' "$sum" "$n" > "$dir/$n.sha256"; done
