#!/bin/sh
# Downloads the given packages and every dependency the target release lacks
# into /out/debs, in a container of the target OS image, from the pinned
# archive (apt-pin.sh), and lists their SHA-256 in /out/debs/SHA256SUMS
# (first boot checks them before dpkg -i).
set -eu
# shellcheck source=/dev/null # the target image's own
. /usr/lib/os-release
export DEBIAN_FRONTEND=noninteractive
/tmp/unison/apt-pin.sh on
# an archive directory of its own: no hook of the image (docker-clean) empties it
mkdir -p /out/debs/partial
if ! apt-get install -y -q --download-only --no-install-recommends -o Dir::Cache::Archives=/out/debs/ "$@" > /tmp/apt.log 2>&1; then
  tail -5 /tmp/apt.log >&2
  echo "offline: packages $* cannot be resolved for $ID $VERSION_ID (see above)" >&2
  exit 1
fi
rm -rf /out/debs/partial /out/debs/lock
cd /out/debs
sha256sum -- *.deb > SHA256SUMS
echo "offline: $(grep -c . SHA256SUMS) packages for $ID $VERSION_ID: $*"
