#!/usr/bin/env bash
# Docker mode, the lab's: the path users take (the stock dagger CLI starting
# its engine in Docker), on a machine with no Docker and no container registry.
#
#   docker.sh start    install Docker Engine (Debian's docker.io) if missing, start
#                      dockerd in its own namespaces, load the engine image
#   docker.sh stop     stop dockerd and everything it ran, undo every host change
#   docker.sh status   say whether it runs
#   docker.sh env      the exports for a shell: the CLI on PATH, its engine.json
#   docker.sh prune    stop, then remove Docker's data root (the engine's cache with it)
#
# What is the lab's and not the users' (each a fact of this machine):
# * Docker Engine 20.10 from Debian 12's archive (users have Docker Desktop or
#   a current Engine), with its own data root, in its own network, mount and
#   PID namespaces: stopping it leaves nothing behind.
# * registry.dagger.io/engine:v0.19.7 is not pulled (no registry is reachable):
#   an image laid out like the official one (entrypoint, /usr/bin/buildctl,
#   runc, CNI, the Go SDK in its content store) is built from the pinned
#   source that airgap.sh builds, and loaded under that exact reference, so
#   the unmodified CLI finds it and does not pull.
# * runc-bounded.sh is dockerd's runtime: this machine's capability bounding
#   set lacks CAP_SYS_RESOURCE, which a --privileged container asks for.
# * The engine's registry mirror is the lab's read-only docker.io mirror
#   (debian:bookworm and debian:trixie only), set the way Dagger documents
#   for the CLI's own engine: $XDG_CONFIG_HOME/dagger/engine.json, which the
#   CLI mounts into the engine container it starts.
# * A git server (git http-backend) stands in for github.com, for module
#   calls by reference (dagger call -m http://HOST/REPO.git@TAG).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# the build (binaries, root filesystems, images), the namespace and egress rules, pid records
# shellcheck source=airgap/airgap.sh
. "$HERE/airgap.sh"

log() { printf '[docker-mode] %s\n' "$*" >&2; }
die() { printf '[docker-mode] error: %s\n' "$*" >&2; exit 1; }
RUN=$D/run-docker
VETH_HOST=vunison2
VETH_NS=vunison3
NET=10.213.8
CHAIN=UNISON-DOCKER
DOCKER_ROOT=$D/docker
# dockerd's bridge inside the namespace: the engine container's gateway, where
# the registries and the git server listen (nothing on the host reaches it)
BRIDGE=10.213.9.1
MIRROR=$BRIDGE:5000
SHARED_REGISTRY=$BRIDGE:5001
# port 80: dagger v0.19.7 drops the port of a module reference (http://HOST:PORT/...)
GIT_ADDR=$BRIDGE:80
SOCKET=/var/run/docker.sock
ENGINE_IMAGE=registry.dagger.io/engine:$DAGGER_VERSION
CLI_DIR=$D/cli-$DAGGER_VERSION

dk() { docker -H "unix://$SOCKET" "$@"; }

# ensure_docker: dockerd, containerd and runc from the Debian archive (the
# services the package would start are not started), jq, git
ensure_docker() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  command -v git >/dev/null 2>&1 || need+=(git)
  [ ${#need[@]} = 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]}: install Docker Engine, jq and git"
  log "installing ${need[*]} with apt-get (its services are not started)"
  local policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; policy=1; fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" > "$D/apt-docker.log" 2>&1 || rc=$?
  [ "$policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { tail -20 "$D/apt-docker.log" >&2; die "apt-get install ${need[*]} failed"; }
}

# docker_answers: a daemon answers on the socket
docker_answers() { [ -S "$SOCKET" ] && dk version >/dev/null 2>&1; }

# image_stamp: what the engine image is made of (rebuilt when it changes;
# IMAGE_LAYOUT counts changes to engine_image itself)
IMAGE_LAYOUT=1
image_stamp() {
  { echo "$IMAGE_LAYOUT"; cat "$BIN/source.sum" "$D/gosdk-digest.txt" "$HERE/engine-entrypoint.sh" "$D/engine-rootfs.done"; } 2>/dev/null | sha256sum | cut -c1-16
}

# engine_image: registry.dagger.io/engine:<version>, laid out like the official
# image, from the air-gapped engine's root filesystem and binaries
engine_image() {
  local stamp id
  stamp=$(image_stamp)
  id=$(dk image inspect -f '{{.Id}}' "$ENGINE_IMAGE" 2>/dev/null || true)
  if [ -n "$id" ] && [ "$(cat "$D/docker-engine-image" 2>/dev/null)" = "$stamp $id" ]; then
    log "engine image $ENGINE_IMAGE: cached ($id)"; return
  fi
  log "engine image $ENGINE_IMAGE from the pinned source (the air-gapped engine's rootfs and binaries)"
  engine_cas
  local S=$D/docker-engine-rootfs
  rm -rf "$S"; mkdir -p "$S"
  # the air-gapped engine's state and mount points stay out
  tar -C "$ENGINE_ROOTFS" --exclude=./var/lib/dagger/* --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* \
    --exclude=./tmp/* --exclude=./run/* --exclude=./.oldroot -cf - . | tar -C "$S" -xf -
  install -m 0755 "$BIN/engine" "$S/usr/local/bin/dagger-engine"
  install -m 0755 "$BIN/init" "$S/usr/local/bin/dagger-init"
  install -m 0755 "$BIN/dnsname" "$S/opt/cni/bin/dnsname"
  install -m 0755 "$BIN/dialstdio" "$S/usr/bin/dial-stdio"
  ln -sf /usr/bin/dial-stdio "$S/usr/bin/buildctl"
  install -m 0755 "$BIN/dagger" "$S/usr/local/bin/dagger"
  install -m 0755 "$HERE/engine-entrypoint.sh" "$S/usr/local/bin/dagger-entrypoint.sh"
  mkdir -p "$S/etc/dagger" "$S/var/lib/dagger" "$S/run/dagger" "$S/tmp"
  chmod 1777 "$S/tmp"
  : > "$S/etc/dagger/engine.toml"
  printf '{"logLevel": "info"}\n' > "$S/etc/dagger/engine.json"
  : > "$S/etc/resolv.conf"
  local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    "DAGGER_GO_SDK_MANIFEST_DIGEST=$(cat "$D/gosdk-digest.txt")"
    _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix:///run/dagger/engine.sock)
  local goproxy; goproxy=$(go env GOPROXY | cut -d, -f1)
  # the Go SDK's containers take GOPROXY from the engine's environment: only a non-default one is set
  [ "$goproxy" = https://proxy.golang.org ] || env+=("GOPROXY=$goproxy")
  local changes=(--change 'ENTRYPOINT ["/usr/local/bin/dagger-entrypoint.sh"]')
  local e
  for e in "${env[@]}"; do changes+=(--change "ENV $e"); done
  tar --numeric-owner -C "$S" -cf - . | dk import "${changes[@]}" - "$ENGINE_IMAGE" >/dev/null
  rm -rf "$S"
  id=$(dk image inspect -f '{{.Id}}' "$ENGINE_IMAGE")
  echo "$stamp $id" > "$D/docker-engine-image"
  # the CLI restarts an engine container it finds by name, whatever its image:
  # one of an older image goes (its cache volume with it)
  local old
  for old in $(dk ps -aq --filter name=dagger-engine-); do
    [ "$(dk inspect -f '{{.Image}}' "$old")" = "$id" ] || { log "removing engine container $old (an older image)"; dk rm -fv "$old" >/dev/null; }
  done
  dk image prune -f >/dev/null
  log "engine image $ENGINE_IMAGE: $id"
}

# engine_json: the engine's configuration (airgap.sh's, the cache in
# Docker's data root), where the CLI looks for it: $XDG_CONFIG_HOME/dagger/engine.json,
# mounted into the engine container it creates
engine_json() { engine_config "$RUN/config/dagger/engine.json" "$DOCKER_ROOT"; }

cmd_start() {
  need_root start
  if pid_alive dockerd && docker_answers; then log "already running"; return 0; fi
  cmd_stop >/dev/null 2>&1 || true
  if docker_answers; then
    die "a Docker daemon already answers on $SOCKET: use it (the dagger CLI starts its engine there); Docker mode is for machines without one"
  fi
  ensure_docker
  cmd_build
  if ip link show $VETH_HOST >/dev/null 2>&1; then die "$VETH_HOST exists: another Docker mode runs (not one this state dir recorded)"; fi
  trap start_failed EXIT
  mkdir -p "$RUN" "$DOCKER_ROOT" "$RUN/git" "$CLI_DIR"
  install -m 0755 "$HERE/runc-bounded.sh" "$D/bin/runc-bounded"
  ln -sf "$BIN/dagger" "$CLI_DIR/dagger"
  rm -f "$SOCKET"
  failpoint files
  net_up
  # dockerd as PID 1 of its own PID namespace, in a private mount namespace:
  # when it ends, containerd, the shims and every container end with it, and
  # its mounts vanish with the namespace
  nsenter -t "$NSPID" -n unshare --mount --pid --fork --mount-proc --kill-child=SIGKILL --propagation private \
    dockerd --data-root "$DOCKER_ROOT" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pidfile" \
    --host "unix://$SOCKET" --bip "$BRIDGE/24" --storage-driver overlay2 \
    --add-runtime "unison-runc=$D/bin/runc-bounded" --default-runtime unison-runc \
    > "$RUN/dockerd.log" 2>&1 &
  pid_record dockerd $!
  local _
  for _ in $(seq 1 120); do
    docker_answers && break
    pid_alive dockerd || { tail -30 "$RUN/dockerd.log" >&2; die "dockerd died at start (log above)"; }
    sleep 0.5
  done
  docker_answers || { tail -30 "$RUN/dockerd.log" >&2; die "dockerd did not answer on $SOCKET in 60 s"; }
  failpoint dockerd
  registries
  engine_image
  engine_json
  trap - EXIT
  log "Docker $(dk version -f '{{.Server.Version}}') running (socket $SOCKET); engine image $ENGINE_IMAGE loaded"
  log "point your shell at it with:  eval \"\$($0 env)\"   (the stock dagger CLI then starts its engine in Docker)"
}

# registries: the docker.io mirror (read-only) and the shared registry on the
# bridge, and the git server; what they serve is recorded for env
registries() {
  local password; password=$(secret)
  (umask 077 && printf '%s:%s' "$REGISTRY_USER" "$password" > "$RUN/registry-credentials" &&
    printf '%s' "$password" > "$RUN/registry-password")
  nsenter -t "$NSPID" -n "$D/bin/localreg" -gateway "$BRIDGE" \
    -mirror "$MIRROR" -mirror-images "$D/debian-bookworm-rootfs.tar=library/debian:bookworm,$D/debian-trixie-rootfs.tar=library/debian:trixie" \
    -addr "$SHARED_REGISTRY" -credentials-file "$RUN/registry-credentials" \
    -images "$D/cosign-$COSIGN_VERSION-rootfs.tar=sigstore/cosign:$COSIGN_VERSION" \
    > "$RUN/localreg.log" 2>&1 &
  pid_record localreg $!
  nsenter -t "$NSPID" -n "$D/bin/gitserve" -root "$RUN/git" -addr "$GIT_ADDR" > "$RUN/gitserve.log" 2>&1 &
  pid_record gitserve $!
  failpoint registry
  local _
  for _ in $(seq 1 120); do grep -q ready "$RUN/localreg.log" && break; pid_alive localreg || break; sleep 0.5; done
  grep -q ready "$RUN/localreg.log" || { cat "$RUN/localreg.log" >&2; die "the lab registry failed"; }
  record_images "$SHARED_REGISTRY"
}

cmd_stop() {
  need_root stop
  # dockerd stops its containers (the CLI's engine among them) on TERM; what
  # is left of its PID namespace ends with the launcher
  stop_process dockerd
  stop_process gitserve
  stop_process localreg
  net_down
  [ -S "$SOCKET" ] && ! docker_answers && rm -f "$SOCKET"
  rm -f "$RUN/registry-credentials" "$RUN/registry-password" "$RUN/debian-image" "$RUN/debian13-image" "$RUN/cosign-image"
  log "stopped"
}

cmd_status() {
  local f pid
  for f in dockerd localreg gitserve netns; do
    if pid=$(pid_of "$f"); then echo "$f: running (pid $pid)"; else echo "$f: not running"; fi
  done
  if pid_alive dockerd && docker_answers; then echo "running (socket $SOCKET)"; return 0; fi
  echo "not running"; return 1
}

cmd_env() {
  cat <<EOV
unset _EXPERIMENTAL_DAGGER_RUNNER_HOST
export _EXPERIMENTAL_DAGGER_CLI_BIN=$CLI_DIR/dagger
export PATH=$CLI_DIR:\$PATH
export XDG_CONFIG_HOME=$RUN/config
export UNISON_ENGINE=docker UNISON_DOCKER_REGISTRY=$SHARED_REGISTRY
export UNISON_GIT_SERVER=http://$GIT_ADDR UNISON_GIT_ROOT=$RUN/git
export DAGGER_NO_NAG=1 DO_NOT_TRACK=1
EOV
  if [ -f "$RUN/debian-image" ]; then echo "export UNISON_DEBIAN_IMAGE=$(cat "$RUN/debian-image")"; fi
  if [ -f "$RUN/debian13-image" ]; then echo "export UNISON_DEBIAN13_IMAGE=$(cat "$RUN/debian13-image")"; fi
  if [ -f "$RUN/cosign-image" ]; then echo "export UNISON_COSIGN_IMAGE=$(cat "$RUN/cosign-image")"; fi
  if [ -f "$RUN/registry-password" ]; then
    echo "export UNISON_REGISTRY_USER=$REGISTRY_USER UNISON_REGISTRY_PASSWORD_FILE=$RUN/registry-password"
  fi
}

cmd_prune() {
  cmd_stop
  rm -rf "$DOCKER_ROOT" "$RUN/exec" "$D/docker-engine-image"
  log "removed Docker's data root $DOCKER_ROOT"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  prune) cmd_prune ;;
  *) echo "usage: $0 start|stop|status|env|prune" >&2; exit 2 ;;
esac
