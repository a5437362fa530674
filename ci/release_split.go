package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// splitRelease is the release directory being assembled and its bookkeeping.
type splitRelease struct {
	Dir *dagger.Directory
	// Attached are the files attached to the release (parts of split files).
	Attached []release.Asset
	// Sums are what SHA256SUMS lists: every attached file and every whole.
	Sums []release.Asset
	// Split are the files published as parts.
	Split []release.Asset
}

// split attaches every verified file, in parts with a REASSEMBLE note when
// it reaches the asset limit.
func (r *Release) split(ctx context.Context, built *dagger.Directory, v *verifiedRelease) (*splitRelease, error) {
	limit, partSize := r.limits().Bytes()
	// the release directory is the built one minus what is not attached (no
	// copy of the artifacts: on real media that is gigabytes of disk)
	entries, err := built.Entries(ctx)
	if err != nil {
		return nil, err
	}
	var drop []string
	for _, e := range entries {
		if !slices.ContainsFunc(v.Assets, func(a release.Asset) bool { return a.Name == e }) {
			drop = append(drop, e)
		}
	}
	out := &splitRelease{Dir: built.WithoutFiles(drop).WithFile("VERIFY.txt", v.Report), Sums: append([]release.Asset(nil), v.Assets...)}
	for _, a := range v.Assets {
		planned, err := release.SplitPlan(a, limit, partSize)
		if err != nil {
			return nil, err
		}
		if len(planned) == 0 {
			out.Attached = append(out.Attached, a)
			continue
		}
		out.Dir = out.Dir.WithoutFile(a.Name)
		pieces := runScript(r.Build.Root.archiver().WithMountedFile("/in/"+a.Name, built.File(a.Name)),
			"release-split.sh", fmt.Sprint(partSize), a.Name)
		listing, err := pieces.File("/listing.tsv").Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		got, err := release.Listing(listing)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		if err := release.CheckParts(a, planned, got); err != nil {
			return nil, err
		}
		for _, p := range planned {
			out.Dir = out.Dir.WithFile(p.Name, pieces.File("/out/"+p.Name))
		}
		out.Dir = out.Dir.WithNewFile("REASSEMBLE-"+a.Name+".txt", release.Reassemble(a, planned))
		out.Attached = append(out.Attached, got...)
		out.Sums = append(out.Sums, got...)
		out.Split = append(out.Split, a)
	}
	return out, nil
}
