// Package release holds the release-composition rules that need no engine:
// the SHA256SUMS file, splitting assets GitHub Releases would refuse (over
// 2 GiB) into parts with a REASSEMBLE note, and the release notes.
package release

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// GitHubAssetLimit is the largest asset GitHub Releases accepts; parts stay
// clearly below it (uploads fail at exactly 2 GiB).
const GitHubAssetLimit = int64(DefaultAssetLimitMiB) << 20

// DefaultPartSize is DefaultPartSizeMiB in bytes.
const DefaultPartSize = int64(DefaultPartSizeMiB) << 20

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

// SplitPlan lists the parts of an asset of limit bytes or more (none when
// it is smaller): name.part01, name.part02, ... of partSize bytes, the last
// shorter. limit is GitHubAssetLimit for GitHub Releases.
func SplitPlan(a Asset, limit, partSize int64) ([]Part, error) {
	if limit <= 0 || limit > GitHubAssetLimit {
		return nil, fmt.Errorf("asset limit %d: must be above 0 and at most %d (2 GiB, GitHub's limit)", limit, GitHubAssetLimit)
	}
	if partSize <= 0 || partSize >= limit {
		return nil, fmt.Errorf("part size %d: must be above 0 and below the asset limit %d", partSize, limit)
	}
	if a.Size < limit {
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

// NotesInput is what the release notes say.
type NotesInput struct {
	Version, Channel string
	Prerelease       bool
	// Assets are the files attached to the release (parts, not the wholes they came from).
	Assets []Asset
	// Split are the assets published as parts (their whole checksum is listed too).
	Split []Asset
	// Compat is the compatibility set: service -> tag.
	Compat map[string]string
	// Services are the pinned images the compose file runs: service -> repo@sha256:...
	Services map[string]string
	// Images are the pushed references (repository:tag), if any.
	Images []string
	// Keyless: signed with a Sigstore certificate instead of cosign.pub.
	Keyless bool
	// Identity and Issuer of a keyless signature (for the verify command).
	Identity, Issuer string
	// QA is what the release gate checked (or that it was skipped).
	QA QA
	// Offline is the size summary of the offline ISO's payload ("": no offline ISO).
	Offline string
}

// Notes renders the release notes.
func Notes(in NotesInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# UnisonOS %s\n\nChannel: %s", in.Version, in.Channel)
	if in.Prerelease {
		b.WriteString(" (pre-release: `latest` and the vX / vX.Y tags do not move)")
	}
	b.WriteString("\n")
	b.WriteString(in.QA.Markdown())
	b.WriteString("\n## Assets\n\n| file | size | SHA-256 |\n|---|---|---|\n")
	for _, a := range sortedAssets(in.Assets) {
		fmt.Fprintf(&b, "| %s | %s | `%s` |\n", a.Name, humanSize(a.Size), a.SHA256)
	}
	if len(in.Split) > 0 {
		b.WriteString("\nSplit into parts (GitHub Releases refuse files over 2 GiB); see REASSEMBLE-<file>.txt:\n\n")
		for _, a := range sortedAssets(in.Split) {
			fmt.Fprintf(&b, "- %s (%s): `%s`\n", a.Name, humanSize(a.Size), a.SHA256)
		}
	}
	if in.Offline != "" {
		fmt.Fprintf(&b, "\n## Offline installer\n\n`unisonos-baremetal-offline-%s.iso` installs and starts the platform with no network: "+
			"Docker's packages, the service images (by digest) and the models are on the medium; "+
			"`unisonos-baremetal-offline-%s.payload.json` lists every file with its size and SHA-256.\n\n- %s\n", in.Version, in.Version, in.Offline)
	}
	if len(in.Compat) > 0 {
		b.WriteString("\n## Compatible service tags\n\n")
		for _, s := range slices.Sorted(maps.Keys(in.Compat)) {
			fmt.Fprintf(&b, "- %s: `%s`", s, in.Compat[s])
			if ref := in.Services[s]; ref != "" {
				fmt.Fprintf(&b, ", runs `%s`", ref)
			}
			b.WriteString("\n")
		}
	}
	if len(in.Images) > 0 {
		b.WriteString("\n## Images and OCI artifacts\n\n")
		for _, r := range in.Images {
			fmt.Fprintf(&b, "- `%s`\n", r)
		}
	}
	sums := "SHA256SUMS-" + in.Version + ".txt"
	fmt.Fprintf(&b, "\n## Verify before installing\n\n    sha256sum -c --ignore-missing %s\n", sums)
	if in.Keyless {
		id := in.Identity
		if id == "" {
			id = "<the workflow that released it: https://github.com/OWNER/REPO/.github/workflows/release-jobs.yml@refs/tags/" + in.Version + ">"
		}
		fmt.Fprintf(&b, "    cosign verify-blob --bundle %s.bundle --certificate-identity '%s' --certificate-oidc-issuer '%s' %s\n", sums, id, in.Issuer, sums)
		b.WriteString("    gh attestation verify <file> --repo <owner>/<repo>\n")
	} else {
		fmt.Fprintf(&b, "    cosign verify-blob --key cosign.pub --signature %s.sig --insecure-ignore-tlog %s\n", sums, sums)
		b.WriteString("\nUse the cosign.pub committed in the repository this release comes from, not a copy downloaded next to the assets.\n")
	}
	b.WriteString("\nEach artifact has an SPDX SBOM (`<artifact>-" + in.Version + ".spdx.json`) and a SLSA provenance statement (`<artifact>-" + in.Version +
		".intoto.json`), also attached to its registry manifest: `cosign verify-attestation --type spdxjson|slsaprovenance1 …`.\n")
	return b.String()
}

func sortedAssets(as []Asset) []Asset {
	sorted := append([]Asset(nil), as...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	return sorted
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
