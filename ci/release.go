package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// platformRepo is the repository of the platform (and its image name).
const platformRepo = "unison-platform"

// Release is one release of UnisonOS: the ref's build, its base media, and the credentials and signing material publishing needs.
type Release struct {
	// The build every artifact of the release shares.
	Build *Build
	// +private
	Ref string
	// +private
	ExistingTags []string
	// +private
	Published []string
	// +private
	RunNumber int
	// +private
	BuildDate string
	// +private
	NightlyBranches []string
	// +private
	Registry string
	// +private
	Owner string
	// +private
	Auth RegistryAuth
	// +private
	Signer Signer
	// The keyless signer identity the notes tell users to verify.
	// +private
	CertificateIdentity string
	// +private
	Media ReleaseMedia
	// +private
	Qa QaGate
	// +private
	Offline ReleaseOffline
	// +private
	Trust ServiceTrust
	// +private
	ServiceDigests []string
	// +private
	Artifacts *dagger.Directory
	// +private
	ArtifactServer *dagger.Service
	// +private
	Force bool
}

// Plans a release of a git ref; chain the admin, base media, credentials and signing, then publish (or dry-run).
//
//	dagger call release --ref refs/tags/v0.6.0 with-admin --ssh-authorized-keys-file admin.pub \
//	  with-registry-auth --username $USER --secret env:GHCR_TOKEN \
//	  with-signing-key --key env:COSIGN_KEY --password env:COSIGN_PASSWORD publish export --path dist/
//
// The version, channel and tags come from the ref (pull requests are
// refused); sha, commit time and existing tags default from the checkout.
func (m *UnisonPlatform) Release(
	ctx context.Context,
	// Git ref: refs/tags/vX.Y.Z[-alpha|beta|rc.N] (what release.yml passes), or a branch (edge or beta builds).
	ref string,
	// Commit SHA; default: HEAD of the module's git checkout.
	// +optional
	sha string,
	// Commit time, RFC 3339 (git show -s --format=%cI): SOURCE_DATE_EPOCH of every artifact; default: HEAD's.
	// +optional
	commitTime string,
	// The repository's version tags (decide whether latest, vX and vX.Y move); default: the checkout's v* tags.
	// +optional
	existingTags []string,
	// CI run number (beta numbering of release/x.y branches when no tags are known).
	// +optional
	runNumber int,
	// Registry host to publish to; default: ghcr.io.
	// +optional
	registry string,
	// Repository owner (lowercased in image names); default: project-unisonOS.
	// +optional
	owner string,
	// Model flavor of the bundle; default: default.
	// +optional
	flavor string,
	// Platform version in the compatibility matrix; default: derived from the version.
	// +optional
	platformVersion string,
	// Also publish a .vmdk of the VM disk.
	// +optional
	vmdk bool,
	// Publish without booting anything first (the QA gate; see with-qa). PLAN.txt and the release notes say so, loudly.
	// +optional
	skipQa bool,
	// Overwrite a version the registry already holds from another commit (refused otherwise). PLAN.txt and release.json say so, loudly.
	// +optional
	force bool,
) (*Release, error) {
	r := &Release{Ref: ref, ExistingTags: existingTags, RunNumber: runNumber, Media: ReleaseMedia{Vmdk: vmdk}, Qa: QaGate{Skip: skipQa}, Force: force,
		Registry: or(registry, defaultRegistry), Owner: or(owner, defaultOwner)}
	if sha == "" || commitTime == "" {
		commit, when, err := m.gitCommit(ctx, sha, commitTime)
		if err != nil {
			return nil, err
		}
		sha, commitTime = commit, when
	}
	if r.ExistingTags == nil {
		tags, err := m.gitTags(ctx)
		if err != nil {
			return nil, err
		}
		r.ExistingTags = tags
	}
	r.Build = &Build{Commit: sha, CommitTime: commitTime}
	plan, err := r.plan()
	if err != nil {
		return nil, err
	}
	if !plan.Publish {
		return nil, fmt.Errorf("ref %q: pull requests are built and tested, not released; release from a vX.Y.Z tag or a branch", ref)
	}
	// public artifacts: no operator credentials (with-admin makes a private release)
	if r.Build, err = m.newBuild(ctx, identity{Version: plan.Version, Flavor: flavor, PlatformVersion: platformVersion, Commit: sha, CommitTime: commitTime, Public: true}); err != nil {
		return nil, err
	}
	return r, nil
}

// plan is the version plan of the release's ref (validates ref, sha and time).
func (r *Release) plan() (*version.Plan, error) { return version.Compute(r.planInput()) }

// planInput is what the plan is computed from.
func (r *Release) planInput() version.Input {
	return version.Input{Ref: r.Ref, SHA: r.Build.Commit, CommitTime: r.Build.CommitTime,
		Date: r.BuildDate, NightlyBranches: r.NightlyBranches,
		RunNumber: r.RunNumber, ExistingTags: r.ExistingTags, Published: version.ParsePublished(r.Published), Registry: r.Registry, Owner: r.Owner,
		Repo: platformRepo, Image: platformRepo, Domain: "platform"}
}
