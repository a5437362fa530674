package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/models"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
)

// Makes the build's artifacts start the platform with no network: Docker's packages, the service images (by digest) and a model store travel on the medium.
//
// Packages are resolved and downloaded at build time in a container of the
// target OS image (--os-image; the real Ubuntu release by default), the
// images are pulled by digest and saved for docker load, compose never
// pulls. Sizes are printed and recorded in offline/manifest.json.
func (b *Build) WithOffline(
	ctx context.Context,
	// A model store to copy in (an ollama models directory: manifests/, blobs/); every model the flavor preloads must be in it.
	// +optional
	modelsStore *dagger.Directory,
	// Refuse a payload over this many MiB (0: no limit).
	// +optional
	maxSizeMib int,
	// Image digests to use, SERVICE=sha256:...; the others are resolved from their registry.
	// +optional
	digests []string,
) (*Build, error) {
	if maxSizeMib < 0 {
		return nil, fmt.Errorf("max-size-mib %d: give a size in MiB, or 0 for no limit", maxSizeMib)
	}
	if _, err := b.Root.resolveSet(ctx, b.platformVersion(), digests); err != nil {
		return nil, err
	}
	if modelsStore != nil {
		if err := b.checkModelsStore(ctx, modelsStore); err != nil {
			return nil, err
		}
	}
	c := *b
	c.Offline, c.ModelsStore, c.MaxSizeMib, c.OfflineDigests = true, modelsStore, maxSizeMib, digests
	return &c, nil
}

// onlineOnly refuses an artifact that cannot install offline yet: its
// installer would not use the payload, and compose would never pull.
func (b *Build) onlineOnly(artifact string) error {
	if b.Offline {
		return fmt.Errorf("with-offline: %s: only the VM disk (vm), the ISO (iso) and WSL (wsl) install offline; build the %s without with-offline", artifact, artifact)
	}
	return nil
}

func (b *Build) platformVersion() string { return compat.PlatformFor(b.Version, b.PlatformVersion) }

// checkModelsStore refuses a store without every model the flavor preloads.
func (b *Build) checkModelsStore(ctx context.Context, store *dagger.Directory) error {
	data, err := b.Root.Images.File("models.yaml").Contents(ctx)
	if err != nil {
		return err
	}
	mf, err := models.Parse("images/models.yaml", []byte(data))
	if err != nil {
		return err
	}
	spec, err := mf.Flavor(b.Flavor)
	if err != nil {
		return err
	}
	paths, err := store.Glob(ctx, "manifests/**")
	if err != nil {
		return fmt.Errorf("models-store: %w", err)
	}
	manifests := map[string]string{}
	for _, p := range paths {
		if !strings.HasSuffix(p, "/") {
			if manifests[p], err = store.File(p).Contents(ctx); err != nil {
				return fmt.Errorf("models-store: %s: %w", p, err)
			}
		}
	}
	blobs, err := store.Glob(ctx, "blobs/*")
	if err != nil {
		return fmt.Errorf("models-store: %w", err)
	}
	for i := range blobs {
		blobs[i] = strings.TrimPrefix(blobs[i], "blobs/")
	}
	return spec.CheckStore(manifests, blobs)
}

// offlineTree is the bundle tree of an offline build: every image pinned,
// the compose file naming the images on the medium, the payload in offline/.
func (b *Build) offlineTree(ctx context.Context) (*dagger.Directory, error) {
	set, err := b.Root.resolveSet(ctx, b.platformVersion(), b.OfflineDigests)
	if err != nil {
		return nil, err
	}
	if err := pinSet(ctx, set, "", nil); err != nil {
		return nil, err
	}
	return b.offlineTreeOf(ctx, set)
}

// offlineTreeOf is the offline bundle tree of a pinned service set.
func (b *Build) offlineTreeOf(ctx context.Context, set *compat.Set) (*dagger.Directory, error) {
	payload, err := b.offlinePayload(ctx, set)
	if err != nil {
		return nil, err
	}
	tree, err := b.treeOf(ctx, set)
	if err != nil {
		return nil, err
	}
	return tree.WithDirectory(offline.Dir, payload), nil
}

// offlinePayload assembles debs/, images/ and models/ with manifest.json.
func (b *Build) offlinePayload(ctx context.Context, set *compat.Set) (*dagger.Directory, error) {
	m := b.Root
	osr, err := osRelease(ctx, m.OsImage)
	if err != nil {
		return nil, err
	}
	pkgs, err := offline.Packages(osr)
	if err != nil {
		return nil, err
	}
	sources, err := m.aptSources(ctx, osr)
	if err != nil {
		return nil, err
	}
	target := m.withAptPin(amd64().From(m.OsImage), sources)
	debs := runScript(m.nonce(target), "offline-debs.sh", pkgs...).Directory("/out/debs")
	images, saved, err := saveImages(ctx, set)
	if err != nil {
		return nil, err
	}
	payload := dag.Directory().WithDirectory("debs", debs).WithDirectory("images", images)
	if b.ModelsStore != nil {
		payload = payload.WithDirectory("models", b.ModelsStore)
	}
	listing, err := runScript(m.archiver().WithMountedDirectory("/payload", payload), "offline-list.sh").File("/listing.tsv").Contents(ctx)
	if err != nil {
		return nil, err
	}
	files, err := offline.ParseListing(listing)
	if err != nil {
		return nil, err
	}
	man := offline.Manifest{Target: offline.Release(osr), Images: saved, Files: files}
	for _, f := range files {
		man.Total += f.Size
		switch {
		case strings.HasPrefix(f.Path, "debs/") && strings.HasSuffix(f.Path, ".deb"):
			man.Packages = append(man.Packages, f)
		case strings.HasPrefix(f.Path, "models/"):
			man.Models += f.Size
		}
	}
	fmt.Println(man.Summary())
	if err := man.CheckSize(b.MaxSizeMib); err != nil {
		return nil, err
	}
	// what offline.sh loads: the archives the manifest lists, nothing else, checked first
	return payload.WithNewFile("manifest.json", man.JSON()).WithNewFile("images/SHA256SUMS", man.ImageSums()), nil
}

// saveImages pulls every service image by digest (the linux/amd64 image of
// an index) and writes it as a docker-load archive tagged with its
// compose tag, one file a service.
func saveImages(ctx context.Context, set *compat.Set) (*dagger.Directory, []offline.Image, error) {
	dir, err := os.MkdirTemp(".", "offline-images-")
	if err != nil {
		return nil, nil, err
	}
	var saved []offline.Image
	for _, svc := range set.Services {
		d := set.Digests[svc.Name]
		ref, err := name.ParseReference(set.Registry + "/" + svc.Image + "@" + d)
		if err != nil {
			return nil, nil, err
		}
		img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
		if err != nil {
			return nil, nil, fmt.Errorf("offline: service %s: pull %s: %w", svc.Name, ref, err)
		}
		tag, err := name.NewTag(set.TagRef(svc))
		if err != nil {
			return nil, nil, err
		}
		file := svc.Name + ".tar"
		if err := tarball.WriteToFile(filepath.Join(dir, file), tag, img); err != nil {
			return nil, nil, fmt.Errorf("offline: service %s: save %s: %w", svc.Name, ref, err)
		}
		saved = append(saved, offline.Image{Service: svc.Name, Ref: set.TagRef(svc), Digest: d, File: "images/" + file})
	}
	return dag.CurrentModule().Workdir(dir), saved, nil
}
