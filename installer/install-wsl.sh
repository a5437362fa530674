#!/usr/bin/env bash
# Install the UnisonOS platform inside a WSL distribution (systemd enabled in
# /etc/wsl.conf; Docker with compose v2 inside the distribution).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"

in_wsl() {
  [ -n "${WSL_DISTRO_NAME:-}" ] || [ -e /proc/sys/fs/binfmt_misc/WSLInterop ] || grep -qi microsoft /proc/version 2>/dev/null
}
in_wsl || die 6 "not running inside WSL: use install-docker.sh or install-native.sh on other hosts"
require_root
if ! grep -qs '^systemd *= *true' /etc/wsl.conf; then
  log "warning: /etc/wsl.conf has no [boot] systemd=true; the platform service starts only with systemd"
fi
require_docker
install_platform
