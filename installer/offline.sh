#!/bin/sh
# Installs what an offline medium carries in the platform bundle's offline/
# folder, with no network:
#   offline.sh debs     Docker's packages (checked against offline/debs/SHA256SUMS, then dpkg -i),
#                       unless docker.io is installed already; runs in a chroot too
#                       (the ISO's late-commands, curtin in-target)
#   offline.sh images   docker load of every offline/images/*.tar, once per payload
#                       (the platform unit runs it before compose up; compose never pulls)
# Environment: UNISON_PREFIX (default /opt/unison-platform), UNISON_STATE
# (default /var/lib/unisonos), UNISON_LOG_PREFIX (default "unison-offline:").
set -u
P=${UNISON_PREFIX:-/opt/unison-platform}
O=$P/offline
STATE=${UNISON_STATE:-/var/lib/unisonos}
log() { echo "${UNISON_LOG_PREFIX:-unison-offline:} $*"; }

debs() {
  [ -f "$O/debs/SHA256SUMS" ] || { log "no packages on the medium ($O/debs)"; return 0; }
  if dpkg -s docker.io >/dev/null 2>&1; then log "Docker is installed already"; return 0; fi
  log "installing Docker from the medium ($(grep -c . "$O/debs/SHA256SUMS") packages)"
  if ! (cd "$O/debs" && sha256sum -c --quiet --strict SHA256SUMS); then
    log "FAILED: the packages on the medium do not match their checksums"; return 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive dpkg -i "$O"/debs/*.deb; then
    log "FAILED: dpkg could not install the packages of the medium"; return 1
  fi
  log "installed Docker from the medium"
}

images() {
  [ -d "$O/images" ] || return 0
  stamp=$STATE/offline-images.sha256
  sums=$(cd "$O/images" && sha256sum -- *.tar) || { log "FAILED: cannot read $O/images"; return 1; }
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sums" ]; then return 0; fi
  for f in "$O"/images/*.tar; do
    if ! docker load -i "$f" >/dev/null; then log "FAILED: docker load $f"; return 1; fi
    log "loaded image $(basename "$f" .tar) from the medium"
  done
  mkdir -p "$STATE" && printf '%s\n' "$sums" > "$stamp"
}

case ${1:-} in
  debs) debs ;;
  images) images ;;
  *) echo "usage: $0 debs|images" >&2; exit 2 ;;
esac
