#!/usr/bin/env bash
# Install the UnisonOS platform on a host that already runs Docker with compose v2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"
require_root
require_docker
install_platform
