#!/bin/sh
# The platform image's one layer: the bundle tree /src/unison-platform at
# opt/unison-platform, normalised as bundle-tar.sh packs it (modes, dates =
# SOURCE_DATE_EPOCH, sorted, numeric root owners), uncompressed in
# /out/layer.tar: the module gzips it and writes the image (same bytes, same
# digest, whenever it is built).
set -eu
cd /src
find unison-platform -type d -exec chmod 0755 {} +
find unison-platform -type f -exec chmod 0644 {} +
chmod 0755 unison-platform/installer/*.sh
find unison-platform -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
mkdir -p /out
rtar --owner=0 --group=0 --transform 's,^unison-platform,opt/unison-platform,' -cf /out/layer.tar unison-platform
