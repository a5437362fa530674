package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
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

// run is the release recipe: plan, build, verify, boot-check, split, sign, push, tag.
func (r *Release) run(ctx context.Context, dryRun bool) (*dagger.Directory, error) {
	plan, err := r.plan()
	if err != nil {
		return nil, err
	}
	if err := r.checkPublish(plan, dryRun); err != nil {
		return nil, err
	}
	if !dryRun {
		// what the registry holds, before anything is built (a dry run stays offline)
		_, opts, err := r.registryAuth(ctx)
		if err != nil {
			return nil, err
		}
		if plan, err = r.planFromRegistry(ctx, opts); err != nil {
			return nil, err
		}
		if err := checkImmutable(ctx, plan, opts); err != nil {
			return nil, err
		}
	}
	built, err := r.buildAll(ctx)
	if err != nil {
		return nil, err
	}
	verified, err := r.verify(ctx, built.Files)
	if err != nil {
		return nil, err
	}
	gate, err := r.qaGate(ctx, built.Files)
	if err != nil {
		return nil, err
	}
	rel, err := r.split(ctx, built.Files, verified)
	if err != nil {
		return nil, err
	}
	sumsName := "SHA256SUMS-" + r.Build.Version + ".txt"
	sums, err := release.SHA256SUMS(rel.Sums)
	if err != nil {
		return nil, err
	}
	rel.Dir = rel.Dir.WithNewFile(sumsName, sums)
	cosign := r.signer()
	if cosign != nil {
		signed, err := r.signBlob(ctx, cosign, rel.Dir.File(sumsName), sumsName)
		if err != nil {
			return nil, err
		}
		rel.Dir = rel.Dir.WithDirectory(".", signed)
	}
	man := release.Manifest{Version: plan.Version, Channel: string(plan.Channel), Prerelease: plan.Prerelease,
		Commit: r.Build.Commit, Created: plan.Labels["org.opencontainers.image.created"], Signing: r.signing(),
		DryRun: dryRun, Assets: rel.Attached, Split: rel.Split, QA: gate,
		Pushes: release.PlanPushes(plan.Repository, plan.Tags, verified.Groups)}
	if !dryRun {
		if err := r.publish(ctx, plan, built, verified.Groups, man.Pushes, cosign); err != nil {
			return nil, err
		}
	}
	fmt.Print(release.PlanText(man))
	return r.finish(ctx, rel.Dir, man)
}

// publish pushes content by digest, signs it, and only then moves the tags.
func (r *Release) publish(ctx context.Context, plan *version.Plan, built *builtRelease, groups []release.Group,
	pushes []release.Push, cosign *dagger.Container) error {
	auth, opts, err := r.registryAuth(ctx)
	if err != nil {
		return err
	}
	if err := r.pushArtifacts(ctx, built.Files, groups, pushes, plan.Labels, opts); err != nil {
		return err
	}
	if pushes[0].Digest, err = r.pushPlatform(ctx, built.Tree, plan.Repository, plan.SortedLabels()); err != nil {
		return err
	}
	var refs []string
	for _, p := range pushes {
		refs = append(refs, p.Repository+"@"+p.Digest)
	}
	if err := r.signImages(ctx, cosign, refs, plan.Host(), auth); err != nil {
		return err
	}
	return tagAll(ctx, pushes, opts)
}

// finish writes RELEASE_NOTES.md, PLAN.txt and release.json next to the assets.
func (r *Release) finish(ctx context.Context, dir *dagger.Directory, man release.Manifest) (*dagger.Directory, error) {
	set, err := r.Build.Root.resolveSet(ctx, compat.PlatformFor(r.Build.Version, r.Build.PlatformVersion), nil)
	if err != nil {
		return nil, err
	}
	notes := release.NotesInput{Version: man.Version, Channel: man.Channel, Prerelease: man.Prerelease,
		Assets: man.Assets, Split: man.Split, Compat: set.Tags, Keyless: r.Keyless,
		Identity: r.CertificateIdentity, Issuer: "https://token.actions.githubusercontent.com", QA: man.QA}
	for _, p := range man.Pushes {
		notes.Images = append(notes.Images, p.Repository+":"+man.Version)
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	return dir.WithNewFile("RELEASE_NOTES.md", release.Notes(notes)).
		WithNewFile("PLAN.txt", release.PlanText(man)).
		WithNewFile("release.json", string(js)+"\n").
		Sync(ctx)
}
