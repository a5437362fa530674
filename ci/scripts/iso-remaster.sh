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
sha256 "/out/$OUT"
