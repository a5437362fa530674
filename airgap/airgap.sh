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
# the engine's egress filter chains (UNISON-EGRESS, UNISON-HOST)
CHAIN=UNISON
# Registries inside the engine's network namespace: 127.0.0.1:5000 is the
# read-only docker.io mirror the engine pulls base images from; the shared
# registry (writes need this start's credentials) listens on the engine
# bridge gateway so containers and the engine reach it under one name
# (SHARED_REGISTRY), and on loopback for seeding.
MIRROR=127.0.0.1:5000
SHARED_REGISTRY=10.87.0.1:5001
# the shared registry's loopback listener in the namespace (seeding, before the bridge exists)
SHARED_LOOPBACK=127.0.0.1:5001
REGISTRY_USER=unison

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
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
# the Dagger source's h1: hashes (go.sum lines), compared before building:
# the checksum database is not always reachable from here
SOURCE_PINS=$HERE/dagger.sum

# verify_source MODULE@VERSION DIR: refuse a source whose hash is not the pinned one
verify_source() {
  "$D/bin/modhash" -sums "$SOURCE_PINS" -module "$1" -dir "$2" >&2 || die "the dagger source is not the pinned one (above): nothing was built"
}

build_binaries() {
  # binaries built from other pins (or before pins existed) are rebuilt
  if [ -x "$BIN/dagger" ] && [ -x "$BIN/engine" ] && [ -x "$BIN/init" ] && [ -x "$BIN/dnsname" ] && [ -x "$BIN/codegen" ] && [ -x "$BIN/dialstdio" ] &&
    cmp -s "$BIN/source.sum" "$SOURCE_PINS"; then
    log "binaries $DAGGER_VERSION: cached (built from the pinned source)"; return
  fi
  log "building dagger $DAGGER_VERSION from the Go module proxy (cold: ~6 min on 2 cores)"
  export GONOSUMDB=github.com/dagger/dagger GOFLAGS=-modcacherw
  go mod download github.com/dagger/dagger@$DAGGER_VERSION dagger.io/dagger@$DAGGER_VERSION
  local modc src=$D/src-$DAGGER_VERSION
  modc=$(go env GOMODCACHE)
  rm -rf "$src"
  cp -r "$modc/github.com/dagger/dagger@$DAGGER_VERSION" "$src"
  verify_source "github.com/dagger/dagger@$DAGGER_VERSION" "$src"
  chmod -R u+w "$src"
  # nested modules are not in the module zip: the Go SDK is dagger.io/dagger ...
  rm -rf "$src/sdk/go"; cp -r "$modc/dagger.io/dagger@$DAGGER_VERSION" "$src/sdk/go"
  verify_source "dagger.io/dagger@$DAGGER_VERSION" "$src/sdk/go"
  chmod -R u+w "$src/sdk/go"
  # ... and engine/distconsts is on no proxy: it is a constants file (as tagged)
  mkdir -p "$src/engine/distconsts"
  cp "$HERE/distconsts/go.mod.txt" "$src/engine/distconsts/go.mod"
  cp "$HERE/distconsts/consts.go.txt" "$src/engine/distconsts/consts.go"
  mkdir -p "$BIN.tmp"
  local ldf="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
  (cd "$src" && go mod download)
  # one go build for the seven commands: their shared packages compile once, on every core
  # (dialstdio is the engine image's buildctl: the CLI's Docker driver dials through it)
  log "  go build ./cmd/{dagger,engine,init,dnsname,codegen,introspect,dialstdio}"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags 'dfexcludepatterns dfparents' -ldflags "$ldf" -o "$BIN.tmp/" \
    ./cmd/dagger ./cmd/engine ./cmd/init ./cmd/dnsname ./cmd/codegen ./cmd/introspect ./cmd/dialstdio)
  cp "$SOURCE_PINS" "$BIN.tmp/source.sum"
  rm -rf "$BIN"; mv "$BIN.tmp" "$BIN"; rm -rf "$src"
}

# the repository's own helpers: the registry and the source hash check
build_helpers() {
  mkdir -p "$D/bin"
  local t
  for t in localreg modhash gitserve; do
    (cd "$REPO" && CGO_ENABLED=0 go build -o "$D/bin/$t.tmp" "./airgap/$t") && mv "$D/bin/$t.tmp" "$D/bin/$t"
  done
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

# Debian 13 (trixie): the OS image of the tests' builds and stand-in VM (its
# archive ships Docker 26 and Compose v2, the generation Ubuntu 24.04 ships)
build_trixie_rootfs() {
  [ -f "$D/debian-trixie-rootfs.tar" ] && { log "trixie rootfs: cached"; return; }
  log "debootstrap trixie minbase ($(mirror_url))"
  local T=$D/trixie-rootfs
  rm -rf "$T"; mkdir -p "$D/debs"
  debootstrap --variant=minbase --cache-dir="$D/debs" trixie "$T" "$(mirror_url)" > "$D/debootstrap-trixie.log" 2>&1 || { tail -20 "$D/debootstrap-trixie.log"; die "debootstrap trixie failed"; }
  rm -f "$T"/var/lib/apt/lists/deb.* "$T"/var/cache/apt/*.bin
  : > "$T/etc/resolv.conf"
  tar --numeric-owner -C "$T" -cf "$D/debian-trixie-rootfs.tar.tmp" . && mv "$D/debian-trixie-rootfs.tar.tmp" "$D/debian-trixie-rootfs.tar"
  rm -rf "$T"
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
  touch "$D/engine-rootfs.done"
}

# engine_cas: the host's extra CAs in the engine's own trust (HOST_CAS), and
# its custom CA directory empty: the engine then installs none in containers
engine_cas() {
  local R=$ENGINE_ROOTFS c
  mkdir -p "$R/usr/local/share/ca-certificates" "$R/usr/share/ca-certificates/unison-extra"
  find "$R/usr/local/share/ca-certificates" "$R/usr/share/ca-certificates/unison-extra" -mindepth 1 -delete
  sed -i '/^unison-extra\//d' "$R/etc/ca-certificates.conf"
  for c in $(host_cas); do
    cp "$c" "$R/usr/share/ca-certificates/unison-extra/"
    echo "unison-extra/$(basename "$c")" >> "$R/etc/ca-certificates.conf"
  done
  chroot "$R" update-ca-certificates --fresh >/dev/null 2>&1 || die "engine rootfs: update-ca-certificates failed"
}

# engine_config writes engine.json at every start: the registries, and a
# cap on the engine's cache (UNISON_AIRGAP_CACHE_MAX, else cache_cap; the
# garbage collector removes the least recently used entries above it). The
# engine's defaults are shares of the file system's size and of its free
# blocks, which on some machines are far above what a process may write
# (statfs: 252 GB, 170 GB free, 9 GB available): the cache filled the disk.
# engine_config FILE CACHE: the file, and where the cache lives on disk
engine_config() {
  local file=$1 cap
  cap=${UNISON_AIRGAP_CACHE_MAX:-$(cache_cap "$2")}
  log "engine cache cap: $cap (UNISON_AIRGAP_CACHE_MAX overrides)"
  mkdir -p "$(dirname "$file")"
  cat > "$file" <<EOJ
{
  "logLevel": "info",
  "gc": { "maxUsedSpace": "$cap", "reservedSpace": "10GB" },
  "registries": {
    "docker.io": { "mirrors": ["$MIRROR"] },
    "$MIRROR": { "http": true, "insecure": true },
    "$SHARED_REGISTRY": { "http": true, "insecure": true }
  }
}
EOJ
}

# cache_cap: what the cache may hold, from the space a process may write
# (available, not free) plus what the cache holds now, less 20 GB for the
# tests' outputs and exported files, halved (the engine counts its snapshots
# at about half of what du finds on disk); between 10 GB and 45 GB.
cache_cap() { # cache_cap DIR: DIR holds the cache
  local avail used gb
  avail=$(df -B1 --output=avail "$D" | tail -1 | tr -d ' ')
  used=$(du -sxB1 "$1" 2>/dev/null | cut -f1)
  gb=$(( (avail + ${used:-0}) / 1000000000 ))
  gb=$(( (gb - 20) / 2 ))
  [ "$gb" -gt 45 ] && gb=45
  [ "$gb" -lt 10 ] && gb=10
  echo "${gb}GB"
}

# HOST_CAS: the host's extra CAs (a TLS-intercepting proxy's), the files
# and their hash. The engine does not get them to install in every container:
# around every exec in an image with ca-certificates (the Go SDK runtime's:
# every module function call) it would run update-ca-certificates twice,
# seconds each. They are in the engine's own trust (engine_cas) and baked
# into the Go SDK runtime image, whose module builds reach the Go module
# proxy; the tests' other containers reach only the plain-HTTP archive and
# registries.
HOST_CAS=/usr/local/share/ca-certificates
host_cas() { find "$HOST_CAS" -maxdepth 1 -name '*.crt' -type f 2>/dev/null | sort; }
host_cas_sum() { host_cas | xargs -r cat | sha256sum | cut -c1-16; }

build_gosdk_rootfs() {
  local cas; cas=$(host_cas_sum)
  if [ -f "$D/gosdk-rootfs.done" ] && [ "$(cat "$D/gosdk-rootfs.done")" = "cas $cas" ]; then log "Go SDK rootfs: cached"; return; fi
  log "Go SDK runtime rootfs (Go $(go env GOVERSION)), with the host's extra CAs ($(host_cas | wc -l))"
  rm -f "$D/images.done"
  local G=$D/gosdk-rootfs
  rm -rf "$G"; cp -a "$D/base-rootfs" "$G"
  inchroot "$G" "$APT git openssh-client ca-certificates openssl >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"
  host_cas | xargs -r cp -t "$G/usr/local/share/ca-certificates/"
  inchroot "$G" "update-ca-certificates >/dev/null"
  cp -a "$(go env GOROOT)" "$G/usr/local/go"
  install -m 0755 "$BIN/codegen" "$G/usr/local/bin/codegen"
  mkdir -p "$G/go/pkg/mod" "$G/go/bin" "$G/root/.cache/go-build"
  # pre-warm the module cache with what this project's module needs (seeds the
  # engine's gomod cache volume: the first module load then skips most downloads)
  if [ -f "$REPO/ci/go.mod" ]; then
    (cd "$REPO/ci" && GOMODCACHE="$G/go/pkg/mod" GOFLAGS=-modcacherw go mod download) || log "pre-warm skipped (go mod download failed)"
  fi
  echo "cas $cas" > "$D/gosdk-rootfs.done"
}

# ---- 3. images ---------------------------------------------------------------
build_images() {
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
  build_helpers
  # the Go builds (CPU) run while debootstrap and apt fetch and unpack (network,
  # disk): a cold build takes about the longer of the two, not their sum. A
  # failing step stops the others (the EXIT trap) and fails the build.
  local bins cos
  build_binaries & bins=$!
  build_cosign & cos=$!
  # shellcheck disable=SC2064 # the PIDs are known now
  trap "pkill -P $bins; pkill -P $cos; kill $bins $cos 2>/dev/null; wait" EXIT
  build_base_rootfs
  build_trixie_rootfs
  build_engine_rootfs
  wait "$bins" || die "dagger $DAGGER_VERSION: not built (see above)"
  wait "$cos" || die "cosign $COSIGN_VERSION: not built (see above)"
  trap - EXIT
  engine_config "$ENGINE_ROOTFS/etc/dagger/engine.json" "$ENGINE_ROOTFS/var/lib/dagger"
  build_gosdk_rootfs
  build_images
  log "build complete in $D"
}

# ---- 4. start / stop -----------------------------------------------------------
# A pid file holds "PID START BOOT": the process's start time (clock ticks
# after boot, field 22 of /proc/PID/stat) and the boot it ran in. A PID that
# now names another process (after a crash or a reboot) is never signalled.
proc_start() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }  # the fields after "(comm) ", from field 3 (state) on
  # shellcheck disable=SC2086 # split on purpose
  set -- $rest
  [ "$1" != Z ] || return 1  # a zombie has exited (an init that does not reap keeps it)
  echo "${20}"
}

# descendants PID: every process below PID (children first seen, then theirs)
descendants() {
  local -A kids=()
  local root=$1 f stat rest p queue
  for f in /proc/[0-9]*/stat; do
    stat=$(cat "$f" 2>/dev/null) || continue
    p=${f#/proc/}; p=${p%/stat}
    rest=${stat##*) }
    # shellcheck disable=SC2086 # split on purpose
    set -- $rest
    kids[$2]+=" $p"
  done
  queue=${kids[$root]:-}
  while [ -n "${queue// /}" ]; do
    # shellcheck disable=SC2086 # split on purpose
    set -- $queue
    p=$1; shift; queue="$*"
    echo "$p"
    queue="$queue ${kids[$p]:-}"
  done
}
boot_id() { cat /proc/sys/kernel/random/boot_id; }

pid_record() { # pid_record NAME PID
  local st; st=$(proc_start "$2") || die "$1 (pid $2) exited at start: see $RUN/$1.log"
  printf '%s %s %s\n' "$2" "$st" "$(boot_id)" > "$RUN/$1.pid"
}

# pid_of NAME: the recorded PID if that very process still runs
pid_of() {
  local pid st boot
  [ -f "$RUN/$1.pid" ] || return 1
  read -r pid st boot < "$RUN/$1.pid" || true
  [[ "${pid:-}" =~ ^[0-9]+$ ]] && [ -n "${st:-}" ] && [ "${boot:-}" = "$(boot_id)" ] || return 1
  [ "$(proc_start "$pid" 2>/dev/null)" = "$st" ] || return 1
  echo "$pid"
}
pid_alive() { pid_of "$1" >/dev/null; }

cmd_status() {
  local f pid up=0
  for f in engine launcher localreg netns; do
    if pid=$(pid_of "$f"); then
      echo "$f: running (pid $pid)"
    elif [ -f "$RUN/$f.pid" ]; then
      echo "$f: not running (stale pid file: pid $(cut -d' ' -f1 "$RUN/$f.pid") is gone or another process now)"
    else
      echo "$f: not running"
    fi
  done
  if pid_alive engine && [ -S "$SOCK" ]; then up=1; fi
  if [ "$up" = 1 ]; then echo "running (socket $SOCK)"; return 0; fi
  echo "not running"; return 1
}

# ---- egress: what the engine may reach -------------------------------------------
# iptables of the engine's root filesystem (the host may have none)
ipt() { chroot "$ENGINE_ROOTFS" iptables-legacy "$@"; }

# egress_allowed: "ADDRESS PORT" lines, what engine containers may reach, as
# resolved now: the Debian mirror and the Go module proxy at their URLs' ports
# (TCP), and UNISON_AIRGAP_ALLOW (comma separated): a URL (its port, or 80 for
# http and 443 for https), host:port, or a host, IPv4 address or CIDR alone
# (PORT "any": every port)
egress_allowed() {
  local h port
  for h in "$(mirror_url)" "$(go env GOPROXY | cut -d, -f1)" ${UNISON_AIRGAP_ALLOW:+${UNISON_AIRGAP_ALLOW//,/ }}; do
    case "$h" in "" | direct | off) continue ;; esac
    if [[ "$h" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$ ]]; then echo "$h any"; continue; fi
    port=any
    case "$h" in http://*) port=80 ;; https://*) port=443 ;; esac
    h=${h#*://}; h=${h%%/*}
    if [[ "$h" =~ :([0-9]+)$ ]]; then port=${BASH_REMATCH[1]}; h=${h%:*}; fi
    if [[ "$h" =~ ^[0-9.]+$ ]]; then echo "$h $port"; continue; fi
    getent ahostsv4 "$h" | awk -v p="$port" '{print $1, p}' | sort -u | grep . || die "egress: cannot resolve $h (UNISON_AIRGAP_ALLOW, the Debian mirror or GOPROXY)"
  done | sort -u
}

# egress_rules FORWARD_WAS: engine containers reach the allowed addresses and
# the resolvers only: link-local (cloud metadata), the host's own services and
# everything else are refused. With UNISON_AIRGAP_EGRESS=open any address but
# link-local and the host is reachable. When forwarding was off before start,
# the host forwards for the engine's veth only.
egress_rules() {
  local ip port ns allowed
  allowed=$(egress_allowed)  # fails the start when a name does not resolve
  ipt -N "$CHAIN-EGRESS" 2>/dev/null || ipt -F "$CHAIN-EGRESS"
  ipt -A "$CHAIN-EGRESS" -d 169.254.0.0/16 -j REJECT --reject-with icmp-net-prohibited
  if [ "${UNISON_AIRGAP_EGRESS:-strict}" = open ]; then
    ipt -A "$CHAIN-EGRESS" -j ACCEPT
  else
    while read -r ns; do
      ipt -A "$CHAIN-EGRESS" -d "$ns" -p udp --dport 53 -j ACCEPT
      ipt -A "$CHAIN-EGRESS" -d "$ns" -p tcp --dport 53 -j ACCEPT
    done < <(awk '$1=="nameserver" && $2 ~ /^[0-9.]+$/ {print $2}' /etc/resolv.conf)
    while read -r ip port; do
      if [ "$port" = any ]; then ipt -A "$CHAIN-EGRESS" -d "$ip" -j ACCEPT
      else ipt -A "$CHAIN-EGRESS" -d "$ip" -p tcp --dport "$port" -j ACCEPT; fi
    done <<< "$allowed"
    ipt -A "$CHAIN-EGRESS" -j REJECT --reject-with icmp-net-prohibited
  fi
  ipt -I FORWARD 1 -i $VETH_HOST -j "$CHAIN-EGRESS"
  # the host's own services (any of its addresses) are not the engine's business
  ipt -N "$CHAIN-HOST" 2>/dev/null || ipt -F "$CHAIN-HOST"
  ipt -A "$CHAIN-HOST" -j REJECT --reject-with icmp-port-unreachable
  ipt -I INPUT 1 -i $VETH_HOST -j "$CHAIN-HOST"
  if [ "$1" = 0 ]; then
    ipt -I FORWARD 1 ! -i $VETH_HOST ! -o $VETH_HOST -m comment --comment unison-airgap -j DROP
  fi
}

# egress_clear removes every rule and chain egress_rules added
egress_clear() {
  while ipt -D FORWARD -i $VETH_HOST -j "$CHAIN-EGRESS" 2>/dev/null; do :; done
  while ipt -D FORWARD ! -i $VETH_HOST ! -o $VETH_HOST -m comment --comment unison-airgap -j DROP 2>/dev/null; do :; done
  while ipt -D INPUT -i $VETH_HOST -j "$CHAIN-HOST" 2>/dev/null; do :; done
  local c
  for c in "$CHAIN-EGRESS" "$CHAIN-HOST"; do
    if ipt -F "$c" 2>/dev/null; then ipt -X "$c" || true; fi
  done
}

# failpoint STEP: tests make start fail right after STEP (UNISON_AIRGAP_FAIL_AFTER=STEP)
STEP=none
failpoint() {
  STEP=$1
  [ "${UNISON_AIRGAP_FAIL_AFTER:-}" != "$1" ] || die "failing after step $1 (UNISON_AIRGAP_FAIL_AFTER)"
}

# start_failed (EXIT trap of start): undo every host change, say which step failed
start_failed() {
  local rc=$?
  trap - EXIT
  [ "$rc" = 0 ] && return 0
  log "start failed after step: $STEP (exit $rc); undoing its host changes"
  cmd_stop >&2 || true
  exit "$rc"
}

# net_up: a network namespace (its holder recorded as "netns", its PID in
# NSPID) joined to the host by the veth pair, behind the egress rules and
# one NAT rule; net_down undoes it (each step idempotent)
net_up() {
  local hostif mtu
  hostif=$(ip route show default | awk '{print $5; exit}')
  [ -n "$hostif" ] || die "no default route: the engine needs NAT to reach the Debian archive and Go proxy"
  mtu=$(cat "/sys/class/net/$hostif/mtu")
  echo "$hostif" > "$RUN/hostif"
  cat /proc/sys/net/ipv4/ip_forward > "$RUN/ip_forward.orig"
  unshare --net sleep infinity </dev/null >/dev/null 2>&1 &
  NSPID=$!
  sleep 0.2
  pid_record netns $NSPID
  failpoint netns
  ip link add $VETH_HOST mtu "$mtu" type veth peer name $VETH_NS mtu "$mtu" netns $NSPID
  ip addr add $NET.1/30 dev $VETH_HOST
  ip link set $VETH_HOST up
  nsenter -t $NSPID -n ip link set lo up
  nsenter -t $NSPID -n ip addr add $NET.2/30 dev $VETH_NS
  nsenter -t $NSPID -n ip link set $VETH_NS up
  nsenter -t $NSPID -n ip route add default via $NET.1
  failpoint veth
  egress_rules "$(cat "$RUN/ip_forward.orig")"
  failpoint egress
  echo 1 > /proc/sys/net/ipv4/ip_forward
  ipt -t nat -C POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE 2>/dev/null ||
    ipt -t nat -A POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE
  failpoint nat
}

net_down() {
  local hostif
  hostif=$(cat "$RUN/hostif" 2>/dev/null || ip route show default | awk '{print $5; exit}')
  if [ -x "$ENGINE_ROOTFS/usr/sbin/iptables-legacy" ]; then
    while ipt -t nat -D POSTROUTING -s $NET.0/30 -o "$hostif" -j MASQUERADE 2>/dev/null; do :; done
  fi
  if [ -f "$RUN/ip_forward.orig" ]; then cat "$RUN/ip_forward.orig" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/ip_forward.orig"; fi
  if [ -x "$ENGINE_ROOTFS/usr/sbin/iptables-legacy" ]; then egress_clear; fi
  ip link del $VETH_HOST 2>/dev/null || true
  stop_process netns
  rm -f "$RUN/hostif"
}

# record_images SEEDED: the images builds use from here, by digest (a tag
# replaced later is never picked up), read from the registry's log; SEEDED
# is the address the shared registry was seeded through
record_images() {
  local debian debian13 cosign
  debian=$(sed -n "s|.* pushed $MIRROR/library/debian:bookworm@\(sha256:[0-9a-f]*\)\$|\1|p" "$RUN/localreg.log")
  debian13=$(sed -n "s|.* pushed $MIRROR/library/debian:trixie@\(sha256:[0-9a-f]*\)\$|\1|p" "$RUN/localreg.log")
  cosign=$(sed -n "s|.* pushed $1/sigstore/cosign:$COSIGN_VERSION@\(sha256:[0-9a-f]*\)\$|\1|p" "$RUN/localreg.log")
  if [ -z "$debian" ] || [ -z "$debian13" ] || [ -z "$cosign" ]; then die "the registry log names no digest of the seeded images ($RUN/localreg.log)"; fi
  printf 'debian:bookworm@%s\n' "$debian" > "$RUN/debian-image"
  printf 'debian:trixie@%s\n' "$debian13" > "$RUN/debian13-image"
  printf '%s/sigstore/cosign:%s@%s\n' "$SHARED_REGISTRY" "$COSIGN_VERSION" "$cosign" > "$RUN/cosign-image"
}

cmd_start() {
  need_root start
  if pid_alive engine && [ -S "$SOCK" ]; then log "already running"; return 0; fi
  # leftovers of a crashed run (only processes whose identity matches are stopped)
  cmd_stop >/dev/null 2>&1 || true
  cmd_build
  # a veth left by an engine this script does not know (another copy, an older
  # airgap.sh's pid files) is not torn down: say so and stop
  if ip link show $VETH_HOST >/dev/null 2>&1; then
    die "$VETH_HOST exists: another air-gapped engine runs (not one this state dir recorded); stop it with the airgap.sh that started it"
  fi
  trap start_failed EXIT
  mkdir -p "$RUN"
  local R=$ENGINE_ROOTFS
  install -m 0755 "$BIN/engine" "$R/usr/local/bin/dagger-engine"
  install -m 0755 "$BIN/init" "$R/usr/local/bin/dagger-init"
  install -m 0755 "$BIN/dnsname" "$R/opt/cni/bin/dnsname"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  engine_cas
  rm -f "$SOCK"
  failpoint files
  net_up
  local nspid=$NSPID

  # registries inside the namespace: the docker.io mirror, read-only once
  # seeded; the shared registry, whose writes need this start's credentials
  # (files readable by root alone). The fault endpoint (tests of interrupted
  # pushes) exists only when asked for, and takes only this start's token.
  local faults=()
  local password; password=$(secret)
  # no trailing newline: dagger's file: secrets take a file's bytes as they are
  (umask 077 && printf '%s:%s' "$REGISTRY_USER" "$password" > "$RUN/registry-credentials" &&
    printf '%s' "$password" > "$RUN/registry-password")
  if [ "${UNISON_AIRGAP_TEST_FAULTS:-}" = 1 ]; then
    (umask 077 && secret > "$RUN/fault-token")
    faults=(-fault-token-file "$RUN/fault-token")
  fi
  nsenter -t $nspid -n "$D/bin/localreg" \
    -mirror "$MIRROR" -mirror-images "$D/debian-bookworm-rootfs.tar=library/debian:bookworm,$D/debian-trixie-rootfs.tar=library/debian:trixie" \
    -addr "$SHARED_LOOPBACK,$SHARED_REGISTRY" -credentials-file "$RUN/registry-credentials" "${faults[@]}" \
    -images "$D/cosign-$COSIGN_VERSION-rootfs.tar=sigstore/cosign:$COSIGN_VERSION" \
    > "$RUN/localreg.log" 2>&1 &
  pid_record localreg $!
  failpoint registry

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
  # the launcher (unshare) and the engine below it, each recorded: stop signals both
  local launcher=$! engine=""
  pid_record launcher $launcher
  for _ in $(seq 1 100); do
    # the first line only, reading them all: head would close the pipe early and,
    # once the engine has children, descendants would die of SIGPIPE (pipefail: exit 141)
    engine=$(descendants "$launcher" | awk 'NR == 1')
    [ -n "$engine" ] && break
    sleep 0.05
  done
  [ -n "$engine" ] || { tail -30 "$RUN/engine.log" >&2; die "the engine process did not start (log above)"; }
  pid_record engine "$engine"
  for _ in $(seq 1 600); do
    [ -S "$SOCK" ] && grep -q 'running server' "$RUN/engine.log" 2>/dev/null && break
    pid_alive engine || { tail -30 "$RUN/engine.log" >&2; die "engine died at start (log above)"; }
    sleep 0.1
  done
  [ -S "$SOCK" ] || die "engine socket did not appear in 60 s"
  failpoint engine
  for _ in $(seq 1 120); do grep -q ready "$RUN/localreg.log" && break; sleep 0.5; done
  grep -q ready "$RUN/localreg.log" || { cat "$RUN/localreg.log" >&2; die "local registry failed"; }
  record_images "$SHARED_LOOPBACK"
  trap - EXIT
  log "engine $DAGGER_VERSION running; socket $SOCK"
  log "point your shell at it with:  eval \"\$($0 env)\""
}

# stop_process NAME: TERM (then KILL) the recorded process, only if it is still that process
stop_process() {
  local pid
  [ -f "$RUN/$1.pid" ] || return 0
  if pid=$(pid_of "$1"); then
    # the recorded process and everything below it (the engine runs under unshare)
    # (each as PID:START, so that a PID reused meanwhile is left alone)
    local tree="" p st left
    for p in "$pid" $(descendants "$pid"); do
      if st=$(proc_start "$p" 2>/dev/null); then tree="$tree $p:$st"; fi
    done
    # all of them: unshare --fork ignores TERM, the engine (its child) shuts down on it
    for p in $tree; do kill -TERM "${p%%:*}" 2>/dev/null || true; done
    for _ in $(seq 1 150); do
      left=""
      for p in $tree; do
        if [ "$(proc_start "${p%%:*}" 2>/dev/null)" = "${p#*:}" ]; then left="$left ${p%%:*}"; fi
      done
      [ -n "$left" ] || break
      sleep 0.1
    done
    for p in ${left:-}; do kill -KILL "$p" 2>/dev/null || true; done
  else
    local rec; read -r rec _ < "$RUN/$1.pid" || true
    # exited: nothing to say; a PID that names another process now is left alone, loudly
    if [[ "${rec:-}" =~ ^[0-9]+$ ]] && [ -e "/proc/$rec" ] && proc_start "$rec" >/dev/null 2>&1; then
      log "$1: stale pid file ($(cat "$RUN/$1.pid")): pid $rec is another process now; not signalled"
    fi
  fi
  rm -f "$RUN/$1.pid"
}

# cmd_stop undoes start in reverse order; every step is idempotent
cmd_stop() {
  need_root stop
  stop_process engine
  stop_process launcher
  stop_process localreg
  net_down
  rm -f "$SOCK" "$RUN/fault-token" "$RUN/registry-credentials" "$RUN/registry-password" "$RUN/debian-image" "$RUN/debian13-image" "$RUN/cosign-image"
  log "stopped"
}

cmd_env() {
  cat <<EOV
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$SOCK
export _EXPERIMENTAL_DAGGER_CLI_BIN=$BIN/dagger
export UNISON_SHARED_REGISTRY=$SHARED_REGISTRY
export UNISON_COSIGN_BIN=$D/bin/cosign-$COSIGN_VERSION
export DAGGER_NO_NAG=1 DO_NOT_TRACK=1
EOV
  # what this start generated: the images by digest, the registry's credentials
  if [ -f "$RUN/debian-image" ]; then echo "export UNISON_DEBIAN_IMAGE=$(cat "$RUN/debian-image")"; fi
  if [ -f "$RUN/debian13-image" ]; then echo "export UNISON_DEBIAN13_IMAGE=$(cat "$RUN/debian13-image")"; fi
  if [ -f "$RUN/cosign-image" ]; then echo "export UNISON_COSIGN_IMAGE=$(cat "$RUN/cosign-image")"; fi
  if [ -f "$RUN/registry-password" ]; then
    echo "export UNISON_REGISTRY_USER=$REGISTRY_USER UNISON_REGISTRY_PASSWORD_FILE=$RUN/registry-password"
  fi
  if [ -f "$RUN/fault-token" ]; then echo "export UNISON_REGISTRY_FAULT_TOKEN_FILE=$RUN/fault-token"; fi
  # the registry's network namespace: tests read back what was pushed from there
  local nspid
  if nspid=$(pid_of netns); then echo "export UNISON_AIRGAP_NETNS=/proc/$nspid/ns/net"; fi
}

# sourced (docker.sh reuses the build, the namespace and the egress rules): no command
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 build|start|stop|status|env" >&2; exit 2 ;;
esac
