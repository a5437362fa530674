package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// verifiedRelease is what verification established: every file with its
// size and SHA-256, grouped into the OCI artifacts they are pushed as.
type verifiedRelease struct {
	Report *dagger.File
	Assets []release.Asset
	Groups []release.Group
}

// verify checks every built file the way a user would (release.VerifyScript:
// checksums, boot images, disk and archive integrity), then sizes and
// catalog membership, before anything is signed or published.
func (r *Release) verify(ctx context.Context, built *dagger.Directory) (*verifiedRelease, error) {
	c := runText(r.Build.Root.tools().WithMountedDirectory("/in", built), "verify.sh", release.VerifyScript)
	listing, err := c.File("/out/listing.tsv").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	assets, err := release.Listing(listing)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := r.Build.Version
	if err := release.CheckSizes(v, assets); err != nil {
		return nil, err
	}
	groups, err := release.Groups(v, assets)
	if err != nil {
		return nil, err
	}
	return &verifiedRelease{Report: c.File("/out/VERIFY.txt"), Assets: assets, Groups: groups}, nil
}
