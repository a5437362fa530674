#!/usr/bin/env bash
# Shared functions of the UnisonOS installers. Sourced by install-*.sh; also
# runnable as `common.sh check-env [FILE]` (the systemd unit's ExecStartPre).
#
# Exit codes: 2 usage, 3 not root, 4 no docker/compose v2, 5 unsafe platform.env,
#             6 not in WSL, 7 bundle incomplete, 8 package install failed.

# Control flags come from arguments only (parse_args), never from the environment.
PREFIX=/opt/unison-platform
UNISON_ETC=/etc/unison
SYSTEMD_DIR=/etc/systemd/system
UNIT_NAME=unison-platform.service
DRY_RUN=0
START=0
PULL=0
BUNDLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE_FILES=(compose.yaml platform.env.template models.json metadata.json services.json README.md)
PLACEHOLDER=CHANGE_ME

# temporary files are removed on every exit path
TMPFILES=()
cleanup_tmp() { if [ ${#TMPFILES[@]} -gt 0 ]; then rm -f "${TMPFILES[@]}"; fi; }
trap cleanup_tmp EXIT

log() { printf 'unison: %s\n' "$*"; }
die() { local code=$1; shift; printf 'unison: error: %s\n' "$*" >&2; exit "$code"; }
# run CMD, or only say it under --dry-run
run() { if [ "$DRY_RUN" = 1 ]; then log "would run: $*"; else "$@"; fi; }

usage() {
  cat <<USAGE
usage: $(basename "$0") [--dry-run] [--start] [--pull] [--prefix DIR]
  --dry-run   print what would change, change nothing
  --start     start the platform now (after checking /etc/unison/platform.env)
  --pull      pull the service images now
  --prefix    install folder, an absolute path (default /opt/unison-platform)
USAGE
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --dry-run) DRY_RUN=1 ;;
      --start) START=1 ;;
      --pull) PULL=1 ;;
      --prefix)
        [ $# -ge 2 ] || die 2 "--prefix needs a folder"
        case $2 in
          /*) ;;
          *) die 2 "--prefix $2: give an absolute path" ;;
        esac
        if [[ ! $2 =~ ^/[A-Za-z0-9._/-]+$ ]] || [[ $2 == *..* ]]; then
          die 2 "--prefix: only letters, digits, '.', '_', '-' and '/' (no '..', spaces or newlines)"
        fi
        PREFIX=$2; shift ;;
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

# is_secret KEY: keys whose values are secrets
is_secret() {
  case $1 in *_SECRET|*_PASSWORD|*_PASS|*_TOKEN|*_KEY) return 0 ;; esac
  return 1
}

# generate_secret: 32 bytes from the kernel's CSPRNG, as 64 hex digits
generate_secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# seed_env: platform.env from the template, created once on this machine:
# every secret left as the placeholder gets its own generated value (never
# printed); mode 0600. An existing file is kept, and a key that a newer
# template added is appended to it (its template value, or a generated
# secret), so an upgrade starts without editing.
seed_env() {
  local env=$UNISON_ETC/platform.env tmp key missing=()
  [ -L "$env" ] && die 5 "$env is a symbolic link: refusing to follow it (replace it with a regular file)"
  if [ -f "$env" ]; then
    log "keep existing $env"
    if [ "$(stat -c %a "$env")" != 600 ]; then log "fix mode of $env to 600"; run chmod 600 "$env"; fi
    while IFS= read -r key; do
      grep -q "^$key=" "$env" || missing+=("$key")
    done < <(grep -oE '^[A-Za-z_][A-Za-z0-9_]*' "$BUNDLE_DIR/platform.env.template")
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$DRY_RUN" = 1 ]; then log "would add to $env the keys of the new template: ${missing[*]}"; return 0; fi
    if [ -n "$(tail -c 1 "$env")" ]; then echo >> "$env"; fi
    template_lines "${missing[@]}" >> "$env"
    log "added to $env the keys of the new template: ${missing[*]}"
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    log "would create $env (mode 600) from the template, with a generated value for every secret"
    return 0
  fi
  install -d -m 755 "$UNISON_ETC"
  tmp=$(umask 077 && mktemp "$UNISON_ETC/.platform.env.XXXXXX")
  TMPFILES+=("$tmp")
  template_lines > "$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$env"
  log "created $env (mode 600) with secrets generated on this machine"
}

# template_lines [KEY...]: the template's lines (only those of KEYs when
# given), every secret left as the placeholder replaced by a generated one
template_lines() {
  local line key
  while IFS= read -r line || [ -n "$line" ]; do
    key=${line%%=*}
    if [ $# -gt 0 ]; then
      if [ "$line" = "$key" ] || [[ " $* " != *" $key "* ]]; then continue; fi
    fi
    if [ "$line" != "$key" ] && is_secret "$key" && [ "${line#*=}" = "$PLACEHOLDER" ]; then
      printf '%s=%s\n' "$key" "$(generate_secret)"
    else
      printf '%s\n' "$line"
    fi
  done < "$BUNDLE_DIR/platform.env.template"
}

# env_problems FILE TEMPLATE: one line per problem of FILE, naming the key
# and the rule; nothing when it is safe. Strict KEY=value lines (what docker
# compose and this check read alike); every key of TEMPLATE present; no
# placeholder anywhere; secrets long, varied, not well-known, not shared.
env_problems() {
  local env=$1 template=$2 n=0 line key val low
  local -A seen=() secret_of=()
  if grep -q $'\r' "$env"; then echo "line endings: CRLF; use LF only"; fi
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case $line in ''|'#'*) continue ;; esac
    if [[ ! $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
      key=${line#export }; key=${key%%[ =:]*}
      echo "line $n ($key): not KEY=value (no spaces around '=', no 'export', no 'KEY: value')"; continue
    fi
    key=${line%%=*}; val=${line#*=}
    if [ -n "${seen[$key]:-}" ]; then echo "$key: set twice (lines ${seen[$key]} and $n)"; continue; fi
    seen[$key]=$n
    if [[ $val =~ [[:space:]\"\'\$\`\\#] ]]; then
      echo "$key: value has a space, quote, '\$', backquote, backslash or '#' (compose would read it differently)"; continue
    fi
    low=$(printf '%s' "$val" | tr '[:upper:]' '[:lower:]')
    case $low in *change_me*|*changeme*) echo "$key: still the placeholder"; continue ;; esac
    is_secret "$key" || continue
    if [ -z "$val" ]; then echo "$key: empty secret"; continue; fi
    if printf '%s' "$val" | LC_ALL=C grep -q '[^!-~]'; then echo "$key: a character that is not printable ASCII (a secret: letters, digits, punctuation)"; continue; fi
    if [ ${#val} -lt 16 ]; then echo "$key: secret shorter than 16 characters"; continue; fi
    if [ "$(printf '%s' "$val" | fold -w1 | sort -u | wc -l)" -lt 8 ]; then echo "$key: low-entropy secret (fewer than 8 distinct characters)"; continue; fi
    case $low in
      *password*|*secret*|*unison*|*1234*|*qwerty*|*letmein*|*admin*|*example*|*default*) echo "$key: a well-known weak value"; continue ;;
    esac
    if [ -n "${secret_of[$val]:-}" ]; then echo "$key: the same secret as ${secret_of[$val]} (every secret must be distinct)"; continue; fi
    secret_of[$val]=$key
  done < "$env"
  if [ -f "$template" ]; then
    while IFS= read -r line; do
      case $line in ''|'#'*) continue ;; esac
      key=${line%%=*}
      [ -n "${seen[$key]:-}" ] || echo "$key: missing (every key of the template is required)"
    done < "$template"
  fi
}

# file_problems FILE: the file's owner and mode (the secrets in it are root's alone)
file_problems() {
  local env=$1 mode uid
  mode=$(stat -c %a "$env"); uid=$(stat -c %u "$env")
  if [ "$uid" != 0 ]; then echo "owner uid $uid, not root: chown root:root $env"; fi
  if (( 8#$mode & 8#077 )); then echo "mode $mode: the group or others can read it: chmod 600 $env"; fi
}

# compose_problems FILE: what docker compose itself resolves, when it runs here
compose_problems() {
  local env=$1 compose=$BUNDLE_DIR/compose.yaml out
  [ -f "$compose" ] && command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1 || return 0
  if ! out=$(docker compose --env-file "$env" --project-directory "$BUNDLE_DIR" -f "$compose" config 2>&1); then
    echo "docker compose config: $(printf '%s' "$out" | tail -1)"
  elif printf '%s' "$out" | grep -qi 'change_\?me'; then
    echo "docker compose config: a service still gets the placeholder"
  fi
}

# check_env FILE: refuse to start with an unsafe platform.env (exit 5)
check_env() {
  local env=${1:-$UNISON_ETC/platform.env} problems
  [ -L "$env" ] && { echo "unison: error: $env is a symbolic link: refusing it" >&2; return 5; }
  [ -f "$env" ] || { echo "unison: error: $env is missing: run an installer first" >&2; return 5; }
  problems=$(file_problems "$env"; env_problems "$env" "$BUNDLE_DIR/platform.env.template"; compose_problems "$env")
  if [ -n "$problems" ]; then
    printf 'unison: error: refusing to start: %s is unsafe:\n' "$env" >&2
    printf '%s\n' "$problems" | sed 's/^/  - /' >&2
    printf '  fix it (a secret: od -An -tx1 -N32 /dev/urandom | tr -d " \\n"), then start again\n' >&2
    return 5
  fi
  return 0
}

# write_unit: the systemd unit, written with printf (no shell expansion surprises)
write_unit() {
  local unit=$SYSTEMD_DIR/$UNIT_NAME tmp load=()
  tmp=$(mktemp)
  TMPFILES+=("$tmp")
  # an offline medium: its images are loaded before compose starts (once; compose never pulls)
  [ -d "$PREFIX/offline/images" ] && load=("ExecStartPre=/bin/sh $PREFIX/installer/offline.sh images")
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
    "${load[@]}" \
    "ExecStart=/usr/bin/docker compose --env-file $UNISON_ETC/platform.env --project-directory $PREFIX -f $PREFIX/compose.yaml up -d --remove-orphans" \
    "ExecStop=/usr/bin/docker compose --env-file $UNISON_ETC/platform.env --project-directory $PREFIX -f $PREFIX/compose.yaml down" \
    'TimeoutStartSec=0' \
    '' \
    '[Install]' \
    'WantedBy=multi-user.target' > "$tmp"
  install_file "$tmp" "$unit" 644
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
    run docker compose --env-file "$UNISON_ETC/platform.env" --project-directory "$PREFIX" -f "$PREFIX/compose.yaml" pull
  fi
  if [ "$START" = 1 ]; then
    if [ "$DRY_RUN" = 1 ]; then
      log "would start $UNIT_NAME (after checking $UNISON_ETC/platform.env)"
      return 0
    fi
    check_env "$UNISON_ETC/platform.env" || exit 5
    run systemctl start "$UNIT_NAME"
  else
    log "installed; it starts at boot. Start it now: systemctl start $UNIT_NAME"
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
