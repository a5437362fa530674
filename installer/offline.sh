#!/bin/sh
# Installs what an offline medium carries in the platform bundle's offline/
# folder, with no network; only what the medium's SHA256SUMS lists, checked:
#   offline.sh debs     Docker's packages listed in offline/debs/SHA256SUMS (checked, then dpkg -i),
#                       unless docker.io is installed already; runs in a chroot too
#                       (the ISO's late-commands, curtin in-target)
#   offline.sh images   docker load of the archives listed in offline/images/SHA256SUMS, once per
#                       payload (the platform unit runs it before compose up; compose never pulls)
# A file in either folder that its SHA256SUMS does not list is refused, as is
# a listed file whose checksum differs: nothing is installed or loaded then.
# Environment: UNISON_PREFIX (default /opt/unison-platform), UNISON_STATE
# (default /var/lib/unisonos), UNISON_LOG_PREFIX (default "unison-offline:").
set -u
P=${UNISON_PREFIX:-/opt/unison-platform}
O=$P/offline
STATE=${UNISON_STATE:-/var/lib/unisonos}
log() { echo "${UNISON_LOG_PREFIX:-unison-offline:} $*"; }

# listed DIR EXT: the file names DIR/SHA256SUMS lists, one a line; fails
# (naming the file, on stderr) on a name with a path, on a DIR/*EXT file it
# does not list, and on a checksum that differs
listed() {
  dir=$1 ext=$2
  names=$(sed -n 's/^[0-9a-f]\{64\} [ *]\(.*\)$/\1/p' "$dir/SHA256SUMS")
  if [ "$(printf '%s\n' "$names" | grep -c .)" != "$(grep -c . "$dir/SHA256SUMS")" ]; then
    log "FAILED: $dir/SHA256SUMS has a line that is not 'sha256  file'" >&2; return 1
  fi
  for n in $names; do
    case $n in */*|-*|.*) log "FAILED: $dir/SHA256SUMS names $n: not a file of that folder" >&2; return 1 ;; esac
  done
  for f in "$dir"/*"$ext"; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    if ! printf '%s\n' "$names" | grep -qxF "$b"; then
      log "FAILED: $b is on the medium but not in $dir/SHA256SUMS: refusing it" >&2; return 1
    fi
  done
  if ! (cd "$dir" && sha256sum -c --quiet --strict SHA256SUMS >&2); then
    log "FAILED: the files in $dir do not match their checksums" >&2; return 1
  fi
  printf '%s\n' "$names"
}

debs() {
  [ -f "$O/debs/SHA256SUMS" ] || { log "no packages on the medium ($O/debs)"; return 0; }
  if dpkg -s docker.io >/dev/null 2>&1; then log "Docker is installed already"; return 0; fi
  log "installing Docker from the medium ($(grep -c . "$O/debs/SHA256SUMS") packages)"
  names=$(listed "$O/debs" .deb) || return 1
  set --
  for n in $names; do set -- "$@" "$O/debs/$n"; done
  if ! DEBIAN_FRONTEND=noninteractive dpkg -i "$@"; then
    log "FAILED: dpkg could not install the packages of the medium"; return 1
  fi
  log "installed Docker from the medium"
}

images() {
  [ -d "$O/images" ] || return 0
  [ -f "$O/images/SHA256SUMS" ] || { log "FAILED: $O/images has no SHA256SUMS: nothing is loaded unchecked"; return 1; }
  stamp=$STATE/offline-images.sha256
  if [ -f "$stamp" ] && cmp -s "$stamp" "$O/images/SHA256SUMS"; then return 0; fi
  names=$(listed "$O/images" .tar) || return 1
  for n in $names; do
    if ! docker load -i "$O/images/$n" >/dev/null; then log "FAILED: docker load $n"; return 1; fi
    log "loaded image ${n%.tar} from the medium"
  done
  mkdir -p "$STATE" && cp "$O/images/SHA256SUMS" "$stamp"
}

case ${1:-} in
  debs) debs ;;
  images) images ;;
  *) echo "usage: $0 debs|images" >&2; exit 2 ;;
esac
