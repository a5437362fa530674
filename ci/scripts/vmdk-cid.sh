#!/bin/sh
# vmdk-cid.sh FILE CID: sets the content ID (the CID= line) of a VMDK's
# embedded descriptor to CID (8 lowercase hex digits).
#
# qemu-img writes a random CID with printf's %x, without zero padding: one
# time in sixteen it has fewer than 8 digits, so the line's length (and the
# bytes after it) vary from build to build. The descriptor is rewritten whole
# inside the sectors the header reserves for it (descriptorOffset and
# descriptorSize, little-endian sector counts at bytes 28 and 36), padded
# with zeros as qemu-img pads it; parentCID and every other line stay as
# they were.
set -eu
f=$1 cid=$2
fail() { echo "vmdk-cid: $f: $*" >&2; exit 1; }
case $cid in
  [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
  *) fail "the CID must be 8 lowercase hex digits, got '$cid'" ;;
esac
[ "$(dd if="$f" bs=4 count=1 status=none)" = KDMV ] || fail "not a VMDK with an embedded descriptor (no KDMV header)"
u64() { od -An -t u8 --endian=little -j "$1" -N 8 "$f" | tr -d ' '; }
off=$(u64 28) size=$(u64 36)
if [ "$off" -eq 0 ] || [ "$size" -eq 0 ]; then fail "the header reserves no descriptor sectors"; fi
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
dd if="$f" of="$w/area" bs=512 skip="$off" count="$size" status=none
tr -d '\000' < "$w/area" > "$w/old"
[ "$(grep -c '^CID=[0-9a-fA-F]\{1,8\}$' "$w/old")" = 1 ] || fail "the descriptor has no single CID= line"
sed "s/^CID=[0-9a-fA-F]\{1,8\}\$/CID=$cid/" "$w/old" > "$w/new"
[ "$(wc -c < "$w/new")" -lt $((size * 512)) ] || fail "the new descriptor does not fit its $size sectors"
truncate -s $((size * 512)) "$w/new"
dd if="$w/new" of="$f" bs=512 seek="$off" conv=notrunc status=none
