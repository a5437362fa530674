#!/usr/bin/env bash
# Air-gapped mode: a real Dagger engine on a machine with no Docker and no
# container registry, built only from the Go module proxy and the Debian archive.
#
#   airgap.sh build    build CLI + engine, root filesystems, images (idempotent, cached)
#   airgap.sh start    build if needed, then start the engine in its own namespaces
#   airgap.sh stop     stop it by PID and undo every host change
#   airgap.sh status   say whether it runs
#   airgap.sh env      print the exports that point the dagger CLI / Go SDK at it
#
# State lives in $UNISON_AIRGAP_DIR (default /var/cache/unison-airgap), outside
# the repository, so nothing here is ever uploaded to the engine and caches
# survive fresh clones.
set -euo pipefail

DAGGER_VERSION=v0.19.7
# cosign for release signing: the version of the module's pinned default image
COSIGN_VERSION=v2.4.1
GO_MIN=1.25
D=${UNISON_AIRGAP_DIR:-/var/cache/unison-airgap}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BIN=$D/bin-$DAGGER_VERSION
RUN=$D/run
ENGINE_ROOTFS=$D/engine-rootfs
SOCK=$ENGINE_ROOTFS/run/dagger/engine.sock
VETH_HOST=vunison0
VETH_NS=vunison1
NET=10.213.7
# Registry inside the engine's network namespace: 127.0.0.1:5000 is the
# docker.io mirror the engine pulls base images from; the same registry also
# listens on the engine bridge gateway so containers and the engine reach it
# under one name (SHARED_REGISTRY).
MIRROR=127.0.0.1:5000
SHARED_REGISTRY=10.87.0.1:5001

log() { printf '[airgap] %s\n' "$*" >&2; }
die() { printf '[airgap] error: %s\n' "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it creates namespaces, a veth pair and a NAT rule); try: sudo $0 $*"; }

# install what Debian/Ubuntu can provide when it is missing (root, apt)
ensure_packages() {
  local need=()
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  [ ${#need[@]} = 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  log "installing ${need[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
}

check_prereqs() {
  ensure_packages || true
  local missing=()
  for c in go debootstrap unshare nsenter ip tar chroot mount; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ ${#missing[@]} = 0 ] || die "missing prerequisites: ${missing[*]} (Debian/Ubuntu: apt-get install debootstrap iproute2 util-linux; Go >= $GO_MIN from go.dev)"
  local gv; gv=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n%s\n' "$GO_MIN" "$gv" | sort -V | head -1)" = "$GO_MIN" ] || die "Go $gv is too old: need >= $GO_MIN"
  [ -d "$(go env GOROOT)" ] || die "GOROOT not found"
}

mirror_url() {
  local u=""
  [ -f /etc/apt/sources.list.d/debian.sources ] && u=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -z "$u" ] && [ -f /etc/apt/sources.list ] && u=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
  u=${DEBIAN_MIRROR:-$u}
  [ -n "$u" ] || die "no Debian mirror found in /etc/apt/sources.list*: set DEBIAN_MIRROR to the Debian archive URL"
  echo "$u"
}

# ---- 1. binaries -----------------------------------------------------------
build_binaries() {
  if [ -x "$BIN/dagger" ] && [ -x "$BIN/engine" ] && [ -x "$BIN/init" ] && [ -x "$BIN/dnsname" ] && [ -x "$BIN/codegen" ]; then
    log "binaries $DAGGER_VERSION: cached"; return
  fi
  log "building dagger $DAGGER_VERSION from the Go module proxy (cold: ~6 min on 2 cores)"
  export GONOSUMDB=github.com/dagger/dagger GOFLAGS=-modcacherw
  go mod download github.com/dagger/dagger@$DAGGER_VERSION dagger.io/dagger@$DAGGER_VERSION
  local modc src=$D/src-$DAGGER_VERSION
  modc=$(go env GOMODCACHE)
  rm -rf "$src"
  cp -r "$modc/github.com/dagger/dagger@$DAGGER_VERSION" "$src"
  chmod -R u+w "$src"
  # nested modules are not in the module zip: the Go SDK is dagger.io/dagger ...
  rm -rf "$src/sdk/go"; cp -r "$modc/dagger.io/dagger@$DAGGER_VERSION" "$src/sdk/go"; chmod -R u+w "$src/sdk/go"
  # ... and engine/distconsts is on no proxy: it is a constants file (as tagged)
  mkdir -p "$src/engine/distconsts"
  cp "$HERE/distconsts/go.mod.txt" "$src/engine/distconsts/go.mod"
  cp "$HERE/distconsts/consts.go.txt" "$src/engine/distconsts/consts.go"
  mkdir -p "$BIN.tmp"
  local ldf="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
  (cd "$src" && go mod download)
  for p in dagger engine init dnsname codegen introspect; do
    log "  go build ./cmd/$p"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags 'dfexcludepatterns dfparents' -ldflags "$ldf" -o "$BIN.tmp/$p" "./cmd/$p")
  done
  rm -rf "$BIN"; mv "$BIN.tmp" "$BIN"; rm -rf "$src"
}

build_localreg() {
  local out=$D/bin/localreg
  mkdir -p "$D/bin"
  (cd "$REPO" && CGO_ENABLED=0 go build -o "$out.tmp" ./airgap/localreg) && mv "$out.tmp" "$out"
}

# cosign from the Go module proxy, packed like the official image (/ko-app/cosign)
build_cosign() {
  local out=$D/bin/cosign-$COSIGN_VERSION tar=$D/cosign-$COSIGN_VERSION-rootfs.tar
  if [ -x "$out" ] && [ -f "$tar" ]; then log "cosign $COSIGN_VERSION: cached"; return; fi
  log "building cosign $COSIGN_VERSION from the Go module proxy (cold: ~3 min on 2 cores)"
  rm -rf "$D/cosign.tmp"; mkdir -p "$D/cosign.tmp/root/ko-app" "$D/cosign.tmp/root/tmp" "$D/bin"
  GOBIN=$D/cosign.tmp CGO_ENABLED=0 GOFLAGS=-modcacherw go install -trimpath -ldflags='-s -w' \
    "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION"
  install -m 0755 "$D/cosign.tmp/cosign" "$D/cosign.tmp/root/ko-app/cosign"
  chmod 1777 "$D/cosign.tmp/root/tmp"
  tar --numeric-owner --owner=0 --group=0 -C "$D/cosign.tmp/root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  mv "$D/cosign.tmp/cosign" "$out"; rm -rf "$D/cosign.tmp"
}

# ---- 2. root filesystems ---------------------------------------------------
inchroot() { # inchroot DIR CMD: run CMD in DIR with /proc and /dev, host DNS, private mount ns
  local d=$1; shift
  cp /etc/resolv.conf "$d/etc/resolv.conf"
  unshare -m --propagation private sh -c "mount -t proc proc '$d/proc' && mount --rbind /dev '$d/dev' && chroot '$d' /bin/sh -c '$*'"
  : > "$d/etc/resolv.conf"
}
APT='export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends'

build_base_rootfs() {
  [ -f "$D/base-rootfs.done" ] && { log "base rootfs: cached"; return; }
  log "debootstrap bookworm minbase ($(mirror_url))"
  rm -rf "$D/base-rootfs"; mkdir -p "$D/debs"
  debootstrap --variant=minbase --cache-dir="$D/debs" bookworm "$D/base-rootfs" "$(mirror_url)" > "$D/debootstrap.log" 2>&1 || { tail -20 "$D/debootstrap.log"; die "debootstrap failed"; }
  rm -f "$D"/base-rootfs/var/lib/apt/lists/deb.* "$D"/base-rootfs/var/cache/apt/*.bin
  : > "$D/base-rootfs/etc/resolv.conf"
  touch "$D/base-rootfs.done"
}

build_engine_rootfs() {
  [ -f "$D/engine-rootfs.done" ] && { log "engine rootfs: cached"; return; }
  log "engine rootfs"
  rm -rf "$ENGINE_ROOTFS"; cp -a "$D/base-rootfs" "$ENGINE_ROOTFS"
  inchroot "$ENGINE_ROOTFS" "$APT runc iptables dnsmasq-base containernetworking-plugins ca-certificates openssl git openssh-client pigz xz-utils iproute2 procps kmod nftables >/dev/null && apt-get clean"
  local R=$ENGINE_ROOTFS
  ln -sf /usr/sbin/xtables-legacy-multi "$R/usr/bin/xtables-legacy-multi"
  ln -sf /usr/sbin/xtables-nft-multi "$R/usr/bin/xtables-nft-multi"
  mkdir -p "$R/opt/cni/bin" "$R/usr/local/bin" "$R/etc/dagger" "$R/var/lib/dagger" "$R/run/dagger" "$R/usr/local/share/dagger/content"
  for p in bridge loopback firewall host-local; do cp "$R/usr/lib/cni/$p" "$R/opt/cni/bin/"; done
  ln -sf /usr/sbin/runc "$R/usr/local/bin/runc"
  : > "$R/etc/dagger/buildkitd.toml"
  cat > "$R/etc/dagger/engine.json" <<EOJ
{
  "logLevel": "info",
  "registries": {
    "docker.io": { "mirrors": ["$MIRROR"] },
    "$MIRROR": { "http": true, "insecure": true },
    "$SHARED_REGISTRY": { "http": true, "insecure": true }
  }
}
EOJ
  touch "$D/engine-rootfs.done"
}

build_gosdk_rootfs() {
  [ -f "$D/gosdk-rootfs.done" ] && { log "Go SDK rootfs: cached"; return; }
  log "Go SDK runtime rootfs (Go $(go env GOVERSION))"
  local G=$D/gosdk-rootfs
  rm -rf "$G"; cp -a "$D/base-rootfs" "$G"
  inchroot "$G" "$APT git openssh-client ca-certificates openssl >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"
  cp -a "$(go env GOROOT)" "$G/usr/local/go"
  install -m 0755 "$BIN/codegen" "$G/usr/local/bin/codegen"
  mkdir -p "$G/go/pkg/mod" "$G/go/bin" "$G/root/.cache/go-build"
  # pre-warm the module cache with what this project's module needs (seeds the
  # engine's gomod cache volume: the first module load then skips most downloads)
  if [ -f "$REPO/ci/go.mod" ]; then
    (cd "$REPO/ci" && GOMODCACHE="$G/go/pkg/mod" GOFLAGS=-modcacherw go mod download) || log "pre-warm skipped (go mod download failed)"
  fi
  touch "$D/gosdk-rootfs.done"
}

# ---- 3. images ---------------------------------------------------------------
build_images() {
  build_localreg
  build_cosign
  if [ ! -f "$D/images.done" ]; then
    log "images: debian:bookworm tarball, Go SDK runtime image"
    tar --numeric-owner -C "$D/base-rootfs" -cf "$D/debian-bookworm-rootfs.tar.tmp" . && mv "$D/debian-bookworm-rootfs.tar.tmp" "$D/debian-bookworm-rootfs.tar"
    tar --numeric-owner -C "$D/gosdk-rootfs" -cf "$D/gosdk-rootfs.tar" .
    rm -rf "$D/gosdk-layout"
    "$D/bin/localreg" -images "$D/gosdk-rootfs.tar=dagger/gosdk:local" -layout "$D/gosdk-layout" -workdir /go \
      -env "PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin;GOPATH=/go;GOTOOLCHAIN=local" \
      > "$D/gosdk-digest.txt"
    rm -f "$D/gosdk-rootfs.tar"
    rm -rf "$ENGINE_ROOTFS/usr/local/share/dagger/content/blobs"
    cp -r "$D/gosdk-layout/blobs" "$ENGINE_ROOTFS/usr/local/share/dagger/content/"
    touch "$D/images.done"
  else
    log "images: cached"
  fi
}

cmd_build() {
  need_root build; check_prereqs
  mkdir -p "$D"
  build_binaries
  build_base_rootfs
  build_engine_rootfs
  build_gosdk_rootfs
  build_images
  log "build complete in $D"
}

# ---- 4. start / stop -----------------------------------------------------------
pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

cmd_status() {
  if pid_alive engine && [ -S "$SOCK" ]; then echo "running (pid $(cat "$RUN/engine.pid"), socket $SOCK)"; return 0; fi
  echo "not running"; return 1
}

cmd_start() {
  need_root start
  if pid_alive engine && [ -S "$SOCK" ]; then log "already running"; return 0; fi
  # leftovers of a crashed run
  cmd_stop >/dev/null 2>&1 || true
  cmd_build
  local hostif mtu
  hostif=$(ip route show default | awk '{print $5; exit}')
  [ -n "$hostif" ] || die "no default route: the engine needs NAT to reach the Debian archive and Go proxy"
  mtu=$(cat "/sys/class/net/$hostif/mtu")
  mkdir -p "$RUN"
  echo "$hostif" > "$RUN/hostif"
  cat /proc/sys/net/ipv4/ip_forward > "$RUN/ip_forward.orig"
  local R=$ENGINE_ROOTFS
  install -m 0755 "$BIN/engine" "$R/usr/local/bin/dagger-engine"
  install -m 0755 "$BIN/init" "$R/usr/local/bin/dagger-init"
  install -m 0755 "$BIN/dnsname" "$R/opt/cni/bin/dnsname"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  # extra CAs (TLS-intercepting proxies): the engine installs them in every container
  mkdir -p "$R/usr/local/share/ca-certificates"
  find "$R/usr/local/share/ca-certificates" -name '*.crt' -delete
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
  fi
  rm -f "$SOCK"

  # network namespace holder + veth + NAT
  unshare --net sleep infinity </dev/null >/dev/null 2>&1 &
  local nspid=$!
  echo $nspid > "$RUN/netns.pid"
  sleep 0.2
  ip link add $VETH_HOST mtu "$mtu" type veth peer name $VETH_NS mtu "$mtu" netns $nspid
  ip addr add $NET.1/30 dev $VETH_HOST
  ip link set $VETH_HOST up
  nsenter -t $nspid -n ip link set lo up
  nsenter -t $nspid -n ip addr add $NET.2/30 dev $VETH_NS
  nsenter -t $nspid -n ip link set $VETH_NS up
  nsenter -t $nspid -n ip route add default via $NET.1
  echo 1 > /proc/sys/net/ipv4/ip_forward
  chroot "$R" iptables-legacy -t nat -C POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE 2>/dev/null ||
    chroot "$R" iptables-legacy -t nat -A POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE

  # registry inside the namespace; its fault endpoint (tests of interrupted
  # pushes) takes only this start's token, readable by root alone
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/fault-token")
  nsenter -t $nspid -n "$D/bin/localreg" -addr "$MIRROR,$SHARED_REGISTRY" -fault-token-file "$RUN/fault-token" \
    -images "$D/debian-bookworm-rootfs.tar=library/debian:bookworm,$D/cosign-$COSIGN_VERSION-rootfs.tar=sigstore/cosign:$COSIGN_VERSION" \
    > "$RUN/localreg.log" 2>&1 &
  echo $! > "$RUN/localreg.pid"

  # the engine: private mount + pid namespace, pivot_root (a chroot breaks container starts)
  local extra
  extra="DAGGER_GO_SDK_MANIFEST_DIGEST=$(cat "$D/gosdk-digest.txt")"
  local goproxy; goproxy=$(go env GOPROXY | cut -d, -f1)
  nsenter -t $nspid -n unshare --mount --pid --fork --kill-child=SIGTERM --propagation private /bin/sh -c "
    set -e
    mount --bind '$R' '$R'
    mount -t proc proc '$R/proc'
    mount -t sysfs sysfs '$R/sys'
    mount --rbind /sys/fs/cgroup '$R/sys/fs/cgroup'
    mount --rbind /dev '$R/dev'
    mount -t tmpfs tmpfs '$R/tmp'
    mkdir -p '$R/.oldroot'
    cd '$R'
    pivot_root . .oldroot
    exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
       GOPROXY=$goproxy $extra \
       /bin/sh -c 'umount -l /.oldroot && cd / && exec /usr/local/bin/dagger-engine --config /etc/dagger/buildkitd.toml'
  " > "$RUN/engine.log" 2>&1 &
  echo $! > "$RUN/engine.pid"
  for _ in $(seq 1 600); do
    [ -S "$SOCK" ] && grep -q 'running server' "$RUN/engine.log" 2>/dev/null && break
    pid_alive engine || { tail -30 "$RUN/engine.log" >&2; cmd_stop >/dev/null 2>&1 || true; die "engine died at start (log above)"; }
    sleep 0.1
  done
  [ -S "$SOCK" ] || { cmd_stop >/dev/null 2>&1 || true; die "engine socket did not appear in 60 s"; }
  for _ in $(seq 1 120); do grep -q ready "$RUN/localreg.log" && break; sleep 0.5; done
  grep -q ready "$RUN/localreg.log" || { cat "$RUN/localreg.log" >&2; cmd_stop >/dev/null 2>&1 || true; die "local registry failed"; }
  log "engine $DAGGER_VERSION running; socket $SOCK"
  log "point your shell at it with:  eval \"\$($0 env)\""
}

cmd_stop() {
  need_root stop
  local f pid
  for f in engine localreg netns; do
    if [ -f "$RUN/$f.pid" ]; then
      pid=$(cat "$RUN/$f.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$RUN/$f.pid"
    fi
  done
  local hostif
  hostif=$(cat "$RUN/hostif" 2>/dev/null || ip route show default | awk '{print $5; exit}')
  ip link del $VETH_HOST 2>/dev/null || true
  if [ -x "$ENGINE_ROOTFS/usr/sbin/iptables-legacy" ]; then
    while chroot "$ENGINE_ROOTFS" iptables-legacy -t nat -D POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE 2>/dev/null; do :; done
  fi
  if [ -f "$RUN/ip_forward.orig" ]; then cat "$RUN/ip_forward.orig" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/ip_forward.orig"; fi
  rm -f "$SOCK" "$RUN/hostif" "$RUN/fault-token"
  log "stopped"
}

cmd_env() {
  cat <<EOV
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$SOCK
export _EXPERIMENTAL_DAGGER_CLI_BIN=$BIN/dagger
export UNISON_SHARED_REGISTRY=$SHARED_REGISTRY
export UNISON_COSIGN_IMAGE=$SHARED_REGISTRY/sigstore/cosign:$COSIGN_VERSION
export UNISON_COSIGN_BIN=$D/bin/cosign-$COSIGN_VERSION
export DAGGER_NO_NAG=1 DO_NOT_TRACK=1
EOV
  if [ -f "$RUN/fault-token" ]; then echo "export UNISON_REGISTRY_FAULT_TOKEN_FILE=$RUN/fault-token"; fi
  # the registry's network namespace: tests read back what was pushed from there
  if pid_alive netns; then echo "export UNISON_AIRGAP_NETNS=/proc/$(cat "$RUN/netns.pid")/ns/net"; fi
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 build|start|stop|status|env" >&2; exit 2 ;;
esac
