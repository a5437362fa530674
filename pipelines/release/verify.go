package release

import (
	"bufio"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
)

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

// CheckSizes verifies every asset of version against its catalog bounds;
// a file of no known kind is refused (the release would publish something
// nobody checked).
func CheckSizes(version string, assets []Asset) error {
	var errs []string
	for _, a := range assets {
		s, ok := artifact.Match(a.Name, version)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: no artifact of version %s has this name", a.Name, version))
			continue
		}
		if err := s.CheckSize(a.Name, a.Size); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("size check failed:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// VerifyScript checks every file under /in the way a user would before
// anything is signed or published: the SHA-256 against the build's own
// NAME.sha256 when present, El Torito BIOS and UEFI boot images of ISOs,
// qemu-img check of qcow2 disks, the format of vmdk disks, gzip and tar
// integrity of archives, JSON syntax. It writes a human report to
// /out/VERIFY.txt and name<TAB>size<TAB>sha256 lines (see Listing) to
// /out/listing.tsv, and exits non-zero with "VERIFY FAILED <file>: <why>" on
// the first problem. Needs sh, coreutils, xorriso, qemu-img, jq, gzip, tar.
//
//go:embed verify.sh
var VerifyScript string

// SumOf finds the SHA-256 of the file called name in a SHA256SUMS text
// (`<hex>  <name>` or `<hex> *<name>` lines, as sha256sum writes them).
func SumOf(sums, name string) (string, error) {
	for _, line := range strings.Split(sums, "\n") {
		hex, file, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
			continue
		}
		if strings.TrimPrefix(strings.TrimSpace(file), "*") == name {
			return hex, nil
		}
	}
	return "", fmt.Errorf("no SHA-256 line for %s: give the SHA256SUMS of the release the file comes from", name)
}
