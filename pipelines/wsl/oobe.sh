#!/bin/sh
# UnisonOS out-of-box experience: creates the uid 1000 user on first launch.
set -eu
DEFAULT_USER=${UNISON_WSL_USER:-$(cat /usr/lib/wsl/default-user 2>/dev/null || echo unison)}
if getent passwd 1000 >/dev/null; then
  echo "UnisonOS: user $(getent passwd 1000 | cut -d: -f1) (uid 1000) already exists"
  exit 0
fi
NAME=$DEFAULT_USER
if [ -t 0 ]; then
  printf 'UnisonOS: name of your Linux user [%s]: ' "$DEFAULT_USER"
  read -r answer || answer=""
  [ -n "$answer" ] && NAME=$answer
fi
case $NAME in ''|root|*[!a-z0-9_-]*) echo "UnisonOS: invalid user name '$NAME'" >&2; exit 1 ;; esac
groupadd -f docker
useradd --create-home --uid 1000 --shell /bin/bash --groups sudo,docker "$NAME"
if [ -t 0 ]; then
  echo "UnisonOS: set a password for $NAME (used by sudo)"
  passwd "$NAME"
else
  # non-interactive first launch: no password exists, so sudo must not ask for one
  echo "$NAME ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-unisonos-user
  chmod 0440 /etc/sudoers.d/90-unisonos-user
fi
echo "UnisonOS: created $NAME (uid 1000). Install the platform: sudo /opt/unison-platform/installer/install-wsl.sh"
