#!/bin/sh
# Stands in for curtin in qa-late-commands: `curtin in-target --target=DIR -- CMD...`
# runs CMD chrooted into DIR, as the installer does after installing the system.
# Like curtin (unless --allow-daemons), package scripts may not start
# services meanwhile: a policy-rc.d that refuses them, removed afterwards.
set -eu
[ "${1:-}" = in-target ] || { echo "curtin shim: only in-target is supported (got: $*)" >&2; exit 2; }
shift
target=/target daemons=0
while [ $# -gt 0 ]; do
  case $1 in
    --target=*) target=${1#--target=}; shift ;;
    -t|--target) target=$2; shift 2 ;;
    --allow-daemons) daemons=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "curtin shim: in-target needs a command" >&2; exit 2; }
policy=$target/usr/sbin/policy-rc.d
if [ "$daemons" = 0 ] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
chroot "$target" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
