package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// registryHistory is what a repository already holds: its tags and, for a
// release branch, the commit of each of its betas (a rebuilt commit keeps
// its beta number, another commit never reuses one).
func registryHistory(ctx context.Context, repository, ref string, opts []remote.Option) ([]string, []string, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, nil, err
	}
	tags, err := ociartifact.Tags(ctx, repo, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("existing-tags: %w", err)
	}
	published, err := ociartifact.BetaRevisions(ctx, repo, tags, version.BetaPrefix(ref), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("existing-tags: %w", err)
	}
	return tags, published, nil
}

// checkImmutable refuses to publish a version that the registry already
// holds from another commit: a published version never changes. A rerun
// from the same commit completes the release. With force the overwrite
// goes ahead and the returned note says so (PLAN.txt, release.json).
func checkImmutable(ctx context.Context, plan *version.Plan, opts []remote.Option, force bool) (string, error) {
	ref, err := name.NewTag(plan.Repository + ":" + plan.Version)
	if err != nil {
		return "", err
	}
	rev, err := ociartifact.Revision(ctx, ref, opts...)
	if err != nil {
		return "", err
	}
	want := plan.Labels["org.opencontainers.image.revision"]
	if rev == "" || rev == want {
		return "", nil
	}
	if plan.Channel == version.Nightly && !force {
		// the dated tag stays the day's first build: not an error, a note
		_, err := plan.SecondOfDay(rev)
		return "", err
	}
	if force {
		return fmt.Sprintf("%s was published from commit %s and is OVERWRITTEN by commit %s (--force): anyone who pulled %s before has other bytes", ref, rev, want, plan.Version), nil
	}
	return "", fmt.Errorf("ref: %s is already published from commit %s (this is %s): a published version never changes; release a new version (or, to replace it knowingly, --force)", ref, rev, want)
}

// Reads the registry and says which version and tags publish would push, without building anything.
//
// The tags come from the registry's history next to --existing-tags (an
// older patch never moves latest); a version published from another commit
// is refused here as publish refuses it, or shown as the overwrite --force
// allows. No push credentials are needed where the registry can be read.
func (r *Release) Tags(ctx context.Context) (string, error) {
	p, err := r.planned(ctx, false, true)
	if err != nil {
		return "", err
	}
	plan := p.Plan
	return release.TagsText(plan.Version, string(plan.Channel), plan.Prerelease, plan.Repository, plan.Tags, p.Forced, plan.Note), nil
}
