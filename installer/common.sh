#!/usr/bin/env bash
# Shared functions of the UnisonOS installers. Sourced by install-*.sh; also
# runnable as `common.sh check-env [FILE]` (the systemd unit's ExecStartPre).
#
# Exit codes: 2 usage, 3 not root, 4 no docker/compose v2, 5 unsafe platform.env,
#             6 not in WSL, 7 bundle incomplete, 8 package install failed.

PREFIX=${PREFIX:-/opt/unison-platform}
UNISON_ETC=${UNISON_ETC:-/etc/unison}
SYSTEMD_DIR=${SYSTEMD_DIR:-/etc/systemd/system}
UNIT_NAME=unison-platform.service
DRY_RUN=${DRY_RUN:-0}
START=${START:-0}
PULL=${PULL:-0}
BUNDLE_DIR=${BUNDLE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUNDLE_FILES=(compose.yaml platform.env.template models.json metadata.json services.json README.md)

log() { printf 'unison: %s\n' "$*"; }
die() { local code=$1; shift; printf 'unison: error: %s\n' "$*" >&2; exit "$code"; }
# run CMD, or only say it under --dry-run
run() { if [ "$DRY_RUN" = 1 ]; then log "would run: $*"; else "$@"; fi; }

usage() {
  cat <<USAGE
usage: $(basename "$0") [--dry-run] [--start] [--pull] [--prefix DIR]
  --dry-run   print what would change, change nothing
  --start     start the platform now (refused while /etc/unison/platform.env has placeholders)
  --pull      pull the service images now
  --prefix    install folder (default /opt/unison-platform)
USAGE
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --dry-run) DRY_RUN=1 ;;
      --start) START=1 ;;
      --pull) PULL=1 ;;
      --prefix) [ $# -ge 2 ] || die 2 "--prefix needs a folder"; PREFIX=$2; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die 2 "unknown argument: $1" ;;
    esac
    shift
  done
}

require_root() {
  [ "$(id -u)" = 0 ] || die 3 "must run as root (it writes $PREFIX, $UNISON_ETC and $SYSTEMD_DIR); try: sudo $0"
}

require_docker() {
  command -v docker >/dev/null 2>&1 || die 4 "docker is not installed: on Ubuntu run install-native.sh, or apt-get install docker.io docker-compose-v2"
  docker compose version >/dev/null 2>&1 || die 4 "docker compose v2 is missing: apt-get install docker-compose-v2 (Ubuntu) or Docker's compose plugin"
}

require_bundle() {
  local f
  for f in "${BUNDLE_FILES[@]}"; do
    [ -f "$BUNDLE_DIR/$f" ] || die 7 "bundle incomplete: $BUNDLE_DIR/$f is missing (run the installer from an unpacked bundle)"
  done
}

# install_file SRC DEST MODE: copy only when the content or mode differs
install_file() {
  local src=$1 dest=$2 mode=$3
  if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "$mode" ]; then
    return 0
  fi
  log "install $dest (mode $mode)"
  run install -D -m "$mode" "$src" "$dest"
}

install_bundle() {
  local f
  if [ -d "$PREFIX" ] && [ "$(cd "$BUNDLE_DIR" && pwd -P)" = "$(cd "$PREFIX" && pwd -P)" ]; then
    log "bundle already in $PREFIX"
    return 0
  fi
  for f in "${BUNDLE_FILES[@]}"; do install_file "$BUNDLE_DIR/$f" "$PREFIX/$f" 644; done
  for f in "$BUNDLE_DIR"/installer/*.sh; do install_file "$f" "$PREFIX/installer/$(basename "$f")" 755; done
}

# seed_env: platform.env from the template, mode 0600, never overwritten
seed_env() {
  local env=$UNISON_ETC/platform.env
  if [ -f "$env" ]; then
    log "keep existing $env"
    if [ "$(stat -c %a "$env")" != 600 ]; then log "fix mode of $env to 600"; run chmod 600 "$env"; fi
    return 0
  fi
  log "create $env from the template (mode 600): edit every CHANGE_ME"
  run install -d -m 755 "$UNISON_ETC"
  run install -m 600 "$BUNDLE_DIR/platform.env.template" "$env"
}

# check_env FILE: refuse placeholders, empty or weak secrets
check_env() {
  local env=${1:-$UNISON_ETC/platform.env} bad=() key val
  [ -f "$env" ] || { echo "unison: error: $env is missing: run an installer first" >&2; return 5; }
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue ;; esac
    key=${line%%=*}; val=${line#*=}
    val=${val#\"}; val=${val%\"}
    if [ "$val" = CHANGE_ME ]; then bad+=("$key (placeholder)"); continue; fi
    case $key in
      *_SECRET|*_PASSWORD|*_TOKEN)
        if [ ${#val} -lt 16 ]; then bad+=("$key (shorter than 16 characters)");
        else
          case $(printf '%s' "$val" | tr '[:upper:]' '[:lower:]') in
            *changeme*|*password*|unison*|secret*|1234*) bad+=("$key (a well-known weak value)") ;;
          esac
        fi ;;
    esac
  done < "$env"
  if [ ${#bad[@]} -gt 0 ]; then
    printf 'unison: error: refusing to start: %s has unsafe values:\n' "$env" >&2
    printf '  - %s\n' "${bad[@]}" >&2
    printf '  edit it (secrets: openssl rand -hex 24), then start again\n' >&2
    return 5
  fi
  return 0
}

# write_unit: the systemd unit, written with printf (no shell expansion surprises)
write_unit() {
  local unit=$SYSTEMD_DIR/$UNIT_NAME tmp
  tmp=$(mktemp)
  printf '%s\n' \
    '[Unit]' \
    'Description=UnisonOS platform (docker compose)' \
    'Requires=docker.service' \
    'After=docker.service network-online.target' \
    'Wants=network-online.target' \
    '' \
    '[Service]' \
    'Type=oneshot' \
    'RemainAfterExit=yes' \
    "WorkingDirectory=$PREFIX" \
    "ExecStartPre=/bin/bash $PREFIX/installer/common.sh check-env $UNISON_ETC/platform.env" \
    "ExecStart=/usr/bin/docker compose --project-directory $PREFIX -f $PREFIX/compose.yaml up -d --remove-orphans" \
    "ExecStop=/usr/bin/docker compose --project-directory $PREFIX -f $PREFIX/compose.yaml down" \
    'TimeoutStartSec=0' \
    '' \
    '[Install]' \
    'WantedBy=multi-user.target' > "$tmp"
  install_file "$tmp" "$unit" 644
  rm -f "$tmp"
}

# enable_unit: systemctl when systemd runs, else the wants symlink (chroot, image build)
enable_unit() {
  local wants=$SYSTEMD_DIR/multi-user.target.wants
  if [ -d /run/systemd/system ] && [ "$SYSTEMD_DIR" = /etc/systemd/system ]; then
    run systemctl daemon-reload
    run systemctl enable "$UNIT_NAME"
  elif [ "$(readlink "$wants/$UNIT_NAME" 2>/dev/null)" != "$SYSTEMD_DIR/$UNIT_NAME" ]; then
    log "enable $UNIT_NAME (symlink in $wants)"
    run mkdir -p "$wants"
    run ln -sfn "$SYSTEMD_DIR/$UNIT_NAME" "$wants/$UNIT_NAME"
  fi
}

pull_and_start() {
  if [ "$PULL" = 1 ]; then
    log "pull the service images"
    run docker compose --project-directory "$PREFIX" -f "$PREFIX/compose.yaml" pull
  fi
  if [ "$START" = 1 ]; then
    if [ "$DRY_RUN" = 1 ]; then
      log "would start $UNIT_NAME (after checking $UNISON_ETC/platform.env)"
      return 0
    fi
    check_env "$UNISON_ETC/platform.env" || exit 5
    run systemctl start "$UNIT_NAME"
  else
    log "installed. Next: edit $UNISON_ETC/platform.env (every CHANGE_ME), then: systemctl start $UNIT_NAME"
  fi
}

# the common steps of every installer
install_platform() {
  require_bundle
  [ "$DRY_RUN" = 1 ] && log "dry run: nothing is changed"
  install_bundle
  seed_env
  write_unit
  enable_unit
  pull_and_start
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case ${1:-} in
    check-env) check_env "${2:-}"; exit $? ;;
    *) echo "usage: $0 check-env [FILE]" >&2; exit 2 ;;
  esac
fi
