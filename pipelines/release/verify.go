package release

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Bound is the size range an artifact kind must fall in: a file outside it is
// truncated, empty or something else than what was built.
type Bound struct {
	Suffix   string
	Min, Max int64
}

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// Bounds per file suffix; the first match applies. Minimums are low enough
// for the stand-in inputs the tests build; maximums are what no release of
// these artifacts should ever exceed.
var Bounds = []Bound{
	{".iso", 1 * mib, 12 * gib},
	{".qcow2", 1 * mib, 16 * gib},
	{".vmdk", 1 * mib, 16 * gib},
	{".wsl", 1 * mib, 8 * gib},
	{".tar.gz", 1 * kib, 8 * gib},
	{".json", 2, 4 * mib},
}

// Listing parses the verification step's output: one "name<TAB>size<TAB>sha256"
// line per file.
func Listing(s string) ([]Asset, error) {
	var out []Asset
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("listing line %d: %q: want name<TAB>size<TAB>sha256", n, line)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing line %d: size %q: %w", n, f[1], err)
		}
		a := Asset{Name: f[0], Size: size, SHA256: f[2]}
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("listing line %d: %w", n, err)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// CheckSizes verifies every asset against Bounds; an asset whose kind has no
// bound is refused (the release would publish something nobody checked).
func CheckSizes(assets []Asset) error {
	var errs []string
	for _, a := range assets {
		b, ok := boundFor(a.Name)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("%s: no size bound for this kind of file", a.Name))
		case a.Size < b.Min:
			errs = append(errs, fmt.Sprintf("%s: %d bytes, below the %d minimum for %s files (truncated or empty build?)", a.Name, a.Size, b.Min, b.Suffix))
		case a.Size > b.Max:
			errs = append(errs, fmt.Sprintf("%s: %d bytes, above the %d maximum for %s files", a.Name, a.Size, b.Max, b.Suffix))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("size check failed:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func boundFor(name string) (Bound, bool) {
	for _, b := range Bounds {
		if strings.HasSuffix(name, b.Suffix) {
			return b, true
		}
	}
	return Bound{}, false
}

// VerifyScript checks every file under /in the way a user would before
// anything is signed or published: the SHA-256 against the build's own
// NAME.sha256 when present, El Torito BIOS and UEFI boot images of ISOs,
// qemu-img check of qcow2 disks, the format of vmdk disks, gzip and tar
// integrity of archives, JSON syntax. It writes a human report to
// /out/VERIFY.txt and name<TAB>size<TAB>sha256 lines (see Listing) to
// /out/listing.tsv, and exits non-zero with "VERIFY FAILED <file>: <why>" on
// the first problem. Needs sh, coreutils, xorriso, qemu-img, jq, gzip, tar.
const VerifyScript = `set -eu
mkdir -p /out
cd /in
: > /out/listing.tsv
{
for f in $(ls | grep -v '\.sha256$' | LC_ALL=C sort); do
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
      gzip -t "$f" 2>/dev/null && n=$(tar -tzf "$f" 2>/dev/null | wc -l) && [ "$n" -gt 0 ] || { echo "VERIFY FAILED $f: corrupt or empty archive" >&2; exit 1; }
      echo "$f: gzip/tar intact, $n entries" ;;
    *.json)
      jq -e . "$f" > /dev/null 2>&1 || { echo "VERIFY FAILED $f: not JSON" >&2; exit 1; }
      echo "$f: JSON" ;;
    *) echo "VERIFY FAILED $f: unexpected file" >&2; exit 1 ;;
  esac
  printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$sum" >> /out/listing.tsv
done
} > /out/VERIFY.txt
`
