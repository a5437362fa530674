package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// Builds, verifies, signs (when a key is given) and plans the release without pushing anything; PLAN.txt says what publish would do.
func (r *Release) DryRun(ctx context.Context) (*dagger.Directory, error) {
	return r.run(ctx, true)
}

// Builds, verifies, splits, signs and publishes the release (artifacts and platform image by digest, signatures, then channel tags); returns the release directory.
//
// The directory holds the assets, SHA256SUMS-<version>.txt and its
// signature, RELEASE_NOTES.md, PLAN.txt and release.json. A rerun after a
// failed push completes the release: every step is idempotent.
//
// +cache="never"
func (r *Release) Publish(ctx context.Context) (*dagger.Directory, error) {
	return r.run(ctx, false)
}

// run is the release recipe: prepare, build, verify, boot-check, split,
// attest, sign, push, tag.
func (r *Release) run(ctx context.Context, dryRun bool) (*dagger.Directory, error) {
	p, err := r.prepare(ctx, dryRun, false)
	if err != nil {
		return nil, err
	}
	r = p.Release
	mk, err := r.make(ctx, p)
	if err != nil {
		return nil, err
	}
	built, verified := mk.Built, mk.Verified
	if built.Store != nil {
		defer built.Store.close(ctx)
	}
	rel := mk.Split
	if rel == nil {
		if rel, err = r.split(ctx, built.Files, verified); err != nil {
			return nil, err
		}
	}
	atts, err := r.attest(ctx, verified.Groups, mk.Evidence)
	if err != nil {
		return nil, err
	}
	rel.addAttestations(atts, r.Build.Version)
	cosign := r.signingContainer()
	if err := r.sums(ctx, rel, cosign); err != nil {
		return nil, err
	}
	plan := p.Plan
	man := release.Manifest{Version: plan.Version, Channel: string(plan.Channel), Prerelease: plan.Prerelease,
		Commit: r.Build.Commit, Created: plan.Labels["org.opencontainers.image.created"], Signing: r.signing(),
		DryRun: dryRun, Assets: rel.Attached, Split: rel.Split, QA: mk.QA, Services: serviceRefs(p.Set), Forced: p.Forced, Note: plan.Note,
		ServiceTrust: r.serviceTrust(), Unsigned: r.Trust.Unsigned,
		Pushes: release.PlanPushes(plan.Repository, plan.Tags, verified.Groups)}
	if p.Unresolved != nil {
		man.Unpinned = p.Unresolved.Error()
	}
	if man.Offline, err = r.offlineSummary(ctx, built.Files); err != nil {
		return nil, err
	}
	if !dryRun {
		if err := r.publish(ctx, p, built, verified.Groups, man.Pushes, cosign, atts); err != nil {
			return nil, err
		}
	}
	fmt.Print(release.PlanText(man))
	return r.finish(ctx, rel.Dir, man, p.Set)
}
