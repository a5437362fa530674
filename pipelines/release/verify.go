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
