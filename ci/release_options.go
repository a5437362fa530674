package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// The release's parts, each set by one with-* step (ci/parts.go has their types).

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
	c.Media.BaseIso, c.Media.BaseIsoSha256 = file, sha256
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
	c.Media.BaseImage, c.Media.BaseImageSha256 = file, sha256
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
	c.Media.AssetLimitMib, c.Media.PartSizeMib = l.AssetLimitMiB, l.PartSizeMiB
	return &c, nil
}

// limits are the release's asset limit and part size.
func (r *Release) limits() release.Limits {
	return release.Limits{AssetLimitMiB: r.Media.AssetLimitMib, PartSizeMiB: r.Media.PartSizeMib}.WithDefaults()
}

// Names the builder in the provenance statements (release.yml: the workflow and run URLs).
func (r *Release) WithProvenance(
	// SLSA builder.id, e.g. ${{ github.server_url }}/${{ github.workflow_ref }}.
	builderId string,
	// The run, e.g. ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}/attempts/${{ github.run_attempt }}.
	// +optional
	invocationId string,
) (*Release, error) {
	signer, err := r.Signer.withProvenance(builderId, invocationId)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Signer = signer
	return &c, nil
}

// Sets the registry credentials the release pushes with (a Dagger secret, e.g. env:GHCR_TOKEN).
func (r *Release) WithRegistryAuth(
	// Registry user name.
	username string,
	// Registry password or token.
	secret *dagger.Secret,
) (*Release, error) {
	auth, err := newRegistryAuth(username, secret)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Auth = auth
	return &c, nil
}

// Signs the release with a cosign key pair (cosign generate-key-pair): key and password as Dagger secrets.
func (r *Release) WithSigningKey(
	// cosign private key, e.g. env:COSIGN_KEY.
	key *dagger.Secret,
	// Password of the key, e.g. env:COSIGN_PASSWORD.
	// +optional
	password *dagger.Secret,
) (*Release, error) {
	signer, err := r.Signer.withKey("release", key, password)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Signer = signer
	return &c, nil
}

// Signs the release keyless with Sigstore (Fulcio certificate, Rekor transparency log); in GitHub Actions cosign fetches a fresh OIDC token when it signs.
func (r *Release) WithKeyless(
	// GitHub Actions (permissions: id-token: write): env:ACTIONS_ID_TOKEN_REQUEST_URL. cosign requests a token when it signs, so a long build cannot outlive it.
	// +optional
	tokenRequestUrl *dagger.Secret,
	// GitHub Actions: env:ACTIONS_ID_TOKEN_REQUEST_TOKEN (with token-request-url).
	// +optional
	tokenRequestToken *dagger.Secret,
	// Outside GitHub Actions: an OIDC identity token (audience sigstore), e.g. env:SIGSTORE_ID_TOKEN; it must still be valid when the release signs.
	// +optional
	identityToken *dagger.Secret,
	// Expected certificate identity of the signatures (printed in the verify instructions), e.g. https://github.com/OWNER/REPO/.github/workflows/release-jobs.yml@refs/tags/v1.2.3 (a reusable workflow signs as itself).
	// +optional
	certificateIdentity string,
) (*Release, error) {
	signer, err := r.Signer.withKeyless("release", identityToken, tokenRequestUrl, tokenRequestToken)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Signer, c.CertificateIdentity = signer, certificateIdentity
	return &c, nil
}

// Adds the offline installer to the release: unisonos-baremetal-offline-<version>.iso, with Docker's packages, the service images and models on the medium.
//
// The ISO is built like `build ... with-offline ... iso` from the release's
// pinned service images (every one must resolve to a digest, a dry run
// too), booted by the QA gate like the online ISO, pushed as its own OCI
// artifact (unisonos-baremetal-offline) with an SBOM that lists the
// embedded packages and images, and attached with .payload.json (every
// file it carries); the release notes give the payload's sizes. In a
// fanned-out release it is one more job: artifact --name baremetal-iso-offline.
func (r *Release) WithOfflineIso(
	ctx context.Context,
	// A model store to copy in (an ollama models directory: manifests/, blobs/); every model the flavor preloads must be in it.
	// +optional
	modelsStore *dagger.Directory,
	// Refuse a payload over this many MiB (0: no limit).
	// +optional
	maxSizeMib int,
) (*Release, error) {
	// the same checks as an offline build's, before anything is built
	if _, err := r.Build.WithOffline(ctx, modelsStore, maxSizeMib, nil); err != nil {
		return nil, fmt.Errorf("with-offline-iso: %w", err)
	}
	c := *r
	c.Offline.Iso, c.Offline.Models, c.Offline.MaxMib, c.Offline.ModelsDigest = true, modelsStore, maxSizeMib, "none"
	if modelsStore != nil {
		d, err := modelsStore.Digest(ctx)
		if err != nil {
			return nil, fmt.Errorf("with-offline-iso: models-store: %w", err)
		}
		c.Offline.ModelsDigest = d
	}
	return &c, nil
}

// Pins service images by digest instead of reading them from the registry (SERVICE=sha256:..., e.g. for a registry the release cannot read).
func (r *Release) WithServiceDigests(
	ctx context.Context,
	// Image digests, SERVICE=sha256:<64 hex>; services not given are still resolved from their registry.
	digests []string,
) (*Release, error) {
	// a bad digest is refused here; a service the platform lacks when the release resolves its set
	if _, err := compat.ParseDigests(digests); err != nil {
		return nil, fmt.Errorf("with-service-digests: %w", err)
	}
	c := *r
	c.ServiceDigests = append(append([]string{}, r.ServiceDigests...), digests...)
	return &c, nil
}

// Sets how the release's QA gate boots the VM disk (the ISO boots are not configurable).
//
// Before anything is signed or pushed, the release boots its VM disk
// (qa-smoke: SSH through a NoCloud seed, health and inference inside the
// guest, no service port reachable from outside) and its ISO (qa-smoke
// --iso: El Torito where the medium prints to a serial console, and the
// default entry's kernel directly). A failed check stops the release.
func (r *Release) WithQa(
	// Kernel and initrd for disks without a boot loader (the stand-ins: lab probe-boot); default: the disk's own.
	// +optional
	bootFiles *dagger.Directory,
	// Kernel command line with --boot-files; default: probe=disk console=ttyS0.
	// +optional
	kernelArgs string,
	// Accelerator (as qa vm --accel).
	// +optional
	// +default="auto"
	accel Accel,
	// Seconds to wait for the first boot; default: 300 with KVM, 1200 with TCG.
	// +optional
	bootTimeout int,
	// A registry (host:port) the guest's Docker may pull from over plain HTTP (as qa vm --insecure-registry). Repeatable.
	// +optional
	insecureRegistry []string,
	// Seconds to wait for every service to report healthy once booted; default: 180.
	// +optional
	healthTimeout int,
) (*Release, error) {
	if accel != "" {
		if err := checkAccel(string(accel)); err != nil {
			return nil, err
		}
	}
	if bootTimeout < 0 {
		return nil, fmt.Errorf("boot-timeout %d: want a positive number of seconds", bootTimeout)
	}
	if healthTimeout < 0 {
		return nil, fmt.Errorf("health-timeout %d: want a positive number of seconds", healthTimeout)
	}
	c := *r
	c.Qa.BootFiles, c.Qa.KernelArgs, c.Qa.Accel, c.Qa.BootTimeout, c.Qa.InsecureRegistries = bootFiles, kernelArgs, string(accel), bootTimeout, insecureRegistry
	c.Qa.HealthTimeout = healthTimeout
	return &c, nil
}

// Sets whose signatures the release accepts on its service images (checked before their digests are pinned); default: keyless, by this project's reusable-build.yml.
//
// Every service image the compose file runs is verified with cosign before
// the release pins its digest: by default a keyless signature whose
// certificate names OWNER/unison-platform's reusable-build.yml (what service
// repositories publish through); --key for sites that sign with a key;
// --unsigned SERVICE for an image from elsewhere (PLAN.txt lists it).
func (r *Release) WithServiceTrust(
	ctx context.Context,
	// A cosign public key the service images are signed with (service ... with-signing-key), instead of keyless signatures.
	// +optional
	key *dagger.File,
	// Certificate identity of keyless signatures, a regular expression; default ^https://github\.com/OWNER/unison-platform/\.github/workflows/reusable-build\.yml@refs/.
	// +optional
	certificateIdentityRegexp string,
	// Services whose images are pinned without a signature check (images from elsewhere), e.g. orchestrator; the plan says so.
	// +optional
	unsigned []string,
) (*Release, error) {
	if key != nil && certificateIdentityRegexp != "" {
		return nil, fmt.Errorf("with-service-trust: give a key or a certificate identity, not both")
	}
	if certificateIdentityRegexp != "" {
		if _, err := regexp.Compile(certificateIdentityRegexp); err != nil {
			return nil, fmt.Errorf("certificate-identity-regexp %q: not a regular expression: %v", certificateIdentityRegexp, err)
		}
	}
	// the names are checked against the service set when the release resolves it (prepare)
	c := *r
	c.Trust.Key, c.Trust.Identity, c.Trust.Unsigned = key, certificateIdentityRegexp, unsigned
	return &c, nil
}
