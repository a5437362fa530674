#!/bin/sh
# tar that writes the same bytes for the same tree: sorted entries, numeric
# owners, mtimes clamped to SOURCE_DATE_EPOCH, no atime/ctime. Callers add
# gzip -n (no name, no time) and --owner=0 --group=0 for root-only payloads.
set -eu
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
exec tar --sort=name --mtime=@"$SOURCE_DATE_EPOCH" --clamp-mtime --numeric-owner \
  --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "$@"
