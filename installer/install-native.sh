#!/usr/bin/env bash
# Install the UnisonOS platform on Ubuntu: Docker and compose v2 from Ubuntu's
# own archive (docker.io, docker-compose-v2), then the platform.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"
require_root
require_bundle
if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die 8 "no apt-get: install Docker and compose v2 yourself, then run install-docker.sh"
  log "install docker.io and docker-compose-v2 from the distribution"
  run env DEBIAN_FRONTEND=noninteractive apt-get update -q || die 8 "apt-get update failed"
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose-v2 || die 8 "apt-get install docker.io docker-compose-v2 failed (Ubuntu 22.04+ ships both)"
fi
[ "$DRY_RUN" = 1 ] || require_docker
if [ -d /run/systemd/system ]; then run systemctl enable --now docker.service; fi
install_platform
