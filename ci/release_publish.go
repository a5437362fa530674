package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// registryAuth is the push credentials (nil: anonymous) and the options
// go-containerregistry pushes with.
func (r *Release) registryAuth(ctx context.Context) (*authn.AuthConfig, []remote.Option, error) {
	if r.Password == nil {
		return nil, []remote.Option{remote.WithAuth(authn.Anonymous)}, nil
	}
	pw, err := r.Password.Plaintext(ctx)
	if err != nil {
		return nil, nil, err
	}
	auth := &authn.AuthConfig{Username: r.Username, Password: pw}
	return auth, []remote.Option{remote.WithAuth(authn.FromConfig(*auth))}, nil
}

// pushArtifacts pushes every group of files as an OCI 1.1 artifact by
// digest (no tag yet) and records the digests in pushes[1:].
func (r *Release) pushArtifacts(ctx context.Context, files *dagger.Directory, groups []release.Group,
	pushes []release.Push, labels map[string]string, opts []remote.Option) error {
	work, err := os.MkdirTemp("", "unison-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// the module's own container receives the verified files for the upload
	if _, err := files.Export(ctx, work); err != nil {
		return fmt.Errorf("stage artifacts for upload: %w", err)
	}
	for i, g := range groups {
		p := &pushes[i+1]
		repo, err := name.NewRepository(p.Repository)
		if err != nil {
			return err
		}
		art := ociartifact.Artifact{ArtifactType: g.ArtifactType, Annotations: labels}
		for _, f := range g.Files {
			art.Files = append(art.Files, ociartifact.File{Path: filepath.Join(work, f.Name), Name: f.Name,
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
// the OCI labels) under its exact version and returns its digest.
func (r *Release) pushPlatform(ctx context.Context, tree *dagger.Directory, repo string, labels []string) (string, error) {
	c := dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).WithDirectory(bundle.InstallDir, tree)
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		c = c.WithLabel(k, v)
	}
	if r.Password != nil {
		c = c.WithRegistryAuth(strings.SplitN(repo, "/", 2)[0], r.Username, r.Password)
	}
	ref := repo + ":" + r.Build.Version
	pushed, err := c.Publish(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", ref, err)
	}
	_, digest, ok := strings.Cut(pushed, "@")
	if !ok {
		return "", fmt.Errorf("publish %s: no digest in %q", ref, pushed)
	}
	return digest, nil
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
