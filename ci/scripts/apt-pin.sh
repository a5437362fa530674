#!/bin/sh
# apt-pin.sh on|off, around an install from the pinned archive (apt.yaml).
# on: the image's own sources move to /tmp/apt-image, the pinned ones
# (/tmp/apt/unison-pinned.sources, with /tmp/apt/ca.crt for https archives)
# take their place and the package lists
# are read from them; any index that fails is an error (apt would only
# warn, then find no package). off: the image's own sources come back, so
# that a shipped system updates from its usual archive, and the package
# lists go. /tmp is never shipped.
set -eu
saved=/tmp/apt-image
case "${1:-}" in
on)
  mkdir -p "$saved/sources.list.d"
  if [ -e /etc/apt/sources.list ]; then mv /etc/apt/sources.list "$saved/"; fi
  find /etc/apt/sources.list.d -mindepth 1 -maxdepth 1 -exec mv {} "$saved/sources.list.d/" \;
  cp /tmp/apt/unison-pinned.sources /etc/apt/sources.list.d/unison-pinned.sources
  # https archives (snapshots): the CA bundle the build mounts, for this install only
  if [ -s /tmp/apt/ca.crt ]; then echo 'Acquire::https::CaInfo "/tmp/apt/ca.crt";' > /etc/apt/apt.conf.d/99unison-pinned-ca; fi
  sed -n 's/^URIs: /apt: pinned archive /p' /etc/apt/sources.list.d/unison-pinned.sources
  if ! apt-get update -q --error-on=any > /tmp/apt-update.log 2>&1; then
    grep -E '^(E|W):' /tmp/apt-update.log >&2 || tail -5 /tmp/apt-update.log >&2
    echo "apt: the pinned archive cannot be read (above): check the URIs and snapshot of apt.yaml (--apt-pins; images/apt.yaml by default) and that the build can reach them" >&2
    exit 1
  fi
  ;;
off)
  rm -f /etc/apt/sources.list.d/unison-pinned.sources /etc/apt/apt.conf.d/99unison-pinned-ca
  if [ -e "$saved/sources.list" ]; then mv "$saved/sources.list" /etc/apt/; fi
  find "$saved/sources.list.d" -mindepth 1 -maxdepth 1 -exec mv {} /etc/apt/sources.list.d/ \;
  rm -rf /var/lib/apt/lists/* "$saved"
  ;;
*)
  echo "usage: apt-pin.sh on|off" >&2
  exit 2
  ;;
esac
