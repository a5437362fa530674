package release

import (
	"fmt"
	"strings"
)

// Limits are the asset limit and part size of a release, in MiB.
type Limits struct{ AssetLimitMiB, PartSizeMiB int }

// The defaults, written once: GitHub Releases refuse assets of 2 GiB
// (GitHubAssetLimit and DefaultPartSize are these in bytes).
const (
	DefaultAssetLimitMiB = 2048
	DefaultPartSizeMiB   = 1900
)

// WithDefaults fills zero values.
func (l Limits) WithDefaults() Limits {
	if l.AssetLimitMiB == 0 {
		l.AssetLimitMiB = DefaultAssetLimitMiB
	}
	if l.PartSizeMiB == 0 {
		l.PartSizeMiB = DefaultPartSizeMiB
	}
	return l
}

// Check validates the limits, naming the argument.
func (l Limits) Check() error {
	if l.AssetLimitMiB <= 0 || l.AssetLimitMiB > DefaultAssetLimitMiB {
		return fmt.Errorf("asset-limit-mib %d: must be 1..2048 (GitHub Releases refuse assets of 2 GiB and more)", l.AssetLimitMiB)
	}
	if l.PartSizeMiB <= 0 || l.PartSizeMiB >= l.AssetLimitMiB {
		return fmt.Errorf("part-size-mib %d: must be above 0 and below --asset-limit-mib (%d)", l.PartSizeMiB, l.AssetLimitMiB)
	}
	return nil
}

// Bytes returns the limit and part size in bytes.
func (l Limits) Bytes() (limit, part int64) {
	return int64(l.AssetLimitMiB) << 20, int64(l.PartSizeMiB) << 20
}

// CheckParts compares the parts a split wrote with the plan.
func CheckParts(a Asset, planned []Part, got []Asset) error {
	if len(got) != len(planned) {
		return fmt.Errorf("split %s: %d parts written, %d planned", a.Name, len(got), len(planned))
	}
	for i, p := range planned {
		if got[i].Name != p.Name || got[i].Size != p.Size {
			return fmt.Errorf("split %s: part %s is %d bytes, %s of %d planned", a.Name, got[i].Name, got[i].Size, p.Name, p.Size)
		}
	}
	return nil
}

// PlanPushes lists what a release writes: the platform image under
// imageRepo, then one OCI artifact per group next to it, each with tags.
func PlanPushes(imageRepo string, tags []string, groups []Group) []Push {
	prefix := imageRepo[:strings.LastIndex(imageRepo, "/")+1]
	out := []Push{{Repository: imageRepo, Kind: "image", Tags: tags}}
	for _, g := range groups {
		p := Push{Repository: prefix + g.Repo, Kind: "artifact", Tags: tags}
		for _, f := range g.Files {
			p.Files = append(p.Files, f.Name)
		}
		out = append(out, p)
	}
	return out
}
