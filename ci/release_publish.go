package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// Publish: push by digest, sign and attest, then move the tags; write the notes.

// attestImages attaches each SBOM and provenance statement to the pushed
// manifests as signed in-toto attestations (cosign attest; the platform
// image gets the bundle's). --replace keeps one of each type on a rerun.
func (r *Release) attestImages(ctx context.Context, cosign *dagger.Container, pushes []release.Push, atts []attestation,
	host string, auth *authn.AuthConfig) error {
	c, err := cosignAt(cosign, host, auth)
	if err != nil {
		return err
	}
	byRepo := map[string]attestation{}
	for _, a := range atts {
		byRepo[a.Repo] = a
	}
	for _, p := range pushes {
		repo := p.Repository[strings.LastIndex(p.Repository, "/")+1:]
		if repo == platformRepo {
			repo = artifact.Get(artifact.Bundle).Repo
		}
		a, ok := byRepo[repo]
		if !ok {
			return fmt.Errorf("attest %s: no SBOM or provenance for it", p.Repository)
		}
		pred, err := provenance.PredicateOf(a.Provenance)
		if err != nil {
			return err
		}
		ref := p.Repository + "@" + p.Digest
		for _, att := range [][2]string{{"spdxjson", string(a.SBOM)}, {"slsaprovenance1", string(pred)}} {
			if err := r.cosign().attest(ctx, c, ref, att[0], att[1], host); err != nil {
				return err
			}
		}
	}
	return nil
}

// pushArtifacts pushes every group of files as an OCI 1.1 artifact by
// digest (no tag yet) and records the digests in pushes[1:]. The bytes
// stream from where the files are (the runner's disk with --server, else a
// server of the engine's directory), through a SHA-256 check, to the
// registry: no copy of them is written.
func (r *Release) pushArtifacts(ctx context.Context, built *builtRelease, groups []release.Group,
	pushes []release.Push, labels map[string]string, opts []remote.Option) error {
	s := built.Store
	if s == nil {
		var err error
		if s, err = openStore(ctx, r.Build.Root.serveDir(built.Files), "stage artifacts for upload"); err != nil {
			return err
		}
		defer s.close(ctx)
	}
	for i, g := range groups {
		p := &pushes[i+1]
		repo, err := name.NewRepository(p.Repository)
		if err != nil {
			return err
		}
		art := ociartifact.Artifact{ArtifactType: g.ArtifactType, Annotations: labels}
		for _, f := range g.Files {
			art.Files = append(art.Files, ociartifact.File{Open: s.open(ctx, f.Name), Name: f.Name,
				MediaType: release.MediaType(f.Name, r.Build.Version), SHA256: f.SHA256, Size: f.Size})
		}
		d, err := ociartifact.Push(ctx, repo, art, opts...)
		if err != nil {
			return err
		}
		p.Digest = d.String()
	}
	return nil
}

// pushPlatform publishes the platform image (the bundle at bundle.InstallDir,
// the OCI labels) by digest, untagged, and returns the digest. The image
// is written here with go-containerregistry, not by the engine's exporter
// (which dates the config at export time): one layer of the bundle packed
// reproducibly (platform-layer.sh), the config dated at the commit, so a
// rebuild (another job, an evicted cache) pushes the same digest.
func (r *Release) pushPlatform(ctx context.Context, tree *dagger.Directory, repo string, labels []string, opts []remote.Option) (string, error) {
	c := r.Build.Root.archiver().WithEnvVariable("SOURCE_DATE_EPOCH", r.Build.epoch()).WithDirectory("/src/unison-platform", tree)
	work, err := os.MkdirTemp("", "unison-platform-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	path := filepath.Join(work, "layer.tar")
	if _, err := runScript(c, "platform-layer.sh").File("/out/layer.tar").Export(ctx, path); err != nil {
		return "", fmt.Errorf("platform image layer: %w", err)
	}
	img, err := platformImage(path, r.Build.created(), labels)
	if err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	// by digest: every tag (the exact version too) moves last, in tagAll, and
	// a nightly's dated tag stays with the day's first build
	ref, err := name.NewDigest(repo + "@" + d.String())
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return "", fmt.Errorf("publish %s: %w", ref, err)
	}
	return d.String(), nil
}

// platformImage is the OCI image of one layer (an uncompressed tar) for
// linux/amd64 with labels ("k=v") and every date at created.
func platformImage(layerTar string, created time.Time, labels []string) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(layerTar, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("platform image layer: %w", err)
	}
	base := mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "unison-platform: the platform bundle at " + bundle.InstallDir}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", v1.Time{Time: created}
	cf.Config.Labels = map[string]string{}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		cf.Config.Labels[k] = v
	}
	return mutate.ConfigFile(img, cf)
}

// tagAll moves the channel tags of every push to its digest: the last step.
func tagAll(ctx context.Context, pushes []release.Push, opts []remote.Option) error {
	for _, p := range pushes {
		repo, err := name.NewRepository(p.Repository)
		if err != nil {
			return err
		}
		if err := ociartifact.Tag(ctx, repo, p.Digest, p.Tags, opts...); err != nil {
			return err
		}
	}
	return nil
}

// publish pushes content by digest, signs it, and only then moves the tags.
func (r *Release) publish(ctx context.Context, p *prepared, built *builtRelease, groups []release.Group,
	pushes []release.Push, cosign *dagger.Container, atts []attestation) error {
	plan, auth, opts := p.Plan, p.Auth, p.Opts
	var err error
	if err := r.pushArtifacts(ctx, built, groups, pushes, plan.Labels, opts); err != nil {
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
		Assets: man.Assets, Split: man.Split, Compat: set.Tags, Services: man.Services, Keyless: r.Signer.Keyless,
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

// signImages signs pushed manifests by digest (cosignCfg.signImages).
func (r *Release) signImages(ctx context.Context, cosign *dagger.Container, refs []string, host string, auth *authn.AuthConfig) error {
	return r.cosign().signImages(ctx, cosign, refs, host, auth)
}
