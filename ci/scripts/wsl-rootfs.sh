#!/bin/sh
# Installs the WSL root filesystem's packages: the base set and the
# arguments (Docker with Compose v2: wsl.go passes what the distribution
# ships); from the pinned archive (apt-pin.sh), the image's own sources kept.
set -e
[ $# -gt 0 ] || { echo "wsl-rootfs: no Docker packages given" >&2; exit 2; }
/tmp/unison/apt-pin.sh on
apt-get install -y -q --no-install-recommends ca-certificates curl sudo systemd systemd-sysv dbus iproute2 "$@" >/dev/null
apt-get clean
/tmp/unison/apt-pin.sh off
