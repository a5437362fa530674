// Package release holds the release-composition rules that need no engine:
// the SHA256SUMS file, splitting assets GitHub Releases would refuse (over
// 2 GiB) into parts with a REASSEMBLE note, and the release notes.
package release

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// GitHubAssetLimit is the largest asset GitHub Releases accepts; parts stay
// clearly below it (uploads fail at exactly 2 GiB).
const GitHubAssetLimit = int64(2) << 30

// DefaultPartSize is 1900 MiB.
const DefaultPartSize = int64(1900) << 20

// Asset is one release file.
type Asset struct {
	Name   string
	Size   int64
	SHA256 string
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	shaRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (a Asset) check() error {
	if !nameRE.MatchString(a.Name) {
		return fmt.Errorf("asset %q: names are letters, digits, '.', '_', '+', '-'", a.Name)
	}
	if !shaRE.MatchString(a.SHA256) {
		return fmt.Errorf("asset %s: SHA-256 %q is not 64 lowercase hex digits", a.Name, a.SHA256)
	}
	if a.Size <= 0 {
		return fmt.Errorf("asset %s: empty", a.Name)
	}
	return nil
}

// SHA256SUMS renders SHA256SUMS-<version>.txt in the sha256sum format,
// sorted by name (C locale), one line per asset.
func SHA256SUMS(assets []Asset) (string, error) {
	sorted := append([]Asset(nil), assets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var b strings.Builder
	seen := map[string]bool{}
	for _, a := range sorted {
		if err := a.check(); err != nil {
			return "", err
		}
		if seen[a.Name] {
			return "", fmt.Errorf("asset %s: listed twice", a.Name)
		}
		seen[a.Name] = true
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.Name)
	}
	return b.String(), nil
}

// Part is one piece of a split asset.
type Part struct {
	Name   string
	Offset int64
	Size   int64
}

// SplitPlan lists the parts of an asset over the GitHub limit (none when it
// fits): name.part01, name.part02, ... of partSize bytes, the last shorter.
func SplitPlan(a Asset, partSize int64) ([]Part, error) {
	if partSize <= 0 || partSize >= GitHubAssetLimit {
		return nil, fmt.Errorf("part size %d: must be above 0 and below %d", partSize, GitHubAssetLimit)
	}
	if a.Size < GitHubAssetLimit {
		return nil, nil
	}
	n := (a.Size + partSize - 1) / partSize
	if n > 99 {
		return nil, fmt.Errorf("asset %s: %d parts would be needed; raise the part size", a.Name, n)
	}
	parts := make([]Part, 0, n)
	for i := int64(0); i < n; i++ {
		size := partSize
		if rest := a.Size - i*partSize; rest < size {
			size = rest
		}
		parts = append(parts, Part{Name: fmt.Sprintf("%s.part%02d", a.Name, i+1), Offset: i * partSize, Size: size})
	}
	return parts, nil
}

// Reassemble is the REASSEMBLE note shipped beside split parts.
func Reassemble(a Asset, parts []Part) string {
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
	}
	return fmt.Sprintf(`%[1]s is split into %[2]d parts (GitHub Releases refuse assets over 2 GiB).

Reassemble and verify (Linux, macOS):

    cat %[3]s > %[1]s
    echo "%[4]s  %[1]s" | sha256sum -c -

Windows (PowerShell):

    cmd /c copy /b %[5]s %[1]s
    (Get-FileHash %[1]s -Algorithm SHA256).Hash   # must be %[4]s

Each part is also listed in SHA256SUMS with its own checksum.
`, a.Name, len(parts), strings.Join(names, " "), a.SHA256, strings.Join(names, "+"))
}

// Notes renders the release notes.
func Notes(version, channel string, assets []Asset, compat map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# UnisonOS %s\n\nChannel: %s\n\n## Assets\n\n| file | size | SHA-256 |\n|---|---|---|\n", version, channel)
	sorted := append([]Asset(nil), assets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, a := range sorted {
		fmt.Fprintf(&b, "| %s | %s | `%s` |\n", a.Name, humanSize(a.Size), a.SHA256)
	}
	if len(compat) > 0 {
		b.WriteString("\n## Compatible service tags\n\n")
		var svcs []string
		for s := range compat {
			svcs = append(svcs, s)
		}
		sort.Strings(svcs)
		for _, s := range svcs {
			fmt.Fprintf(&b, "- %s: `%s`\n", s, compat[s])
		}
	}
	fmt.Fprintf(&b, "\n## Verify before installing\n\n    sha256sum -c SHA256SUMS-%s.txt\n    cosign verify-blob --key cosign.pub --signature SHA256SUMS-%s.txt.sig SHA256SUMS-%s.txt\n", version, version, version)
	return b.String()
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
