package main

import (
	"context"
	"fmt"
	"os"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/models"
)

// Renders models.json of one flavor from images/models.yaml (e.g. dagger call inputs models --flavor light contents).
func (in *Inputs) Models(
	ctx context.Context,
	// Flavor: default, or one of the flavors in models.yaml (light, full-qwen, ...).
	// +optional
	flavor string,
	// The models manifest; default: images/models.yaml.
	// +optional
	manifest *dagger.File,
) (*dagger.File, error) {
	m := in.Root
	name := "images/models.yaml"
	if manifest == nil {
		manifest = m.Images.File("models.yaml")
	} else if n, err := manifest.Name(ctx); err == nil {
		name = n
	}
	js, err := renderModels(ctx, manifest, name, or(flavor, defaultFlavor))
	if err != nil {
		return nil, err
	}
	return dag.Directory().WithNewFile("models.json", string(js)).File("models.json"), nil
}

func renderModels(ctx context.Context, manifest *dagger.File, fileName, flavor string) ([]byte, error) {
	data, err := manifest.Contents(ctx)
	if err != nil {
		return nil, err
	}
	mf, err := models.Parse(fileName, []byte(data))
	if err != nil {
		return nil, err
	}
	return mf.Render(flavor)
}

// Prints the service tag set of a platform version from the compatibility matrix images/compat.yaml, as JSON.
func (in *Inputs) Compat(
	ctx context.Context,
	// Platform version X.Y.Z (a v prefix and pre-release suffix are ignored); default: the newest.
	// +optional
	platformVersion string,
) (string, error) {
	m := in.Root
	s, err := m.resolveSet(ctx, platformVersion, nil)
	if err != nil {
		return "", err
	}
	return string(s.JSON()), nil
}

// resolveSet is the service set of a platform version, pinned to digests (SERVICE=sha256:...).
func (m *UnisonPlatform) resolveSet(ctx context.Context, platformVersion string, digests []string) (*compat.Set, error) {
	data, err := m.Images.File("compat.yaml").Contents(ctx)
	if err != nil {
		return nil, err
	}
	mx, err := compat.Parse("images/compat.yaml", []byte(data))
	if err != nil {
		return nil, err
	}
	s, err := mx.Resolve(platformVersion)
	if err != nil {
		return nil, err
	}
	pins, err := compat.ParseDigests(digests)
	if err != nil {
		return nil, err
	}
	if err := s.Pin(pins); err != nil {
		return nil, err
	}
	// one line a resolution: what the progress shows, and what a test counts
	fmt.Fprintf(os.Stderr, "images/compat.yaml: platform %s: %d services, %d pinned by digest\n", s.PlatformVersion, len(s.Services), len(pins))
	return s, nil
}

// Returns the platform bundle of this build as a byte-reproducible tar.gz.
func (b *Build) Bundle(
	ctx context.Context,
	// Image digests to pin, SERVICE=sha256:... (release builds).
	// +optional
	digests []string,
) (*dagger.File, error) {
	if err := b.onlineOnly("bundle"); err != nil {
		return nil, err
	}
	tree, err := b.bundleTree(ctx, digests)
	if err != nil {
		return nil, err
	}
	return b.bundleTar(tree), nil
}

// Returns models.json of this build's flavor.
func (b *Build) ModelsJson(ctx context.Context) (*dagger.File, error) {
	return b.Root.Inputs().Models(ctx, b.Flavor, nil)
}

// bundleTree renders the platform bundle as a directory (what lands in bundle.InstallDir).
func (b *Build) bundleTree(ctx context.Context, digests []string) (*dagger.Directory, error) {
	set, err := b.Root.resolveSet(ctx, compat.PlatformFor(b.Version, b.PlatformVersion), digests)
	if err != nil {
		return nil, err
	}
	return b.treeOf(ctx, set)
}

// treeOf renders the bundle of a resolved service set.
func (b *Build) treeOf(ctx context.Context, resolved *compat.Set) (*dagger.Directory, error) {
	m := b.Root
	copied := *resolved // the caller's set stays as it is
	set := &copied
	set.Offline = b.Offline
	in := bundle.Input{Version: b.Version, Flavor: b.Flavor, Commit: b.Commit, CommitTime: b.CommitTime, Set: set}
	meta, err := in.MetadataJSON()
	if err != nil {
		return nil, err
	}
	mj, err := renderModels(ctx, m.Images.File("models.yaml"), "images/models.yaml", b.Flavor)
	if err != nil {
		return nil, err
	}
	return dag.Directory().
		WithNewFile("compose.yaml", string(set.Compose())).
		WithNewFile("services.json", string(set.JSON())).
		WithNewFile("models.json", string(mj)).
		WithNewFile("metadata.json", string(meta)).
		WithNewFile("platform.env.template", string(in.EnvTemplate())).
		WithNewFile("README.md", string(in.Readme())).
		WithDirectory("installer", m.Installer, dagger.DirectoryWithDirectoryOpts{Include: []string{"*.sh"}}), nil
}

// treeOr is tree, or the bundle tree rendered now when tree is nil.
func (b *Build) treeOr(ctx context.Context, tree *dagger.Directory) (*dagger.Directory, error) {
	if tree != nil {
		return tree, nil
	}
	if b.Offline {
		return b.offlineTree(ctx)
	}
	return b.bundleTree(ctx, nil)
}

// bundleTar packs a bundle tree as the byte-reproducible tar.gz every artifact carries.
func (b *Build) bundleTar(tree *dagger.Directory) *dagger.File {
	c := b.Root.archiver().
		WithEnvVariable("SOURCE_DATE_EPOCH", b.epoch()).
		WithDirectory("/src/unison-platform", tree)
	return runScript(c, "bundle-tar.sh").File("/out.tar.gz").WithName(artifact.Name(artifact.Bundle, b.Version))
}
