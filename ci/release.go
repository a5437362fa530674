package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Releases UnisonOS: computes the version plan of the ref, builds every
// artifact in one DAG (ISO, VM disk, WSL distribution, platform bundle,
// models.json; independent builds in parallel), verifies each (SHA-256
// against the build's own checksum, size bounds, El Torito boot images,
// qemu-img check, archive integrity), writes SHA256SUMS-<version>.txt and
// signs it with cosign, splits assets over the asset limit (GitHub: 2 GiB)
// into .partNN with a REASSEMBLE note, renders the release notes, and then
// publishes: the artifacts as OCI 1.1 artifacts and the platform container
// image, pushed by digest, signed with cosign, and only then tagged with the
// channel tags (pre-releases never move latest). A rerun after a failed push
// completes the release: every step is idempotent.
//
// Returns the release directory (assets, SHA256SUMS, signature, cosign.pub,
// RELEASE_NOTES.md, PLAN.txt, release.json):
//
//	dagger call release --ref refs/tags/v0.6.0 --sha $(git rev-parse HEAD) --commit-time $(git show -s --format=%cI) \
//	  --ssh-authorized-keys-file ./admin.pub --username $USER --password env:GHCR_TOKEN \
//	  --signing-key env:COSIGN_KEY --signing-password env:COSIGN_PASSWORD export --path dist/
//
// With --dry-run everything is built, verified (and signed when a key is
// given) but nothing is pushed; read the plan with `... file --path PLAN.txt contents`.
//
// +cache="never"
func (m *UnisonPlatform) Release(
	ctx context.Context,
	// Git ref: refs/tags/vX.Y.Z[-alpha|beta|rc.N] (what release.yml passes), or a branch (edge or beta builds).
	ref string,
	// Commit SHA.
	sha string,
	// Commit time, RFC 3339 (git show -s --format=%cI): SOURCE_DATE_EPOCH of every artifact.
	commitTime string,
	// The repository's existing version tags (git tag -l 'v*'): decides whether latest, vX and vX.Y move.
	// +optional
	existingTags []string,
	// CI run number (beta numbering of release/x.y branches when no tags are known).
	// +optional
	runNumber int,
	// Registry host to publish to.
	// +optional
	// +default="ghcr.io"
	registry string,
	// Repository owner (lowercased in image names).
	// +optional
	// +default="project-unisonOS"
	owner string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token (a Dagger secret, e.g. env:GHCR_TOKEN).
	// +optional
	password *dagger.Secret,
	// cosign private key (cosign generate-key-pair), e.g. env:COSIGN_KEY; required unless --keyless or --dry-run.
	// +optional
	signingKey *dagger.Secret,
	// Password of the cosign key (env:COSIGN_PASSWORD).
	// +optional
	signingPassword *dagger.Secret,
	// Sign keyless with Sigstore (Fulcio certificate, Rekor entry) using --identity-token, e.g. in GitHub Actions.
	// +optional
	keyless bool,
	// OIDC identity token for keyless signing (GitHub Actions: an ID token with audience sigstore).
	// +optional
	identityToken *dagger.Secret,
	// Expected certificate identity of keyless signatures (printed in the verify instructions).
	// +optional
	certificateIdentity string,
	// SSH public keys of the admin user (the ISO and the VM disk need at least one).
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line.
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// Model flavor of the bundle.
	// +optional
	// +default="default"
	flavor string,
	// Platform version in the compatibility matrix; default: derived from the version.
	// +optional
	platformVersion string,
	// Base ISO (default: the pinned Ubuntu live-server ISO).
	// +optional
	baseIso *dagger.File,
	// Expected SHA-256 of --base-iso.
	// +optional
	baseIsoSha256 string,
	// Base cloud image (default: the pinned Ubuntu cloud image).
	// +optional
	baseImage *dagger.File,
	// Expected SHA-256 of --base-image.
	// +optional
	baseImageSha256 string,
	// Also publish a .vmdk of the VM disk.
	// +optional
	vmdk bool,
	// Assets of this size or more are split into parts (MiB; GitHub Releases refuse 2 GiB).
	// +optional
	// +default=2048
	assetLimitMib int,
	// Size of each part (MiB).
	// +optional
	// +default=1900
	partSizeMib int,
	// Build, verify and print the plan (PLAN.txt) without pushing anything.
	// +optional
	dryRun bool,
	// Build inputs (ubuntu.yaml pins, autoinstall template, models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
) (*dagger.Directory, error) {
	// 1. inputs, before anything is built
	plan, err := version.Compute(version.Input{
		Ref: ref, SHA: sha, CommitTime: commitTime, RunNumber: runNumber, ExistingTags: existingTags,
		Registry: registry, Owner: owner, Repo: "unison-platform", Image: "unison-platform", Domain: "platform",
	})
	if err != nil {
		return nil, err
	}
	if !plan.Publish {
		return nil, fmt.Errorf("ref %q: pull requests are built and tested, not released; release from a vX.Y.Z tag or a branch", ref)
	}
	if assetLimitMib <= 0 || assetLimitMib > 2048 {
		return nil, fmt.Errorf("asset-limit-mib %d: must be 1..2048 (GitHub Releases refuse assets of 2 GiB and more)", assetLimitMib)
	}
	if partSizeMib <= 0 || partSizeMib >= assetLimitMib {
		return nil, fmt.Errorf("part-size-mib %d: must be above 0 and below --asset-limit-mib (%d)", partSizeMib, assetLimitMib)
	}
	host := strings.SplitN(plan.Repository, "/", 2)[0]
	if (username == "") != (password == nil) {
		return nil, fmt.Errorf("username/password: give both (--username USER --password env:TOKEN) or neither")
	}
	if !dryRun && password == nil && registriesNeedingAuth[host] {
		return nil, fmt.Errorf("password: pushing to %s needs credentials: pass --username and --password env:REGISTRY_TOKEN (a Dagger secret)", host)
	}
	switch {
	case keyless && signingKey != nil:
		return nil, fmt.Errorf("signing-key/keyless: choose one: --signing-key env:COSIGN_KEY or --keyless --identity-token env:ID_TOKEN")
	case keyless && identityToken == nil:
		return nil, fmt.Errorf("identity-token: keyless signing needs an OIDC token: --identity-token env:SIGSTORE_ID_TOKEN (GitHub Actions: an ID token with audience sigstore)")
	case !keyless && signingKey == nil && !dryRun:
		return nil, fmt.Errorf("signing-key: a release is signed: pass --signing-key env:COSIGN_KEY (and --signing-password env:COSIGN_PASSWORD), or --keyless in GitHub Actions")
	}
	keys, err := collectKeys(ctx, sshAuthorizedKeys, sshAuthorizedKeysFile)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("ssh-authorized-keys: the ISO and VM disk need at least one admin SSH key (--ssh-authorized-keys or --ssh-authorized-keys-file)")
	}
	limit, partSize := int64(assetLimitMib)<<20, int64(partSizeMib)<<20
	v := plan.Version
	pv := platformFor(v, platformVersion)

	// 2. every artifact, independent builds in parallel
	var isoDir, vmDir, wslDir *dagger.Directory
	var bundleFile *dagger.File
	var tree *dagger.Directory
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		d, err := m.BaremetalIso(gctx, v, keys, nil, nil, "unisonos", "unison", nil, "en_US.UTF-8", "us", "Etc/UTC",
			flavor, pv, sha, commitTime, releaseVolumeID(v), baseIso, baseIsoSha256, images, installer)
		if err == nil {
			isoDir, err = d.Sync(gctx)
		}
		return wrap("baremetal-iso", err)
	})
	g.Go(func() error {
		d, err := m.LinuxVm(gctx, v, keys, nil, "unisonos", "unison", "32G", vmdk, nil, flavor, pv, sha, commitTime,
			baseImage, baseImageSha256, images, installer)
		if err == nil {
			vmDir, err = d.Sync(gctx)
		}
		return wrap("linux-vm", err)
	})
	g.Go(func() error {
		d, err := m.WslBundle(gctx, v, "unison", nil, flavor, pv, sha, commitTime, images, installer)
		if err == nil {
			wslDir, err = d.Sync(gctx)
		}
		return wrap("wsl-bundle", err)
	})
	g.Go(func() error {
		t, created, err := m.bundleTree(gctx, bundleOpts{Version: v, Flavor: flavor, PlatformVersion: pv, Commit: sha,
			CommitTime: commitTime, Images: images, Installer: installer})
		if err != nil {
			return wrap("bundle", err)
		}
		tree = t
		bundleFile, err = m.bundleTar(t, created, v).Sync(gctx)
		return wrap("bundle", err)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// models.json is the one the bundle carries (rendered once, in bundleTree)
	built := dag.Directory().
		WithDirectory(".", isoDir).WithDirectory(".", vmDir).WithDirectory(".", wslDir).
		WithFiles(".", []*dagger.File{bundleFile}).
		WithFile("unisonos-models-"+v+".json", tree.File("models.json"))

	// 3. verify every file before anything is signed or published
	verified := m.tools().
		WithMountedDirectory("/in", built).
		WithExec([]string{"sh", "-c", release.VerifyScript})
	listing, err := verified.File("/out/listing.tsv").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	assets, err := release.Listing(listing)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := release.CheckSizes(assets); err != nil {
		return nil, err
	}
	groups, err := release.Groups(v, assets)
	if err != nil {
		return nil, err
	}

	// 4. split, checksums, notes
	rel := dag.Directory().WithFile("VERIFY.txt", verified.File("/out/VERIFY.txt"))
	var attached, split []release.Asset
	sums := append([]release.Asset(nil), assets...)
	for _, a := range assets {
		parts, err := release.SplitPlan(a, limit, partSize)
		if err != nil {
			return nil, err
		}
		if len(parts) == 0 {
			rel = rel.WithFile(a.Name, built.File(a.Name))
			attached = append(attached, a)
			continue
		}
		pieces := m.tools().WithMountedFile("/in/"+a.Name, built.File(a.Name)).
			WithExec([]string{"sh", "-c", `set -eu; mkdir -p /out; cd /out
split -b "$1" -d -a 2 --numeric-suffixes=1 "/in/$2" "$2.part"
for f in "$2".part*; do printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"; done > /listing.tsv`,
				"split", fmt.Sprint(partSize), a.Name})
		pl, err := pieces.File("/listing.tsv").Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		got, err := release.Listing(pl)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		if len(got) != len(parts) {
			return nil, fmt.Errorf("split %s: %d parts written, %d planned", a.Name, len(got), len(parts))
		}
		for i, p := range parts {
			if got[i].Name != p.Name || got[i].Size != p.Size {
				return nil, fmt.Errorf("split %s: part %s is %d bytes, %s of %d planned", a.Name, got[i].Name, got[i].Size, p.Name, p.Size)
			}
			rel = rel.WithFile(p.Name, pieces.File("/out/"+p.Name))
		}
		rel = rel.WithNewFile("REASSEMBLE-"+a.Name+".txt", release.Reassemble(a, parts))
		attached = append(attached, got...)
		sums = append(sums, got...)
		split = append(split, a)
	}
	sumsName := "SHA256SUMS-" + v + ".txt"
	sumsText, err := release.SHA256SUMS(sums)
	if err != nil {
		return nil, err
	}
	rel = rel.WithNewFile(sumsName, sumsText)
	set, err := resolveSet(ctx, images.File("compat.yaml"), pv, nil)
	if err != nil {
		return nil, err
	}

	// 5. sign the checksums
	signing := "none (dry run without a key)"
	var cosign *dagger.Container
	if signingKey != nil || keyless {
		cosign = m.cosign(signingKey, signingPassword, identityToken)
		signed, err := m.signBlob(ctx, cosign, rel.File(sumsName), sumsName, keyless)
		if err != nil {
			return nil, err
		}
		rel = rel.WithDirectory(".", signed)
		signing = "cosign key (cosign.pub)"
		if keyless {
			signing = "cosign keyless (Sigstore)"
		}
	}

	// 6. the plan: what is pushed where
	man := release.Manifest{Version: v, Channel: string(plan.Channel), Prerelease: plan.Prerelease, Commit: sha,
		Created: plan.Labels["org.opencontainers.image.created"], Signing: signing, DryRun: dryRun, Assets: attached, Split: split}
	prefix := strings.TrimSuffix(plan.Repository, "/unison-platform")
	man.Pushes = append(man.Pushes, release.Push{Repository: plan.Repository, Kind: "image", Tags: plan.Tags})
	for _, gr := range groups {
		p := release.Push{Repository: prefix + "/" + gr.Repo, Kind: "artifact", Tags: plan.Tags}
		for _, f := range gr.Files {
			p.Files = append(p.Files, f.Name)
		}
		man.Pushes = append(man.Pushes, p)
	}
	notes := release.NotesInput{Version: v, Channel: string(plan.Channel), Prerelease: plan.Prerelease,
		Assets: attached, Split: split, Compat: set.Tags, Keyless: keyless,
		Identity: certificateIdentity, Issuer: "https://token.actions.githubusercontent.com"}
	for _, p := range man.Pushes {
		notes.Images = append(notes.Images, p.Repository+":"+v)
	}
	finish := func(man release.Manifest) (*dagger.Directory, error) {
		js, err := json.MarshalIndent(man, "", "  ")
		if err != nil {
			return nil, err
		}
		out := rel.WithNewFile("RELEASE_NOTES.md", release.Notes(notes)).
			WithNewFile("PLAN.txt", release.PlanText(man)).
			WithNewFile("release.json", string(js)+"\n")
		return out.Sync(ctx)
	}
	if dryRun {
		fmt.Print(release.PlanText(man))
		return finish(man)
	}

	// 7. publish: content by digest, signatures, then tags
	if cosign == nil {
		return nil, fmt.Errorf("internal error: no signer")
	}
	labels := plan.Labels
	opts := []remote.Option{remote.WithAuth(authn.Anonymous)}
	var auth *authn.AuthConfig
	if password != nil {
		pw, err := password.Plaintext(ctx)
		if err != nil {
			return nil, err
		}
		auth = &authn.AuthConfig{Username: username, Password: pw}
		opts = []remote.Option{remote.WithAuth(authn.FromConfig(*auth))}
	}
	work, err := os.MkdirTemp("", "unison-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	// the module's own container receives the verified files for the upload
	if _, err := built.Export(ctx, work); err != nil {
		return nil, fmt.Errorf("stage artifacts for upload: %w", err)
	}
	for i, gr := range groups {
		p := &man.Pushes[i+1]
		repo, err := name.NewRepository(p.Repository)
		if err != nil {
			return nil, err
		}
		art := ociartifact.Artifact{ArtifactType: gr.ArtifactType, Annotations: labels}
		for _, f := range gr.Files {
			art.Files = append(art.Files, ociartifact.File{Path: filepath.Join(work, f.Name), Name: f.Name,
				MediaType: release.MediaType(f.Name), SHA256: f.SHA256, Size: f.Size})
		}
		d, err := ociartifact.Push(ctx, repo, art, opts...)
		if err != nil {
			return nil, err
		}
		p.Digest = d.String()
	}
	platform := dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).
		WithDirectory("/opt/unison-platform", tree)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		platform = platform.WithLabel(k, labels[k])
	}
	publisher := platform
	if password != nil {
		publisher = platform.WithRegistryAuth(host, username, password)
	}
	pushed, err := publisher.Publish(ctx, plan.Repository+":"+v)
	if err != nil {
		return nil, fmt.Errorf("publish %s:%s: %w", plan.Repository, v, err)
	}
	_, digest, ok := strings.Cut(pushed, "@")
	if !ok {
		return nil, fmt.Errorf("publish %s: no digest in %q", plan.Repository, pushed)
	}
	man.Pushes[0].Digest = digest

	var refs []string
	for _, p := range man.Pushes {
		refs = append(refs, p.Repository+"@"+p.Digest)
	}
	if err := m.signImages(ctx, cosign, refs, host, auth, keyless); err != nil {
		return nil, err
	}
	for _, p := range man.Pushes {
		repo, err := name.NewRepository(p.Repository)
		if err != nil {
			return nil, err
		}
		if err := ociartifact.Tag(ctx, repo, p.Digest, p.Tags, opts...); err != nil {
			return nil, err
		}
	}
	fmt.Print(release.PlanText(man))
	return finish(man)
}

// releaseVolumeID is the ISO volume ID of a release: "UnisonOS <version>
// amd64", shortened to the ISO 9660 limit for long edge versions.
func releaseVolumeID(v string) string {
	if id, err := iso.VolumeID(v); err == nil {
		return id
	}
	id := "UnisonOS " + v
	if len(id) > iso.MaxVolumeID {
		id = id[:iso.MaxVolumeID]
	}
	return id
}

func wrap(step string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", step, err)
}

// cosign is the signing container: the cosign image with the key (or the
// identity token) as secrets, never written to a layer.
func (m *UnisonPlatform) cosign(key, password, idToken *dagger.Secret) *dagger.Container {
	c := dag.Container().From(m.CosignImage).
		WithEnvVariable("HOME", "/tmp").
		WithEnvVariable("TUF_ROOT", "/tmp/sigstore").
		WithDirectory("/release", dag.Directory())
	if key != nil {
		c = c.WithSecretVariable("COSIGN_KEY", key)
		if password == nil {
			password = dag.SetSecret("unison-empty-cosign-password", "")
		}
		c = c.WithSecretVariable("COSIGN_PASSWORD", password)
	}
	if idToken != nil {
		c = c.WithMountedSecret("/run/secrets/id-token", idToken)
	}
	return c
}

// signBlob signs a file: key mode writes NAME.sig and cosign.pub; keyless
// writes NAME.sig, NAME.pem and NAME.bundle.
func (m *UnisonPlatform) signBlob(ctx context.Context, cosign *dagger.Container, f *dagger.File, fname string, keyless bool) (*dagger.Directory, error) {
	c := cosign.WithMountedFile("/in/"+fname, f)
	if keyless {
		c = c.WithExec([]string{"/ko-app/cosign", "sign-blob", "--yes", "--identity-token", "/run/secrets/id-token",
			"--output-signature", "/release/" + fname + ".sig", "--output-certificate", "/release/" + fname + ".pem",
			"--bundle", "/release/" + fname + ".bundle", "/in/" + fname})
	} else {
		c = c.WithExec([]string{"/ko-app/cosign", "sign-blob", "--yes", "--key", "env://COSIGN_KEY", "--tlog-upload=false",
			"--output-signature", "/release/" + fname + ".sig", "/in/" + fname}).
			WithExec([]string{"/ko-app/cosign", "public-key", "--key", "env://COSIGN_KEY", "--outfile", "/release/cosign.pub"})
	}
	d, err := c.Directory("/release").Sync(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", fname, err)
	}
	return d, nil
}

// signImages signs pushed manifests by digest. cosign finds an identical
// signature already attached and does not add it twice, so reruns converge.
func (m *UnisonPlatform) signImages(ctx context.Context, cosign *dagger.Container, refs []string, host string, auth *authn.AuthConfig, keyless bool) error {
	args := []string{"/ko-app/cosign", "sign", "--yes", "--recursive=false"}
	if keyless {
		args = append(args, "--identity-token", "/run/secrets/id-token")
	} else {
		args = append(args, "--key", "env://COSIGN_KEY", "--tlog-upload=false")
	}
	if release.PlainHTTP(host) {
		args = append(args, "--allow-insecure-registry", "--allow-http-registry")
	}
	c := cosign
	if auth != nil {
		cfg, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
			"auth": base64.StdEncoding.EncodeToString([]byte(auth.Username + ":" + auth.Password))}}})
		if err != nil {
			return err
		}
		c = c.WithMountedSecret("/tmp/docker/config.json", dag.SetSecret("unison-release-registry-auth", string(cfg))).
			WithEnvVariable("DOCKER_CONFIG", "/tmp/docker")
	}
	// signing talks to the registry: never served from the cache
	c = c.WithEnvVariable("UNISON_SIGNED_AT", time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := c.WithExec(append(args, refs...)).Sync(ctx); err != nil {
		return fmt.Errorf("sign %s: %w", strings.Join(refs, " "), err)
	}
	return nil
}
