#!/bin/sh
# Stands in for curtin in qa-late-commands: `curtin in-target --target=DIR -- CMD...`
# runs CMD chrooted into DIR, as the installer does after installing the system.
set -eu
[ "${1:-}" = in-target ] || { echo "curtin shim: only in-target is supported (got: $*)" >&2; exit 2; }
shift
target=/target
while [ $# -gt 0 ]; do
  case $1 in
    --target=*) target=${1#--target=}; shift ;;
    -t|--target) target=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "curtin shim: in-target needs a command" >&2; exit 2; }
exec chroot "$target" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
