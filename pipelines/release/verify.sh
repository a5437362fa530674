#!/bin/sh
# Verifies every release file under /in before anything is signed or
# published; see VerifyScript in verify.go.
set -eu
export LC_ALL=C
mkdir -p /out
cd /in
: > /out/listing.tsv
{
for f in *; do
  case "$f" in *.sha256) continue ;; esac
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  if [ -f "$f.sha256" ]; then
    want=$(cut -d' ' -f1 "$f.sha256")
    [ "$sum" = "$want" ] || { echo "VERIFY FAILED $f: SHA-256 $sum, the build recorded $want" >&2; exit 1; }
  fi
  case "$f" in
    *.iso)
      xorriso -indev "$f" -report_el_torito plain 2>/dev/null > /tmp/et || true
      grep -q 'El Torito boot img .* BIOS ' /tmp/et || { echo "VERIFY FAILED $f: no BIOS El Torito boot image" >&2; cat /tmp/et >&2; exit 1; }
      grep -q 'El Torito boot img .* UEFI ' /tmp/et || { echo "VERIFY FAILED $f: no UEFI El Torito boot image" >&2; cat /tmp/et >&2; exit 1; }
      echo "$f: El Torito"; grep 'El Torito' /tmp/et ;;
    *.qcow2)
      qemu-img check -q "$f" >&2 || { echo "VERIFY FAILED $f: qemu-img check" >&2; exit 1; }
      [ "$(qemu-img info --output=json "$f" | jq -r .format)" = qcow2 ] || { echo "VERIFY FAILED $f: not a qcow2 image" >&2; exit 1; }
      echo "$f: qemu-img check clean, $(qemu-img info --output=json "$f" | jq -r '."virtual-size"') bytes virtual" ;;
    *.vmdk)
      [ "$(qemu-img info --output=json "$f" | jq -r .format)" = vmdk ] || { echo "VERIFY FAILED $f: not a vmdk image" >&2; exit 1; }
      echo "$f: vmdk" ;;
    *.tar.gz|*.wsl)
      if ! gzip -t "$f" 2>/dev/null || ! n=$(tar -tzf "$f" 2>/dev/null | wc -l) || [ "$n" -eq 0 ]; then
        echo "VERIFY FAILED $f: corrupt or empty archive" >&2; exit 1
      fi
      echo "$f: gzip/tar intact, $n entries" ;;
    *.json)
      jq -e . "$f" > /dev/null 2>&1 || { echo "VERIFY FAILED $f: not JSON" >&2; exit 1; }
      echo "$f: JSON" ;;
    *) echo "VERIFY FAILED $f: unexpected file" >&2; exit 1 ;;
  esac
  printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$sum" >> /out/listing.tsv
done
} > /out/VERIFY.txt
