#!/bin/sh
# Packs the bundle tree /src/unison-platform as the byte-reproducible
# /out.tar.gz every artifact carries (modes normalised, dates = SOURCE_DATE_EPOCH).
set -eu
cd /src
find unison-platform -type d -exec chmod 0755 {} +
find unison-platform -type f -exec chmod 0644 {} +
chmod 0755 unison-platform/installer/*.sh
find unison-platform -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
rtar --owner=0 --group=0 -cf - unison-platform | gzip -n -9 > /out.tar.gz
