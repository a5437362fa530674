#!/bin/sh
# Remasters /in/base.iso into /out/$OUT with volume ID $VOLID: replays the
# base's boot setup and maps the staged payload (/stage) with the -map
# arguments given; dates come from SOURCE_DATE_EPOCH. Writes $OUT.sha256.
set -e
find /stage -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
find /stage -type d -exec chmod 0755 {} +
find /stage -type f -exec chmod 0644 {} +
xorriso -indev /in/base.iso -outdev "/out/$OUT" -volid "$VOLID" "$@" -boot_image any replay 2>/tmp/xorriso.log ||
  { cat /tmp/xorriso.log >&2; exit 1; }
# OpenSSL's SHA-256 uses the CPU's SHA extensions (3.5x coreutils' sha256sum
# on this project's machines); the .sha256 line is sha256sum's format
sum=$(openssl dgst -sha256 -r "/out/$OUT" | cut -d' ' -f1)
[ "${#sum}" = 64 ] || { echo "SHA-256 of $OUT failed" >&2; exit 1; }
cd /out && printf '%s  %s\n' "$sum" "$OUT" > "$OUT.sha256"
