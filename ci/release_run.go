package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
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

// prepared is what a release knows before anything is built, each part
// decided once.
type prepared struct {
	// Release is the release as planned: a copy holding the version the
	// registry's history decided (the caller's release is not changed).
	Release *Release
	Plan    *version.Plan
	Tree    *dagger.Directory
	Set     *compat.Set
	// Auth and Opts: the push credentials, read once (nil: anonymous).
	Auth *authn.AuthConfig
	Opts []remote.Option
	// Unresolved: why a dry run could not pin every service image; Forced: the overwrite --force allowed.
	Unresolved error
	Forced     string
}

// prepare decides everything before anything is built, each once: the
// plan (from the registry's history), the service set, its images pinned
// and their signatures checked, the bundle tree. Every refusal comes here.
// An artifact job (job) reads the registry like a publish but needs no
// push credentials or signer.
func (r *Release) prepare(ctx context.Context, dryRun, job bool) (*prepared, error) {
	p, err := r.planned(ctx, dryRun, job)
	if err != nil {
		return nil, err
	}
	rel := p.Release
	if p.Set, err = rel.Build.Root.resolveSet(ctx, rel.platformVersion(), rel.ServiceDigests); err != nil {
		return nil, err
	}
	if err := rel.checkUnsigned(p.Set); err != nil {
		return nil, err
	}
	// service images by digest; a dry run shows what it could not resolve
	if err := pinSet(ctx, p.Set, p.Plan.Host(), p.Opts); err != nil {
		if !dryRun {
			return nil, err
		}
		p.Unresolved = err
	}
	if u := p.Set.Unpinned(); len(u) > 0 && p.Unresolved == nil {
		return nil, fmt.Errorf("service images: unpinned in a release: %s; a release ships repo@sha256:... only", strings.Join(u, ", "))
	}
	if p.Tree, err = rel.Build.treeOf(ctx, p.Set); err != nil {
		return nil, err
	}
	if p.Unresolved == nil {
		// every pinned image signed by whom the release trusts (a dry run shows what is not)
		if err := rel.verifyServices(ctx, p.Set, p.Auth); err != nil {
			if !dryRun {
				return nil, err
			}
			p.Unresolved = err
		}
	}
	return p, nil
}

// planned reads the push credentials and (but for a dry run, which does not
// read the release's repositories) the registry's history, computes the
// plan once from it and the given tags, and adopts its version in a copy of
// the release; a published version never changes but by --force.
func (r *Release) planned(ctx context.Context, dryRun, job bool) (*prepared, error) {
	rel := *r
	repo, err := version.Repository(rel.planInput())
	if err != nil {
		return nil, err
	}
	if err := rel.checkPublish(strings.SplitN(repo, "/", 2)[0], dryRun || job); err != nil {
		return nil, err
	}
	p := &prepared{Release: &rel}
	if p.Auth, p.Opts, err = rel.registryAuth(ctx); err != nil {
		return nil, err
	}
	if !dryRun {
		tags, published, err := registryHistory(ctx, repo, rel.Ref, p.Opts)
		if err != nil {
			return nil, err
		}
		rel.ExistingTags, rel.Published = append(slices.Clone(rel.ExistingTags), tags...), published
	}
	if p.Plan, err = rel.plan(); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "release: plan %s (channel %s): tags %s\n", p.Plan.Version, p.Plan.Channel, strings.Join(p.Plan.Tags, " "))
	if dryRun {
		return p, nil
	}
	if rel.Build, err = rel.Build.withVersion(p.Plan.Version); err != nil {
		return nil, err
	}
	if p.Forced, err = checkImmutable(ctx, p.Plan, p.Opts, rel.Force); err != nil {
		return nil, err
	}
	return p, nil
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
	rel, err := r.split(ctx, built.Files, verified)
	if err != nil {
		return nil, err
	}
	atts, err := r.attest(ctx, verified.Groups, mk.Evidence)
	if err != nil {
		return nil, err
	}
	rel.addAttestations(atts, r.Build.Version)
	cosign := r.signer()
	if err := r.sums(ctx, rel, cosign); err != nil {
		return nil, err
	}
	plan := p.Plan
	man := release.Manifest{Version: plan.Version, Channel: string(plan.Channel), Prerelease: plan.Prerelease,
		Commit: r.Build.Commit, Created: plan.Labels["org.opencontainers.image.created"], Signing: r.signing(),
		DryRun: dryRun, Assets: rel.Attached, Split: rel.Split, QA: mk.QA, Services: serviceRefs(p.Set), Forced: p.Forced, Note: plan.Note,
		ServiceTrust: r.serviceTrust(), Unsigned: r.UnsignedServices,
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

// made is a release's built, verified and boot-checked files, and what
// their SBOMs and provenance statements say.
type made struct {
	Built    *builtRelease
	Verified *verifiedRelease
	QA       release.QA
	Evidence map[string]release.Evidence
}

// make builds, verifies and boot-checks every artifact in this DAG, or
// takes them from the artifact jobs (with-artifacts).
func (r *Release) make(ctx context.Context, p *prepared) (*made, error) {
	if r.Artifacts != nil {
		return r.assemble(ctx, p)
	}
	built, err := r.buildAll(ctx, p)
	if err != nil {
		return nil, err
	}
	verified, err := r.verify(ctx, built.Files)
	if err != nil {
		return nil, err
	}
	gate, err := r.qaGate(ctx, built.Files, r.jobs())
	if err != nil {
		return nil, err
	}
	ev, err := r.evidence(ctx, built.Files, verified.Groups, p.Set)
	if err != nil {
		return nil, err
	}
	return &made{Built: built, Verified: verified, QA: gate, Evidence: ev}, nil
}

// addAttestations attaches the SBOM and provenance of every artifact (and lists them in SHA256SUMS).
func (s *splitRelease) addAttestations(atts []attestation, version string) {
	for _, a := range atts {
		for _, f := range []struct {
			name string
			data []byte
		}{{sbom.FileName(a.Repo, version), a.SBOM}, {provenance.FileName(a.Repo, version), a.Provenance}} {
			s.Dir = s.Dir.WithNewFile(f.name, string(f.data))
			s.Attached = append(s.Attached, assetOf(f.name, f.data))
			s.Sums = append(s.Sums, assetOf(f.name, f.data))
		}
	}
}

// sums writes SHA256SUMS-<version>.txt and, with a signer, its signature.
func (r *Release) sums(ctx context.Context, rel *splitRelease, cosign *dagger.Container) error {
	name := "SHA256SUMS-" + r.Build.Version + ".txt"
	sums, err := release.SHA256SUMS(rel.Sums)
	if err != nil {
		return err
	}
	rel.Dir = rel.Dir.WithNewFile(name, sums)
	if cosign == nil {
		return nil
	}
	signed, err := r.signBlob(ctx, cosign, rel.Dir.File(name), name)
	if err != nil {
		return err
	}
	rel.Dir = rel.Dir.WithDirectory(".", signed)
	return nil
}

// publish pushes content by digest, signs it, and only then moves the tags.
func (r *Release) publish(ctx context.Context, p *prepared, built *builtRelease, groups []release.Group,
	pushes []release.Push, cosign *dagger.Container, atts []attestation) error {
	plan, auth, opts := p.Plan, p.Auth, p.Opts
	var err error
	if err := r.pushArtifacts(ctx, built.Files, groups, pushes, plan.Labels, opts); err != nil {
		return err
	}
	if pushes[0].Digest, err = r.pushPlatform(ctx, built.Tree, plan.Repository, plan.SortedLabels(), opts); err != nil {
		return err
	}
	var refs []string
	for _, push := range pushes {
		refs = append(refs, push.Repository+"@"+push.Digest)
	}
	if err := r.signImages(ctx, cosign, refs, plan.Host(), auth); err != nil {
		return err
	}
	if err := r.attestImages(ctx, cosign, pushes, atts, plan.Host(), auth); err != nil {
		return err
	}
	return tagAll(ctx, pushes, opts)
}

// finish writes RELEASE_NOTES.md, PLAN.txt and release.json next to the assets.
func (r *Release) finish(ctx context.Context, dir *dagger.Directory, man release.Manifest, set *compat.Set) (*dagger.Directory, error) {
	notes := release.NotesInput{Version: man.Version, Channel: man.Channel, Prerelease: man.Prerelease,
		Assets: man.Assets, Split: man.Split, Compat: set.Tags, Services: man.Services, Keyless: r.Keyless,
		Identity: r.CertificateIdentity, Issuer: "https://token.actions.githubusercontent.com", QA: man.QA, Offline: man.Offline}
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
