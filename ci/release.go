package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
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
	Vmdk bool
	// +private
	BaseIso *dagger.File
	// +private
	BaseImage *dagger.File
	// +private
	BaseIsoSha256 string
	// +private
	BaseImageSha256 string
	// +private
	AssetLimitMib int
	// +private
	PartSizeMib int
	// +private
	Username string
	// +private
	Password *dagger.Secret
	// +private
	SigningKey *dagger.Secret
	// +private
	SigningPassword *dagger.Secret
	// +private
	IdentityToken *dagger.Secret
	// +private
	TokenRequestUrl *dagger.Secret
	// +private
	TokenRequestToken *dagger.Secret
	// +private
	Keyless bool
	// +private
	CertificateIdentity string
	// +private
	ServiceDigests []string
	// +private
	ServiceTrustKey *dagger.File
	// +private
	ServiceIdentity string
	// +private
	UnsignedServices []string
	// +private
	Artifacts *dagger.Directory
	// +private
	BuilderId string
	// +private
	InvocationId string
	// +private
	Force bool
	// +private
	SkipQa bool
	// +private
	QaBootFiles *dagger.Directory
	// +private
	QaKernelArgs string
	// +private
	QaBootTimeout int
	// +private
	QaAccel string
	// +private
	QaInsecureRegistries []string
	// +private
	QaHealthTimeout int
	// +private
	OfflineIso bool
	// +private
	OfflineModels *dagger.Directory
	// +private
	OfflineModelsDigest string
	// +private
	OfflineMaxMib int
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
	r := &Release{Ref: ref, ExistingTags: existingTags, RunNumber: runNumber, Vmdk: vmdk, SkipQa: skipQa, Force: force,
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

// Makes a private release: the ISO and VM disk carry this admin identity (at least one SSH key) instead of asking for it.
//
// Public releases (the default, what release.yml publishes) carry no
// operator credentials: operators personalize them (personalize-iso,
// nocloud-seed).
func (r *Release) WithAdmin(
	ctx context.Context,
	// SSH public keys of the admin user (ed25519 recommended).
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line.
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// Admin user name; default: unison.
	// +optional
	adminUser string,
	// Host name of installed systems; default: unisonos.
	// +optional
	hostname string,
) (*Release, error) {
	private := *r.Build
	private.Public = false
	b, err := private.WithAdmin(ctx, sshAuthorizedKeys, sshAuthorizedKeysFile, nil, adminUser, hostname)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Build = b
	return &c, nil
}

// Uses a given base ISO (e.g. a local copy) instead of the pinned Ubuntu live-server download.
func (r *Release) WithBaseIso(
	// The base ISO.
	file *dagger.File,
	// Its expected SHA-256 (checked when given).
	// +optional
	sha256 string,
) *Release {
	c := *r
	c.BaseIso, c.BaseIsoSha256 = file, sha256
	return &c
}

// Sets the nightly's build date and the branches that get nightlies (channels.yml passes the run's UTC day and NIGHTLY_BRANCHES).
//
// A branch's nightly is edge-<branch>-YYYYMMDD of this date (default: the
// commit's day), the day's first build of the branch; a later build that
// day is published under edge-<branch> (edge for main) and sha-<short>.
func (r *Release) WithNightly(
	// Build date, YYYY-MM-DD or YYYYMMDD (UTC), e.g. $(date -u +%F).
	// +optional
	date string,
	// Branches that get nightlies (names or patterns such as feature/*); any other branch is refused. Default: every branch.
	// +optional
	branches []string,
) (*Release, error) {
	c := *r
	c.BuildDate, c.NightlyBranches = date, branches
	plan, err := c.plan()
	if err != nil {
		return nil, err
	}
	if c.Build, err = r.Build.withVersion(plan.Version); err != nil {
		return nil, err
	}
	return &c, nil
}

// withVersion is the build under the plan's version (the same build when
// it is already that version); the version must be a valid label.
func (b *Build) withVersion(v string) (*Build, error) {
	if v == b.Version {
		return b, nil
	}
	if err := version.CheckLabel(v); err != nil {
		return nil, err
	}
	c := *b
	c.Version = v
	return &c, nil
}

// Uses a given base cloud image instead of the pinned Ubuntu cloud image download.
func (r *Release) WithBaseImage(
	// The base cloud image (qcow2 or raw).
	file *dagger.File,
	// Its expected SHA-256 (checked when given).
	// +optional
	sha256 string,
) *Release {
	c := *r
	c.BaseImage, c.BaseImageSha256 = file, sha256
	return &c
}

// Sets the asset size limit (assets of this size or more are split into parts) and the part size, in MiB.
func (r *Release) WithAssetLimit(
	// Assets of this size or more are split; default 2048 (GitHub Releases refuse 2 GiB).
	// +optional
	limitMib int,
	// Size of each part; default 1900.
	// +optional
	partSizeMib int,
) (*Release, error) {
	l := release.Limits{AssetLimitMiB: limitMib, PartSizeMiB: partSizeMib}.WithDefaults()
	if err := l.Check(); err != nil {
		return nil, err
	}
	c := *r
	c.AssetLimitMib, c.PartSizeMib = l.AssetLimitMiB, l.PartSizeMiB
	return &c, nil
}

// limits are the release's asset limit and part size.
func (r *Release) limits() release.Limits {
	return release.Limits{AssetLimitMiB: r.AssetLimitMib, PartSizeMiB: r.PartSizeMib}.WithDefaults()
}
