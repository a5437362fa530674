#!/bin/sh
# Installs the WSL root filesystem's packages: the base set and Docker with
# compose v2, the arguments when given, else what the distribution ships;
# from the pinned archive (apt-pin.sh), the image's own sources kept.
set -e
. /etc/os-release
if [ $# -eq 0 ]; then
  case "$ID" in
    ubuntu) set -- docker.io docker-compose-v2 ;;
    *) set -- docker.io docker-compose ;;
  esac
fi
/tmp/unison/apt-pin.sh on
apt-get install -y -q --no-install-recommends ca-certificates curl sudo systemd systemd-sysv dbus iproute2 "$@" >/dev/null
apt-get clean
/tmp/unison/apt-pin.sh off
